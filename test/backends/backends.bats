#!/usr/bin/env bats
# One behavioural suite for every backend: $ONEPOP_BACKEND (maildir, mbox
# or mh; meson runs this file once per compiled-in backend) picks the
# store the five fixture messages are put in.

setup() {
	load ../helpers
	load ../stores
	common_setup
	store_setup "${ONEPOP_BACKEND:-maildir}"
}

teardown() {
	common_teardown
}

# uidl_list: "n uid" lines of the UIDL reply in $output (after LOGIN).
uidl_list() {
	printf '%s\n' "$output" | sed -n '4,/^\.$/p' | sed '1d;$d'
}

@test "STAT and LIST give the wire size of each message" {
	pop "${LOGIN[@]}" STAT LIST QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	for n in 1 2 3 4 5; do
		assert_line --index $((4 + n)) "$n ${SIZE[${ALL_UIDS[$((n - 1))]}]}"
	done
	assert_line --index 10 "."
}

@test "RETR sends every message byte for byte" {
	pop "${LOGIN[@]}" "RETR 1" "RETR 2" "RETR 3" "RETR 4" "RETR 5" QUIT
	assert_success
	assert_crlf
	line=4
	for uid in "${ALL_UIDS[@]}"; do
		assert_line --index $((line - 1)) "+OK ${SIZE[$uid]} octets"
		assert_block "$line" "$WIRE_DIR/$uid"
		line=$((line + 1 + $(tr -cd '\n' <"$WIRE_DIR/$uid" | wc -c) + 1))
	done
}

@test "TOP sends the header and N body lines" {
	python3 "$POP3UTIL" top "$WIRE_DIR/$UID_LF" 2 >"$BATS_TEST_TMPDIR/top2"
	python3 "$POP3UTIL" top "$WIRE_DIR/$UID_DOTS" 0 >"$BATS_TEST_TMPDIR/top0"
	pop "${LOGIN[@]}" "TOP 1 2" QUIT
	assert_success
	assert_block 4 "$BATS_TEST_TMPDIR/top2"
	pop "${LOGIN[@]}" "TOP 3 0" QUIT
	assert_success
	assert_block 4 "$BATS_TEST_TMPDIR/top0"
}

@test "UIDLs are valid, unique and the same in the next session" {
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	first=$(uidl_list)
	assert_equal "$(wc -l <<<"$first")" 5
	while read -r n u; do
		[[ $u =~ ^[!-~]{1,70}$ ]] || fail "bad UIDL '$u'"
	done <<<"$first"
	assert_equal "$(cut -d' ' -f2 <<<"$first" | sort -u | wc -l)" 5
	pop "${LOGIN[@]}" UIDL QUIT
	assert_equal "$(uidl_list)" "$first"
}

@test "DELE then QUIT removes that message and nothing else" {
	pop "${LOGIN[@]}" UIDL QUIT
	before=$(uidl_list)
	pop "${LOGIN[@]}" "DELE 2" "DELE 4" QUIT
	assert_success
	assert_line --index 5 "+OK goodbye"
	rest=$((TOTAL_OCTETS - SIZE[$UID_CRLF] - SIZE[$UID_NOEOL]))
	pop "${LOGIN[@]}" STAT UIDL "RETR 1" "RETR 2" "RETR 3" QUIT
	assert_success
	assert_line --index 2 "+OK 3 messages ($rest octets)"
	# The survivors keep their UIDLs and their bytes.
	run --keep-empty-lines printf '%s\n' "$output"
	got=$(printf '%s\n' "${lines[@]:5:3}" | cut -d' ' -f2)
	assert_equal "$got" "$(sed -n '1p;3p;5p' <<<"$before" | cut -d' ' -f2)"
	line=10
	for uid in "$UID_LF" "$UID_DOTS" "$UID_SEEN"; do
		assert_block "$line" "$WIRE_DIR/$uid"
		line=$((line + 1 + $(tr -cd '\n' <"$WIRE_DIR/$uid" | wc -c) + 1))
	done
}

@test "DELE then EOF keeps every message" {
	pop "${LOGIN[@]}" "DELE 1" "DELE 2" "DELE 3" "DELE 4" "DELE 5"
	assert_failure 1
	assert_equal "$(store_digest)" "$STORE_BEFORE"
}

@test "DELE, RSET, QUIT keeps every message" {
	pop "${LOGIN[@]}" "DELE 1" "DELE 5" RSET QUIT
	assert_success
	assert_line --index 5 "+OK maildrop has 5 messages ($TOTAL_OCTETS octets)"
	assert_equal "$(store_digest)" "$STORE_BEFORE"
}

@test "QUIT without deletions changes nothing" {
	pop "${LOGIN[@]}" "RETR 1" "TOP 2 1" QUIT
	assert_success
	assert_equal "$(store_digest)" "$STORE_BEFORE"
}

@test "deleting every message leaves an empty mailbox" {
	pop "${LOGIN[@]}" "DELE 1" "DELE 2" "DELE 3" "DELE 4" "DELE 5" QUIT
	assert_success
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 0 0"
}

@test "an empty mailbox is served as empty" {
	store_empty
	pop "${LOGIN[@]}" STAT LIST UIDL QUIT
	assert_success
	assert_line --index 2 "+OK 0 messages (0 octets)"
	assert_line --index 3 "+OK 0 0"
}

@test "a second session gets -ERR [IN-USE] and the first is undisturbed" {
	session_start first
	session_send first "${LOGIN[@]}" "DELE 1"
	session_wait first 4
	pop "${LOGIN[@]}" STAT "DELE 2" QUIT
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
	refute_output --partial "+OK 5 "
	session_send first STAT QUIT
	session_end first
	run session_output first
	assert_success
	assert_line --index 4 "+OK 4 $((TOTAL_OCTETS - SIZE[$UID_LF]))"
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 "+OK 4 messages ($((TOTAL_OCTETS - SIZE[$UID_LF])) octets)"
}

@test "UIDLs stay put after deletions and new arrivals" {
	pop "${LOGIN[@]}" UIDL QUIT
	before=$(uidl_list)
	pop "${LOGIN[@]}" "DELE 1" "DELE 3" QUIT
	assert_success
	store_deliver late-one
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	now=$(uidl_list)
	assert_equal "$(wc -l <<<"$now")" 4
	assert_equal "$(head -n 3 <<<"$now" | cut -d' ' -f2)" \
		"$(sed -n '2p;4p;5p' <<<"$before" | cut -d' ' -f2)"
	new=$(tail -n 1 <<<"$now" | cut -d' ' -f2)
	! grep -qx "$new" <(cut -d' ' -f2 <<<"$before") || fail "a new message reuses a UIDL"
}

@test "mail delivered during a session survives QUIT with deletions" {
	session_start s
	session_send s "${LOGIN[@]}" STAT
	session_wait s 4
	store_deliver during-session
	session_send s STAT "DELE 1" "DELE 5" "LIST 6" QUIT
	session_end s
	run session_output s
	assert_success
	assert_line --index 4 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 7 --regexp '^-ERR'
	assert_line --index 8 "+OK goodbye"
	pop "${LOGIN[@]}" STAT "TOP 4 1" QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 4 messages '
	assert_output --regexp "Subject: .*during-session"
	assert_output --partial "Delivered later."
}
