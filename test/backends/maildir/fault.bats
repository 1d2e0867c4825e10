#!/usr/bin/env bats
# Fault injection on the paths that change mail. A session deletes two
# messages and QUITs while test/fault/faultshim.so (LD_PRELOAD) fails one
# call — each call of each wrapped function in turn — with ENOSPC, EIO,
# EACCES, EINTR, or kills the process there (kill -9 at each step). After
# every run: the store holds every message not deleted, byte for byte, and
# nothing new; a deletion left undone means the client did not get +OK;
# +OK means both are gone; and the next session is not locked out.

setup() {
	load ../../helpers
	[ -n "${FAULTSHIM:-}" ] && [ -f "$FAULTSHIM" ] || skip "FAULTSHIM not set (run through meson test)"
	common_setup
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	load_uidls
	TEMPLATE=$BATS_TEST_TMPDIR/template
	cp -a "$MAILDIR" "$TEMPLATE"
	MARKED=("$UID_CRLF" "$UID_SEEN")
	POP_ARGS=(--preauth=alice)
}

teardown() {
	common_teardown
}

fresh_store() {
	rm -rf "$MAILDIR"
	cp -a "$TEMPLATE" "$MAILDIR"
}

# faulty_session CALL N ERRNO: the session under the shim; sets output/status.
faulty_session() {
	fresh_store
	export FAULT_CALL=$1 FAULT_NTH=$2 FAULT_ERRNO=$3
	FAULT_KIND=$3
	export LD_PRELOAD=$FAULTSHIM
	pop UIDL "DELE ${MSGNUM[${MARKED[0]}]}" "DELE ${MSGNUM[${MARKED[1]}]}" QUIT
	unset LD_PRELOAD FAULT_CALL FAULT_NTH FAULT_ERRNO
	intended_deletions
}

# intended_deletions: which messages the DELEs named in the session's own
# numbering (a message the scan could not open is not listed, so the
# numbers can shift, as POP3 allows); sets INTENDED. Without a UIDL reply
# (the output was lost) the scan was clean and the fixture numbering holds.
intended_deletions() {
	local -A num=()
	local n uid
	INTENDED=("${MARKED[@]}")
	[[ ${lines[1]:-} == "+OK unique-id listing follows" ]] || return 0
	while read -r n uid; do
		num[$n]=$uid
	done < <(printf '%s\n' "${lines[@]:2}" | sed '/^\.$/q' | sed '$d')
	INTENDED=()
	for uid in "${MARKED[@]}"; do
		n=${MSGNUM[$uid]}
		[ -z "${num[$n]:-}" ] || INTENDED+=("${num[$n]}")
	done
}

# check_outcome WHAT: the invariants above, after a faulty session.
check_outcome() {
	local what=$1 uid left=0 expected got line quit_ok=0
	got=$(snapshot "$MAILDIR")
	# Every message not marked is there, unchanged; nothing else appeared.
	expected=$(cat "$BEFORE")
	for uid in "${INTENDED[@]}"; do
		expected=$(printf '%s\n' "$expected" | awk -v u="$uid " 'index($0, u) != 1')
	done
	line=$(comm -23 <(printf '%s\n' "$expected") <(printf '%s\n' "$got"))
	[ -z "$line" ] || fail "$what: lost or changed: $line"
	line=$(comm -23 <(printf '%s\n' "$got") "$BEFORE")
	[ -z "$line" ] || fail "$what: new or altered: $line"
	for uid in "${INTENDED[@]}"; do
		! store_path "$MAILDIR" "$uid" >/dev/null || left=$((left + 1))
	done
	if [ "${#lines[@]}" -gt 0 ] && [ "${lines[-1]}" = "+OK goodbye" ]; then
		quit_ok=1
	fi
	if [ "$quit_ok" = 1 ]; then
		[ "$left" -eq 0 ] || fail "$what: +OK goodbye but $left deletions undone"
		# Killed after the reply (at the lock's removal) is still a success.
		[ "$status" -eq 0 ] || { [ "$FAULT_KIND" = KILL ] && [ "$status" -eq 137 ]; } ||
			fail "$what: +OK goodbye but exit status $status"
	fi
	# No stale lock: a clean session gets in, finishes an UPDATE that was
	# cut short (its intent record) and sees what is left: all or none of
	# the deletions, never some (the client could not know which).
	run_clean_session_any "$what"
	left=0
	for uid in "${INTENDED[@]}"; do
		! store_path "$MAILDIR" "$uid" >/dev/null || left=$((left + 1))
	done
	[ "$left" -eq 0 ] || [ "$left" -eq "${#INTENDED[@]}" ] ||
		fail "$what: after the next login $left of ${#INTENDED[@]} deletions undone"
	[ "$quit_ok" = 0 ] || [ "$left" -eq 0 ] || fail "$what: +OK goodbye, deletions undone"
	[[ $CLEAN_OUT == *"+OK $((5 - ${#INTENDED[@]} + left)) "* ]] ||
		fail "$what: next session saw: $CLEAN_OUT"
	got=$(ls -A "$MAILDIR" | grep onepop-intent) || :
	[ -z "$got" ] || fail "$what: intent record left after the next session: $got"
}

# run_clean_session_any WHAT: a session that gets in; its reply in CLEAN_OUT.
run_clean_session_any() {
	CLEAN_OUT=$(_pop_exec _gen_lines STAT QUIT) || fail "$1: next session failed: $CLEAN_OUT"
}

run_clean_session() {
	local what=$1 n=$2 out
	out=$(_pop_exec _gen_lines STAT QUIT) || fail "$what: next session failed: $out"
	[[ $out == *"+OK $n "* ]] || fail "$what: next session: expected $n messages: $out"
}

