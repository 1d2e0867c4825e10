#!/usr/bin/env bats
# --expire and --login-delay (RFC 2449 §6.5, §6.7) on Maildir: retrieved
# messages get the S flag at UPDATE, expire at a later login, and a user
# logs in at most once per --login-delay (with one grace login).

setup() {
	load ../../helpers
	load ../../expire
	common_setup
	LOGINREC=$MAILDIR/onepop-login
	# The fixture's fifth message is already seen (S) by another client:
	# it counts as retrieved. Most tests want only what they retrieve.
	mv "$(store_path "$MAILDIR" "$UID_SEEN")" "$MAILDIR/cur/$UID_SEEN:2,"
}
teardown() { common_teardown; }

# uidls: the UIDL listing of a session with POP_ARGS (no RETR).
uidls() {
	_pop_exec _gen_lines "${LOGIN[@]}" UIDL QUIT | sed -n '5,/^\.$/p' | sed '$d'
}

@test "RETR then QUIT gives the message the S flag; flags stay sorted, UIDLs stay" {
	mv "$(store_path "$MAILDIR" "$UID_CRLF")" "$MAILDIR/cur/$UID_CRLF:2,FT"
	POP_ARGS=(--expire=36500)
	local before
	before=$(uidls)
	pop "${LOGIN[@]}" "RETR 1" "RETR 2" "TOP 3 99999" QUIT
	assert_success
	assert_equal "$(store_path "$MAILDIR" "$UID_LF")" "$MAILDIR/cur/$UID_LF:2,S"
	assert_equal "$(store_path "$MAILDIR" "$UID_CRLF")" "$MAILDIR/cur/$UID_CRLF:2,FST"
	# TOP is not a retrieval, even when it sends the whole message.
	assert_equal "$(store_path "$MAILDIR" "$UID_DOTS")" "$MAILDIR/new/$UID_DOTS"
	assert_equal "$(uidls)" "$before"
	assert_store_unchanged
}

@test "the next login with --expire=0 deletes what was retrieved; the rest stays" {
	POP_ARGS=(--expire=0)
	pop "${LOGIN[@]}" "RETR 1" "RETR 4" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	POP_ARGS=(--expire=0 --debug)
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 3 messages '
	assert_line --index 4 "1 $UID_CRLF"
	assert_line --index 5 "2 $UID_DOTS"
	assert_line --index 6 "3 $UID_SEEN"
	grep -q 'expire: user=alice removed=2 ' "$POP_ERR"
	run store_path "$MAILDIR" "$UID_LF"
	assert_failure
	run store_path "$MAILDIR" "$UID_NOEOL"
	assert_failure
	assert_store_without "$UID_LF" "$UID_NOEOL"
}

@test "--expire=DAYS keeps retrieved messages delivered less than DAYS ago" {
	local young
	young="$(date +%s).M1P1.young"
	add_message "$MAILDIR" "$young"
	POP_ARGS=(--expire=1)
	pop "${LOGIN[@]}" "RETR 1" "RETR 6" QUIT
	assert_success
	assert_equal "$(store_path "$MAILDIR" "$young")" "$MAILDIR/cur/$young:2,S"
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 5 messages '
	assert_output --partial "5 $young"
	refute_output --partial "$UID_LF"
	# A seen message from elsewhere (S set by another client) counts too.
	mv "$(store_path "$MAILDIR" "$UID_SEEN")" "$MAILDIR/cur/$UID_SEEN:2,S"
	pop "${LOGIN[@]}" UIDL QUIT
	assert_line --index 2 --regexp '^\+OK 4 messages '
	refute_output --partial "$UID_SEEN"
}

@test "DELE, RETR and then EOF (no QUIT) mark nothing and delete nothing" {
	POP_ARGS=(--expire=0)
	pop "${LOGIN[@]}" "RETR 1" "DELE 2"
	assert_failure 1
	assert_equal "$(store_path "$MAILDIR" "$UID_LF")" "$MAILDIR/new/$UID_LF"
	assert_equal "$(store_path "$MAILDIR" "$UID_CRLF")" "$MAILDIR/new/$UID_CRLF"
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_store_unchanged
}

@test "without --expire, RETR and QUIT leave the names alone" {
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	assert_equal "$(store_path "$MAILDIR" "$UID_LF")" "$MAILDIR/new/$UID_LF"
}

@test "CAPA names EXPIRE and LOGIN-DELAY only when they are on, in both states" {
	capa_expiry_check
}

@test "--login-delay refuses a second login with [LOGIN-DELAY]" {
	login_delay_refusal_check
}

@test "grace: right after a session that retrieved mail, one more login (to delete) is let in" {
	POP_ARGS=(--login-delay=600)
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	pop "${LOGIN[@]}" "DELE 1" QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK message 1 deleted'
	run store_path "$MAILDIR" "$UID_LF"
	assert_failure
	# Only once: the delay still counts from the first login.
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_failure 1
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] '
}

@test "no grace long after the session ended, nor after an unfinished one" {
	POP_ARGS=(--login-delay=600)
	local now
	now=$(date +%s)
	printf 'onepop-login 1 %s %s 1 0\n' $((now - 200)) $((now - 120)) >"$LOGINREC"
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] .* in (399|400) seconds$'
	# A session still running (or crashed: end 0) gives no grace either.
	printf 'onepop-login 1 %s 0 1 0\n' $((now - 5)) >"$LOGINREC"
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] '
	# A damaged record never locks anybody out.
	printf 'garbage\n' >"$LOGINREC"
	pop "${LOGIN[@]}" QUIT
	assert_success
}

@test "options: in --help, in a config file, range-checked, refused for exec" {
	run_onepop --help
	assert_success
	assert_output --partial "--expire=DAYS"
	assert_output --partial "--login-delay=SECONDS"
	run_onepop --expire=x
	assert_failure 2
	run_onepop --login-delay=-1
	assert_failure 2
	local conf=$BATS_TEST_TMPDIR/onepop.conf
	printf 'expire = 7\nlogin-delay = 60\n' >"$conf"
	POP_ARGS=(--config="$conf")
	pop CAPA QUIT
	assert_success
	assert_line 'EXPIRE 7'
	assert_line 'LOGIN-DELAY 60'
	local b
	for b in $("$ONEPOP" --list-backends); do
		[ "$b" = exec ] || continue
		run_onepop --backend="$b" --expire=1
		assert_failure 2
		grep -q -- "--expire and --login-delay need a backend" "$POP_ERR" || fail "$(cat "$POP_ERR")"
		run_onepop --backend="$b" --login-delay=10
		assert_failure 2
	done
}
