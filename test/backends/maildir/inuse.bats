#!/usr/bin/env bats
# A useful IN-USE: the Maildir lock records who holds it (host, pid, since
# when, from which address), a second session is told so, and a lock whose
# owner is gone is taken over at once.

setup() {
	load ../../helpers
	common_setup
	LOCK=$MAILDIR/onepop-session.lock
}
teardown() {
	[ -z "${SLEEPER:-}" ] || { kill "$SLEEPER" 2>/dev/null; wait "$SLEEPER" 2>/dev/null || :; }
	[ -z "${HOLDER:-}" ] || { kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null || :; }
	common_teardown
}

# hold_mailbox: hold the flock on the Maildir that every local session
# holds (as a live session would), with the lock file written by the test.
_flock_taken() { ! flock -n "$MAILDIR" true; }
hold_mailbox() {
	flock "$MAILDIR" sleep 60 &
	HOLDER=$!
	wait_for _flock_taken || fail "the test could not take the Maildir's flock"
}

ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

@test "the lock records host, pid, since and the client's address" {
	local before after host pid since addr
	before=$(date +%s)
	session_start first
	session_send first "${LOGIN[@]}"
	session_wait first 3
	after=$(date +%s)
	read -r host pid since addr <"$LOCK"
	assert_equal "$host" "$(hostname)"
	assert_equal "$pid" "$(child_pids "${SESSION_PID[first]}")"
	[ "$since" -ge "$before" ] && [ "$since" -le "$after" ] || fail "since=$since not in $before..$after"
	assert_equal "$addr" local
	session_send first QUIT
	session_end first
	[ ! -e "$LOCK" ]
}

@test "a second session is told from where and since when the mailbox is held" {
	session_start first
	session_send first "${LOGIN[@]}"
	session_wait first 3
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp "^-ERR \[IN-USE\] mailbox locked by a session from local since $ISO\$"
	session_send first QUIT
	session_end first
}

@test "over TCP the holder's address is its IP address" {
	tcp_server_start
	"$PYTHON" "$LIBDIR/tcp_client.py" "$PORT" 'wait:1' 'send:USER alice\r\nPASS secret\r\n' \
		'wait:3' "until:$BATS_TEST_TMPDIR/go" 'send:QUIT\r\n' >"$BATS_TEST_TMPDIR/first.out" &
	local first=$! i
	wait_for test -f "$LOCK" || fail "the first session never took the lock"
	tcp 'wait:1' 'send:USER alice\r\nPASS secret\r\nQUIT\r\n'
	assert_line --index 2 --regexp "^-ERR \[IN-USE\] mailbox locked by a session from 127\.0\.0\.1 since $ISO\$"
	touch "$BATS_TEST_TMPDIR/go"
	wait "$first"
	grep -q '^+OK goodbye' "$BATS_TEST_TMPDIR/first.out"
}

@test "the time shown is the lock's, in UTC" {
	# A live session holds it (the flock), taken at a known time.
	printf '%s %s %s 192.0.2.7\n' "$(hostname)" "$$" "$(date +%s)" >"$LOCK"
	# $$ started before "now", so it is a plausible owner.
	fix_owner "$LOCK"
	hold_mailbox
	local want
	want=$(date -u -d "@$(cut -d' ' -f3 "$LOCK")" +%Y-%m-%dT%H:%M:%SZ)
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 "-ERR [IN-USE] mailbox locked by a session from 192.0.2.7 since $want"
	[ -f "$LOCK" ] || fail "a live lock was removed"
}

@test "text in the lock file that is not an address never reaches the client" {
	printf '%s %s %s <script>%%s\n' "$(hostname)" "$$" "$(date +%s)" >"$LOCK"
	fix_owner "$LOCK"
	hold_mailbox
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp "^-ERR \[IN-USE\] mailbox locked by a session since $ISO\$"
	refute_output --partial script
}

@test "an old-style lock (HOST PID) of a live process still gets a plain IN-USE" {
	printf '%s %s\n' "$(hostname)" "$$" >"$LOCK"
	fix_owner "$LOCK"
	hold_mailbox
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] mailbox is locked by another session$'
}

@test "a lock whose pid now belongs to a younger process (pid reuse) is stale" {
	sleep 30 &
	SLEEPER=$!
	# The lock claims to be two hours old; the sleeper started just now.
	printf '%s %s %s 192.0.2.9\n' "$(hostname)" "$SLEEPER" "$(($(date +%s) - 7200))" >"$LOCK"
	fix_owner "$LOCK"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	kill -0 "$SLEEPER" || fail "the unrelated process was touched"
}

@test "another host's fresh lock is IN-USE with its address; an old one is taken over" {
	printf 'elsewhere.example 4242 %s 2001:db8::5\n' "$(date +%s)" >"$LOCK"
	fix_owner "$LOCK"
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp "^-ERR \[IN-USE\] mailbox locked by a session from 2001:db8::5 since $ISO\$"
	touch -d '2 hours ago' "$LOCK"
	pop "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "the refusal is logged with the holder" {
	printf '%s %s %s 192.0.2.7\n' "$(hostname)" "$$" "$(date +%s)" >"$LOCK"
	fix_owner "$LOCK"
	hold_mailbox
	POP_ARGS=(--debug)
	pop "${LOGIN[@]}" QUIT
	grep -q 'held by a session from 192.0.2.7 since' "$POP_ERR" || fail "$(cat "$POP_ERR")"
}
