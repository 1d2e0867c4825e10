#!/usr/bin/env bats
# Hostile and broken input: long lines, NULs, bad numbers, unknown commands,
# the bad-command limit and the idle timeout.

setup() {
	load ../helpers
	common_setup
}

teardown() {
	common_teardown
}

# ---------------------------------------------------------------- long lines, NUL

@test "a 300-octet line gets one -ERR line too long and the next command works" {
	long="NOOP $(printf 'DELE 1 %.0s' $(seq 42))"
	long=${long:0:300}
	pop "${LOGIN[@]}" "$long" STAT QUIT
	assert_success
	assert_line --index 3 "-ERR line too long"
	assert_line --index 4 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 5 "+OK goodbye"
	assert_equal "${#lines[@]}" 6
	assert_store_unchanged
}

@test "a 300-octet line in AUTHORIZATION is discarded whole" {
	long="USER $(printf 'a%.0s' $(seq 295))"
	pop "$long" "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 1 "-ERR line too long"
	assert_line --index 3 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 4 "+OK 5 $TOTAL_OCTETS"
	assert_equal "${#lines[@]}" 6
}

@test "a 10000-octet line gets one -ERR and the session goes on" {
	long=$(printf 'x%.0s' $(seq 10000))
	pop "${LOGIN[@]}" "$long" STAT QUIT
	assert_success
	assert_equal "$(count_lines '^-ERR')" 1
	assert_line --index 3 "-ERR line too long"
	assert_line --index 4 "+OK 5 $TOTAL_OCTETS"
	assert_equal "${#lines[@]}" 6
}

@test "a long line whose tail looks like a command does not run the tail" {
	# 255 octets of padding, then a DELE that a naive reader would see as
	# the next line.
	pad=$(printf 'A%.0s' $(seq 255))
	pop "${LOGIN[@]}" "NOOP ${pad}DELE 1" "NOOP ${pad:0:250}DELE 1" STAT QUIT
	assert_success
	assert_line --index 3 "-ERR line too long"
	assert_line --index 4 "-ERR line too long"
	assert_line --index 5 "+OK 5 $TOTAL_OCTETS"
	assert_equal "${#lines[@]}" 7
	assert_store_unchanged
}

@test "255 octets with the CRLF is the longest line; 256 is too long" {
	# RFC 2449 section 4: 255 octets including the terminating CRLF.
	a253=$(printf 'a%.0s' $(seq 248))
	pop "${LOGIN[@]}" "USER $a253" "USER ${a253}b" STAT QUIT
	assert_success
	assert_line --index 3 --regexp '^-ERR'
	refute_line --index 3 "-ERR line too long"
	assert_line --index 4 "-ERR line too long"
	assert_line --index 5 "+OK 5 $TOTAL_OCTETS"
	assert_equal "${#lines[@]}" 7
}

@test "a command line of 100 octets is not too long" {
	pad=$(printf ' %.0s' $(seq 80))
	pop "${LOGIN[@]}" "USER alice${pad}x" "STAT" QUIT
	assert_success
	refute_line "-ERR line too long"
	assert_line --index 4 "+OK 5 $TOTAL_OCTETS"
}

@test "a line holding a NUL gets -ERR and is discarded" {
	load_uidls
	printf 'USER alice\r\nPASS secret\r\nNOOP\0\r\nDELE 1\0\r\nDE\0LE 2\r\nSTAT\r\nQUIT\r\n' \
		>"$BATS_TEST_TMPDIR/in"
	pop_file "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_line --index 3 --regexp '^-ERR'
	assert_line --index 4 --regexp '^-ERR'
	assert_line --index 5 --regexp '^-ERR'
	assert_line --index 6 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 7 "+OK goodbye"
	assert_equal "${#lines[@]}" 8
	assert_store_unchanged
}

@test "a NUL in the password does not log in with its prefix" {
	printf 'USER alice\r\nPASS secret\0junk\r\nSTAT\r\nQUIT\r\n' >"$BATS_TEST_TMPDIR/in"
	pop_file "$BATS_TEST_TMPDIR/in"
	assert_line --index 2 --regexp '^-ERR'
	refute_output --partial "+OK 5 "
}

# ---------------------------------------------------------------- bad numbers

@test "RETR with a bad or missing argument gets -ERR" {
	pop "${LOGIN[@]}" "RETR 0" "RETR -1" "RETR 99999999999999999999" "RETR abc" \
		"RETR 1 2" "RETR" "RETR 6" STAT QUIT
	assert_success
	for i in $(seq 3 9); do
		assert_line --index "$i" --regexp '^-ERR'
	done
	assert_line --index 10 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 11 "+OK goodbye"
	assert_equal "${#lines[@]}" 12
	assert_store_unchanged
}

@test "DELE with a bad argument gets -ERR and deletes nothing" {
	pop "${LOGIN[@]}" "DELE 0" "DELE -1" "DELE 99999999999999999999" "DELE abc" \
		"DELE 1 2" "DELE" "DELE 6" STAT QUIT
	assert_success
	for i in $(seq 3 9); do
		assert_line --index "$i" --regexp '^-ERR'
	done
	assert_line --index 10 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 11 "+OK goodbye"
	assert_store_unchanged
}