# calls_made: "CALL COUNT" for each wrapped call a clean run makes.
calls_made() {
	local count=$BATS_TEST_TMPDIR/count
	: >"$count"
	chmod 666 "$count"
	fresh_store
	FAULT_COUNT=$count LD_PRELOAD=$FAULTSHIM \
		_pop_exec _gen_lines UIDL "DELE ${MSGNUM[${MARKED[0]}]}" "DELE ${MSGNUM[${MARKED[1]}]}" QUIT \
		>/dev/null || fail "the clean run failed"
	cat "$count"
}

# fail_each ERRNO: fail every call in turn with ERRNO; returns the count.
fail_each() {
	local err=$1 call count n runs=0
	while read -r call count; do
		for ((n = 1; n <= count; n++)); do
			faulty_session "$call" "$n" "$err"
			check_outcome "$call #$n $err"
			runs=$((runs + 1))
		done
	done < <(calls_made)
	# The calls that change mail were among those failed.
	[ "$(calls_made | awk '$1 == "unlinkat" { print $2 }')" -ge 2 ] ||
		fail "expected an unlinkat a deletion at least: $(calls_made)"
	calls_made | grep -q '^fsync ' || fail "expected fsync calls: $(calls_made)"
	echo "# $runs runs over: $(calls_made | tr '\n' ' ')" >&3
}

@test "fault: each call failing with ENOSPC loses nothing and says -ERR" {
	fail_each ENOSPC
}

@test "fault: each call failing with EIO loses nothing and says -ERR" {
	fail_each EIO
}

@test "fault: each call failing with EACCES loses nothing and says -ERR" {
	fail_each EACCES
}

@test "fault: each call interrupted with EINTR loses nothing" {
	fail_each EINTR
}

@test "fault: kill -9 at each call loses nothing and leaves no stale lock" {
	fail_each KILL
}

@test "fault: a failed unlink in UPDATE gets -ERR [SYS/TEMP] and keeps the message" {
	FAULT_MATCH=${MARKED[1]} faulty_session unlinkat 1 EIO
	assert_line --index 10 "-ERR [SYS/TEMP] some deleted messages not removed"
	assert_failure 1
	store_path "$MAILDIR" "${MARKED[1]}" >/dev/null || fail "second marked message gone"
	! store_path "$MAILDIR" "${MARKED[0]}" >/dev/null || fail "first marked message kept"
	FAULT_KIND=EIO check_outcome "unlinkat of ${MARKED[1]}"
}

@test "fault: a failed fsync in UPDATE gets -ERR (the deletions may not be durable)" {
	faulty_session fsync 1 EIO
	assert_line --index 10 --regexp '^-ERR \[SYS/TEMP\]'
	FAULT_KIND=EIO check_outcome "fsync #1"
}

# ---------------------------------------------------------------- vanishing clients

# A message big enough that RETR cannot fit in a pipe or socket buffer.
# add_big_message [OCTETS]: a message larger than any buffer on the way.
add_big_message() {
	local f=$MAILDIR/new/1700000009.M9P9.big
	{
		printf 'Subject: big\n\n'
		head -c "${1:-3000000}" /dev/zero | tr '\0' 'x' | fold -w 76
	} >"$f"
	fix_owner "$f"
	snapshot "$MAILDIR" >"$BEFORE"
}

@test "vanish: the reader of a pipe goes away mid-RETR (EPIPE): nothing committed" {
	add_big_message
	printf 'USER alice\r\nPASS secret\r\nDELE 1\r\nRETR 6\r\nQUIT\r\n' >"$BATS_TEST_TMPDIR/in"
	local -a std
	mapfile -t std < <(pop_std_args)
	rc=$(
		{
			timeout -k 2 20 "$ONEPOP" "${std[@]}" <"$BATS_TEST_TMPDIR/in" 2>"$POP_ERR"
			echo $? >"$BATS_TEST_TMPDIR/rc"
		} | head -c 1000 >/dev/null
		cat "$BATS_TEST_TMPDIR/rc"
	)
	# 1: ended on the write error, not killed by SIGPIPE (141).
	assert_equal "$rc" 1
	assert_store_unchanged
	run_clean_session "after EPIPE" 6
}

@test "vanish: a TCP client resets the connection mid-RETR: nothing committed" {
	# Larger than the server's largest send buffer (tcp_wmem's maximum)
	# plus the client's fixed 16 KB receive buffer: the server cannot have
	# sent the whole message, and read the pipelined QUIT, before the reset.
	local wmem
	wmem=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem)
	add_big_message $((2 * wmem + 1000000))
	POP_ARGS=()
	tcp_server_start
	"$PYTHON" - "$PORT" <<-'PY'
	import socket, struct, sys, time
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
	s.settimeout(10)
	s.connect(("127.0.0.1", int(sys.argv[1])))
	s.sendall(b"USER alice\r\nPASS secret\r\nDELE 1\r\nRETR 6\r\nQUIT\r\n")
	got = b""
	while len(got) < 2000:
	    got += s.recv(4096)
	assert b"+OK" in got, got
	# SO_LINGER 0: close sends RST, the server's next write fails.
	s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	s.close()
	PY
	# The server process ends on its own; wait (bounded) for the lock.
	POP_ARGS=(--preauth=alice)
	for ((i = 0; i < 100; i++)); do
		out=$(_pop_exec _gen_lines STAT QUIT) && break
		sleep 0.1
	done
	[[ $out == *"+OK 6 "* ]] || fail "next session: $out"
	assert_store_unchanged
}
