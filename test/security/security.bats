#!/usr/bin/env bats
# Local mail writers with bad intent: symlinks planted in the Maildir must
# not make the session read or create files elsewhere (SECURITY.md).

setup() {
	load ../helpers
	common_setup
	SECRET=$BATS_TEST_TMPDIR/secret-file
	printf 'Subject: not yours\n\nroot-only secret\n' >"$SECRET"
	chmod 644 "$SECRET"
}

teardown() {
	common_teardown
}

@test "a message that is a symlink to another file is not served" {
	ln -s "$SECRET" "$MAILDIR/new/1700000010.M10P10.link"
	pop "${LOGIN[@]}" STAT "RETR 6" QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "-ERR no such message"
	refute_output --partial "root-only secret"
}

@test "a lock file that is a symlink: its target is neither created nor written" {
	local target=$BATS_TEST_TMPDIR/elsewhere victim=$BATS_TEST_TMPDIR/victim
	printf 'keep me\n' >"$victim"
	ln -s "$target" "$MAILDIR/onepop-session.lock"
	pop "${LOGIN[@]}" STAT QUIT
	[ ! -e "$target" ] || fail "the session created $target through the symlink"
	rm -f "$MAILDIR/onepop-session.lock"
	ln -s "$victim" "$MAILDIR/onepop-session.lock"
	pop "${LOGIN[@]}" STAT QUIT
	assert_equal "$(cat "$victim")" "keep me"
	assert_store_unchanged
}

@test "a message that is a symlink survives DELE and QUIT of the others" {
	ln -s "$SECRET" "$MAILDIR/cur/1700000010.M10P10.link:2,S"
	pop "${LOGIN[@]}" "DELE 1" QUIT
	assert_success
	[ -L "$MAILDIR/cur/1700000010.M10P10.link:2,S" ] || fail "symlink removed"
	[ -f "$SECRET" ] || fail "target removed"
}
