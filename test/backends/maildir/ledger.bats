#!/usr/bin/env bats
# The Maildir UIDL ledger (DIR/onepop-uidl): UIDLs survive renames of the
# message files, and the guard notices when they changed anyway.

setup() {
	load ../../helpers
	common_setup
	LEDGER=$MAILDIR/onepop-uidl
	POP_ARGS=(--debug)
}
teardown() { common_teardown; }

# rename_base OLD NEW: give the file of base name OLD the base name NEW
# (same directory, same info suffix), in place.
rename_base() {
	local f
	f=$(store_path "$MAILDIR" "$1")
	mv "$f" "${f%/*}/$2${f#*/"$1"}"
}

@test "the first session writes the ledger: one line per message, name-based UIDLs" {
	run uidl_list
	assert_success
	[ -f "$LEDGER" ] || fail "no ledger"
	assert_equal "$(head -c 14 "$LEDGER")" "onepop-uidl 1 "
	assert_equal "$(tail -n 1 "$LEDGER")" "end 5"
	local uid
	for uid in "${ALL_UIDS[@]}"; do
		grep -qE "^$uid [0-9]+ [0-9]+ [0-9a-f]{32} $uid\$" "$LEDGER" || fail "$uid: $(cat "$LEDGER")"
		assert_output --regexp "[0-9]+ $uid"
	done
}

@test "a message renamed in place keeps its UIDL" {
	local before
	before=$(uidl_list)
	rename_base "$UID_DOTS" 1700000003.M999P9.renamed
	run uidl_list
	assert_success
	assert_equal "$output" "$before"
	grep -q 'uidl ledger: user=alice: 1 renamed messages kept their UIDL' "$POP_ERR"
	# The ledger now knows the new name.
	grep -q " 1700000003.M999P9.renamed\$" "$LEDGER"
}

@test "messages copied under new names (new inodes, as a migration does) keep their UIDLs" {
	local before uid f
	before=$(uidl_list)
	for uid in "${ALL_UIDS[@]}"; do
		f=$(store_path "$MAILDIR" "$uid")
		cp -p "$f" "$MAILDIR/tmp/x" && rm "$f"
		mv "$MAILDIR/tmp/x" "$MAILDIR/cur/${uid/fixture/migrated}:2,S"
	done
	fix_owner "$MAILDIR"
	run uidl_list
	assert_success
	assert_equal "$output" "$before"
	grep -q '5 renamed messages kept their UIDL' "$POP_ERR"
	! grep -q 'uidl guard' "$POP_ERR" || fail "guard fired: $(cat "$POP_ERR")"
}

@test "a new message named like a kept UIDL gets another, unique UIDL" {
	uidl_list >/dev/null
	rename_base "$UID_LF" 1700000001.M100001P1001.moved
	add_message "$MAILDIR" "$UID_LF"
	run uidl_list
	assert_success
	assert_equal "$(printf '%s\n' "$output" | awk '{print $2}' | sort | uniq -d)" ""
	assert_equal "$(count_lines " $UID_LF\$")" 1
	assert_equal "$(count_lines ' onepop-[0-9a-f]+$')" 1
}

@test "a damaged ledger is ignored, logged and rebuilt" {
	uidl_list >/dev/null
	local good
	good=$(cat "$LEDGER")
	local bad
	for bad in 'garbage' "$(sed '$d' <<<"$good")" "$(sed 's/^1700000002\.M100002P1002\.fixture /1700000001.M100001P1001.fixture /' <<<"$good")" \
		"$(sed '2s/ [0-9a-f]\{32\} / zz /' <<<"$good")"; do
		printf '%s\n' "$bad" >"$LEDGER"
		run uidl_list
		assert_success
		assert_equal "$(wc -l <<<"$output")" 5
		grep -q 'uidl ledger: user=alice: unreadable, rebuilt' "$POP_ERR" || fail "not logged for: $bad"
		assert_equal "$(sed 1d "$LEDGER")" "$(sed 1d <<<"$good")"
	done
}

# rewrite_all: what a careless migration does: every message altered (a
# header added) and renamed, file times kept.
rewrite_all() {
	local uid f
	for uid in "${ALL_UIDS[@]}"; do
		f=$(store_path "$MAILDIR" "$uid")
		{ echo 'X-Migrated: yes'; cat "$f"; } >"$MAILDIR/tmp/x"
		touch -r "$f" "$MAILDIR/tmp/x"
		rm "$f"
		mv "$MAILDIR/tmp/x" "$MAILDIR/cur/${uid/fixture/rewritten}:2,S"
	done
	fix_owner "$MAILDIR"
}

