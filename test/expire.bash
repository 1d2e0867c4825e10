# Checks shared by expire.bats (Maildir) and expire_backends.bats (mbox,
# MH): the parts of --expire and --login-delay that do not depend on the
# store. Load after helpers; LOGINREC is the store's login record.

# capa_expiry_check: CAPA names EXPIRE and LOGIN-DELAY only when they are
# on, before and after login.
capa_expiry_check() {
	pop CAPA "${LOGIN[@]}" CAPA QUIT
	assert_success
	refute_output --partial EXPIRE
	refute_output --partial LOGIN-DELAY
	POP_ARGS+=(--expire=30 --login-delay=900)
	pop CAPA "${LOGIN[@]}" CAPA QUIT
	assert_success
	[ "$(grep -cx 'EXPIRE 30' <<<"$output")" -eq 2 ] || fail "$output"
	[ "$(grep -cx 'LOGIN-DELAY 900' <<<"$output")" -eq 2 ] || fail "$output"
}

# login_delay_refusal_check [COMMAND...]: with --login-delay=600 a second
# login is refused with [LOGIN-DELAY] (COMMAND then checks the store),
# and let in again once the record is 600 seconds old.
login_delay_refusal_check() {
	POP_ARGS+=(--login-delay=600)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	grep -qE '^onepop-login 1 [0-9]+ [0-9]+ 0 0$' "$LOGINREC" || fail "$(cat "$LOGINREC")"
	pop "${LOGIN[@]}" STAT QUIT
	assert_failure 1
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] one login per 600 seconds; try again in [0-9]+ seconds$'
	refute_output --partial "+OK 5 messages"
	[ "$#" -eq 0 ] || "$@"
	# Once the delay has passed, the login works again.
	printf 'onepop-login 1 %s %s 0 0\n' $(($(date +%s) - 601)) $(($(date +%s) - 600)) >"$LOGINREC"
	pop "${LOGIN[@]}" QUIT
	assert_success
}
