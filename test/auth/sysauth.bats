#!/usr/bin/env bats
# System authentication and the privilege drop: --auth=checkpassword with a
# checkpassword program written here, --auth=pam against a PAM service file
# and a system user made here (root only, both removed in teardown), and
# what the session can reach once it runs as the user.

setup() {
	load ../helpers
	common_setup
	CP=$BATS_TEST_TMPDIR/checkpassword
	PAM_USER_NAME= PAM_GROUP_NAME= PAM_SERVICE=
}

teardown() {
	common_teardown
	if [ -n "$PAM_SERVICE" ]; then rm -f "/etc/pam.d/$PAM_SERVICE"; fi
	if [ -n "$PAM_USER_NAME" ]; then retry_lock userdel "$PAM_USER_NAME" 2>/dev/null || :; fi
	if [ -n "$PAM_GROUP_NAME" ]; then retry_lock groupdel "$PAM_GROUP_NAME" 2>/dev/null || :; fi
}

# write_checkpassword USER PASS [DROP]: a checkpassword program for one
# user. It records what it was given, then runs the next program as
# $FIX_UID (via setpriv when root) with USER and HOME set, as qmail's does.
# DROP=no: it stays root (a broken program).
write_checkpassword() {
	local drop="exec setpriv --reuid=$FIX_UID --regid=$FIX_GID --clear-groups \"\$@\""
	if ! is_root || [ "${3:-yes}" = no ]; then drop='exec "$@"'; fi
	cat >"$CP" <<-SCRIPT
	#!/bin/bash
	# checkpassword for one test user (cr.yp.to/checkpwd/interface.html)
	head -c 512 <&3 >"$BATS_TEST_TMPDIR/cp.fd3"
	env >"$BATS_TEST_TMPDIR/cp.env"
	printf '%s\n' "\$@" >"$BATS_TEST_TMPDIR/cp.argv"
	{ IFS= read -r -d '' user && IFS= read -r -d '' pass; } <"$BATS_TEST_TMPDIR/cp.fd3" || exit 2
	[ "\$user" = "$1" ] && [ "\$pass" = "$2" ] || exit 1
	export USER="$1" HOME="$HOME_ALICE"
	cd "\$HOME" || exit 111
	$drop
	SCRIPT
	chmod 755 "$CP"
}

# ---------------------------------------------------------------- checkpassword

@test "checkpassword: the right password logs in with the program's uid and home" {
	write_checkpassword carol cp-secret
	POP_ARGS=(--auth="checkpassword:$CP" --mailbox=%h/Maildir)
	pop "USER carol" "PASS cp-secret" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "checkpassword: the program gets user, password, timestamp on fd 3, argv, a clean env" {
	write_checkpassword carol cp-secret
	POP_ARGS=(--auth="checkpassword:$CP")
	ONEPOP_CANARY=leak pop "USER carol" "PASS cp-secret" QUIT
	assert_success
	assert_equal "$(od -An -c "$BATS_TEST_TMPDIR/cp.fd3" | tr -s ' ')" \
		"$(printf 'carol\0cp-secret\0\0' | od -An -c | tr -s ' ')"
	# argv[1] is the next program: onepop itself in its reply mode.
	assert_equal "$(sed -n 2p "$BATS_TEST_TMPDIR/cp.argv")" --checkpassword-reply
	run grep -E '^(ONEPOP_CANARY|HOME|USER)=' "$BATS_TEST_TMPDIR/cp.env"
	assert_failure
	run grep -x 'PATH=/usr/local/bin:/usr/bin:/bin' "$BATS_TEST_TMPDIR/cp.env"
	assert_success
}

@test "checkpassword: exit 1 is a wrong password, -ERR [AUTH]" {
	write_checkpassword carol cp-secret
	POP_ARGS=(--auth="checkpassword:$CP")
	pop "USER carol" "PASS nope" "USER mallory" "PASS cp-secret" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	assert_line --index 4 --regexp '^-ERR \[AUTH\] '
	assert_line --index 5 --regexp '^-ERR '
}

@test "checkpassword: exit 111 is a temporary failure, -ERR [SYS/TEMP]" {
	printf '#!/bin/sh\nexit 111\n' >"$CP"
	chmod 755 "$CP"
	POP_ARGS=(--auth="checkpassword:$CP")
	pop "USER carol" "PASS x" QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] '
}

