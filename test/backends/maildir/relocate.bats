#!/usr/bin/env bats
# QUIT after another program renamed the session's messages (an IMAP
# client marking them seen: new/ to cur/ with :2,S) reads new/ and cur/
# once, not once per moved message (issue 15.14: 16,000 such messages made
# QUIT take 38.5 s). Counted with the fault shim's call counter: the
# directory opens of a session must not grow with the messages moved.

setup() {
	load ../../helpers
	[ -n "${FAULTSHIM:-}" ] && [ -f "$FAULTSHIM" ] || skip "FAULTSHIM not set (run through meson test)"
	common_setup
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	N=2000
	"$PYTHON" - "$MAILDIR" "$N" <<-'PY'
	import os, sys
	d, n = sys.argv[1], int(sys.argv[2])
	for i in range(n):
	    body = "Subject: %d\n\nbody\n" % i
	    name = "%d.M%dP1.moved,S=%d,W=%d" % (1700002000 + i, i, len(body), len(body) + 3)
	    with open(os.path.join(d, "new", name), "w") as f:
	        f.write(body)
	PY
	fix_owner "$MAILDIR"
	COUNT=$BATS_TEST_TMPDIR/count
	: >"$COUNT"
	chmod 666 "$COUNT"
}

# session MOVE: log in, list; once the list is out, with MOVE=1 every
# message is renamed into cur/ with :2,S; then DELE all and QUIT.
session() {
	local i
	printf 'USER alice\r\nPASS secret\r\nSTAT\r\n'
	for ((i = 0; i < 400; i++)); do
		grep -q '^+OK [0-9]* messages' "$RAW" 2>/dev/null && break
		sleep 0.05
	done
	[ "$1" = 0 ] || "$PYTHON" -c 'import os, sys
os.chdir(sys.argv[1])
for f in os.listdir("new"):
    os.rename("new/" + f, "cur/" + f + ":2,S")' "$MAILDIR"
	for ((i = 1; i <= N + 5; i++)); do
		printf 'DELE %d\r\n' "$i"
	done
	printf 'QUIT\r\n'
}

# opens MOVE: the openat calls of such a session on a fresh copy of the store.
opens() {
	rm -rf "$MAILDIR"
	cp -a "$BATS_TEST_TMPDIR/template" "$MAILDIR"
	: >"$COUNT"
	export FAULT_COUNT=$COUNT LD_PRELOAD=$FAULTSHIM
	pop_gen session "$1"
	unset FAULT_COUNT LD_PRELOAD
	assert_success
	assert_line "+OK goodbye"
	run ls -A "$MAILDIR/cur" "$MAILDIR/new"
	refute_output --partial moved
	awk '$1 == "openat" { print $2 }' "$COUNT"
}

@test "relocate: QUIT after 2000 messages were moved reads the directories a few times, not 2000" {
	local still moved start=$SECONDS
	POP_LIMIT=120
	cp -a "$MAILDIR" "$BATS_TEST_TMPDIR/template"
	still=$(opens 0)
	moved=$(opens 1)
	echo "# openat calls: $still with no message moved, $moved with all moved; $((SECONDS - start)) s" >&3
	[ "$((moved - still))" -lt 20 ] || fail "$((moved - still)) more openat calls for $N moved messages"
}

# twice_session: message 1 is moved, read (found again), moved once more,
# then deleted.
twice_session() {
	local i f
	printf 'USER alice\r\nPASS secret\r\nSTAT\r\n'
	for ((i = 0; i < 400; i++)); do
		grep -q '^+OK [0-9]* messages' "$RAW" 2>/dev/null && break
		sleep 0.05
	done
	f=$(cd "$MAILDIR/new" && ls | sort | head -n 1)
	mv "$MAILDIR/new/$f" "$MAILDIR/cur/$f:2,S"
	printf 'RETR 1\r\nNOOP\r\n'
	for ((i = 0; i < 400; i++)); do
		tr -d '\r' <"$RAW" | grep -qE '^\+OK ?$' && break
		sleep 0.05
	done
	mv "$MAILDIR/cur/$f:2,S" "$MAILDIR/cur/$f:2,RS"
	printf 'DELE 1\r\nQUIT\r\n'
}

@test "relocate: a message moved, read, then moved again is still deleted at QUIT" {
	local first
	first=$(cd "$MAILDIR/new" && ls | sort | head -n 1)
	pop_gen twice_session
	assert_success
	assert_line "+OK goodbye"
	! ls "$MAILDIR"/cur/"$first"* "$MAILDIR"/new/"$first"* 2>/dev/null || fail "message 1 was not deleted"
}
