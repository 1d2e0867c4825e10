#!/usr/bin/env bats
# Findings of the security review about logins (SECURITY.md "Logins"):
# --debug never logs a secret; failures answer at one deadline whatever
# the user or hash; a refused address learns nothing from a right guess.

setup() {
	load ../helpers
	common_setup
}
teardown() { common_teardown; }

@test "--debug masks a PASS with a leading space and an AUTH response after a refused AUTH; the mechanism stays" {
	POP_ARGS=(--debug)
	pop "USER alice" " PASS secret" "AUTH FOO" "c2VjcmV0MQ==" "AUTH PLAIN AGFsaWNlAHNlY3JldDI=" \
		"APOP alice 0123456789abcdef0123456789abcdef" QUIT
	run cat "$POP_ERR"
	refute_output --partial "secret"
	refute_output --partial "c2VjcmV0MQ"
	refute_output --partial "AGFsaWNlAHNlY3JldDI"
	refute_output --partial "0123456789abcdef"
	assert_output --partial "C: AUTH FOO"
	assert_output --partial "C: AUTH PLAIN ***"
	assert_output --partial "C: APOP alice ***"
	assert_output --partial "C: USER alice"
}

# A passwd-file with one user of each hash kind (alice {PLAIN} and bob
# SHA512-CRYPT are the fixture's).
hash_kinds() {
	local y b
	y=$("$PYTHON" -W ignore -c 'import crypt; print(crypt.crypt("pw", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$"))')
	b=$("$PYTHON" -W ignore -c 'import crypt; print(crypt.crypt("pw", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))')
	[[ $y == '$y$'* && $b == '$2'* ]] || skip "this libcrypt makes no yescrypt or bcrypt hash"
	printf 'yes:%s:%s:%s::%s::\nblf:{BLF-CRYPT}%s:%s:%s::%s::\n' \
		"$y" "$FIX_UID" "$FIX_GID" "$HOME_ALICE" "$b" "$FIX_UID" "$FIX_GID" "$HOME_ALICE" >>"$PASSWD"
}

@test "a failed login answers at one deadline: {PLAIN}, SHA512, yescrypt, bcrypt and unknown users alike" {
	hash_kinds
	run "$PYTHON" "$LIBDIR/fail_timing.py" 3 alice bob yes blf nosuchuser -- \
		"$ONEPOP" --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --fail-delay=1000
	assert_success
	echo "$output" | sed 's/^/# /' >&3
	# Every reply is the same text, and no sooner than the delay ...
	[ "$(cut -d' ' -f3- <<<"$output" | sort -u)" = "-ERR [AUTH] invalid user name or password" ] ||
		fail "replies differ: $output"
	min=$(cut -d' ' -f2 <<<"$output" | sort -n | head -n1)
	max=$(cut -d' ' -f2 <<<"$output" | sort -n | tail -n1)
	[ "$min" -ge 990 ] || fail "a failure answered in $min ms, before the 1000 ms delay"
	# ... and the kinds cannot be told apart: yescrypt and bcrypt cost
	# 0.1-0.3 s more than {PLAIN}, which a delay slept after the check
	# would add on top.
	[ $((max - min)) -le 150 ] || fail "failures took $min..$max ms: the hash kinds show"
}

@test "an address over --fail-limit: a right and a wrong password get the same refusal at the same time" {
	local state=$BATS_TEST_TMPDIR/fail t0 t1 right wrong
	mkdir -m 700 "$state"
	POP_ARGS=(--fail-state="$state" --fail-limit=2 --fail-delay=400)
	# Both sessions are in before the address is over the limit ...
	session_start A
	session_start B
	session_wait A 1
	session_wait B 1
	# ... which two failures elsewhere then bring about.
	pop "USER alice" "PASS wrong" "USER alice" "PASS wrong" QUIT
	session_send A "USER alice"
	session_wait A 2
	session_send B "USER alice"
	session_wait B 2
	t0=$(date +%s%N)
	session_send A "PASS secret"
	session_wait A 3
	t1=$(date +%s%N)
	right=$(( (t1 - t0) / 1000000 ))
	t0=$(date +%s%N)
	session_send B "PASS wrong"
	session_wait B 3
	t1=$(date +%s%N)
	wrong=$(( (t1 - t0) / 1000000 ))
	echo "# right ${right} ms, wrong ${wrong} ms" >&3
	assert_equal "$(sed -n 3p "$BATS_TEST_TMPDIR/session.A/raw")" "$(sed -n 3p "$BATS_TEST_TMPDIR/session.B/raw")"
	grep -q '^-ERR \[LOGIN-DELAY\]' "$BATS_TEST_TMPDIR/session.A/raw" || fail "A: $(cat "$BATS_TEST_TMPDIR/session.A/raw")"
	# The refusal waits the delay for a right password too (400 ms,
	# times the address's failures).
	[ "$right" -ge 390 ] || fail "a right password was refused in $right ms (wrong: $wrong ms)"
	[ $((right > wrong ? right - wrong : wrong - right)) -le 250 ] ||
		fail "right $right ms, wrong $wrong ms"
	assert_store_unchanged
}

