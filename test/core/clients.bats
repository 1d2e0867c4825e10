#!/usr/bin/env bats
# Real clients over a real socket: Python's poplib and Perl's Net::POP3
# against onepop started per connection by systemd-socket-activate --inetd.

setup() {
	load ../helpers
	common_setup
	command -v systemd-socket-activate >/dev/null ||
		skip "systemd-socket-activate is not installed"
	tcp_server_start
}

teardown() {
	common_teardown
}

poplib_fetch() { "$PYTHON" "$LIBDIR/poplib_fetch.py" "$PORT" "$@"; }
netpop3_fetch() { perl "$LIBDIR/netpop3_fetch.pl" "$PORT" "$@"; }

@test "poplib fetches every message byte for byte" {
	run poplib_fetch alice secret "$WIRE_DIR"
	assert_success
	assert_line --index 0 --regexp '^welcome \+OK onepop ready <[0-9]+\.[0-9]+@[^>]+>$'
	assert_equal "$(count_lines '^ok ')" 5
	for uid in "${ALL_UIDS[@]}"; do
		assert_line --regexp "^ok [1-5] $uid ${SIZE[$uid]}\$"
	done
	tcp_wait_idle
	assert_store_unchanged
}

@test "poplib logs in with APOP" {
	run poplib_fetch alice secret "$WIRE_DIR" --apop
	assert_success
	assert_equal "$(count_lines '^ok ')" 5
}

@test "poplib logs in a SHA512-CRYPT user" {
	run poplib_fetch bob hunter2 "$WIRE_DIR"
	assert_success
	assert_equal "$(count_lines '^ok ')" 5
}

@test "poplib with a wrong password gets an error" {
	run poplib_fetch alice wrong "$WIRE_DIR"
	assert_failure
	assert_output --partial "-ERR [AUTH]"
}

@test "poplib deletes a message with DELE and QUIT" {
	run poplib_fetch alice secret "$WIRE_DIR" --delete 3
	assert_success
	assert_line --regexp '^deleted 3 '
	uid=$(sed -n 's/^deleted 3 //p' <<<"$output")
	tcp_wait_idle
	assert_store_without "$uid"
}

@test "Net::POP3 fetches every message byte for byte" {
	run netpop3_fetch alice secret "$WIRE_DIR"
	assert_success
	assert_line --index 0 --regexp '^banner onepop ready <[0-9]+\.[0-9]+@[^>]+>'
	assert_equal "$(count_lines '^ok ')" 5
	for uid in "${ALL_UIDS[@]}"; do
		assert_line --regexp "^ok [1-5] $uid\$"
	done
	tcp_wait_idle
	assert_store_unchanged
}

@test "Net::POP3 logs in with APOP" {
	run netpop3_fetch alice secret "$WIRE_DIR" --apop
	assert_success
	assert_equal "$(count_lines '^ok ')" 5
}

@test "Net::POP3 logs in a SHA512-CRYPT user" {
	run netpop3_fetch bob hunter2 "$WIRE_DIR"
	assert_success
	assert_equal "$(count_lines '^ok ')" 5
}

@test "Net::POP3 deletes messages with DELE and QUIT" {
	run netpop3_fetch alice secret "$WIRE_DIR" --delete 1 --delete 5
	assert_success
	mapfile -t uids < <(sed -n 's/^deleted [15] //p' <<<"$output")
	assert_equal "${#uids[@]}" 2
	tcp_wait_idle
	assert_store_without "${uids[@]}"
}

@test "Net::POP3 sees the maildrop shrink after a deletion" {
	run netpop3_fetch alice secret "$WIRE_DIR" --delete 2
	assert_success
	tcp_wait_idle
	run netpop3_fetch alice secret "$WIRE_DIR"
	assert_success
	assert_equal "$(count_lines '^ok ')" 4
}