@test "checkpassword: PROG must be an absolute path to an executable (exit 2)" {
	run_onepop --auth=checkpassword:checkpassword
	assert_failure 2
	run_onepop --auth="checkpassword:$BATS_TEST_TMPDIR/none"
	assert_failure 2
}

@test "checkpassword: as root a program that leaves uid 0 is refused, --allow-root serves" {
	require_root
	write_checkpassword carol cp-secret no
	POP_ARGS=(--auth="checkpassword:$CP" --mailbox="$MAILDIR")
	pop "USER carol" "PASS cp-secret" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/PERM\] '
	refute_output --regexp '^\+OK 5 '
	POP_ARGS+=(--allow-root)
	pop "USER carol" "PASS cp-secret" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "checkpassword: as root the session runs with the uid the program chose" {
	require_root
	write_checkpassword carol cp-secret
	POP_ARGS=(--auth="checkpassword:$CP" --mailbox=%h/Maildir)
	session_start cp
	session_send cp "USER carol" "PASS cp-secret"
	session_wait cp 3
	pid=$(pgrep -P "${SESSION_PID[cp]}")
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	session_send cp QUIT
	session_end cp
	assert_equal "$uids" "65534 65534 65534 65534"
}

# ---------------------------------------------------------------- privilege drop

@test "as root a message file the user cannot read is not served" {
	require_root
	load_uidls
	f=$(store_path "$MAILDIR" "$UID_CRLF")
	printf 'From: root\n\nTOP-SECRET-ROOT-ONLY\n' >"$f"
	chown root:root "$f"
	chmod 600 "$f"
	n=${MSGNUM[$UID_CRLF]}
	pop "${LOGIN[@]}" UIDL "RETR 1" "RETR 2" "RETR 3" "RETR 4" "RETR $n" QUIT
	# The session (uid 65534) cannot open it, so it is not in the maildrop.
	assert_line --index 2 --regexp '^\+OK 4 messages '
	refute_output --partial "$UID_CRLF"
	refute_output --partial TOP-SECRET-ROOT-ONLY
	refute_output --regexp '^\+OK [0-9]+ octets'
	run grep -c TOP-SECRET-ROOT-ONLY "$RAW"
	assert_output 0
}

@test "as root a mailbox the user cannot enter is refused with [SYS/PERM]" {
	require_root
	chown -R root:root "$MAILDIR"
	chmod 700 "$MAILDIR"
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/PERM\] '
	refute_output --regexp '^\+OK 5 '
}

@test "as root --allow-root serves a uid 0 user, without it never" {
	require_root
	printf 'toor:{PLAIN}toor:0:0::/root::\n' >>"$PASSWD"
	pop "USER toor" "PASS toor" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/PERM\] '
	POP_ARGS=(--allow-root)
	pop "USER toor" "PASS toor" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

# ---------------------------------------------------------------- PAM

