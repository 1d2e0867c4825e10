#!/usr/bin/env bats
# The mbox backend: parsing, the crash-safe rewrite, locking with MDAs and
# a root:mail 2775 spool. The shared behaviour is in backends.bats.

setup() {
	load ../../helpers
	load ../../stores
	common_setup
	store_setup mbox
	SPOOL=$BATS_TEST_TMPDIR/spool
	TESTUSER=
	MOUNTED=
}

teardown() {
	common_teardown
	[ -z "$MOUNTED" ] || umount "$MOUNTED" || :
	[ -z "$TESTUSER" ] || userdel "$TESTUSER" 2>/dev/null || :
}

# write_mbox TEXT: the mailbox is exactly TEXT (printf %b escapes).
write_mbox() {
	printf '%b' "$1" >"$MAILBOX"
	fix_owner "$MAILBOX"
}

@test "quoted From_ lines in bodies are unquoted once; unquoted ones do not split" {
	write_mbox 'From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From the start\n>>From twice\nsee below\nFrom here, no blank line before\n\nFrom b@c Mon Jan  1 00:00:01 2024\nSubject: two\n\nbody\n\n'
	printf 'Subject: one\n\nFrom the start\n>From twice\nsee below\nFrom here, no blank line before\n' >"$BATS_TEST_TMPDIR/m1"
	python3 "$POP3UTIL" wire "$BATS_TEST_TMPDIR/m1" "$BATS_TEST_TMPDIR/w1"
	pop "${LOGIN[@]}" STAT "LIST 1" "RETR 1" QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK 2 '
	assert_line --index 4 "+OK 1 $(stat -c %s "$BATS_TEST_TMPDIR/w1")"
	assert_block 6 "$BATS_TEST_TMPDIR/w1"
}

@test "a long message: quoted From_ lines across the read buffer's edges are unquoted once" {
	# ~400 KB of body, a line starting with '>' every few lines (quoted
	# From_ lines once and twice, quoting that is no From_, '>' inside
	# lines), so that some fall on each 64 KB edge of the reader's buffer.
	"$PYTHON" - "$MAILBOX" "$BATS_TEST_TMPDIR/m1" <<'PY'
import random, re, sys
random.seed(7)
kinds = ["From here", ">From there", "> quoted text", ">>> deeper", "a > b", "From", ">"]
lines = []
while sum(len(x) + 1 for x in lines) < 400000:
    if random.random() < 0.3:
        lines.append(random.choice(kinds) + "x" * random.randint(0, 90))
    else:
        lines.append("y" * random.randint(0, 300))
body = "".join(x + "\n" for x in lines)
quoted = "".join((">" + x if re.match(r">*From ", x) else x) + "\n" for x in lines)
head = "Subject: long\n\n"
open(sys.argv[1], "w").write("From a@b Mon Jan  1 00:00:00 2024\n" + head + quoted + "\n")
open(sys.argv[2], "w").write(head + body)
PY
	fix_owner "$MAILBOX"
	python3 "$POP3UTIL" wire "$BATS_TEST_TMPDIR/m1" "$BATS_TEST_TMPDIR/w1"
	pop "${LOGIN[@]}" "LIST 1" "RETR 1" QUIT
	assert_success
	assert_line --index 3 "+OK 1 $(stat -c %s "$BATS_TEST_TMPDIR/w1")"
	assert_block 5 "$BATS_TEST_TMPDIR/w1"
}

@test "a CRLF mbox is served and rewritten byte for byte" {
	m1='From a@b Mon Jan  1 00:00:00 2024\r\nSubject: one\r\n\r\nfirst\r\n\r\n'
	m2='From b@c Mon Jan  1 00:00:01 2024\r\nSubject: two\r\n\r\nsecond\r\n>From quoted\r\n\r\n'
	write_mbox "$m1$m2"
	printf 'Subject: two\r\n\r\nsecond\r\nFrom quoted\r\n' >"$BATS_TEST_TMPDIR/w2"
	pop "${LOGIN[@]}" STAT "RETR 2" "DELE 1" QUIT
	assert_success
	assert_line --index 3 "+OK 2 $((23 + $(stat -c %s "$BATS_TEST_TMPDIR/w2")))"
	assert_block 5 "$BATS_TEST_TMPDIR/w2"
	cmp "$MAILBOX" <(printf '%b' "$m2")
}

