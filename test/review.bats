#!/usr/bin/env bats
# What a security review tried as a hostile user or a hostile local mail
# writer (issue 15): each test names the item it shows. Users and groups
# made here (root only) are removed in teardown.

setup() {
	load helpers
	common_setup
	CP=$BATS_TEST_TMPDIR/checkpassword
	MADE_USER= MADE_GROUP=
}

teardown() {
	common_teardown
	if [ -n "$MADE_USER" ]; then retry_lock userdel "$MADE_USER" 2>/dev/null || :; fi
	if [ -n "$MADE_GROUP" ]; then retry_lock groupdel "$MADE_GROUP" 2>/dev/null || :; fi
}

# onepop_pid NAME: the onepop process of session NAME (its timeout's child).
onepop_pid() {
	local pid
	pid=$(child_pids "${SESSION_PID[$1]}" | head -1)
	[ -n "$pid" ] || fail "cannot find the onepop process of session $1"
	echo "$pid"
}

# ---------------------------------------------------------------- item 6

@test "#6 checkpassword: the session gets the gid the program chose, not the typed name's groups" {
	require_root
	command -v useradd >/dev/null || skip "no useradd"
	local tag name pid groups
	tag=$(printf '%05d' $((RANDOM % 100000)))
	MADE_GROUP=op-rg$tag
	retry_lock groupadd "$MADE_GROUP"
	MADE_USER=op-ru$tag
	retry_lock useradd -M -d /nonexistent -s /usr/sbin/nologin -G "$MADE_GROUP" "$MADE_USER"
	name=$MADE_USER
	[[ " $(id -G "$name") " == *" $(getent group "$MADE_GROUP" | cut -d: -f3) "* ]] ||
		fail "setup: $name is not in $MADE_GROUP"
	# A virtual user of that name: the program switches to FIX_UID/FIX_GID
	# with no supplementary group at all.
	cat >"$CP" <<-SCRIPT
	#!/bin/bash
	{ IFS= read -r -d '' user && IFS= read -r -d '' pass; } <&3 || exit 2
	[ "\$user" = "$name" ] && [ "\$pass" = virt ] || exit 1
	export USER="\$user" HOME="$HOME_ALICE"
	cd "\$HOME" || exit 111
	exec setpriv --reuid=$FIX_UID --regid=$FIX_GID --clear-groups "\$@"
	SCRIPT
	chmod 755 "$CP"
	POP_ARGS=(--auth="checkpassword:$CP" --mailbox=%h/Maildir)
	session_start cp
	session_send cp "USER $name" "PASS virt"
	session_wait cp 3
	pid=$(onepop_pid cp)
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status" | xargs)
	session_send cp QUIT
	session_end cp
	run session_output cp
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_equal "$groups" "$FIX_GID"
}

# ---------------------------------------------------------------- item 17
# Under UBSan (the sanitize build, halt_on_error) these were qsort(NULL, 0);
# test/fuzz/regress/uidlist/dovecot-header-only replays the first.

@test "#17 a dovecot-uidlist with only its header line serves the names' UIDLs" {
	printf '3 V1\n' >"$MAILDIR/dovecot-uidlist"
	POP_ARGS=(--uidl-format=dovecot)
	pop "${LOGIN[@]}" STAT "UIDL 1" QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 --regexp '^\+OK 1 [0-9]+\.M[0-9]+P[0-9]+\.fixture$'
}

@test "#17 an empty MH folder logs in with no messages" {
	mkdir "$BATS_TEST_TMPDIR/mh"
	fix_owner "$BATS_TEST_TMPDIR/mh"
	POP_ARGS=(--backend=mh --mailbox="$BATS_TEST_TMPDIR/mh")
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 0 0"
}
