#!/usr/bin/env bats
# The exec backend (onepop-exec(7)): the protocol against a scriptable
# helper, every way a helper can misbehave, and the example helpers through
# real clients (Python poplib, Perl Net::POP3).

setup() {
	load ../../helpers
	common_setup
	XLOG=$BATS_TEST_TMPDIR/helper.log
	: >"$XLOG"
	chmod 666 "$XLOG"
	HELPER=$BATS_TEST_DIRNAME/../../lib/exec-helper-test
	EXAMPLES=$BATS_TEST_DIRNAME/../../../examples
}

teardown() { common_teardown; }

# use_helper MODE [ONEPOP ARGS...]: the test helper in MODE, idle timeout 2s.
use_helper() {
	local mode=$1
	shift
	POP_ARGS=(--backend=exec "--exec=$HELPER" "--exec-arg=$mode" "--exec-arg=$XLOG"
		--timeout=2 "$@")
}

# The seconds a command took is at most $1.
timed() {
	local max=$1 start end
	shift
	start=$(date +%s%N)
	"$@"
	end=$(date +%s%N)
	echo "# took $(((end - start) / 1000000)) ms" >&3
	[ $(((end - start) / 1000000)) -le $((max * 1000)) ] || fail "took longer than ${max}s"
}

@test "exec: list, uidl, retr, top through the protocol; the helper gets HELLO 1 and LIST" {
	use_helper good
	pop "${LOGIN[@]}" STAT UIDL "RETR 1" "TOP 2 0" QUIT
	assert_success
	assert_line --index 2 "+OK 2 messages (113 octets)"
	assert_line "+OK 2 113"
	assert_line "1 u1"
	assert_line "2 u2"
	assert_line "+OK 63 octets"
	assert_line "..leading dot"
	assert_crlf "$RAW"
	run grep -c '^HELLO 1 ' "$XLOG"
	assert_output 1
	grep -qx LIST "$XLOG"
	grep -qx "RETR 1" "$XLOG"
	grep -qx "RETR 2" "$XLOG"
	grep -qx "COMMIT 0" "$XLOG"
	grep -qx QUIT "$XLOG"
}

@test "exec: deletions reach the helper only at QUIT, as one COMMIT" {
	use_helper good
	pop "${LOGIN[@]}" "DELE 2" NOOP QUIT
	assert_success
	run sed -n '/^COMMIT/,$p' "$XLOG"
	assert_output $'COMMIT 1\n2\nQUIT'
}

@test "exec: a session ending without QUIT rolls back (no COMMIT)" {
	use_helper good
	pop "${LOGIN[@]}" "DELE 1" "DELE 2"
	assert_failure 1
	run grep -c COMMIT "$XLOG"
	assert_output 0
	grep -qx ROLLBACK "$XLOG"
}

@test "exec: argv is passed as given (no shell), the environment is clean" {
	use_helper good "--exec-arg=a b" '--exec-arg=$(touch x);*'
	pop "${LOGIN[@]}" QUIT
	assert_success
	grep -qx 'argv:2' "$XLOG"
	grep -qx 'arg:a b' "$XLOG"
	grep -Fqx 'arg:$(touch x);*' "$XLOG"
	run grep '^env:' "$XLOG"
	assert_output "$(printf 'env:%s\n' PATH=/usr/local/bin:/usr/bin:/bin ONEPOP_EXEC_PROTOCOL=1 "ONEPOP_MAILBOX=$MAILDIR")"
}

@test "exec: the helper runs as the logged-in user, never as root" {
	require_root
	cat >"$BATS_TEST_TMPDIR/whoami" <<-EOS
	#!/bin/sh
	id -u >$XLOG
	read -r x; echo "OK 1"; read -r x; echo "OK 0"; echo .; read -r x; echo OK; read -r x
	EOS
	chmod 755 "$BATS_TEST_TMPDIR/whoami"
	POP_ARGS=(--backend=exec "--exec=$BATS_TEST_TMPDIR/whoami")
	pop "${LOGIN[@]}" QUIT
	assert_success
	run cat "$XLOG"
	assert_output "$FIX_UID"
}