@test "no newline at the end, an empty file and a missing file" {
	write_mbox 'From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nno newline'
	pop "${LOGIN[@]}" STAT "RETR 1" QUIT
	assert_success
	assert_line --index 3 "+OK 1 26"
	assert_line --index 7 "no newline"
	write_mbox ''
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 3 "+OK 0 0"
	rm "$MAILBOX"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 0 0"
}

@test "a file that is not an mbox is refused, not served" {
	write_mbox 'Subject: not an mbox\n\nbody\n'
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/'
}

@test "X-UIDL is the UIDL; identical messages still get unique UIDLs" {
	m='From a@b Mon Jan  1 00:00:00 2024\nSubject: same\n\nbody\n\n'
	write_mbox "From a@b Mon Jan  1 00:00:00 2024\nX-UIDL: legacy-42\nStatus: RO\n\nold\n\n$m$m"
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_line --index 4 "1 legacy-42"
	u2=$(cut -d' ' -f2 <<<"${lines[5]}")
	assert_line --index 6 "3 $u2-2"
}

@test "a Status header changed by a mail reader keeps the UIDL" {
	write_mbox 'From a@b Mon Jan  1 00:00:00 2024\nSubject: s\n\nbody\n\n'
	pop "${LOGIN[@]}" "UIDL 1" QUIT
	before=${lines[3]}
	write_mbox 'From a@b Mon Jan  1 00:00:00 2024\nSubject: s\nStatus: RO\nX-Status: A\n\nbody\n\n'
	pop "${LOGIN[@]}" "UIDL 1" QUIT
	assert_line --index 3 "$before"
}

@test "the rewrite keeps owner, group and mode" {
	chmod 640 "$MAILBOX"
	stat -c '%u %g %a' "$MAILBOX" >"$BATS_TEST_TMPDIR/attrs"
	pop "${LOGIN[@]}" "DELE 1" QUIT
	assert_success
	assert_equal "$(stat -c '%u %g %a' "$MAILBOX")" "$(cat "$BATS_TEST_TMPDIR/attrs")"
	run ls -A "$SPOOL"
	assert_output "alice"
}

@test "a mailbox rewritten by another program meanwhile is not clobbered" {
	session_start s
	session_send s "${LOGIN[@]}" "DELE 1"
	session_wait s 4
	# A mail reader rewrote the file in place (same size, other bytes).
	sed -i 's/Subject: plain LF message/Subject: PLAIN lf MESSAGE/' "$MAILBOX"
	changed=$(sha256sum <"$MAILBOX")
	session_send s QUIT
	session_end s
	run session_output s
	assert_line --index 4 --regexp '^-ERR \[SYS/TEMP\] '
	assert_equal "$(sha256sum <"$MAILBOX")" "$changed"
}

# edit_in_place CASE: change the mailbox the way a mail reader ignoring
# our session would, keeping its inode and size. header: one header byte
# of the first message; last: the last message replaced by another of
# the same length (its From_ line differs).
edit_in_place() {
	python3 - "$MAILBOX" "$1" <<'PY'
import sys
path, case = sys.argv[1], sys.argv[2]
with open(path, "r+b") as f:
    data = f.read()
    if case == "header":
        i = data.index(b"\nSubject: ") + 2
        new = data[:i] + b"s" + data[i + 1:]
    else:
        i = data.rindex(b"\n\nFrom ") + 2
        eol = data.index(b"\n", i)
        c = data[eol - 1:eol]
        new = data[:eol - 1] + (b"0" if c != b"0" else b"1") + data[eol:]
    assert len(new) == len(data) and new != data
    f.seek(0)
    f.write(new)
PY
}

