#!/usr/bin/env bats
# Scale-out: the Maildir session lock that works on shared storage, and
# HAProxy (send-proxy-v2) in front of two onepop listeners sharing one
# Maildir.

setup() {
	load ../helpers
	load ../edge
	common_setup
	LOCK=$MAILDIR/onepop-session.lock
}
teardown() { edge_teardown; }

dead_pid() {
	sh -c 'echo $$'
}

@test "the lock file exists during a session and is removed after it" {
	session_start first
	session_send first "${LOGIN[@]}"
	session_wait first 3
	[ -f "$LOCK" ] || fail "no lock file during the session"
	grep -qE "^$(hostname) [0-9]+ [0-9]+ local$" "$LOCK" || fail "lock content: $(cat "$LOCK")"
	session_send first QUIT
	session_end first
	[ ! -e "$LOCK" ] || fail "lock left after QUIT"
	run ls "$MAILDIR"
	refute_output --partial "onepop-session.lock."
}

@test "a lock left by a dead process on this host is recovered" {
	printf '%s %s\n' "$(hostname)" "$(dead_pid)" >"$LOCK"
	fix_owner "$LOCK"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	[ ! -e "$LOCK" ]
}

@test "a lock held by a live session on this host is respected" {
	printf '%s %s\n' "$(hostname)" "$$" >"$LOCK"
	fix_owner "$LOCK"
	# What a live session holds besides its lock file: the Maildir's flock.
	flock "$MAILDIR" sleep 60 &
	local holder=$! i
	for ((i = 0; i < 200; i++)); do
		flock -n "$MAILDIR" true || break
		sleep 0.05
	done
	pop "${LOGIN[@]}" QUIT
	kill "$holder"
	wait "$holder" || :
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
	[ -f "$LOCK" ] || fail "someone else's lock was removed"
}

@test "another host's lock is respected while fresh and taken over when old" {
	printf 'elsewhere.example 4242\n' >"$LOCK"
	fix_owner "$LOCK"
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
	touch -d '2 hours ago' "$LOCK"
	pop "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "a session killed with SIGKILL does not lock the mailbox out" {
	session_start first
	session_send first "${LOGIN[@]}" "DELE 1"
	session_wait first 4
	# SESSION_PID is timeout(1); onepop is its child.
	kill -KILL "$(ps -o pid= --ppid "${SESSION_PID[first]}")"
	session_end first
	[ -f "$LOCK" ] || fail "expected the lock of the killed session"
	local start=$SECONDS
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	[ $((SECONDS - start)) -le 3 ] || fail "took the lock over only after a wait"
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_store_unchanged
}

@test "HAProxy with send-proxy-v2 over two onepop listeners sharing one Maildir" {
	command -v haproxy >/dev/null || skip "haproxy is not installed"
	local i uid n served
	for i in $(seq -w 1 30); do
		add_message "$MAILDIR" "17100000$i.M1P1.scale"
	done
	n=$(snapshot "$MAILDIR" | wc -l)
	POP_ARGS=(--proxy-protocol=127.0.0.1 --debug --timeout=30)
	edge_server_start A
	edge_server_start B
	FRONT=$(python3 "$POP3UTIL" freeport)
	cat >"$BATS_TEST_TMPDIR/haproxy.cfg" <<-EOF2
	global
	    maxconn 200
	defaults
	    mode tcp
	    timeout connect 2s
	    timeout client 30s
	    timeout server 30s
	frontend pop3
	    bind 127.0.0.1:$FRONT
	    default_backend onepop
	backend onepop
	    balance roundrobin
	    server a 127.0.0.1:$A send-proxy-v2
	    server b 127.0.0.1:$B send-proxy-v2
	EOF2
	haproxy -db -f "$BATS_TEST_TMPDIR/haproxy.cfg" >"$BATS_TEST_TMPDIR/haproxy.log" 2>&1 &
	EDGE_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ss -Hltn "sport = :$FRONT")" ] && break
		sleep 0.05
	done
	: >"$BATS_TEST_TMPDIR/results"
	# Rounds of concurrent sessions from 127.0.0.2 (HAProxy itself
	# connects from 127.0.0.1): each that gets in RETRs and DELEs
	# message 1, holding the mailbox 0.2 s; the others get IN-USE.
	for round in 1 2 3 4; do
		timeout 60 python3 "$EDGE" scale "$FRONT" 6 alice secret 127.0.0.2 \
			>>"$BATS_TEST_TMPDIR/results" || fail "scale client failed"
	done
	run cat "$BATS_TEST_TMPDIR/results"
	refute_line --regexp '^(error|None)'
	served=$(count_lines '^served ')
	[ "$served" -ge 4 ] || fail "only $served sessions served: $output"
	[ "$(count_lines '^refused \[IN-USE\]')" -eq $((24 - served)) ] || fail "$output"
	# Never served twice at once: the login..QUIT intervals do not overlap.
	grep '^served ' "$BATS_TEST_TMPDIR/results" | sort -k3,3n | awk '
		{ if (NR > 1 && $3 < end) { print "overlap: " prev " / " $0; bad = 1 }
		  end = $4; prev = $0 }
		END { exit bad }' || fail "a mailbox was served twice at once"
	# Each served session deleted a different message, and only those
	# are gone: nothing lost, nothing deleted twice.
	grep '^served ' "$BATS_TEST_TMPDIR/results" | awk '$5 != "+OK" { exit 1 }' ||
		fail "a QUIT failed: $output"
	assert_equal "$(grep '^served ' "$BATS_TEST_TMPDIR/results" | cut -d' ' -f2 | sort -u | wc -l)" "$served"
	assert_equal "$(snapshot "$MAILDIR" | wc -l)" $((n - served))
	for uid in $(grep '^served ' "$BATS_TEST_TMPDIR/results" | cut -d' ' -f2); do
		! store_path "$MAILDIR" "$uid" >/dev/null || fail "$uid served and deleted but still there"
	done
	# Both listeners had sessions on the one Maildir (served or refused
	# IN-USE: which one wins a round is up to timing), and logged the
	# real client.
	for l in A B; do
		grep -q 'session end: user=alice rhost=127.0.0.2 ' "$BATS_TEST_TMPDIR/$l.log" ||
			fail "listener $l had no session: $(cat "$BATS_TEST_TMPDIR/$l.log")"
	done
	! grep -q 'rhost=127.0.0.1 ' "$BATS_TEST_TMPDIR/A.log" "$BATS_TEST_TMPDIR/B.log" ||
		fail "a session logged the proxy's address"
	[ ! -e "$LOCK" ] || fail "lock left behind"
}
