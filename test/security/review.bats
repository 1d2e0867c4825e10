#!/usr/bin/env bats
# What a security review tried as a hostile user or a hostile local mail
# writer (issue 15): each test names the item it shows. Users and groups
# made here (root only) are removed in teardown.

setup() {
	load ../helpers
	load ../stores
	common_setup
	CP=$BATS_TEST_TMPDIR/checkpassword
	MADE_USER= MADE_GROUP= PAM_SERVICE_FILE=
}

teardown() {
	common_teardown
	if [ -n "$MADE_USER" ]; then retry_lock userdel "$MADE_USER" 2>/dev/null || :; fi
	if [ -n "$MADE_GROUP" ]; then retry_lock groupdel "$MADE_GROUP" 2>/dev/null || :; fi
	if [ -n "$PAM_SERVICE_FILE" ]; then rm -f "$PAM_SERVICE_FILE"; fi
}

# onepop_pid NAME: the onepop process of session NAME (its timeout's child).
onepop_pid() {
	local pid
	pid=$(child_pids "${SESSION_PID[$1]}" | head -1)
	[ -n "$pid" ] || fail "cannot find the onepop process of session $1"
	echo "$pid"
}

# alive PID: the process exists and is not a zombie.
alive() {
	[ -r "/proc/$1/stat" ] && ! sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
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

# ---------------------------------------------------------------- item 9
# A FIFO where a mail writer controls the names used to hang the session
# (holding the lock) with --timeout unable to end it.

@test "#9 a FIFO named like an MH message is not a message and hangs nothing" {
	store_setup mh
	mkfifo "$MAILBOX/40"
	fix_owner "$MAILBOX"
	POP_ARGS+=(--timeout=2)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	[ -p "$MAILBOX/40" ]
}

@test "#9 a FIFO as .mh_sequences (read by --expire) hangs nothing" {
	store_setup mh
	mkfifo "$MAILBOX/.mh_sequences"
	fix_owner "$MAILBOX"
	POP_ARGS+=(--timeout=2 --expire=1)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	[ -p "$MAILBOX/.mh_sequences" ]
}

@test "#9 a FIFO as the MH session lock is refused, not waited on" {
	store_setup mh
	mkfifo "$MAILBOX/.onepop.lock"
	fix_owner "$MAILBOX"
	POP_ARGS+=(--timeout=2)
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] '
}

@test "#9 a FIFO as the mbox file is refused at once" {
	store_setup mbox
	rm "$MAILBOX"
	mkfifo "$MAILBOX"
	fix_owner "$BATS_TEST_TMPDIR/spool"
	POP_ARGS+=(--timeout=2 --mailbox="$MAILBOX")
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] '
}

# hang_shim: an LD_PRELOAD object whose openat() of the name $HANG_NAME
# never returns (it sleeps through signals): a stand-in for any step of a
# scan that blocks for good.
hang_shim() {
	local cc=${CC:-cc}
	command -v "$cc" >/dev/null || skip "no C compiler to build the shim"
	cat >"$BATS_TEST_TMPDIR/hang.c" <<-'C'
	#define _GNU_SOURCE
	#include <dlfcn.h>
	#include <fcntl.h>
	#include <stdarg.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	static int call(const char *fn, int dfd, const char *path, int flags, mode_t mode)
	{
		int (*real)(int, const char *, int, ...) = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, fn);
		const char *want = getenv("HANG_NAME");
		if (want && strcmp(path, want) == 0)
			for (;;)
				pause();
		return real(dfd, path, flags, mode);
	}
	#define WRAP(fn) int fn(int dfd, const char *path, int flags, ...) { \
		mode_t mode = 0; va_list ap; va_start(ap, flags); \
		if (flags & (O_CREAT | O_TMPFILE)) mode = (mode_t)va_arg(ap, int); \
		va_end(ap); return call(#fn, dfd, path, flags, mode); }
	WRAP(openat)
	WRAP(openat64)
	C
	"$cc" -shared -fPIC -o "$BATS_TEST_TMPDIR/hang.so" "$BATS_TEST_TMPDIR/hang.c" -ldl
}

