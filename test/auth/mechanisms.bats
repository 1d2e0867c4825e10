#!/usr/bin/env bats
# Only what can succeed is offered (SPEC "Authentication"): CAPA's SASL
# line, bare AUTH and the greeting's APOP stamp list CRAM-MD5 and APOP only
# when every user of the auth source has a plaintext secret, unless
# --auth-mechanisms names them. A client that picks the strongest offered
# mechanism (as Thunderbird's account wizard does) logs in at once.

setup() {
	load ../helpers
	common_setup
	CLIENT=$LIBDIR/strongest_client.py
	PLAINPW=$BATS_TEST_TMPDIR/plain-only
	grep '^alice:' "$PASSWD" >"$PLAINPW"
}
teardown() { common_teardown; }

# base PASSWD [ARGS...]: onepop's command line without --auth-mechanisms
# (the default is under test).
base() {
	local pw=$1
	shift
	BASE=("$ONEPOP" --auth=passwd-file:"$pw" --mailbox="$MAILBOX" --fail-delay=0 --debug "$@")
}

_bare() { printf '%s\r\n' "$@" | "${BASE[@]}" 2>"$BATS_TEST_TMPDIR/err" | tr -d '\r'; }
# bare LINE...: the lines to BASE; stdout without CRs in $output.
bare() { run _bare "$@"; }

@test "crypt users: the strongest-choosing client uses PLAIN and gets in at once, no failure logged" {
	base "$PASSWD"
	run bash -c '"$0" "$1" bob hunter2 "${@:2}" 2>"$BATS_TEST_TMPDIR/err"' "$PYTHON" "$CLIENT" "${BASE[@]}"
	assert_success
	assert_output "PLAIN ok"
	run cat "$BATS_TEST_TMPDIR/err"
	refute_output --partial "login failed"
	assert_output --partial "login: user=bob"
}

@test "crypt users: no CRAM-MD5 in CAPA or bare AUTH, no stamp in the greeting, APOP and CRAM-MD5 refused" {
	base "$PASSWD"
	bare CAPA AUTH "AUTH CRAM-MD5" "APOP alice 0123456789abcdef0123456789abcdef" QUIT
	assert_line --index 0 "+OK onepop ready"
	assert_line "SASL PLAIN"
	refute_output --partial "CRAM-MD5
"
	assert_line "-ERR CRAM-MD5 is not available"
	assert_line "-ERR APOP is not available"
}

@test "only {PLAIN} users: CRAM-MD5 and APOP offered, and the client's CRAM-MD5 works" {
	base "$PLAINPW"
	bare CAPA QUIT
	assert_line --index 0 --regexp '^\+OK onepop ready <[^>]+>$'
	assert_line "SASL PLAIN CRAM-MD5"
	run bash -c '"$0" "$1" alice secret "${@:2}" 2>/dev/null' "$PYTHON" "$CLIENT" "${BASE[@]}"
	assert_output "CRAM-MD5 ok"
}

@test "--auth-mechanisms names what is offered, and what is not offered cannot be used" {
	base "$PLAINPW" --auth-mechanisms=plain
	bare CAPA "AUTH CRAM-MD5" QUIT
	assert_line --index 0 "+OK onepop ready"
	assert_line "SASL PLAIN"
	assert_line "-ERR CRAM-MD5 is not available"
	base "$PASSWD" --auth-mechanisms=APOP,cram-md5
	bare CAPA QUIT
	assert_line --index 0 --regexp '^\+OK onepop ready <[^>]+>$'
	assert_line "SASL CRAM-MD5"
	base "$PASSWD" --auth-mechanisms=cram-md5
	bare "AUTH PLAIN AGFsaWNlAHNlY3JldA==" QUIT
	assert_line --index 1 "-ERR PLAIN is not available"
}

@test "a bad --auth-mechanisms is exit 2" {
	run_onepop --auth=passwd-file:"$PASSWD" --auth-mechanisms=plain,kerberos
	assert_failure 2
	run_onepop --auth=passwd-file:"$PASSWD" --auth-mechanisms=,
	assert_failure 2
}
