#!/usr/bin/env bats
# What a session does to the Maildir: deletions only after QUIT, locking,
# mail delivered meanwhile, missing or unreadable mailboxes, odd file names.

setup() {
	load ../../helpers
	common_setup
}

teardown() {
	common_teardown
	chmod -R u+rwX "$BATS_TEST_TMPDIR"
}

# ---------------------------------------------------------------- UPDATE state

@test "DELE then QUIT removes the file and nothing else" {
	load_uidls
	pop "${LOGIN[@]}" "DELE ${MSGNUM[$UID_SEEN]}" "DELE ${MSGNUM[$UID_LF]}" QUIT
	assert_success
	assert_line --index 5 "+OK goodbye"
	assert_store_without "$UID_SEEN" "$UID_LF"
	run find "$MAILDIR" -name "$UID_LF*" -o -name "$UID_SEEN*"
	assert_output ""
}

@test "DELE then EOF without QUIT keeps every file" {
	pop "${LOGIN[@]}" "DELE 1" "DELE 2" "DELE 3" "DELE 4" "DELE 5"
	assert_failure 1
	assert_line --index 7 "+OK message 5 deleted"
	assert_store_unchanged
}

@test "DELE, RSET, QUIT keeps every file" {
	pop "${LOGIN[@]}" "DELE 1" "DELE 2" RSET QUIT
	assert_success
	assert_line --index 5 "+OK maildrop has 5 messages ($TOTAL_OCTETS octets)"
	assert_store_unchanged
}

@test "DELE, RSET, DELE, QUIT removes only the second mark" {
	load_uidls
	pop "${LOGIN[@]}" "DELE 1" RSET "DELE 2" QUIT
	assert_success
	assert_store_without "${MSGUID[2]}"
}

@test "the next session sees what QUIT left" {
	load_uidls
	pop "${LOGIN[@]}" "DELE ${MSGNUM[$UID_DOTS]}" QUIT
	assert_success
	rest=$((TOTAL_OCTETS - SIZE[$UID_DOTS]))
	pop "${LOGIN[@]}" STAT UIDL QUIT
	assert_success
	assert_line --index 2 "+OK 4 messages ($rest octets)"
	assert_line --index 3 "+OK 4 $rest"
	refute_output --partial "$UID_DOTS"
	for uid in "$UID_LF" "$UID_CRLF" "$UID_NOEOL" "$UID_SEEN"; do
		assert_line --regexp "^[1-4] $uid\$"
	done
}

@test "the info suffix of a message in cur/ is kept" {
	load_uidls
	pop "${LOGIN[@]}" "RETR ${MSGNUM[$UID_SEEN]}" "DELE ${MSGNUM[$UID_LF]}" QUIT
	assert_success
	run find "$MAILDIR/cur" -name "$UID_SEEN:2,*"
	assert_output --regexp ":2,[A-Za-z]*S"
}

# ---------------------------------------------------------------- locking

@test "a second session on the mailbox gets -ERR [IN-USE] at login" {
	session_start first
	session_send first "${LOGIN[@]}"
	session_wait first 3

	pop "${LOGIN[@]}" STAT "DELE 1" QUIT
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
	refute_output --partial "+OK 5 "
	refute_line "+OK message 1 deleted"

	# The first session is not disturbed.
	session_send first STAT QUIT
	session_end first
	run session_output first
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "+OK goodbye"
	assert_store_unchanged
}

@test "another user of the same mailbox gets -ERR [IN-USE] too" {
	session_start first
	session_send first "${LOGIN[@]}" "DELE 1"
	session_wait first 4

	pop "USER bob" "PASS hunter2" "DELE 2" QUIT
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
	refute_output --partial "+OK 5 "

	session_send first QUIT
	session_end first
	run session_output first
	assert_success
	# Only the first session's DELE happened.
	run snapshot "$MAILDIR"
	assert_equal "$(wc -l <<<"$output")" 4
}