@test "exec: a silent helper fails the login within the idle timeout" {
	use_helper silent-hello
	timed 10 pop "${LOGIN[@]}" STAT QUIT
	assert_failure 1
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] '
}

@test "exec: a helper that crashes at start fails the login with SYS/TEMP" {
	use_helper crash-hello
	pop "${LOGIN[@]}" QUIT
	assert_failure 1
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] mailbox is not available$'
}

@test "exec: ERR PERM maps to SYS/PERM; its text only with --transmit-errors" {
	use_helper perm-hello
	pop "${LOGIN[@]}"
	assert_failure 1
	assert_line --index 2 "-ERR [SYS/PERM] mailbox is not available"
	refute_output --partial "secret detail"
	use_helper perm-hello --transmit-errors
	pop "${LOGIN[@]}"
	assert_line --index 2 "-ERR [SYS/PERM] mailbox is not available: secret detail"
}

@test "exec: ERR INUSE maps to IN-USE" {
	use_helper inuse-hello
	pop "${LOGIN[@]}"
	assert_failure 1
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
}

@test "exec: another protocol version, garbage, long lines, bad or duplicate lists are refused" {
	local mode
	for mode in version-2 garbage-hello garbage-list dup-uidl too-many long-line; do
		use_helper "$mode" --transmit-errors
		pop "${LOGIN[@]}" STAT
		assert_failure 1
		assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] mailbox is not available: helper'
		refute_line "+OK 2 113"
	done
}

@test "exec: ERR TEMP at RETR is -ERR [SYS/TEMP] and the session goes on" {
	use_helper temp-retr
	pop "${LOGIN[@]}" "RETR 1" STAT QUIT
	assert_success
	assert_line --index 3 "-ERR [SYS/TEMP] cannot read this message"
	assert_line "+OK 2 113"
}

@test "exec: a helper silent at RETR costs at most the idle timeout, then -ERR" {
	use_helper slow-retr
	timed 10 pop "${LOGIN[@]}" "RETR 1" "RETR 2"
	assert_line --index 3 --regexp '^-ERR \[SYS/TEMP\] '
	# Out of step now: the next request fails at once.
	assert_line --index 4 --regexp '^-ERR \[SYS/TEMP\] '
}

# A message cut short must never end with the final "." line.
assert_dropped_after_ok() {
	assert_failure 1
	assert_line --index 3 --regexp '^\+OK '
	refute_line "."
	grep -q 'dropping the connection' "$POP_ERR" || :
}

@test "exec: a helper crashing mid-message: connection dropped, no final dot" {
	use_helper crash-retr
	pop "${LOGIN[@]}" "RETR 1" NOOP QUIT
	assert_dropped_after_ok
	refute_line "+OK goodbye"
}

@test "exec: a helper stalling mid-message: dropped within the idle timeout" {
	use_helper short-stall
	timed 10 pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_dropped_after_ok
}

@test "exec: a message that does not match its listed size is dropped, not completed" {
	use_helper wrong-size
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_dropped_after_ok
	run grep -c COMMIT "$XLOG"
	assert_output 0
}

@test "exec: a message without END after its length is dropped" {
	use_helper no-end
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_dropped_after_ok
}

@test "exec: a failed COMMIT is -ERR [SYS/TEMP] at QUIT" {
	use_helper commit-fails --transmit-errors
	pop "${LOGIN[@]}" "DELE 1" QUIT
	assert_failure 1
	assert_line "-ERR [SYS/TEMP] some deleted messages not removed: disk full"
}

@test "exec: configuration errors exit 2 before serving" {
	run_onepop --backend=exec "--auth=passwd-file:$PASSWD"
	assert_failure 2
	run_onepop --backend=exec --exec=relative/prog "--auth=passwd-file:$PASSWD"
	assert_failure 2
	run_onepop --backend=exec "--exec=$BATS_TEST_TMPDIR/missing" "--auth=passwd-file:$PASSWD"
	assert_failure 2
	run_onepop --faithful=extra "--auth=passwd-file:$PASSWD"
	assert_failure 2
	assert_output ""
}

