#!/usr/bin/env bats
# examples/mailbox-test-server removes the files of the messages deleted at
# QUIT, as Mail::Box's t/server/start does (issue 16.5): a Mail::Box client
# suite that retrieves and deletes everything then finds the message
# directory empty. A session cut off (BREAK) removes nothing.

setup() {
	load helpers
	common_setup
	STANDIN=$BATS_TEST_DIRNAME/../examples/mailbox-test-server
	perl -MMail::Transport::POP3 -e1 2>/dev/null ||
		skip "Mail::Transport::POP3 missing (Debian libmail-box-pop3-perl)"
	MSGS=$BATS_TEST_TMPDIR/t/messages
	mkdir -p "$MSGS"
	printf 'From: a@example.org\nSubject: one\n\nbody one\n.dot line\n' >"$MSGS/1"
	printf 'From: b@example.org\r\nSubject: two\r\n\r\nbody two\r\n' >"$MSGS/2"
	printf 'From: c@example.org\nSubject: ten\n\nno newline at the end' >"$MSGS/10"
	chmod -R a+rwX "$BATS_TEST_TMPDIR/t"
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	if [ -n "${SPID:-}" ]; then
		kill "$SPID" 2>/dev/null || :
		wait "$SPID" 2>/dev/null || :
	fi
	common_teardown
}

standin_start() {
	local i
	SOUT=$BATS_TEST_TMPDIR/standin.out
	: >"$SOUT"
	"$STANDIN" t/messages "$@" >>"$SOUT" 2>"$SOUT.err" &
	SPID=$!
	for ((i = 0; i < 1200; i++)); do
		SPORT=$(head -n 1 "$SOUT" 2>/dev/null)
		[ -n "$SPORT" ] && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	fail "the stand-in printed no port: $(cat "$SOUT.err")"
}

client() {
	run timeout 20 perl -MMail::Transport::POP3 -MNet::POP3 -e 'my $port = shift; '"$1" "$SPORT"
}

MTP='Mail::Transport::POP3->new(hostname => "127.0.0.1", port => $port,
	username => "user", password => "password") or die "login";'

@test "stand-in: Mail::Transport::POP3 retrieves and deletes everything; the directory is empty" {
	standin_start
	client 'my $pop = '"$MTP"' my @ids = $pop->ids; my $n = 0;
		for my $id (@ids) { my $m = $pop->message($id) or die "RETR $id"; $n++ if @$m }
		$pop->deleted(1, @ids); $pop->disconnect; print "retrieved $n\n";
		$pop = '"$MTP"' my @left = $pop->ids; print "left ", scalar(@left), "\n"; $pop->disconnect;'
	assert_success
	assert_line "retrieved 3"
	assert_line "left 0"
	run ls -A "$MSGS"
	assert_output ""
}

@test "stand-in: only the messages deleted go; a session cut off by BREAK removes nothing" {
	standin_start
	client 'my $p = Net::POP3->new("127.0.0.1", Port => $port) or die;
		$p->login("user", "password") or die; $p->delete(1) or die;
		$p->command("BREAK"); $p->response;'
	[ -e "$MSGS/1" ] || fail "BREAK removed a file"
	client 'my $pop = '"$MTP"' my @ids = $pop->ids; $pop->deleted(1, $ids[1]); $pop->disconnect;'
	assert_success
	run ls "$MSGS"
	assert_output $'1\n10'
}
