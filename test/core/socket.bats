#!/usr/bin/env bats
# onepop on a real TCP connection (systemd-socket-activate --inetd): split and
# pipelined writes, abrupt disconnects, locking between connections, and the
# remote address in the failed-login log.

setup() {
	load ../helpers
	common_setup
	command -v systemd-socket-activate >/dev/null ||
		skip "systemd-socket-activate is not installed"
}

teardown() {
	common_teardown
}

@test "a TCP session: greeting, login, STAT, QUIT, all in CRLF" {
	tcp_server_start
	tcp 'wait:1' 'send:USER alice\r\n' 'wait:2' 'send:PASS secret\r\n' 'wait:3' \
		'send:STAT\r\n' 'wait:4' 'send:QUIT\r\n'
	assert_success
	assert_line --index 0 --regexp '^\+OK onepop ready <[0-9]+\.[0-9]+@[^>]+>$'
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "+OK goodbye"
	assert_equal "${#lines[@]}" 5
	assert_crlf
}

@test "a command split over several TCP writes gets one reply" {
	tcp_server_start
	tcp 'wait:1' 'send:US' 'sleep:0.2' 'send:ER ali' 'sleep:0.2' 'send:ce\r' 'sleep:0.2' \
		'send:\nPASS secret\r\nST' 'sleep:0.3' 'send:AT\r\nQUIT\r\n'
	assert_success
	assert_line --index 1 --regexp '^\+OK'
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "+OK goodbye"
	assert_equal "${#lines[@]}" 5
}

@test "a whole pipelined session in one TCP write" {
	tcp_server_start
	load_uidls
	tcp 'send:USER alice\r\nPASS secret\r\nLIST 2\r\nRETR 3\r\nUIDL 4\r\nDELE 4\r\nSTAT\r\nQUIT\r\n'
	assert_success
	assert_line --index 3 "+OK 2 ${SIZE[${MSGUID[2]}]}"
	assert_block 5 "$WIRE_DIR/${MSGUID[3]}"
	assert_line --index -4 "+OK 4 ${MSGUID[4]}"
	assert_line --index -3 "+OK message 4 deleted"
	assert_line --index -2 "+OK 4 $((TOTAL_OCTETS - SIZE[${MSGUID[4]}]))"
	assert_line --index -1 "+OK goodbye"
	tcp_wait_idle
	assert_store_without "${MSGUID[4]}"
}

@test "a client that drops the connection after DELE changes nothing" {
	tcp_server_start
	tcp 'wait:1' 'send:USER alice\r\nPASS secret\r\nDELE 1\r\nDELE 2\r\n' 'wait:5' 'close'
	assert_success
	assert_line --index 4 "+OK message 2 deleted"
	tcp_wait_idle
	assert_store_unchanged
	# ... and its lock is gone.
	tcp 'wait:1' 'send:USER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n'
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "a second TCP connection on a locked mailbox gets -ERR [IN-USE]" {
	tcp_server_start
	"$PYTHON" "$LIBDIR/tcp_client.py" "$PORT" 'wait:1' 'send:USER alice\r\nPASS secret\r\n' \
		'wait:3' "until:$BATS_TEST_TMPDIR/go" 'send:STAT\r\nQUIT\r\n' >"$BATS_TEST_TMPDIR/first" 3>&- &
	first=$!
	# Wait until the first session holds the mailbox.
	wait_for grep -q 'messages' "$BATS_TEST_TMPDIR/first" || fail "the first session did not log in"
	tcp 'wait:1' 'send:USER alice\r\nPASS secret\r\nQUIT\r\n'
	touch "$BATS_TEST_TMPDIR/go"
	wait "$first"
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
	run tr -d '\r' <"$BATS_TEST_TMPDIR/first"
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "+OK goodbye"
}

@test "a failed login over TCP is logged with the remote address" {
	tcp_server_start --debug
	tcp 'wait:1' 'send:USER alice\r\nPASS not-the-password\r\nQUIT\r\n'
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	tcp_wait_idle
	run grep -E 'login failed' "$TCP_ERR"
	assert_success
	assert_output --partial 127.0.0.1
	assert_output --partial user=
	run grep -F not-the-password "$TCP_ERR"
	assert_failure
}

@test "the --timeout autologout works on a socket" {
	tcp_server_start --timeout=1
	tcp 'wait:1' 'send:USER alice\r\nPASS secret\r\nDELE 1\r\n' 'wait:5'
	assert_success
	assert_line --index 4 "-ERR autologout: idle for too long"
	tcp_wait_idle
	assert_store_unchanged
}