@test "changed UIDLs are logged with the counts (--uidl-guard=warn, the default)" {
	uidl_list >/dev/null
	rewrite_all
	run uidl_list
	assert_success
	grep -qE 'uidl guard: user=alice rhost=local changed=5 kept=0 renamed=0 gone=5 action=warn' \
		"$POP_ERR" || fail "$(cat "$POP_ERR")"
	# Recorded: the next session is calm.
	run uidl_list
	! grep -q 'uidl guard' "$POP_ERR"
}

@test "--uidl-guard=refuse: -ERR [SYS/TEMP] at login, nothing recorded, until warn lets it through" {
	uidl_list >/dev/null
	rewrite_all
	cp "$LEDGER" "$BATS_TEST_TMPDIR/ledger.before"
	POP_ARGS=(--debug --uidl-guard=refuse)
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] message UIDLs changed'
	grep -q 'action=refuse' "$POP_ERR"
	cmp "$LEDGER" "$BATS_TEST_TMPDIR/ledger.before"
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] '
	POP_ARGS=(--debug --uidl-guard=warn)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	POP_ARGS=(--debug --uidl-guard=refuse)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 5 messages'
}

@test "deletions and an old message moved in are not a change" {
	load_uidls
	pop "${LOGIN[@]}" "DELE ${MSGNUM[$UID_LF]}" QUIT
	assert_success
	! grep -q "^$UID_LF " "$LEDGER" || fail "the ledger still lists the deleted message"
	# An IMAP client moves an old message in (its file time is old).
	add_message "$MAILDIR" 1600000000.M1P1.archived
	touch -d '@1600000000' "$MAILDIR/new/1600000000.M1P1.archived"
	POP_ARGS=(--debug --uidl-guard=refuse)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 5 messages'
}

@test "--uidl-guard takes warn or refuse only" {
	run_onepop --uidl-guard=maybe --auth=passwd-file:"$PASSWD"
	assert_failure 2
	grep -q 'warn or refuse' "$POP_ERR"
}

@test "--scan shows the UIDLs the ledger keeps, and writes nothing" {
	uidl_list >/dev/null
	rename_base "$UID_CRLF" 1700000002.M5P5.renamed
	cp "$LEDGER" "$BATS_TEST_TMPDIR/ledger.before"
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --scan alice
	assert_success
	assert_line --regexp "^[0-9]+ ${SIZE[$UID_CRLF]} $UID_CRLF\$"
	cmp "$LEDGER" "$BATS_TEST_TMPDIR/ledger.before"
	grep -q '1 renamed' "$POP_ERR"
}

# entries FILE: a ledger's entry lines (without its first and last line).
entries() { sed '1d;$d' "$1"; }

@test "deletions after a warm login copy the ledger's other lines, digests and all" {
	uidl_list >/dev/null
	cp "$LEDGER" "$BATS_TEST_TMPDIR/before"
	load_uidls   # a warm login: the ledger lists exactly these messages
	pop "${LOGIN[@]}" "DELE ${MSGNUM[$UID_LF]}" QUIT
	assert_success
	assert_equal "$(entries "$LEDGER")" "$(entries "$BATS_TEST_TMPDIR/before" | grep -v "^$UID_LF ")"
	assert_equal "$(tail -n 1 "$LEDGER")" "end 4"
}

@test "a kept UIDL other than the name survives warm logins and a deletion" {
	uidl_list >/dev/null
	rename_base "$UID_DOTS" 1700000003.M999P9.renamed
	uidl_list >/dev/null   # the full match keeps its UIDL under the new name
	load_uidls             # warm: fails unless UIDL still lists $UID_DOTS
	pop "${LOGIN[@]}" "DELE ${MSGNUM[$UID_LF]}" QUIT
	assert_success
	grep -qE "^$UID_DOTS [0-9]+ [0-9]+ [0-9a-f]{32} 1700000003.M999P9.renamed\$" "$LEDGER" ||
		fail "$(cat "$LEDGER")"
	run uidl_list
	assert_success
	assert_line --regexp "^[0-9]+ $UID_DOTS\$"
}

@test "a ledger changed during a session: the rewrite takes the digests from the messages" {
	uidl_list >/dev/null
	cp "$LEDGER" "$BATS_TEST_TMPDIR/before"
	load_uidls
	session_start s
	session_send s "${LOGIN[@]}" "DELE ${MSGNUM[$UID_LF]}"
	session_wait s 4
	# Inode numbers the messages do not have: no longer the list it read.
	sed -i -E 's/^([^ ]+) [0-9]+ /\1 1 /' "$LEDGER"
	session_send s QUIT
	session_end s
	run session_output s
	assert_success
	assert_equal "$(entries "$LEDGER")" "$(entries "$BATS_TEST_TMPDIR/before" | grep -v "^$UID_LF ")"
}