@test "#9 the idle alarm stays armed during the scan: a stuck scan ends, the lock goes with it" {
	hang_shim
	store_setup mh
	POP_ARGS+=(--timeout=2)
	local start=$SECONDS
	LD_PRELOAD=$BATS_TEST_TMPDIR/hang.so HANG_NAME=3 pop "${LOGIN[@]}" STAT QUIT
	# Ended by onepop itself (not by the test's 20 s limit) within the
	# timeout and its grace.
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "still hanging after ${POP_LIMIT}s"
	[ $((SECONDS - start)) -lt 15 ] || fail "took $((SECONDS - start)) s"
	refute_output --partial "+OK 5 "
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

# ---------------------------------------------------------------- items 13, 18
# Temporary files are made with O_EXCL: what a mail writer leaves at the
# name (a hard link to another file, a FIFO, a directory) is neither
# written through nor in the way.

@test "#18 a hard link at the login-delay record's temporary name is not written through" {
	printf 'precious\n' >"$BATS_TEST_TMPDIR/victim"
	ln "$BATS_TEST_TMPDIR/victim" "$MAILDIR/onepop-login.tmp"
	fix_owner "$MAILDIR" "$BATS_TEST_TMPDIR/victim"
	POP_ARGS=(--login-delay=600)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/victim")" precious
	grep -q '^onepop-login 1 ' "$MAILDIR/onepop-login"
}

@test "#18 a hard link at the UIDL ledger's temporary name is not written through" {
	printf 'precious\n' >"$BATS_TEST_TMPDIR/victim"
	ln "$BATS_TEST_TMPDIR/victim" "$MAILDIR/onepop-uidl.tmp"
	fix_owner "$MAILDIR" "$BATS_TEST_TMPDIR/victim"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/victim")" precious
	grep -q '^onepop-uidl 1 ' "$MAILDIR/onepop-uidl"
}

@test "#18 a FIFO at the cache's temporary name neither hangs the session nor stops the cache" {
	mkfifo "$MAILDIR/onepop.cache.tmp"
	fix_owner "$MAILDIR"
	POP_ARGS=(--timeout=3)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	grep -q '^onepop-maildir-cache ' "$MAILDIR/onepop.cache"
}

@test "#13 a directory at onepop.cache.tmp does not keep a bad cache in place" {
	head -c 100000 /dev/zero | tr '\0' x >"$MAILDIR/onepop.cache"
	mkdir -p "$MAILDIR/onepop.cache.tmp/full"
	mkdir -p "$MAILDIR/onepop-uidl.tmp/full"
	fix_owner "$MAILDIR"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	# Replaced by a good one, and the ledger written too.
	grep -q '^onepop-maildir-cache ' "$MAILDIR/onepop.cache"
	grep -q '^onepop-uidl 1 ' "$MAILDIR/onepop-uidl"
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

# ---------------------------------------------------------------- item 15

@test "#15 exec: a 4 MiB message reaches a slow client whole (the timeout is idleness, per read)" {
	local helper=$BATS_TEST_TMPDIR/bighelper
	cat >"$helper" <<-'SH'
	#!/bin/bash
	# One message of 65536 lines of 62 x's and CRLF: 4 MiB on the wire.
	line=$(printf 'x%.0s' {1..62})
	msg() { yes "$line" | head -n 65536 | sed 's/$/\r/'; }
	while read -r req arg; do
		case $req in
		HELLO) echo "OK 1 big" ;;
		LIST) echo "OK 1"; echo "4194304 big1"; echo . ;;
		RETR) echo "OK 4194304"; msg; echo END ;;
		COMMIT) for ((i = 0; i < arg; i++)); do read -r _; done; echo OK ;;
		*) exit 0 ;;
		esac
	done
	SH
	chmod 755 "$helper"
	local -a std
	mapfile -t std < <(pop_std_args)
	# The reader takes 64 KiB every 0.1 s: about 6.5 s for the message,
	# more than twice --timeout.
	export PY=$PYTHON
	run bash -c 'printf "USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n" |
		timeout -k 2 60 "$@" 2>/dev/null | "$PY" -c "
