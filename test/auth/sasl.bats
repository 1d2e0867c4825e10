#!/usr/bin/env bats
# SASL AUTH (RFC 5034): the mechanism list, PLAIN with and without an
# initial response, CRAM-MD5 for {PLAIN} users, cancel, bad base64, and
# the failure limit.

setup() {
	load ../helpers
	load ../edge
	common_setup
}
teardown() { edge_teardown; }

@test "bare AUTH lists exactly the mechanisms, as CAPA's SASL line does" {
	pop AUTH CAPA QUIT
	assert_success
	assert_line --index 1 --regexp '^\+OK'
	assert_line --index 2 PLAIN
	assert_line --index 3 CRAM-MD5
	assert_line --index 4 .
	assert_line "SASL PLAIN CRAM-MD5"
}

@test "AUTH PLAIN with an initial response logs in" {
	pop "AUTH PLAIN $(b64 '\0alice\0secret')" STAT QUIT
	assert_success
	assert_line --index 1 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 2 "+OK 5 $TOTAL_OCTETS"
}

@test "AUTH PLAIN without an initial response: '+ ' then the response" {
	pop "AUTH PLAIN" "$(b64 'alice\0alice\0secret')" STAT QUIT
	assert_success
	assert_equal "$(sed -n 2p "$RAW" | cat -A)" '+ ^M$'
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "AUTH PLAIN for a crypt user works; a foreign authzid does not" {
	pop "AUTH PLAIN $(b64 'alice\0bob\0hunter2')" "AUTH plain $(b64 '\0bob\0hunter2')" QUIT
	assert_line --index 1 --regexp '^-ERR \[AUTH\] '
	assert_line --index 2 --regexp '^\+OK 5 messages'
}

@test "AUTH PLAIN with a wrong password: -ERR [AUTH], logged for fail2ban" {
	POP_ARGS=(--debug)
	pop "AUTH PLAIN $(b64 '\0alice\0wrong')" "AUTH PLAIN $(b64 '\0alice\0secret')" QUIT
	assert_line --index 1 --regexp '^-ERR \[AUTH\] '
	assert_line --index 2 --regexp '^\+OK 5 messages'
	run pop_stderr
	assert_output --partial "login failed: user=alice rhost="
	refute_output --partial "$(b64 '\0alice\0wrong')"
	refute_output --partial "$(b64 '\0alice\0secret')"
}

@test "three failed AUTHs end the session" {
	pop "AUTH PLAIN $(b64 '\0alice\0x')" "AUTH PLAIN $(b64 '\0alice\0y')" \
		"AUTH PLAIN $(b64 '\0alice\0z')" "AUTH PLAIN $(b64 '\0alice\0secret')"
	assert_failure 1
	assert_equal "$(count_lines '^-ERR \[AUTH\] ')" 3
	refute_line --regexp '^\+OK 5'
}

@test "'*' cancels, malformed base64 gets -ERR, and the session goes on" {
	pop "AUTH PLAIN" "*" "AUTH PLAIN" "not base64!" "AUTH PLAIN Zg" "AUTH PLAIN $(b64 'alice')" \
		"AUTH X-UNKNOWN" "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 1 "+ "
	assert_line --index 2 --regexp '^-ERR .*cancel'
	assert_line --index 3 "+ "
	assert_line --index 4 --regexp '^-ERR malformed base64'
	assert_line --index 5 --regexp '^-ERR malformed base64'
	assert_line --index 6 --regexp '^-ERR malformed PLAIN'
	assert_line --index 7 --regexp '^-ERR unsupported'
	assert_line --index 9 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "AUTH CRAM-MD5 logs in a {PLAIN} user" {
	local -a std
	mapfile -t std < <(pop_std_args)
	run timeout 20 python3 "$EDGE" cram alice secret -- "$ONEPOP" "${std[@]}"
	assert_success
	assert_line --index 1 --regexp '^\+ [A-Za-z0-9+/]+=*$'
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line "exit=0"
}

@test "AUTH CRAM-MD5 fails for a crypt user and a wrong secret" {
	local -a std
	mapfile -t std < <(pop_std_args)
	run timeout 20 python3 "$EDGE" cram bob hunter2 -- "$ONEPOP" "${std[@]}"
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	run timeout 20 python3 "$EDGE" cram alice wrong -- "$ONEPOP" "${std[@]}"
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
}

@test "AUTH is not valid in TRANSACTION" {
	pop "${LOGIN[@]}" "AUTH PLAIN $(b64 '\0alice\0secret')" QUIT
	assert_success
	assert_line --index 3 --regexp '^-ERR AUTH is not valid'
}
