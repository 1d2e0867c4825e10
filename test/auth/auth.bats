#!/usr/bin/env bats
# Authentication: USER/PASS, APOP, crypt hashes, failures and their limit,
# the failure delay, privilege dropping and what --debug may log.

setup() {
	load ../helpers
	common_setup
}

teardown() {
	common_teardown
}

@test "USER and PASS log in with the count and size of the maildrop" {
	pop "USER alice" "PASS secret" QUIT
	assert_success
	assert_line --index 1 --regexp '^\+OK'
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK goodbye"
	assert_equal "${#lines[@]}" 4
	assert_crlf
}

@test "a wrong password gets -ERR [AUTH] and a retry can succeed" {
	pop "USER alice" "PASS wrong" "USER alice" "PASS secret" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	assert_line --index 3 --regexp '^\+OK'
	assert_line --index 4 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 5 "+OK 5 $TOTAL_OCTETS"
}

@test "the password is case-sensitive" {
	pop "USER alice" "PASS SECRET" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	assert_line --index 3 --regexp '^-ERR'
}

@test "an empty password does not log in" {
	pop "USER alice" "PASS" "USER alice" "PASS " STAT QUIT
	refute_line --regexp '^\+OK 5 '
	assert_line --index 2 --regexp '^-ERR'
	assert_line --index 4 --regexp '^-ERR'
}

@test "the third failed login ends the session with exit 1" {
	pop "USER alice" "PASS one" "USER alice" "PASS two" "USER alice" "PASS three" \
		"USER alice" "PASS secret" STAT QUIT
	assert_failure 1
	assert_equal "$(count_lines '^-ERR \[AUTH\] ')" 3
	assert_line --index 6 --regexp '^-ERR \[AUTH\] '
	# Nothing after the third failure is answered, not even the good login.
	assert_equal "${#lines[@]}" 7
	refute_output --partial "+OK 5 "
	assert_store_unchanged
}

# crypt_mapped NAME: whether session NAME's onepop has libcrypt mapped.
crypt_mapped() {
	local pid
	pid=$(child_pids "${SESSION_PID[$1]}")
	[ -n "$pid" ] || fail "cannot find the onepop process"
	grep -q 'libcrypt\.so' "/proc/$pid/maps"
}

