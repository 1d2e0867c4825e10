#!/usr/bin/env bats
# The MH backend: numbering, files that are not messages, .mh_sequences.
# The shared behaviour is in backends.bats.

setup() {
	load ../../helpers
	load ../../stores
	common_setup
	store_setup mh
}

teardown() {
	common_teardown
}

@test "numbering gaps: numeric order, message numbers renumbered from 1" {
	pop "${LOGIN[@]}" "TOP 4 0" "TOP 5 0" QUIT
	assert_success
	# Files 8 and 10 are messages 4 and 5 (10 after 8, not after 1).
	assert_output --partial "Subject: no trailing newline"
	assert_output --partial "Subject: seen message in cur"
}

@test "files that are not messages are ignored" {
	printf 'junk\n' >"$MAILBOX/,2"
	printf 'junk\n' >"$MAILBOX/07"
	printf 'junk\n' >"$MAILBOX/12.orig"
	printf 'junk\n' >"$MAILBOX/.mh_profile"
	printf 'cur: 3\n' >"$MAILBOX/.mh_sequences"
	mkdir "$MAILBOX/20" "$MAILBOX/sub"
	ln -s 1 "$MAILBOX/30"
	fix_owner "$MAILBOX"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "deletions are taken out of .mh_sequences" {
	printf 'cur: 4\nunseen: 1-10\nflagged: 3\npicked: 1 3-4 8\nodd: foo 10\n' >"$MAILBOX/.mh_sequences"
	fix_owner "$MAILBOX"
	# Messages 2 and 3 are files 3 and 4.
	pop "${LOGIN[@]}" "DELE 2" "DELE 3" QUIT
	assert_success
	[ ! -e "$MAILBOX/3" ] && [ ! -e "$MAILBOX/4" ] || fail "files not removed"
	run cat "$MAILBOX/.mh_sequences"
	assert_output "$(printf 'unseen: 1-2 5-10\npicked: 1 8\nodd: foo 10')"
	run ls -A "$MAILBOX"
	assert_output "$(printf '.mh_sequences\n.onepop.lock\n1\n10\n8')"
}

@test "no .mh_sequences: deletions work and none is created" {
	pop "${LOGIN[@]}" "DELE 1" QUIT
	assert_success
	[ ! -e "$MAILBOX/.mh_sequences" ] || fail ".mh_sequences created"
	[ ! -e "$MAILBOX/1" ] || fail "file 1 not removed"
}

@test "a Mail::Box t/messages style folder is served" {
	rm -f "$MAILBOX"/*
	for i in 1 2 3; do
		printf 'From: sender%d@example.org\nSubject: test %d\n\nbody %d\n' "$i" "$i" "$i" >"$MAILBOX/$i"
	done
	fix_owner "$MAILBOX"
	pop "${LOGIN[@]}" STAT "RETR 2" "DELE 3" QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK 3 '
	assert_output --partial "body 2"
	[ ! -e "$MAILBOX/3" ] || fail "file 3 not removed"
}

@test "a missing folder gets -ERR [SYS/PERM]" {
	MAILBOX=$BATS_TEST_TMPDIR/Mail/nothere
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/PERM\] '
}