@test "an in-place rewrite of the same size is caught too: header edit, last message replaced" {
	local case last
	for case in header last; do
		store_setup mbox
		last=5
		[ "$case" = last ] || last=1
		session_start "s$case"
		session_send "s$case" "${LOGIN[@]}" "DELE $last"
		session_wait "s$case" 4
		ino=$(stat -c %i "$MAILBOX")
		edit_in_place "$case"
		changed=$(sha256sum <"$MAILBOX")
		session_send "s$case" QUIT
		session_end "s$case"
		run session_output "s$case"
		assert_line --index 4 --regexp '^-ERR \[SYS/TEMP\] '
		assert_equal "$(sha256sum <"$MAILBOX")" "$changed"
		assert_equal "$(stat -c %i "$MAILBOX")" "$ino"
	done
}

@test "a message appended without a lock during the session survives QUIT" {
	session_start s
	session_send s "${LOGIN[@]}" "DELE 2"
	session_wait s 4
	printf 'Subject: appended\n\nraw append\n' | mbox_append "$MAILBOX"
	session_send s QUIT
	session_end s
	assert_equal "${SESSION_RC[s]}" 0
	pop "${LOGIN[@]}" STAT "RETR 5" QUIT
	assert_line --index 2 --regexp '^\+OK 5 messages'
	assert_output --partial "raw append"
}