@test "libcrypt is loaded at the first hash check only: not for a {PLAIN} login" {
	! ldd "$ONEPOP" | grep -q libasan || skip "sanitizer builds link libcrypt at start (meson.build)"
	session_start plain
	session_send plain "USER alice" "PASS secret"
	session_wait plain 3
	run crypt_mapped plain
	session_send plain QUIT
	session_end plain
	assert_failure
	session_start hashed
	session_send hashed "USER bob" "PASS hunter2"
	session_wait hashed 3
	run crypt_mapped hashed
	session_send hashed QUIT
	session_end hashed
	assert_success
	run session_output hashed
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "two failures and then the right password log in" {
	pop "USER alice" "PASS one" "USER bob" "PASS two" "USER alice" "PASS secret" STAT QUIT
	assert_success
	assert_line --index 6 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 7 "+OK 5 $TOTAL_OCTETS"
}

@test "a {SHA512-CRYPT} user logs in with the right password only" {
	pop "USER bob" "PASS hunter2" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"

	pop "USER bob" "PASS hunter3" QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
}

@test "an unknown user gets -ERR [AUTH] at PASS, worded like a wrong password" {
	pop "USER nosuchuser" "PASS secret" "USER alice" "PASS wrong" QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	assert_line --index 4 --regexp '^-ERR \[AUTH\] '
	# No user enumeration: USER and PASS replies are the same for both.
	assert_equal "${lines[1]}" "${lines[3]}"
	assert_equal "${lines[2]}" "${lines[4]}"
}

@test "a user name with a path in it is not a user" {
	pop "USER ../alice" "PASS secret" "USER alice/../alice" "PASS secret" QUIT
	refute_line --regexp '^\+OK [0-9]+ messages'
	assert_store_unchanged
}

@test "PASS without USER is refused" {
	pop "PASS secret" STAT QUIT
	assert_success
	assert_line --index 1 --regexp '^-ERR'
	assert_line --index 2 --regexp '^-ERR'
}

@test "USER without a name is refused" {
	pop "USER" "PASS secret" QUIT
	assert_success
	assert_line --index 1 --regexp '^-ERR'
	assert_line --index 2 --regexp '^-ERR'
}

# apop_login USER SECRET [COMMANDS...]: read the greeting from a live session,
# answer with APOP md5(timestamp + SECRET), then send COMMANDS and EOF.
apop_login() {
	local user=$1 secret=$2 ts digest
	shift 2
	session_start apop
	session_wait apop 1
	ts=$(head -n 1 "$BATS_TEST_TMPDIR/session.apop/raw" | grep -o '<[^>]*>')
	[ -n "$ts" ] || fail "no timestamp in greeting"
	digest=$(printf '%s%s' "$ts" "$secret" | md5sum | cut -d' ' -f1)
	session_send apop "APOP $user $digest" "$@"
	session_end apop
	run --keep-empty-lines session_output apop
}

@test "APOP with md5(timestamp + password) logs in" {
	apop_login alice secret STAT QUIT
	assert_success
	assert_line --index 1 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 2 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 3 "+OK goodbye"
}

@test "APOP with a wrong digest gets -ERR [AUTH]" {
	apop_login alice wrongsecret STAT QUIT
	assert_success
	assert_line --index 1 --regexp '^-ERR \[AUTH\] '
	assert_line --index 2 --regexp '^-ERR'
}

@test "APOP with a digest for another timestamp is refused" {
	digest=$(printf '%s%s' '<1.1@elsewhere>' secret | md5sum | cut -d' ' -f1)
	pop "APOP alice $digest" STAT QUIT
	assert_line --index 1 --regexp '^-ERR \[AUTH\] '
	refute_output --partial "+OK 5 "
}

@test "APOP cannot log in a crypt-hashed user" {
	apop_login bob hunter2 STAT QUIT
	assert_line --index 1 --regexp '^-ERR'
	refute_output --partial "+OK 5 "
}

@test "APOP for an unknown user gets -ERR [AUTH]" {
	apop_login nosuchuser secret QUIT
	assert_line --index 1 --regexp '^-ERR \[AUTH\] '
}

@test "APOP with a malformed digest gets -ERR" {
	pop "APOP alice" "APOP alice nothex" "APOP" QUIT
	assert_line --index 1 --regexp '^-ERR'
	assert_line --index 2 --regexp '^-ERR'
	assert_line --index 3 --regexp '^-ERR'
	refute_output --partial "+OK 5 "
}

@test "--fail-delay holds back the failed-login reply" {
	POP_ARGS=(--fail-delay=700)
	start=$(date +%s%N)
	pop "USER alice" "PASS wrong" QUIT
	end=$(date +%s%N)
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	elapsed=$(((end - start) / 1000000))
	[ "$elapsed" -ge 650 ] || fail "failed login answered after ${elapsed} ms"
}

@test "--debug logs commands to stderr but never the password" {
	POP_ARGS=(--debug)
	pop "USER alice" "PASS secret" STAT "LIST 1" QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	run grep -c . "$POP_ERR"
	assert_success
	run grep -F STAT "$POP_ERR"
	assert_success
	run grep -F "LIST 1" "$POP_ERR"
	assert_success
	run grep -F secret "$POP_ERR"
	assert_failure
}

@test "--debug never logs a crypt user's password either" {
	POP_ARGS=(--debug)
	pop "USER bob" "PASS hunter2" "USER bob" "PASS hunter3" QUIT
	run grep -F hunter "$POP_ERR"
	assert_failure
}

@test "--debug logs a failed login with login failed and user=" {
	POP_ARGS=(--debug)
	pop "USER alice" "PASS wrong-password" QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	run grep -E 'login failed.*user=|user=.*login failed' "$POP_ERR"
	assert_success
	assert_output --partial alice
	run grep -F wrong-password "$POP_ERR"
	assert_failure
}

@test "--debug logs the user name but masks PASS" {
	POP_ARGS=(--debug)
	pop "USER alice" "PASS secret" QUIT
	run grep -F secret "$POP_ERR"
	assert_failure
	run grep -iE 'USER alice|alice' "$POP_ERR"
	assert_success
}

# ---------------------------------------------------------------- privileges

@test "as root the session runs as the user, without root's groups" {
	require_root
	session_start priv
	session_send priv "USER alice" "PASS secret"
	session_wait priv 3
	pid=$(child_pids "${SESSION_PID[priv]}")
	[ -n "$pid" ] || fail "cannot find the onepop process"
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status")
	session_send priv QUIT
	session_end priv
	assert_equal "$uids" "65534 65534 65534 65534"
	assert_equal "$gids" "65534 65534 65534 65534"
	[[ " $groups " != *" 0 "* ]] || fail "still in group 0: $groups"
	run session_output priv
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "as root a passwd-file user with uid 0 is never served" {
	require_root
	printf 'toor:{PLAIN}toor:0:0::/root::\n' >>"$PASSWD"
	pop "USER toor" "PASS toor" STAT QUIT
	refute_line --regexp '^\+OK [0-9]+ messages'
	refute_line --regexp '^\+OK 5 '
	assert_store_unchanged
}

@test "as root a passwd-file user with an empty uid is never served" {
	require_root
	printf 'carol:{PLAIN}carol:::::\n' >>"$PASSWD"
	pop "USER carol" "PASS carol" STAT QUIT
	refute_line --regexp '^\+OK [0-9]+ messages'
	refute_line --regexp '^\+OK 5 '
	assert_store_unchanged
}

@test "as root files the session leaves in the Maildir belong to the user" {
	require_root
	load_uidls
	pop "${LOGIN[@]}" "DELE ${MSGNUM[$UID_CRLF]}" QUIT
	assert_success
	run find "$MAILDIR" ! -user 65534
	assert_output ""
	assert_store_without "$UID_CRLF"
}

@test "without root the session keeps the current identity" {
	is_root && skip "runs only as an ordinary user"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}