# ------------------------------------------------------------- the examples

@test "examples/exec-dir.sh: Python poplib lists, fetches and deletes over TCP" {
	local dir=$BATS_TEST_TMPDIR/spool/alice
	mkdir -p "$dir"
	printf 'Subject: first\n\nHello.\n.dot\n' >"$dir/m1"
	printf 'Subject: second\r\n\r\nNo final newline' >"$dir/m2"
	fix_owner "$BATS_TEST_TMPDIR/spool"
	POP_ARGS=(--backend=exec "--exec=$EXAMPLES/exec-dir.sh" "--mailbox=$BATS_TEST_TMPDIR/spool/%u")
	tcp_server_start
	run timeout 20 python3 - "$PORT" <<-'EOF'
	import poplib, sys
	c = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
	c.user("alice"); c.pass_("secret")
	print(c.stat())
	print(c.uidl()[1])
	resp, lines, octets = c.retr(1)
	print(resp, lines, octets)
	resp, lines, octets = c.retr(2)
	print(lines, octets)
	c.dele(1)
	print(c.quit())
	EOF
	assert_success
	assert_line "(2, 69)"
	assert_line "[b'1 m1', b'2 m2']"
	assert_line "b'+OK 32 octets' [b'Subject: first', b'', b'Hello.', b'.dot'] 32"
	assert_line "[b'Subject: second', b'', b'No final newline'] 37"
	[ ! -e "$dir/m1" ]
	[ -e "$dir/m2" ]
}

@test "examples/exec-dir.sh: a second session on the same mailbox is IN-USE" {
	local dir=$BATS_TEST_TMPDIR/spool/alice
	mkdir -p "$dir"
	fix_owner "$BATS_TEST_TMPDIR/spool"
	POP_ARGS=(--backend=exec "--exec=$EXAMPLES/exec-dir.sh" "--mailbox=$BATS_TEST_TMPDIR/spool/%u")
	session_start first
	session_send first "USER alice" "PASS secret"
	session_wait first 3
	pop "${LOGIN[@]}"
	assert_failure 1
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
}

@test "examples/exec-json.py: Perl Net::POP3 fetches messages built from JSON; DELE rewrites it" {
	local feed=$BATS_TEST_TMPDIR/feed.json
	cat >"$feed" <<-'EOF'
	{"alice": [{"id": "n1", "from": "news@example.org", "subject": "Today", "body": "Line one.\n.line two\n"},
	           {"id": "n2", "subject": "Tomorrow", "body": "Second."}],
	 "bob": [{"id": "b1", "subject": "not yours"}]}
	EOF
	fix_owner "$feed"
	chmod 777 "$BATS_TEST_TMPDIR"
	POP_ARGS=(--backend=exec "--exec=$EXAMPLES/exec-json.py" "--exec-arg=$feed" "--mailbox=%u")
	tcp_server_start
	run timeout 20 perl -MNet::POP3 -e '
		my $p = Net::POP3->new("127.0.0.1", Port => $ARGV[0], Timeout => 10) or die "connect";
		my $n = $p->login("alice", "secret"); print "count $n\n";
		my $u = $p->uidl; print "uidl $_ $u->{$_}\n" for sort keys %$u;
		my $l = $p->list; print "size $_ $l->{$_}\n" for sort keys %$l;
		my $m = $p->get(1); print "got: $_" for @$m;
		$p->delete(2) or die "dele"; $p->quit or die "quit";
	' "$PORT"
	assert_success
	assert_line "count 2"
	assert_line "uidl 1 n1"
	assert_line "uidl 2 n2"
	assert_line "got: Subject: Today"
	assert_line "got: Message-ID: <n1@exec-json>"
	assert_line "got: .line two"
	run python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([e["id"] for e in d["alice"]], [e["id"] for e in d["bob"]])' "$feed"
	assert_output "['n1'] ['b1']"
}