# pam_setup: a system user with a password, a supplementary group, a
# Maildir home, and a PAM service file using pam_unix for them.
pam_setup() {
	require_root
	run_onepop --auth=pam:onepop-probe --preauth=nobody
	[ "$status" -ne 2 ] || skip "onepop was built without PAM"
	[ -f /lib/x86_64-linux-gnu/security/pam_unix.so ] || ls /lib/*/security/pam_unix.so >/dev/null 2>&1 ||
		skip "pam_unix.so is not installed"
	command -v useradd >/dev/null || skip "no useradd"
	local tag
	tag=$(printf '%05d' $((RANDOM % 100000)))
	PAM_GROUP_NAME=op-g$tag
	retry_lock groupadd "$PAM_GROUP_NAME"
	PAM_USER_NAME=op-u$tag
	PAM_HOME=$BATS_TEST_TMPDIR/home/pam
	retry_lock useradd -M -d "$PAM_HOME" -s /usr/sbin/nologin -G "$PAM_GROUP_NAME" "$PAM_USER_NAME"
	retry_lock chpasswd <<<"$PAM_USER_NAME:pam-secret"
	PAM_UID=$(id -u "$PAM_USER_NAME")
	PAM_GID=$(id -g "$PAM_USER_NAME")
	PAM_SUPP=$(getent group "$PAM_GROUP_NAME" | cut -d: -f3)
	mkdir -p "$PAM_HOME"
	cp -a "$MAILDIR" "$PAM_HOME/Maildir"
	chown -R "$PAM_UID:$PAM_GID" "$PAM_HOME"
	PAM_SERVICE=onepop-test-$tag
	printf '%s\n' 'auth required pam_unix.so nodelay' 'account required pam_unix.so' \
		>"/etc/pam.d/$PAM_SERVICE"
	POP_ARGS=(--auth="pam:$PAM_SERVICE" --mailbox=%h/Maildir)
}

@test "pam: a system user logs in with the right password only" {
	pam_setup
	pop "USER $PAM_USER_NAME" "PASS wrong" "USER $PAM_USER_NAME" "PASS pam-secret" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	assert_line --index 4 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 5 "+OK 5 $TOTAL_OCTETS"
}

@test "pam: the session runs as the user with the user's groups" {
	pam_setup
	session_start pam
	session_send pam "USER $PAM_USER_NAME" "PASS pam-secret"
	session_wait pam 3
	pid=$(pgrep -P "${SESSION_PID[pam]}")
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status" | xargs -n1 | sort -n | xargs)
	capeff=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")
	session_send pam QUIT
	session_end pam
	assert_equal "$uids" "$PAM_UID $PAM_UID $PAM_UID $PAM_UID"
	assert_equal "$gids" "$PAM_GID $PAM_GID $PAM_GID $PAM_GID"
	assert_equal "$groups" "$(printf '%s\n' "$PAM_GID" "$PAM_SUPP" | sort -n | xargs)"
	assert_equal "$capeff" 0000000000000000
	run session_output pam
	assert_success
}

@test "passwd-file: a virtual user gets only its gid, not a same-named system account's groups" {
	require_root
	command -v useradd >/dev/null || skip "no useradd"
	local tag name
	tag=$(printf '%05d' $((RANDOM % 100000)))
	PAM_GROUP_NAME=op-g$tag
	retry_lock groupadd "$PAM_GROUP_NAME"
	PAM_USER_NAME=op-u$tag
	retry_lock useradd -M -d /nonexistent -s /usr/sbin/nologin -G "$PAM_GROUP_NAME" "$PAM_USER_NAME"
	name=$PAM_USER_NAME
	# The system account is in the group; the virtual user of that name is not.
	[[ " $(id -G "$name") " == *" $(getent group "$PAM_GROUP_NAME" | cut -d: -f3) "* ]] ||
		fail "setup: $name is not in $PAM_GROUP_NAME"
	printf '%s:{PLAIN}virt:%s:%s::%s::\n' "$name" "$FIX_UID" "$FIX_GID" "$HOME_ALICE" >>"$PASSWD"
	session_start pf
	session_send pf "USER $name" "PASS virt"
	session_wait pf 3
	pid=$(pgrep -P "${SESSION_PID[pf]}")
	[ -n "$pid" ] || fail "cannot find the onepop process"
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status" | xargs)
	session_send pf QUIT
	session_end pf
	assert_equal "$gids" "$FIX_GID $FIX_GID $FIX_GID $FIX_GID"
	assert_equal "$groups" "$FIX_GID"
	run session_output pf
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "pam: a locked account is refused" {
	pam_setup
	retry_lock usermod -L "$PAM_USER_NAME"
	pop "USER $PAM_USER_NAME" "PASS pam-secret" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	refute_output --regexp '^\+OK 5 '
}

@test "pam: a user unknown to the system gets -ERR [AUTH] like a wrong password" {
	pam_setup
	pop "USER op-nosuchuser" "PASS pam-secret" QUIT
	assert_success
	assert_line --index 2 --regexp '^-ERR \[AUTH\] invalid user name or password$'
}