@test "the lock is released by QUIT" {
	session_start first
	session_send first "${LOGIN[@]}"
	session_wait first 3
	session_send first QUIT
	session_end first
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "the lock is released by EOF without QUIT" {
	session_start first
	session_send first "${LOGIN[@]}" "DELE 1"
	session_wait first 4
	session_end first
	assert_equal "${SESSION_RC[first]}" 1
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_store_unchanged
}

@test "the lock is released by a timeout" {
	session_start first --timeout=1
	session_send first "${LOGIN[@]}"
	session_wait first 3
	session_wait first 4
	session_end first
	assert_equal "${SESSION_RC[first]}" 1
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "a locked-out session does not count as a failed login" {
	session_start first
	session_send first "${LOGIN[@]}"
	session_wait first 3
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
	refute_line --index 2 --regexp '^-ERR \[AUTH\]'
	session_send first QUIT
	session_end first
}

# ---------------------------------------------------------------- mail arriving

@test "mail delivered during a session is not listed and survives QUIT" {
	load_uidls
	late=1700000100.M200P200.late
	session_start s
	session_send s "${LOGIN[@]}" STAT
	session_wait s 4
	add_message "$MAILDIR" "$late"
	session_send s STAT LIST UIDL "DELE 1" "LIST 6" "RETR 6" QUIT
	session_end s
	run --keep-empty-lines session_output s
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 5 "+OK 5 messages ($TOTAL_OCTETS octets)"
	refute_output --partial "$late"
	assert_line --index 18 "."
	assert_line --index 19 "+OK message 1 deleted"
	assert_line --index 20 --regexp '^-ERR'
	assert_line --index 21 --regexp '^-ERR'
	assert_line --index 22 "+OK goodbye"

	[ -n "$(store_path "$MAILDIR" "$late")" ] || fail "the late message is gone"
	run snapshot "$MAILDIR"
	assert_output --partial "$late "
	refute_output --partial "${MSGUID[1]} "
	assert_equal "$(wc -l <<<"$output")" 5

	# The next session sees it.
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_output --regexp "[1-5] $late"
}

@test "mail delivered during a session survives EOF" {
	late=1700000101.M201P201.late
	session_start s
	session_send s "${LOGIN[@]}" "DELE 1"
	session_wait s 4
	add_message "$MAILDIR" "$late"
	session_end s
	assert_equal "${SESSION_RC[s]}" 1
	run snapshot "$MAILDIR"
	assert_equal "$(wc -l <<<"$output")" 6
	assert_output --partial "$late "
}

@test "a message removed by someone else during the session does not break QUIT" {
	load_uidls
	session_start s
	session_send s "${LOGIN[@]}"
	session_wait s 3
	rm "$(store_path "$MAILDIR" "${MSGUID[2]}")"
	session_send s "DELE 1" "DELE 2" "RETR 3" QUIT
	session_end s
	run --keep-empty-lines session_output s
	assert_success
	assert_line --index 3 "+OK message 1 deleted"
	assert_line --index -1 "+OK goodbye"
	run snapshot "$MAILDIR"
	assert_equal "$(wc -l <<<"$output")" 3
	refute_output --partial "${MSGUID[1]} "
}

@test "files in tmp/ and dot-files are not messages" {
	printf 'From: x\n\nhalf delivered\n' >"$MAILDIR/tmp/1700000200.M1P1.tmp"
	printf 'junk\n' >"$MAILDIR/new/.hidden"
	fix_owner "$MAILDIR"
	pop "${LOGIN[@]}" STAT UIDL QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	refute_output --partial .tmp
	refute_output --partial .hidden
}

# ---------------------------------------------------------------- sizes and UIDLs

@test "sizes follow a message that changed between sessions" {
	load_uidls
	pop "${LOGIN[@]}" LIST QUIT
	assert_success
	# Rewrite a message in place with more lines (an external tool did it).
	f=$(store_path "$MAILDIR" "$UID_LF")
	printf 'Added line %d\n' $(seq 20) >>"$f"
	touch -d '@1700000600' "$f"
	"$PYTHON" "$POP3UTIL" wire "$f" "$WIRE_DIR/$UID_LF"
	size=$(stat -c %s "$WIRE_DIR/$UID_LF")
	pop "${LOGIN[@]}" "LIST ${MSGNUM[$UID_LF]}" "RETR ${MSGNUM[$UID_LF]}" QUIT
	assert_success
	assert_line --index 3 "+OK ${MSGNUM[$UID_LF]} $size"
	assert_line --index 4 "+OK $size octets"
	assert_block 5 "$WIRE_DIR/$UID_LF"
}

@test "a corrupted cache in the Maildir is not trusted" {
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	# Whatever onepop keeps next to new/ cur/ tmp/ gets garbage.
	while IFS= read -r -d '' f; do
		printf '%s 1\n%s 99999999999999999999\ngarbage\0\n' "$UID_LF" "$UID_CRLF" >"$f"
	done < <(find "$MAILDIR" -mindepth 1 -maxdepth 1 -type f -print0)
	pop "${LOGIN[@]}" STAT LIST QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "odd Maildir names get stable, unique, RFC 1939 UIDLs" {
	long=1700000300.M$(printf 'a%.0s' $(seq 90)).host
	spaced="1700000301.M301P301.with space"
	utf8=1700000302.M302P302.h$'\xc3\xb4'st
	ctrl=1700000303.M303P303.tab$'\t'name
	for name in "$long" "$spaced" "$utf8" "$ctrl"; do
		add_message "$MAILDIR" "$name"
	done
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK'
	assert_line --index 13 "."
	first=$output
	uidls=$(printf '%s\n' "${lines[@]:4:9}" | cut -d' ' -f2-)
	while IFS= read -r u; do
		[[ $u =~ ^[!-~]{1,70}$ ]] || fail "bad UIDL: '$u'"
	done <<<"$uidls"
	assert_equal "$(sort -u <<<"$uidls" | wc -l)" 9
	for uid in "${ALL_UIDS[@]}"; do
		grep -qx "$uid" <<<"$uidls" || fail "$uid lost its UIDL"
	done
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_equal "$(sed 1d <<<"$output")" "$(sed 1d <<<"$first")"
}

# ---------------------------------------------------------------- broken mailboxes

@test "a missing Maildir gets -ERR [SYS/PERM] at login" {
	MAILBOX=$BATS_TEST_TMPDIR/nonexistent/Maildir
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/PERM\] '
	refute_output --partial "+OK 0 "
}

@test "an unreadable Maildir gets -ERR [SYS/...] at login" {
	chmod 000 "$MAILDIR"
	pop "${LOGIN[@]}" STAT QUIT
	chmod 700 "$MAILDIR"
	assert_line --index 2 --regexp '^-ERR \[SYS/(PERM|TEMP)\] '
	refute_output --partial "+OK 5 "
	assert_store_unchanged
}

@test "a 70-octet name is its own UIDL; a 71-octet one gets onepop-MD5" {
	n70=1700000400.$(printf 'b%.0s' $(seq 59))
	n71=${n70}c
	add_message "$MAILDIR" "$n70"
	add_message "$MAILDIR" "$n71"
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_line --regexp "^[0-9]+ $n70\$"
	# The derived form documented in doc/operators.md: "onepop-" + hex MD5 of the name.
	assert_line --regexp "^[0-9]+ onepop-$(printf '%s' "$n71" | md5sum | cut -d' ' -f1)\$"
	refute_output --partial "$n71"
}

@test "a signal during the session leaves the mailbox as it was" {
	session_start s
	session_send s "${LOGIN[@]}" "DELE 1" "DELE 2"
	session_wait s 5
	pid=$(child_pids "${SESSION_PID[s]}")
	[ -n "$pid" ] || fail "cannot find the onepop process"
	kill -TERM "$pid"
	session_end s
	[ "${SESSION_RC[s]}" -ne 0 ] || fail "exit status 0 after SIGTERM"
	assert_store_unchanged
	# The lock went with the process.
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "a message another client moves to cur/ mid-session is still served and deleted" {
	load_uidls
	n=${MSGNUM[$UID_LF]}
	session_start s
	session_send s "${LOGIN[@]}"
	session_wait s 3
	mv "$MAILDIR/new/$UID_LF" "$MAILDIR/cur/$UID_LF:2,S"
	session_send s "RETR $n" "DELE $n" QUIT
	session_end s
	run --keep-empty-lines session_output s
	assert_success
	assert_line --index 3 "+OK ${SIZE[$UID_LF]} octets"
	RAW=$BATS_TEST_TMPDIR/session.s/raw
	assert_block 4 "$WIRE_DIR/$UID_LF"
	assert_line --index -2 "+OK message $n deleted"
	assert_line --index -1 "+OK goodbye"
	assert_store_without "$UID_LF"
}

@test "--debug ends with the session summary line" {
	load_uidls
	POP_ARGS=(--debug)
	pop "${LOGIN[@]}" "RETR ${MSGNUM[$UID_LF]}" "DELE ${MSGNUM[$UID_CRLF]}" QUIT
	assert_success
	run grep 'session end:' "$POP_ERR"
	assert_success
	assert_equal "${#lines[@]}" 1
	for field in user=alice end=quit messages=5 retr=1 "retr_bytes=${SIZE[$UID_LF]}" deleted=1; do
		assert_output --regexp "(^| )$field( |\$)"
	done
	assert_output --regexp 'uidl_digest=[0-9a-f]+'
	first=$(grep -o 'uidl_digest=[0-9a-f]*' <<<"$output")

	# One message fewer: another digest; the same list again: the same one.
	pop "${LOGIN[@]}" QUIT
	assert_success
	second=$(grep -o 'uidl_digest=[0-9a-f]*' "$POP_ERR")
	assert_not_equal "$second" "$first"
	pop "${LOGIN[@]}" QUIT
	assert_success
	assert_equal "$(grep -o 'uidl_digest=[0-9a-f]*' "$POP_ERR")" "$second"
}
