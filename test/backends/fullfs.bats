#!/usr/bin/env bats
# A full file system does not lock the user out (issue 16.1): on a small
# tmpfs filled to the last block, and separately to the last inode, every
# backend logs in, serves STAT, LIST, UIDL and RETR, and carries out
# DELE+QUIT, which frees space; the next session sees the deletions. What
# onepop writes for itself (lock file, dotlock, cache, ledger) is left out
# with one log line.

setup() {
	load ../helpers
	load ../stores
	require_root
	common_setup
	FS=$BATS_TEST_TMPDIR/fs
	mkdir -p "$FS"
	mount -t tmpfs -o size=2m,nr_inodes=200,mode=0755 tmpfs "$FS" ||
		skip "cannot mount a tmpfs here"
	MOUNTED=1
	POP_ARGS=(--debug)
}

teardown() {
	[ -z "${MOUNTED:-}" ] || umount "$FS" || umount -l "$FS"
	common_teardown
}

BIG=1700000009.M9P9.big

# big_message: a 256 KB message (deleting it frees whole pages in any store).
big_message() {
	printf 'From: big@example.org\nSubject: big\n\n'
	head -c 262144 /dev/zero | tr '\0' 'x' | fold -w 76
}

# full_store BACKEND: the five fixtures and the big one as message 6,
# in BACKEND's format on the tmpfs; sets MAILBOX and POP_ARGS.
full_store() {
	local i uid
	BACKEND=$1
	case $BACKEND in
	maildir)
		cp -a "$MAILDIR" "$FS/Maildir"
		MAILDIR=$FS/Maildir
		big_message >"$MAILDIR/new/$BIG"
		MAILBOX=$MAILDIR
		;;
	mbox)
		mkdir "$FS/spool"
		MAILBOX=$FS/spool/alice
		: >"$MAILBOX"
		for uid in "${ALL_UIDS[@]}"; do
			mbox_append "$MAILBOX" <"$(store_path "$MAILDIR" "$uid")"
		done
		big_message | mbox_append "$MAILBOX"
		;;
	mh)
		mkdir -p "$FS/Mail/inbox"
		MAILBOX=$FS/Mail/inbox
		for i in "${!ALL_UIDS[@]}"; do
			cp "$(store_path "$MAILDIR" "${ALL_UIDS[$i]}")" "$MAILBOX/${MH_NUMS[$i]}"
		done
		big_message >"$MAILBOX/11"
		;;
	esac
	chown -R "$FIX_UID:$FIX_GID" "$FS"/*
	POP_ARGS+=(--backend="$BACKEND")
	# The same store off the tmpfs, for what a clean session leaves.
	REF=$BATS_TEST_TMPDIR/ref
	mkdir -p "$REF"
	cp -a "$FS"/* "$REF/"
}

# reference_digest: the store as a session with room to spare leaves it
# after the same deletions.
reference_digest() {
	local mailbox=$MAILBOX maildir=$MAILDIR
	MAILBOX=$REF/${MAILBOX#"$FS"/}
	MAILDIR=$MAILBOX
	_pop_exec _gen_lines "${LOGIN[@]}" "DELE 1" "DELE 6" QUIT >/dev/null || fail "reference session failed"
	store_digest
	MAILBOX=$mailbox MAILDIR=$maildir
}

# fill blocks|inodes: as root, take every free block, or every free inode.
fill() {
	local n=0
	if [ "$1" = blocks ]; then
		dd if=/dev/zero of="$FS/filler" bs=4096 2>/dev/null && fail "the tmpfs did not fill up"
		[ "$(stat -f -c %a "$FS")" -eq 0 ] || fail "blocks left: $(stat -f -c %a "$FS")"
	else
		mkdir "$FS/fillers"
		while touch "$FS/fillers/$n" 2>/dev/null; do
			n=$((n + 1))
			[ "$n" -lt 1000 ] || fail "the tmpfs did not run out of inodes"
		done
		[ "$(stat -f -c %d "$FS")" -eq 0 ] || fail "inodes left: $(stat -f -c %d "$FS")"
	fi
}

# full_session BACKEND blocks|inodes: the whole test.
full_session() {
	local free_before free_after field=%a
	full_store "$1"
	fill "$2"
	# An mbox is one file: what its deletions free is blocks.
	[ "$2" = blocks ] || [ "$1" = mbox ] || field=%d
	free_before=$(stat -f -c "$field" "$FS")
	pop "${LOGIN[@]}" STAT LIST UIDL "RETR 1" "DELE 1" "DELE 6" QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK [0-9]+ messages'
	refute_output --partial -- "-ERR"
	assert_line "+OK goodbye"
	assert_equal "$(grep -c 'file system full' "$POP_ERR")" 1
	free_after=$(stat -f -c "$field" "$FS")
	[ "$free_after" -gt "$free_before" ] ||
		fail "nothing freed: $free_before before, $free_after after"
	if [ "$BACKEND" = maildir ]; then
		# Nothing of its own written by the session on the full disk.
		run ls -A "$MAILDIR"
		refute_output --partial onepop
	fi
	# Byte for byte what a session with room to spare leaves.
	[ "$(store_digest | grep -v onepop)" = "$(reference_digest | grep -v onepop)" ] ||
		fail "the store differs from a clean session's"
	# The next session sees the deletions.
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 4 messages'
}

@test "full file system, no block left: maildir" { full_session maildir blocks; }
@test "full file system, no inode left: maildir" { full_session maildir inodes; }
@test "full file system, no block left: mbox" { full_session mbox blocks; }
@test "full file system, no inode left: mbox" { full_session mbox inodes; }
@test "full file system, no block left: mh" { full_session mh blocks; }
@test "full file system, no inode left: mh" { full_session mh inodes; }
