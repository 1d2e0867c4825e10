#!/usr/bin/env bats
# onepop --check-config (-t): the options checked as a session would check
# them, plus every file, directory, program and user they name; the
# effective settings one a line; exit 0, or 2 with every problem listed.

setup() {
	load ../helpers
	load ../edge
	common_setup
	T=$BATS_TEST_TMPDIR
	make_cert
	printf '# users\nalice:{PLAIN}secret:1000:1000::/home/alice::\nbob:{SHA512-CRYPT}$6$salt$hash:1001:1001::/home/bob::\n' >"$T/passwd"
	mkdir -m 0700 "$T/fail"
	printf '%s\n' "auth = passwd-file:$T/passwd" "backend = maildir" "mailbox = $T/%u/Maildir" \
		"tls = starttls" "tls-cert = $CERT" "tls-key = $KEY" "fail-state = $T/fail" \
		"timeout = 300" >"$T/good.conf"
}

teardown() { common_teardown; }

# Make assert_line and assert_output look at stderr (run --separate-stderr).
use_stderr() {
	output=$stderr
	lines=("${stderr_lines[@]}")
}

@test "check-config: a good config exits 0 and prints the effective settings, one a line" {
	run --separate-stderr "$ONEPOP" --check-config --config="$T/good.conf" --fail-delay=250
	assert_success
	[ -z "$stderr" ]
	assert_line "auth = passwd-file:$T/passwd"
	assert_line "backend = maildir"
	assert_line "mailbox = $T/%u/Maildir"
	assert_line "tls = starttls"
	assert_line "tls-cert = $CERT"
	assert_line "tls-key = $KEY"
	assert_line "fail-state = $T/fail"
	assert_line "timeout = 300"
	assert_line "fail-delay = 250"        # the command line after the file
	assert_line "fail-limit = 10"         # a default
	assert_line "tls-ktls = off"          # a default
	# every line is "key = value", a config onepop reads back the same
	echo "$output" | grep -v '^auth\|^tls' >"$T/again.conf"
	run grep -cv '^[a-z-]* = ' <<<"$output"
	assert_output 0
	run --separate-stderr "$ONEPOP" --check-config --config="$T/again.conf" \
		--auth="passwd-file:$T/passwd"
	assert_success
}

@test "check-config: -t alone is the check, -t N stays --timeout" {
	run --separate-stderr "$ONEPOP" -t --config="$T/good.conf"
	assert_success
	assert_line "timeout = 300"
	run --separate-stderr "$ONEPOP" --config="$T/good.conf" -t 42 -t
	assert_success
	assert_line "timeout = 42"
	run --separate-stderr "$ONEPOP" --config="$T/good.conf" -t7 -t
	assert_line "timeout = 7"
	# and -t N without the check still serves a session
	POP_ARGS=(-t 5)
	pop "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 --partial "+OK"
}

@test "check-config: every problem at once, with passwd-file line numbers, exit 2" {
	# line 3: no password; line 4: bad uid; line 5: unknown scheme
	printf 'alice:{PLAIN}secret:1000:1000::/h::\n\nbroken\ncarol:{PLAIN}x:12a:1000::/h::\ndave:{ROT13}x:1000:1000::/h::\n' >"$T/passwd"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$T/other.key" -out "$T/other.pem" -days 2 -subj /CN=other >/dev/null 2>&1
	run --separate-stderr "$ONEPOP" -t --config="$T/good.conf" --tls-key="$T/other.key" \
		--fail-state="$T/nonexistent" --mailbox="$T/%x/Maildir" --backend=mbox \
		--mail-group=no-such-group-onepop
	assert_failure 2
	use_stderr
	assert_line --regexp "passwd-file $T/passwd:3: "
	assert_line --regexp "passwd-file $T/passwd:4: carol: uid is not a number"
	assert_line --regexp "passwd-file $T/passwd:5: dave: unknown password scheme"
	refute_line --regexp "passwd:(1|2):"
	assert_line --partial "--fail-state $T/nonexistent: No such file or directory"
	assert_line --partial "--mailbox $T/%x/Maildir:"
	assert_line --partial "--mail-group no-such-group-onepop: no such group"
	assert_line --regexp 'key|private'     # the key does not match the certificate
	assert_line "onepop: check: 7 problems"
}

@test "check-config: missing certificate, checkpassword and exec programs that cannot run" {
	: >"$T/notexec"
	chmod 0644 "$T/notexec"
	run --separate-stderr "$ONEPOP" -t --tls=implicit --tls-cert="$T/missing.pem" \
		--auth="checkpassword:$T/notexec" --backend=exec --exec="$T/nothere"
	assert_failure 2
	use_stderr
	assert_line --partial "--tls-cert $T/missing.pem: No such file or directory"
	assert_line --partial "checkpassword program $T/notexec: not an executable file"
	assert_line --partial "--exec=$T/nothere: No such file or directory"
	assert_line --partial "bad options for backend exec"
	assert_line "onepop: check: 3 problems"   # each said once
	run --separate-stderr "$ONEPOP" -t --auth=pam:no-such-service-onepop --preauth=no-such-user-onepop
	assert_failure 2
	use_stderr
	assert_line --partial "PAM service no-such-service-onepop: no /etc/pam.d/no-such-service-onepop"
	assert_line --partial "--preauth no-such-user-onepop: no such user"
}

@test "check-config: as root, a missing privilege-separation user is a problem saying how to make it" {
	require_root
	run --separate-stderr "$ONEPOP" -t --config="$T/good.conf" --privsep-user=no-such-user-onepop
	assert_failure 2
	use_stderr
	assert_line --partial "--privsep-user no-such-user-onepop: no such user; make it with: useradd --system"
}

@test "check-config: a fail-state directory others can write is a problem" {
	require_root
	chmod 0777 "$T/fail"
	run --separate-stderr "$ONEPOP" -t --config="$T/good.conf"
	assert_failure 2
	[[ "$stderr" == *"--fail-state $T/fail: others may write it"* ]]
}

@test "check-config: a config file's bad lines are all reported" {
	printf 'bogus = 1\ntimeout = x\nbackend = maildir\nalso-bogus\n' >"$T/bad.conf"
	run --separate-stderr "$ONEPOP" -t --config="$T/bad.conf"
	assert_failure 2
	use_stderr
	assert_line --partial "bad.conf:1: unknown key or missing value: bogus"
	assert_line --partial "--timeout: not a number"
	assert_line --partial "bad.conf:4: unknown key or missing value: also-bogus"
}