# kill_every_step OLD NEW LINE...: with the mailbox reset to OLD each time,
# kill a session sending LINEs (POP_ARGS as set) at each step of its
# rewrite in turn, until it runs through; every kill must leave OLD or
# NEW, and both must be seen.
kill_every_step() {
	local old=$1 new=$2 n saw_old=0 saw_new=0
	shift 2
	# Sanitizer builds insist on coming first; the shim only wraps libc.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	for ((n = 1; n <= 200; n++)); do
		cp "$old" "$MAILBOX"
		fix_owner "$MAILBOX"
		rm -f "$SPOOL"/*.tmp
		LD_PRELOAD=$ONEPOP_KILLSHIM ONEPOP_KILL_AT=$n pop "$@"
		if cmp -s "$MAILBOX" "$old"; then
			saw_old=1
		elif cmp -s "$MAILBOX" "$new"; then
			saw_new=1
		else
			fail "killed at step $n: the mailbox is neither old nor new"
		fi
		[ "$status" -eq 0 ] && break
		[ "$status" -eq 137 ] || [ "$status" -eq 124 ] || fail "step $n: exit $status"
	done
	[ "$status" -eq 0 ] || fail "the rewrite never finished in 200 steps"
	[ "$n" -gt 3 ] || fail "only $n steps: the shim did not catch the rewrite"
	echo "# rewrite killed at each of $((n - 1)) steps" >&3
	assert_equal "$saw_old$saw_new" 11
}

@test "kill -9 at every step of the rewrite leaves the old or the new mailbox" {
	[ -n "${ONEPOP_KILLSHIM:-}" ] && [ -f "$ONEPOP_KILLSHIM" ] || skip "no kill shim (run through meson test)"
	cp "$MAILBOX" "$BATS_TEST_TMPDIR/old"
	pop "${LOGIN[@]}" "DELE 2" "DELE 4" QUIT
	assert_success
	cp "$MAILBOX" "$BATS_TEST_TMPDIR/new"
	! cmp -s "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/new" || fail "the rewrite changed nothing"
	kill_every_step "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/new" "${LOGIN[@]}" "DELE 2" "DELE 4" QUIT
	# A kill leaves at most a stray temporary file; the next session is fine.
	cp "$BATS_TEST_TMPDIR/old" "$MAILBOX"
	fix_owner "$MAILBOX"
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "--expire: kill -9 during the Status marking or the expiry at login leaves the old or the new mailbox" {
	[ -n "${ONEPOP_KILLSHIM:-}" ] && [ -f "$ONEPOP_KILLSHIM" ] || skip "no kill shim (run through meson test)"
	local t=$BATS_TEST_TMPDIR
	POP_ARGS+=(--expire=0)
	cp "$MAILBOX" "$t/fresh"
	pop "${LOGIN[@]}" "RETR 2" QUIT
	assert_success
	cp "$MAILBOX" "$t/marked"
	grep -q '^Status: RO' "$t/marked" || fail "not marked"
	kill_every_step "$t/fresh" "$t/marked" "${LOGIN[@]}" "RETR 2" QUIT
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK 4 '
	cp "$MAILBOX" "$t/expired"
	# The expiry's rewrite runs at login, before any command.
	kill_every_step "$t/marked" "$t/expired" "${LOGIN[@]}" STAT QUIT
}

@test "a full filesystem during QUIT leaves the mailbox whole and says [SYS/TEMP]" {
	require_root
	mkdir -p "$BATS_TEST_TMPDIR/small"
	mount -t tmpfs -o size=64k,mode=0777 onepop-test "$BATS_TEST_TMPDIR/small" 2>/dev/null ||
		skip "cannot mount a tmpfs here"
	MOUNTED=$BATS_TEST_TMPDIR/small
	MAILBOX=$MOUNTED/alice
	# About 24k of mailbox, then fill the filesystem: no room for a copy.
	cp "$SPOOL/alice" "$MAILBOX"
	for i in $(seq 20); do mbox_append "$MAILBOX" <"$(store_path "$MAILDIR" "$UID_SEEN")"; done
	fix_owner "$MAILBOX"
	dd if=/dev/zero of="$MOUNTED/filler" bs=1k count=200 2>/dev/null || :
	# Room for the dotlock (a page or two), not for a copy of the mailbox.
	truncate -s -12k "$MOUNTED/filler"
	before=$(sha256sum <"$MAILBOX")
	pop "${LOGIN[@]}" STAT "DELE 1" QUIT
	assert_line --index 3 --regexp '^\+OK 25 '
	assert_line --index 5 --regexp '^-ERR \[SYS/TEMP\] '
	assert_equal "$(sha256sum <"$MAILBOX")" "$before"
	run ls -A "$MOUNTED"
	assert_output "$(printf 'alice\nfiller')"
}

@test "a 10,000-message mbox: STAT, deletions at both ends, QUIT" {
	python3 - "$MAILBOX" <<-'PY'
		import sys
		with open(sys.argv[1], "w") as f:
		    for i in range(1, 10001):
		        f.write("From sender@example.org Mon Jan  1 00:00:00 2024\n"
		                "From: sender@example.org\nSubject: message %d\n"
		                "Message-ID: <%d@example.org>\n\nbody of %d\n>From quoted\n\n" % (i, i, i))
	PY
	fix_owner "$MAILBOX"
	start=$(date +%s%N)
	pop "${LOGIN[@]}" STAT "DELE 1" "DELE 10000" QUIT
	end=$(date +%s%N)
	assert_success
	assert_line --index 3 --regexp '^\+OK 10000 '
	echo "# 10000 messages: login+STAT+2 DELE+QUIT in $(((end - start) / 1000000)) ms" >&3
	pop "${LOGIN[@]}" STAT "TOP 1 1" "TOP 9998 2" QUIT
	assert_line --index 3 --regexp '^\+OK 9998 '
	assert_output --partial "Subject: message 2"
	assert_output --partial "Subject: message 9999"
	assert_output --partial "From quoted"
}

@test "procmail delivering concurrently loses nothing" {
	command -v procmail >/dev/null || skip "procmail not installed"
	[ "$(id -u)" -eq 0 ] || skip "procmail delivery as the mailbox owner needs root here"
	chmod 666 "$MAILBOX"
	deliver() {
		for i in $(seq 15); do
			printf 'From mda@example.org Mon Jan  1 00:00:00 2024\nFrom: mda@example.org\nSubject: procmail-%d\n\nvia procmail\n' "$i" |
				setpriv --reuid="$FIX_UID" --regid="$FIX_GID" --clear-groups \
					procmail -m DEFAULT="$MAILBOX" LOCKFILE= /dev/null 2>/dev/null || return 1
		done
	}
	deliver &
	mda=$!
	for round in 1 2 3 4 5; do
		pop "${LOGIN[@]}" "DELE 1" QUIT
		[ "$status" -eq 0 ] || [[ ${lines[2]} == "-ERR [IN-USE]"* ]] || fail "round $round: $output"
	done
	wait "$mda" || fail "procmail failed"
	for i in $(seq 15); do
		grep -q "^Subject: procmail-$i\$" "$MAILBOX" || fail "procmail-$i was lost"
	done
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
}

# ---------------------------------------------------------------- root:mail 2775 spool

# spool_user: a fresh system user not in group mail, owning a mailbox in
# a root:mail 2775 spool, as on Debian.
spool_user() {
	require_root
	getent group mail >/dev/null || skip "no group mail"
	TESTUSER=onepop$$
	useradd -M -N -g nogroup -d /nonexistent -s /usr/sbin/nologin "$TESTUSER" ||
		skip "cannot create a user"
	local uid gid
	uid=$(id -u "$TESTUSER") gid=$(id -g "$TESTUSER")
	! id -nG "$TESTUSER" | grep -qw mail || fail "$TESTUSER is in group mail"
	chown root:mail "$SPOOL"
	chmod 2775 "$SPOOL"
	chown "$uid:mail" "$MAILBOX"
	chmod 660 "$MAILBOX"
	printf '%s:{PLAIN}secret:%s:%s::/nonexistent::\n' "$TESTUSER" "$uid" "$gid" >"$PASSWD"
	LOGIN=("USER $TESTUSER" "PASS secret")
	MAILBOX="$SPOOL/%u"
	MBOX_FILE=$SPOOL/$TESTUSER
	mv "$SPOOL/alice" "$MBOX_FILE"
}

@test "root:mail 2775 spool: a user outside group mail deletes; owner, group, mode kept" {
	spool_user
	pop "${LOGIN[@]}" STAT "DELE 1" QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_equal "$(stat -c '%U %G %a' "$MBOX_FILE")" "$TESTUSER mail 660"
	run ls -A "$SPOOL"
	assert_output "$TESTUSER"
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 3 "+OK 4 $((TOTAL_OCTETS - SIZE[$UID_LF]))"
}

@test "root:mail 2775 spool without the mail group: dotlock via dotlockfile, QUIT refused ([SYS/PERM]), mailbox whole" {
	spool_user
	POP_ARGS+=(--mail-group=)
	before=$(sha256sum <"$MBOX_FILE")
	pop "${LOGIN[@]}" STAT "DELE 1" QUIT
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 5 --regexp '^-ERR \[SYS/PERM\] '
	assert_equal "$(sha256sum <"$MBOX_FILE")" "$before"
	run ls -A "$SPOOL"
	assert_output "$TESTUSER"
}

@test "root:mail 2775 spool: a stale dotlock is broken, a live one waited for" {
	spool_user
	# A dead PID: stale.
	printf '999999\n' >"$MBOX_FILE.lock"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	[ ! -e "$MBOX_FILE.lock" ] || fail "the stale lock is still there"
	# A live holder for 2 seconds: the login waits, then goes on.
	sleep 30 &
	holder=$!
	printf '%s\n' "$holder" >"$MBOX_FILE.lock"
	(sleep 2; rm -f "$MBOX_FILE.lock") &
	start=$(date +%s)
	pop "${LOGIN[@]}" STAT QUIT
	kill "$holder"
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	[ $(($(date +%s) - start)) -ge 1 ] || fail "did not wait for the live dotlock"
}