# pam_service NAME LINE...: a PAM service file for this test (removed in
# teardown by pam_cleanup).
pam_service() {
	local name=$1
	shift
	PAM_FILES+=("/etc/pam.d/$name")
	printf '%s\n' "$@" >"/etc/pam.d/$name"
}
pam_cleanup() {
	local f
	for f in "${PAM_FILES[@]}"; do rm -f "$f"; done
	[ -z "${PAM_TEST_USER:-}" ] || retry_lock userdel "$PAM_TEST_USER"
}
pam_or_skip() {
	require_root
	run_onepop --auth=pam:onepop-probe --preauth=nobody
	[ "$status" -ne 2 ] || skip "onepop was built without PAM"
	ls /lib/*/security/pam_exec.so /lib/*/security/pam_unix.so >/dev/null 2>&1 ||
		skip "pam_exec.so or pam_unix.so is not installed"
	PAM_FILES=()
}

@test "PAM sees the client: PAM_RHOST is the client's address, PAM_TTY is set" {
	pam_or_skip
	local tag=$RANDOM
	cat >"$BATS_TEST_TMPDIR/env.sh" <<-SCRIPT
	#!/bin/sh
	echo "rhost=\$PAM_RHOST tty=\$PAM_TTY user=\$PAM_USER" >>"$BATS_TEST_TMPDIR/pam.env"
	SCRIPT
	chmod 755 "$BATS_TEST_TMPDIR/env.sh"
	pam_service "onepop-env-$tag" "auth required pam_exec.so $BATS_TEST_TMPDIR/env.sh" \
		"auth required pam_deny.so" "account required pam_permit.so"
	POP_ARGS=(--auth="pam:onepop-env-$tag")
	TCPREMOTEIP=192.0.2.61 pop "USER nobody" "PASS x" QUIT
	pam_cleanup
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	run cat "$BATS_TEST_TMPDIR/pam.env"
	assert_output "rhost=192.0.2.61 tty=onepop user=nobody"
}

@test "PAM: a wrong password for a real user and an unknown user answer at the same deadline (pam_unix's own delay is not slept)" {
	pam_or_skip
	local tag=$RANDOM
	PAM_TEST_USER=op-t$tag
	retry_lock useradd -M -d /nonexistent -s /usr/sbin/nologin "$PAM_TEST_USER"
	retry_lock chpasswd <<<"$PAM_TEST_USER:right-one"
	# pam_unix without nodelay: it asks for its 2 s failure delay.
	pam_service "onepop-delay-$tag" "auth required pam_unix.so" "account required pam_unix.so"
	run "$PYTHON" "$LIBDIR/fail_timing.py" 2 "$PAM_TEST_USER" no-such-user-$tag -- \
		"$ONEPOP" --auth="pam:onepop-delay-$tag" --mailbox="$MAILBOX" --fail-delay=1000
	pam_cleanup
	assert_success
	echo "$output" | sed 's/^/# /' >&3
	min=$(cut -d' ' -f2 <<<"$output" | sort -n | head -n1)
	max=$(cut -d' ' -f2 <<<"$output" | sort -n | tail -n1)
	[ "$min" -ge 990 ] || fail "a failure answered in $min ms"
	[ $((max - min)) -le 250 ] || fail "failures took $min..$max ms: PAM's delay or the user shows"
}
