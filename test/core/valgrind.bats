#!/usr/bin/env bats
# valgrind memcheck over transcripts that together use every command, every
# way a session ends and both authentication paths: no error, no leak.
# Skipped when valgrind is missing or the binary is built with ASan (the
# two do not mix; the ASan build runs the other suites instead).

setup() {
	load ../helpers
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	! ldd "$ONEPOP" 2>/dev/null | grep -q libasan || skip "ASan build: valgrind does not apply"
	common_setup
	REAL_ONEPOP=$ONEPOP
	VGLOG=$BATS_TEST_TMPDIR/vg
	mkdir -p "$VGLOG"
	chmod 777 "$VGLOG"
	# Every run of $ONEPOP in the helpers goes through memcheck; a leak of
	# any kind but "still reachable" (static option strings) is an error.
	ONEPOP=$BATS_TEST_TMPDIR/onepop-vg
	cat >"$ONEPOP" <<-SH
	#!/bin/sh
	exec valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full \\
		--show-leak-kinds=definite,indirect,possible \\
		--errors-for-leak-kinds=definite,indirect,possible \\
		--log-file=$VGLOG/vg.%p "$REAL_ONEPOP" "\$@"
	SH
	chmod +x "$ONEPOP"
	POP_LIMIT=60
}

teardown() {
	common_teardown
}

# assert_memcheck_clean: every valgrind log is empty (and there was one).
assert_memcheck_clean() {
	local f n=0
	for f in "$VGLOG"/vg.*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		[ ! -s "$f" ] || fail "memcheck: $(cat "$f")"
	done
	[ "$n" -gt 0 ] || fail "valgrind wrote no log: did it run?"
}

@test "memcheck: every TRANSACTION command, then QUIT with deletions" {
	load_uidls
	pop "${LOGIN[@]}" CAPA STAT LIST "LIST 2" UIDL "UIDL 3" "RETR 1" "RETR 3" "RETR 5" \
		"TOP 2 0" "TOP 4 1" "DELE 1" RSET "DELE ${MSGNUM[$UID_DOTS]}" NOOP QUIT
	assert_success
	assert_line --index 1 "+OK send PASS"
	assert_line --regexp '^\+OK goodbye$'
	assert_store_without "$UID_DOTS"
	assert_memcheck_clean
}

@test "memcheck: failed logins (plain, crypt, unknown user) to the limit" {
	pop "USER bob" "PASS wrong" "USER nobody" "PASS x" "PASS early" "USER alice" "PASS bad"
	assert_failure 1
	assert_equal "$(count_lines '^-ERR \[AUTH\]')" 3
	assert_memcheck_clean
}

@test "memcheck: crypt login and APOP login" {
	pop "USER bob" "PASS hunter2" STAT QUIT
	assert_success
	session_start apop
	session_wait apop 1
	ts=$(head -n 1 "$BATS_TEST_TMPDIR/session.apop/raw" | grep -o '<[^>]*>')
	digest=$(printf '%s%s' "$ts" secret | md5sum | cut -d' ' -f1)
	session_send apop "APOP alice $digest" STAT QUIT
	session_end apop
	run --keep-empty-lines session_output apop
	assert_success
	assert_line --index 1 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_memcheck_clean
}

@test "memcheck: preauth session with RSET and QUIT" {
	POP_ARGS=(--preauth=alice)
	pop STAT "DELE 1" "DELE 2" RSET "UIDL" "TOP 1 3" QUIT
	assert_success
	assert_store_unchanged
	assert_memcheck_clean
}

@test "memcheck: hostile input (long lines, NUL, bad numbers) to the bad-command limit" {
	long=$(printf 'x%.0s' $(seq 5000))
	printf 'USER alice\r\nPASS secret\r\n%s\r\nNO\0OP\r\nRETR 0\r\nRETR 99999999999999999999\r\nTOP 1 -1\r\nDELE abc\r\nLIST 1 2\r\nXYZZY\r\nUSER x\r\n%s\r\n%s\r\n%s\r\n%s\r\n%s\r\n' \
		"$long" A B C D E >"$BATS_TEST_TMPDIR/in"
	pop_file "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	assert_line --regexp '^-ERR too many bad commands'
	assert_store_unchanged
	assert_memcheck_clean
}

@test "memcheck: EOF in TRANSACTION after RETR (no QUIT) and debug logging" {
	POP_ARGS=(--debug)
	pop "${LOGIN[@]}" "RETR 1" "DELE 1"
	assert_failure 1
	assert_store_unchanged
	assert_memcheck_clean
}

@test "memcheck: a locked mailbox ([IN-USE]) and a missing one ([SYS/PERM])" {
	POP_ARGS=(--preauth=alice)
	session_start holder
	session_wait holder 1
	pop STAT QUIT
	assert_failure 1
	assert_line --index 0 --regexp '^-ERR \[IN-USE\]'
	session_send holder QUIT
	session_end holder
	POP_ARGS=(--preauth=alice "--mailbox=$BATS_TEST_TMPDIR/nonexistent")
	pop STAT QUIT
	assert_failure 1
	assert_line --index 0 --regexp '^-ERR \[SYS/PERM\]'
	assert_memcheck_clean
}

# Regression: a string option given twice leaked the first copy.
@test "memcheck: string options given twice (config file, then argv) leak nothing" {
	printf 'greeting = from the file\ngoodbye = bye\nmailbox = /nonexistent\n' \
		>"$BATS_TEST_TMPDIR/conf"
	POP_ARGS=("--config=$BATS_TEST_TMPDIR/conf" "--greeting=from argv" "--mailbox=$MAILBOX"
		--preauth=alice --preauth=alice)
	pop QUIT
	assert_success
	assert_line --index 0 "+OK from argv"
	assert_line --index 1 "+OK bye"
	assert_memcheck_clean
}
