#!/usr/bin/env bats
# The command line and the edges of a session: greeting, goodbye, exit
# statuses, option errors, --config, --preauth and --mailbox templates.

setup() {
	load ../helpers
	common_setup
}

teardown() {
	common_teardown
}

GREETING_RE='^\+OK onepop ready <[0-9]+\.[0-9]+@[^<>[:space:]]+>$'

@test "greeting carries an APOP timestamp with passwd-file auth" {
	pop QUIT
	assert_success
	assert_line --index 0 --regexp "$GREETING_RE"
	assert_line --index 1 "+OK goodbye"
	assert_equal "${#lines[@]}" 2
	assert_crlf
}

@test "the greeting timestamp differs between sessions" {
	pop QUIT
	assert_success
	first=${lines[0]}
	sleep 1
	pop QUIT
	assert_success
	assert_line --index 0 --regexp "$GREETING_RE"
	assert_not_equal "${lines[0]}" "$first"
}

@test "QUIT in AUTHORIZATION says goodbye, exits 0 and changes nothing" {
	pop QUIT NOOP
	assert_success
	assert_line --index 0 --regexp "$GREETING_RE"
	assert_line --index 1 "+OK goodbye"
	assert_equal "${#lines[@]}" 2
	assert_store_unchanged
}

@test "QUIT after login exits 0" {
	pop "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 3 "+OK goodbye"
	assert_equal "${#lines[@]}" 4
}

@test "EOF right after the greeting exits 1" {
	pop
	assert_failure 1
	assert_line --index 0 --regexp "$GREETING_RE"
	assert_equal "${#lines[@]}" 1
}

@test "EOF in TRANSACTION exits 1" {
	pop "${LOGIN[@]}" STAT
	assert_failure 1
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_equal "${#lines[@]}" 4
}

@test "--greeting and --goodbye replace the texts" {
	POP_ARGS=(--greeting="Welcome to the test host" --goodbye="see you later")
	pop "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 0 --regexp '^\+OK Welcome to the test host <[0-9]+\.[0-9]+@[^>]+>$'
	assert_line --index 3 "+OK see you later"
}

@test "--goodbye is used for QUIT in AUTHORIZATION too" {
	POP_ARGS=(--goodbye="bye now")
	pop QUIT
	assert_success
	assert_line --index 1 "+OK bye now"
}

@test "a 300-octet --greeting still fits in 512 octets" {
	text=$(printf 'g%.0s' $(seq 300))
	POP_ARGS=(--greeting="$text")
	pop QUIT
	assert_success
	assert_line --index 0 --regexp "^\+OK $text <[0-9]+\.[0-9]+@[^>]+>$"
	len=$(head -n 1 "$RAW" | wc -c)
	[ "$len" -le 512 ] || fail "greeting line is $len octets"
}

@test "a --greeting over 512 octets is refused with exit 2 and no output" {
	text=$(printf 'g%.0s' $(seq 520))
	POP_ARGS=(--greeting="$text")
	pop "${LOGIN[@]}" QUIT
	assert_failure 2
	assert_output ""
	[ -s "$POP_ERR" ] || fail "nothing on stderr"
	assert_store_unchanged
}

@test "a --greeting that only overflows with the timestamp is refused" {
	# 4 ("+OK ") + 500 + 2 (CRLF) fits alone, not with " <pid.time@host>".
	text=$(printf 'g%.0s' $(seq 500))
	POP_ARGS=(--greeting="$text")
	pop QUIT
	assert_failure 2
	assert_output ""
}

@test "--list-backends prints maildir and exits 0" {
	run_onepop --list-backends
	assert_success
	assert_line maildir
	for l in "${lines[@]}"; do
		[[ $l =~ ^[a-z0-9_-]+$ ]] || fail "not a backend name: '$l'"
	done
}

@test "--help exits 0 and describes the options" {
	run_onepop --help
	assert_success
	assert_output --partial --mailbox
	assert_output --partial --auth
}

@test "-h is --help" {
	run_onepop -h
	assert_success
	assert_output --partial --mailbox
}

@test "--version exits 0 and names the program" {
	run_onepop --version
	assert_success
	assert_output --regexp 'onepop'
	assert_output --regexp '[0-9]+\.[0-9]+'
}

