#!/usr/bin/env bats
# Findings of the security review about logins (SECURITY.md "Logins"):
# --debug never logs a secret; failures answer at one deadline whatever
# the user or hash; a refused address learns nothing from a right guess.

setup() {
	load helpers
	common_setup
}
teardown() { common_teardown; }

@test "--debug masks a PASS with a leading space and an AUTH response after a refused AUTH; the mechanism stays" {
	POP_ARGS=(--debug)
	pop "USER alice" " PASS secret" "AUTH FOO" "c2VjcmV0MQ==" "AUTH PLAIN AGFsaWNlAHNlY3JldDI=" \
		"APOP alice 0123456789abcdef0123456789abcdef" QUIT
	run cat "$POP_ERR"
	refute_output --partial "secret"
	refute_output --partial "c2VjcmV0MQ"
	refute_output --partial "AGFsaWNlAHNlY3JldDI"
	refute_output --partial "0123456789abcdef"
	assert_output --partial "C: AUTH FOO"
	assert_output --partial "C: AUTH PLAIN ***"
	assert_output --partial "C: APOP alice ***"
	assert_output --partial "C: USER alice"
}
