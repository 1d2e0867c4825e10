#!/usr/bin/env bats
# A Maildir lock file that no session of this host holds is stale (issue
# 15.10): whatever pid it names (pid 1, a live process that is not onepop,
# one that started before the lock's date), a planted lock cannot lock a
# user out. Every local session holds the Maildir's flock for as long as
# its lock file exists; taking that flock proves no local session holds
# the mailbox.

setup() {
	load ../../helpers
	common_setup
	LOCK=$MAILDIR/onepop-session.lock
}
teardown() {
	[ -z "${SLEEPER:-}" ] || { kill "$SLEEPER" 2>/dev/null; wait "$SLEEPER" 2>/dev/null || :; }
	common_teardown
}

# plant HOST PID SINCE ADDR [MTIME]: a lock file as a hostile writer
# of the Maildir would leave it.
plant() {
	printf '%s %s %s %s\n' "$1" "$2" "$3" "$4" >"$LOCK"
	[ -z "${5:-}" ] || touch -d "$5" "$LOCK"
	fix_owner "$LOCK"
}

served() {
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	[ ! -e "$LOCK" ] || fail "the stale lock is still there: $(cat "$LOCK")"
}

@test "stale lock: pid 1 of this host, dated two days ago, is taken over" {
	plant "$(hostname)" 1 "$(date -d '2 days ago' +%s)" 192.0.2.66 '2 days ago'
	served
}

@test "stale lock: pid 1 of this host, dated now, is taken over" {
	plant "$(hostname)" 1 "$(date +%s)" 192.0.2.66
	served
}

@test "stale lock: a live process that is not onepop, older than the lock, is no holder" {
	sleep 60 &
	SLEEPER=$!
	sleep 1.2
	plant "$(hostname)" "$SLEEPER" "$(date +%s)" 192.0.2.66
	served
	kill -0 "$SLEEPER" || fail "the unrelated process was touched"
}

@test "stale lock: another host's pid 1 is no session" {
	plant elsewhere.example 1 "$(date +%s)" 192.0.2.66
	served
}

@test "stale lock: another host's lock dated far in the future is taken over" {
	plant elsewhere.example 4242 "$(date +%s)" 192.0.2.66 '2 days'
	served
}

@test "stale lock: another host's fresh lock is still respected" {
	plant elsewhere.example 4242 "$(date +%s)" 192.0.2.66
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --partial "-ERR [IN-USE] mailbox locked by a session from 192.0.2.66"
	[ -f "$LOCK" ] || fail "another host's live lock was removed"
}