@test "numbers that wrap around or are not plain decimal get -ERR" {
	# 2^64+1 and 2^32+1 wrap to 1; the others are not digits only.
	pop "${LOGIN[@]}" "DELE 18446744073709551617" "DELE 4294967297" "DELE +1" \
		"DELE 0x1" "DELE 1a" "DELE 1.0" "DELE 1e0" STAT QUIT
	assert_success
	for i in $(seq 3 9); do
		assert_line --index "$i" --regexp '^-ERR'
	done
	assert_line --index 10 "+OK 5 $TOTAL_OCTETS"
	assert_store_unchanged
}

@test "LIST, UIDL and TOP with bad numbers get -ERR" {
	pop "${LOGIN[@]}" "LIST 0" "LIST -1" "LIST 99999999999999999999" "UIDL 0" \
		"UIDL abc" "TOP 0 1" "TOP 1 99999999999999999999999" NOOP "TOP -1 1" STAT QUIT
	assert_success
	for i in 3 4 5 6 7 8; do
		assert_line --index "$i" --regexp '^-ERR'
	done
	# TOP with a huge line count may send the whole message or refuse it;
	# either way the reply is well-formed and the session goes on.
	assert_line --regexp '^\+OK 5 [0-9]+$'
	assert_line --index -1 "+OK goodbye"
}

# ---------------------------------------------------------------- unknown commands

@test "an unknown command gets -ERR unknown command" {
	pop "${LOGIN[@]}" XYZZY "RETRX 1" "STAT1" STAT QUIT
	assert_success
	assert_line --index 3 "-ERR unknown command"
	assert_line --index 4 "-ERR unknown command"
	assert_line --index 5 --regexp '^-ERR'
	assert_line --index 6 "+OK 5 $TOTAL_OCTETS"
}

@test "an unknown command in AUTHORIZATION gets -ERR unknown command" {
	pop XYZZY QUIT
	assert_success
	assert_line --index 1 "-ERR unknown command"
	assert_line --index 2 "+OK goodbye"
}

@test "client text in a command is not interpreted as a format" {
	pop "${LOGIN[@]}" "%s%s%s%n%n" "USER %n%n%s" "LIST %d" STAT QUIT
	assert_success
	assert_line --index 3 "-ERR unknown command"
	assert_line --index 4 --regexp '^-ERR'
	assert_line --index 5 --regexp '^-ERR'
	assert_line --index 6 "+OK 5 $TOTAL_OCTETS"
}

@test "10 bad commands in a row end the session with exit 1" {
	pop "${LOGIN[@]}" "DELE 1" BAD BAD BAD BAD BAD BAD BAD BAD BAD BAD STAT QUIT
	assert_failure 1
	assert_line --index 3 "+OK message 1 deleted"
	assert_line --index 4 "-ERR unknown command"
	refute_output --partial "+OK 4 "
	refute_output --partial "+OK goodbye"
	[ "$(count_lines '^-ERR')" -ge 10 ] || fail "fewer than 10 -ERR replies"
	# The session ended without QUIT: the DELE is not committed.
	assert_store_unchanged
}

@test "9 bad commands and a good one reset the count" {
	bad=(BAD BAD BAD BAD BAD BAD BAD BAD BAD)
	pop "${LOGIN[@]}" "${bad[@]}" NOOP "${bad[@]}" STAT QUIT
	assert_success
	assert_line --index 12 --regexp '^\+OK'
	assert_line --index 22 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 23 "+OK goodbye"
}

@test "10 bad commands in AUTHORIZATION end the session with exit 1" {
	pop BAD BAD BAD BAD BAD BAD BAD BAD BAD BAD "${LOGIN[@]}" QUIT
	assert_failure 1
	refute_output --partial "+OK 5 messages"
	refute_output --partial "+OK goodbye"
}

# ---------------------------------------------------------------- timeout

_idle_after() {
	printf '%s\r\n' "$@"
	sleep 3
}

@test "--timeout ends an idle session with -ERR autologout, exit 1, no deletion" {
	load_uidls
	POP_ARGS=(--timeout=1)
	pop_gen _idle_after "USER alice" "PASS secret" "DELE 1"
	assert_failure 1
	assert_line --index 3 "+OK message 1 deleted"
	assert_line --index 4 "-ERR autologout: idle for too long"
	assert_equal "${#lines[@]}" 5
	assert_crlf
	assert_store_unchanged
}

@test "--timeout applies in AUTHORIZATION too" {
	POP_ARGS=(--timeout=1)
	pop_gen _idle_after "USER alice"
	assert_failure 1
	assert_line --index 1 --regexp '^\+OK'
	assert_line --index 2 "-ERR autologout: idle for too long"
	assert_equal "${#lines[@]}" 3
}

_slow_client() {
	printf 'USER alice\r\nPASS secret\r\n'
	sleep 0.5
	printf 'STAT\r\n'
	sleep 0.5
	printf 'NOOP\r\n'
	sleep 0.5
	printf 'QUIT\r\n'
}

@test "--timeout is re-armed by every command" {
	POP_ARGS=(--timeout=1)
	pop_gen _slow_client
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 5 "+OK goodbye"
}
