#!/usr/bin/env bats
# --scan USER: the dry run prints what a session would list and changes
# nothing in the mailbox.

setup() {
	load ../helpers
	common_setup
}
teardown() { common_teardown; }


# tree DIR: every name under DIR with its mtime, for "nothing changed".
tree() {
	find "$1" -printf '%P %s %T@\n' | sort
}

@test "--scan prints number, size and UIDL for each message, as a session lists them" {
	local want
	want=$(_pop_exec _gen_lines "${LOGIN[@]}" UIDL QUIT | sed -n '5,/^\.$/p' | sed '$d')
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --scan alice
	assert_success
	assert_equal "${#lines[@]}" 5
	local n size uid i=0
	while read -r n size uid; do
		i=$((i + 1))
		assert_equal "$n" "$i"
		assert_equal "$size" "${SIZE[$uid]}"
		assert_equal "$n $uid" "$(sed -n "${i}p" <<<"$want")"
	done <<<"$output"
	grep -q "5 messages ($TOTAL_OCTETS octets)" "$POP_ERR"
}

@test "--scan changes nothing: no lock, no cache, no ledger, no rename" {
	local before
	before=$(tree "$MAILDIR")
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --scan=alice
	assert_success
	assert_equal "$(tree "$MAILDIR")" "$before"
	assert_store_unchanged
}

@test "--scan works while a session holds the mailbox, and does not disturb it" {
	session_start first
	session_send first "${LOGIN[@]}" "DELE 1"
	session_wait first 4
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --scan alice
	assert_success
	assert_equal "${#lines[@]}" 5
	[ -f "$MAILDIR/onepop-session.lock" ] || fail "the session's lock was removed"
	session_send first QUIT
	session_end first
	run session_output first
	assert_success
	assert_line --index 4 "+OK goodbye"
}

@test "--scan sees a message delivered since the last session" {
	add_message "$MAILDIR" 1800000000.M1P1.late
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --scan alice
	assert_success
	assert_line --index 5 --regexp '^6 [0-9]+ 1800000000\.M1P1\.late$'
}

@test "--scan of an unknown user or a missing mailbox exits 1 and says why" {
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --scan nobody-here
	assert_failure 1
	grep -q 'no such user' "$POP_ERR"
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$BATS_TEST_TMPDIR/none" --scan alice
	assert_failure 1
	grep -q 'mailbox' "$POP_ERR"
}

@test "--scan takes the same options from --config" {
	printf 'auth = passwd-file:%s\nmailbox = %s\nscan = alice\n' "$PASSWD" "$MAILBOX" \
		>"$BATS_TEST_TMPDIR/conf"
	run_onepop --config="$BATS_TEST_TMPDIR/conf"
	assert_success
	assert_equal "${#lines[@]}" 5
}

@test "--scan with a backend that cannot open read-only refuses" {
	run_onepop --backend=exec --exec=/bin/true --auth=passwd-file:"$PASSWD" --scan alice
	assert_failure
	grep -q 'read-only' "$POP_ERR" || fail "$(cat "$POP_ERR")"
}