import sys, time
got = bytearray()
while True:
    b = sys.stdin.buffer.read1(65536)
    if not b:
        break
    got += b
    time.sleep(0.1)
lines = bytes(got).split(b\"\\r\\n\")
print(\"x-lines\", sum(1 for l in lines if l == b\"x\" * 62))
print(\"dot\", b\"\\r\\n.\\r\\n+OK\" in got)
"' _ "$ONEPOP" "${std[@]}" --backend=exec "--exec=$helper" --timeout=3
	assert_success
	assert_line "x-lines 65536"
	assert_line "dot True"
}

# ---------------------------------------------------------------- item 11

@test "#11 checkpassword: a program that hangs is killed at the time limit, -ERR [SYS/TEMP]" {
	cat >"$CP" <<-SCRIPT
	#!/bin/bash
	echo \$\$ >"$BATS_TEST_TMPDIR/cp.pid"
	sleep 30 &
	echo \$! >"$BATS_TEST_TMPDIR/cp.child"
	wait
	SCRIPT
	chmod 755 "$CP"
	POP_ARGS=(--auth="checkpassword:$CP" --timeout=2)
	local start=$SECONDS
	pop "USER carol" "PASS x" QUIT
	[ $((SECONDS - start)) -lt 10 ] || fail "took $((SECONDS - start)) s"
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] '
	# The program and what it started are gone (or zombies waiting for
	# an init that reaps slowly).
	! alive "$(cat "$BATS_TEST_TMPDIR/cp.pid")" || fail "the checkpassword program still runs"
	! alive "$(cat "$BATS_TEST_TMPDIR/cp.child")" || fail "what it started still runs"
}

@test "#11 pam: a module that hangs is killed at the time limit, -ERR [SYS/TEMP]" {
	require_root
	run_onepop --auth=pam:onepop-probe --preauth=nobody
	[ "$status" -ne 2 ] || skip "onepop was built without PAM"
	ls /lib/*/security/pam_exec.so >/dev/null 2>&1 || skip "pam_exec.so is not installed"
	local tag=$RANDOM start
	cat >"$BATS_TEST_TMPDIR/hang.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >"$BATS_TEST_TMPDIR/pam.pid"
	exec sleep 30
	SCRIPT
	chmod 755 "$BATS_TEST_TMPDIR/hang.sh"
	PAM_SERVICE_FILE=/etc/pam.d/onepop-hang-$tag
	printf '%s\n' "auth required pam_exec.so $BATS_TEST_TMPDIR/hang.sh" 'account required pam_permit.so' \
		>"$PAM_SERVICE_FILE"
	POP_ARGS=(--auth="pam:onepop-hang-$tag" --timeout=2)
	start=$SECONDS
	pop "USER nobody" "PASS x" QUIT
	rm -f "$PAM_SERVICE_FILE"
	# pam_exec puts its program in a session of its own (setsid), out of
	# reach of the kill; the conversation's process itself is gone.
	kill "$(cat "$BATS_TEST_TMPDIR/pam.pid")" 2>/dev/null || :
	[ $((SECONDS - start)) -lt 10 ] || fail "took $((SECONDS - start)) s"
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] '
}

# ---------------------------------------------------------------- item 7
# The kept group mail is for the dotlock and the rewrite of the spool file
# only, and only where the user cannot point the path elsewhere.

# spool_user7: a system user outside group mail, a root:mail 2775 spool
# with the user's mailbox, and a home of the user's own.
spool_user7() {
	require_root
	getent group mail >/dev/null || skip "no group mail"
	command -v useradd >/dev/null || skip "no useradd"
	MADE_USER=op-s$(printf '%05d' $((RANDOM % 100000)))
	retry_lock useradd -M -N -g nogroup -d /nonexistent -s /usr/sbin/nologin "$MADE_USER" ||
		skip "cannot create a user"
	! id -nG "$MADE_USER" | grep -qw mail || fail "$MADE_USER is in group mail"
	store_setup mbox
	SPOOL=$BATS_TEST_TMPDIR/spool
	U_HOME=$BATS_TEST_TMPDIR/uhome
	mkdir -p "$U_HOME"
	mv "$MAILBOX" "$SPOOL/$MADE_USER"
	chown root:mail "$SPOOL"
	chmod 2775 "$SPOOL"
	chown "$MADE_USER:mail" "$SPOOL/$MADE_USER"
	chmod 660 "$SPOOL/$MADE_USER"
	chown "$MADE_USER:nogroup" "$U_HOME"
	printf '%s:{PLAIN}secret:%s:%s::%s::\n' "$MADE_USER" "$(id -u "$MADE_USER")" \
		"$(id -g "$MADE_USER")" "$U_HOME" >"$PASSWD"
	LOGIN=("USER $MADE_USER" "PASS secret")
}

@test "#7 the login-delay record is made with the user's own group, not the kept mail group" {
	spool_user7
	# An mbox in the user's own directory: nothing needs the mail group.
	mv "$SPOOL/$MADE_USER" "$U_HOME/mbox"
	chown "$MADE_USER:nogroup" "$U_HOME/mbox"
	POP_ARGS=(--backend=mbox --mailbox=%h/mbox --login-delay=60)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_equal "$(stat -c '%U %G' "$U_HOME/mbox.onepop-login")" "$MADE_USER nogroup"
}

@test "#7 a symlink of the user's to the spool gets no file made there with the mail group" {
	spool_user7
	ln -s "$SPOOL" "$U_HOME/Mail"
	chown -h "$MADE_USER:nogroup" "$U_HOME/Mail"
	POP_ARGS=(--backend=mbox --mailbox=%h/Mail/%u --login-delay=60)
	pop "${LOGIN[@]}" STAT "DELE 1" QUIT
	# Whatever the answers, nothing but the mailbox is in the spool.
	run ls -A "$SPOOL"
	assert_output "$MADE_USER"
}

@test "#7 the spool itself still gets the dotlock and rewrite with the mail group" {
	spool_user7
	POP_ARGS=(--backend=mbox --mailbox="$SPOOL/%u" --login-delay=60)
	pop "${LOGIN[@]}" STAT "DELE 1" QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_equal "$(stat -c '%U %G %a' "$SPOOL/$MADE_USER")" "$MADE_USER mail 660"
	run ls -A "$SPOOL"
	assert_output "$MADE_USER"
}

# max_rss_kb FILE: the peak RSS /usr/bin/time wrote to FILE (kB).
max_rss_kb() { tail -1 "$1"; }

# pop_rss LINE...: pop, with onepop's peak RSS in kB in $RSS_KB.
pop_rss() {
	[ -x /usr/bin/time ] || skip "no /usr/bin/time to measure RSS"
	local real=$ONEPOP
	ONEPOP=$BATS_TEST_TMPDIR/timed-onepop
	printf '#!/bin/sh\nexec /usr/bin/time -f %%M -o "%s" "%s" "$@"\n' \
		"$BATS_TEST_TMPDIR/rss" "$real" >"$ONEPOP"
	chmod 755 "$ONEPOP"
	pop "$@"
	ONEPOP=$real
	RSS_KB=$(max_rss_kb "$BATS_TEST_TMPDIR/rss")
	echo "# peak RSS ${RSS_KB} kB" >&3
}

@test "#13 a 64 MB onepop.cache of valid-looking lines costs no memory for a 5-message Maildir" {
	awk 'BEGIN {
		print "onepop-maildir-cache 2"; print "new 0 0 0 0"; print "cur 0 0 0 0"
		for (i = 0; i < 1500000; i++) printf "10 11 %d new/%d.M%dP1.hostile\n", i + 1, 1000000000 + i, i
		print "end 1500000 0000000000000000"
	}' >"$MAILDIR/onepop.cache"
	fix_owner "$MAILDIR"
	pop_rss "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	[ "$RSS_KB" -lt 32768 ] || fail "peak RSS $RSS_KB kB"
}

@test "#13 a 64 MB UIDL ledger costs no memory for a 5-message Maildir" {
	{
		echo "onepop-uidl 1 0"
		head -c 67108864 /dev/zero | tr '\0' 'u'
		echo
	} >"$MAILDIR/onepop-uidl"
	fix_owner "$MAILDIR"
	pop_rss "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	[ "$RSS_KB" -lt 32768 ] || fail "peak RSS $RSS_KB kB"
}

# ---------------------------------------------------------------- item 12
# A message of one 64 MiB line: STAT and RETR must not cost memory in
# proportion (before: the parsers held the whole line).

# long_line_message FILE [FROM_LINE]: a header, then one 64 MiB line of x.
long_line_message() {
	{
		[ -z "${2:-}" ] || printf '%s\n' "$2"
		printf 'From: a@example.org\nSubject: one long line\n\n'
		head -c 67108864 /dev/zero | tr '\0' x
		printf '\n'
	} >"$1"
}

# rss_session: USER/PASS/STAT/RETR 1/QUIT through onepop under
# /usr/bin/time; checks that RETR sends exactly what STAT announced, the
# long line whole; sets RSS_KB.
rss_session() {
	[ -x /usr/bin/time ] || skip "no /usr/bin/time to measure RSS"
	local -a std
	mapfile -t std < <(pop_std_args)
	printf 'USER alice\r\nPASS secret\r\nSTAT\r\nRETR 1\r\nQUIT\r\n' |
		timeout -k 2 60 /usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" \
			"$ONEPOP" "${std[@]}" "${POP_ARGS[@]}" >"$RAW" 2>"$POP_ERR"
	RSS_KB=$(max_rss_kb "$BATS_TEST_TMPDIR/rss")
	echo "# peak RSS ${RSS_KB} kB" >&3
	run "$PYTHON" - "$RAW" <<-'PY'
	import sys
	raw = open(sys.argv[1], "rb").read()
	lines = raw.split(b"\r\n", 4)
	stat = lines[3].split()
	assert stat[:2] == [b"+OK", b"1"], lines[3]
	assert lines[4].startswith(b"+OK"), lines[4][:80]
	body = lines[4].split(b"\r\n", 1)[1]
	end = body.index(b"\r\n.\r\n")
	msg = body[:end + 2]
	assert len(msg) == int(stat[2]), (len(msg), stat[2])
	assert msg.endswith(b"\r\n\r\n" + b"x" * 67108864 + b"\r\n"), "the long line is not whole"
	assert body[end + 5:].startswith(b"+OK"), "no QUIT reply"
	print("ok")
	PY
	assert_success
	assert_output ok
}

@test "#12 mbox: a 64 MiB line is scanned and sent in bounded memory" {
	store_setup mbox
	long_line_message "$MAILBOX" "From a@example.org Thu Jan  1 00:00:00 2024"
	fix_owner "$BATS_TEST_TMPDIR/spool"
	POP_ARGS+=(--mailbox="$MAILBOX")
	rss_session
	[ "$RSS_KB" -lt 32768 ] || fail "peak RSS $RSS_KB kB"
}

@test "#12 mh: a 64 MiB line is scanned and sent in bounded memory" {
	store_setup mh
	rm -f "$MAILBOX"/*
	long_line_message "$MAILBOX/1"
	fix_owner "$MAILBOX"
	POP_ARGS+=(--mailbox="$MAILBOX")
	rss_session
	[ "$RSS_KB" -lt 32768 ] || fail "peak RSS $RSS_KB kB"
}