@test "an unknown option exits 2, on stderr, with nothing on stdout" {
	run_onepop --no-such-option
	assert_failure 2
	assert_output ""
	[ -s "$POP_ERR" ] || fail "nothing on stderr"
}

@test "an unknown option exits 2 even with a session on stdin" {
	POP_ARGS=(--frobnicate)
	pop "${LOGIN[@]}" DELE 1 QUIT
	assert_failure 2
	assert_output ""
	assert_store_unchanged
}

@test "--backend=nope exits 2" {
	POP_ARGS=(--backend=nope)
	pop "${LOGIN[@]}" QUIT
	assert_failure 2
	assert_output ""
	[ -s "$POP_ERR" ] || fail "nothing on stderr"
}

@test "--backend=maildir serves the Maildir" {
	POP_ARGS=(--backend=maildir)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "a non-numeric --timeout exits 2" {
	POP_ARGS=(--timeout=soon)
	pop QUIT
	assert_failure 2
	assert_output ""
}

@test "--auth with an unknown scheme exits 2" {
	POP_ARGS=(--auth=ldap:/nowhere)
	pop QUIT
	assert_failure 2
	assert_output ""
}

@test "--config reads the options as key = value lines" {
	cat >"$BATS_TEST_TMPDIR/onepop.conf" <<-EOF
		auth = passwd-file:$PASSWD
		auth-mechanisms = plain, cram-md5, apop
		mailbox = $MAILDIR
		greeting = configured greeting
		goodbye = configured goodbye
	EOF
	run_onepop --config="$BATS_TEST_TMPDIR/onepop.conf" --fail-delay=0
	assert_failure 1
	assert_line --index 0 --regexp '^\+OK configured greeting <[0-9]+\.[0-9]+@[^>]+>$'

	# Only --config: the whole session configured from the file.
	MAILBOX=/nonexistent
	PASSWD=/nonexistent
	_cfg_session() {
		printf '%s\r\n' "USER alice" "PASS secret" STAT QUIT |
			timeout -k 2 "$POP_LIMIT" "$ONEPOP" --config="$BATS_TEST_TMPDIR/onepop.conf" 3>&- |
			tr -d '\r'
		return "${PIPESTATUS[1]}"
	}
	run _cfg_session
	assert_success
	assert_line --index 0 --regexp '^\+OK configured greeting '
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "+OK configured goodbye"
}

@test "--config accepts comments and blank lines" {
	cat >"$BATS_TEST_TMPDIR/onepop.conf" <<-EOF
		# onepop test configuration

		greeting = commented config
	EOF
	POP_ARGS=(--config="$BATS_TEST_TMPDIR/onepop.conf")
	pop QUIT
	assert_success
	assert_line --index 0 --regexp '^\+OK commented config <'
}

@test "--config with an unknown key exits 2" {
	printf 'no-such-key = 1\n' >"$BATS_TEST_TMPDIR/onepop.conf"
	POP_ARGS=(--config="$BATS_TEST_TMPDIR/onepop.conf")
	pop QUIT
	assert_failure 2
	assert_output ""
}

# The NOLINTs in options.c apply() rest on this: an option that takes a
# value never reaches apply() without one, from argv or from a config file.
@test "a value-taking option without its value exits 2, from argv or --config" {
	local key
	for key in tls commands faithful config fail-state uidl-format uidl-guard; do
		run_onepop "--$key"
		assert_failure 2
		grep -q "missing argument: --$key" "$POP_ERR" || fail "--$key: $(cat "$POP_ERR")"
		printf '%s\n' "$key" >"$BATS_TEST_TMPDIR/onepop.conf"
		run_onepop --config="$BATS_TEST_TMPDIR/onepop.conf"
		assert_failure 2
		grep -q "missing value: $key" "$POP_ERR" || fail "$key: $(cat "$POP_ERR")"
	done
}

@test "--config naming a missing file exits 2" {
	POP_ARGS=(--config="$BATS_TEST_TMPDIR/missing.conf")
	pop QUIT
	assert_failure 2
	assert_output ""
}

@test "--preauth starts in TRANSACTION" {
	POP_ARGS=(--preauth=alice)
	pop STAT "USER alice" "LIST 1" QUIT
	assert_success
	assert_line --index 0 --regexp '^\+OK'
	assert_line --index 1 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 2 --regexp '^-ERR'
	assert_line --index 3 --regexp '^\+OK 1 [0-9]+$'
	assert_line --index 4 "+OK goodbye"
	assert_equal "${#lines[@]}" 5
}

@test "--preauth with DELE and QUIT deletes" {
	load_uidls
	POP_ARGS=(--preauth=alice)
	pop "DELE ${MSGNUM[$UID_LF]}" QUIT
	assert_success
	assert_line --index 1 "+OK message ${MSGNUM[$UID_LF]} deleted"
	assert_store_without "$UID_LF"
}

@test "--preauth of an unknown user does not serve a mailbox" {
	POP_ARGS=(--preauth=nosuchuser)
	pop STAT QUIT
	refute_output --partial "+OK 5 $TOTAL_OCTETS"
	assert_store_unchanged
}

@test "--mailbox expands %u per user" {
	mkdir -p "$BATS_TEST_TMPDIR/mail"
	make_maildir "$BATS_TEST_TMPDIR/mail/alice"
	mkdir -p "$BATS_TEST_TMPDIR/mail/bob/new" "$BATS_TEST_TMPDIR/mail/bob/cur" "$BATS_TEST_TMPDIR/mail/bob/tmp"
	add_message "$BATS_TEST_TMPDIR/mail/bob" 1700000099.M1P1.bob
	fix_owner "$BATS_TEST_TMPDIR/mail"
	MAILBOX="$BATS_TEST_TMPDIR/mail/%u"

	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"

	pop "USER bob" "PASS hunter2" UIDL QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 1 messages? \([0-9]+ octets\)$'
	assert_line --index 4 "1 1700000099.M1P1.bob"
}

@test "--mailbox expands %h to the home from the passwd-file" {
	MAILBOX=%h/Maildir
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "--mailbox expands %% to a single percent sign" {
	mkdir -p "$BATS_TEST_TMPDIR/mail"
	make_maildir "$BATS_TEST_TMPDIR/mail/50%alice"
	fix_owner "$BATS_TEST_TMPDIR/mail"
	MAILBOX="$BATS_TEST_TMPDIR/mail/50%%%u"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "a user name cannot climb out of the --mailbox template" {
	# passwd-file entries named like path parts: expanding them must fail
	# rather than reach $BATS_TEST_TMPDIR/Maildir or alice's Maildir.
	printf '..:{PLAIN}x:%s:%s::%s::\n' "$FIX_UID" "$FIX_GID" "$HOME_BOB" >>"$PASSWD"
	printf 'x/../alice:{PLAIN}x:%s:%s::%s::\n' "$FIX_UID" "$FIX_GID" "$HOME_BOB" >>"$PASSWD"
	mkdir -p "$BATS_TEST_TMPDIR/mail"
	make_maildir "$BATS_TEST_TMPDIR/Maildir"
	make_maildir "$BATS_TEST_TMPDIR/mail/alice/Maildir"
	fix_owner "$BATS_TEST_TMPDIR/mail"
	MAILBOX="$BATS_TEST_TMPDIR/mail/%u/Maildir"
	for user in .. x/../alice; do
		pop "USER $user" "PASS x" STAT QUIT
		refute_line --regexp '^\+OK [0-9]+ messages'
		refute_output --partial "+OK 5 "
		assert_line --index 2 --regexp '^-ERR'
	done
}

@test "a % in a user name is not expanded again" {
	printf '%%u:{PLAIN}x:%s:%s::%s::\n' "$FIX_UID" "$FIX_GID" "$HOME_BOB" >>"$PASSWD"
	printf '%%h:{PLAIN}x:%s:%s::%s::\n' "$FIX_UID" "$FIX_GID" "$HOME_BOB" >>"$PASSWD"
	mkdir -p "$BATS_TEST_TMPDIR/mail"
	make_maildir "$BATS_TEST_TMPDIR/mail/%u"
	fix_owner "$BATS_TEST_TMPDIR/mail"
	MAILBOX="$BATS_TEST_TMPDIR/mail/%u"
	# Either the name is refused or it names the literal directory "%u";
	# never alice's home through a second expansion of "%h".
	pop "USER %h" "PASS x" QUIT
	refute_line --regexp '^\+OK [0-9]+ messages'
	pop "USER %u" "PASS x" STAT QUIT
	refute_output --regexp '\+OK [0-9]+ messages \(0 octets\)'
	assert_line --index 2 --regexp "^(-ERR|\+OK 5 messages \($TOTAL_OCTETS octets\))"
}
