#!/usr/bin/env bats
# --fail-state: failed logins remembered per address across connections.

setup() {
	load helpers
	common_setup
	STATE=$BATS_TEST_TMPDIR/failstate
	mkdir -m 700 "$STATE"
	POP_ARGS=(--fail-state="$STATE" --fail-limit=3 --debug)
}
teardown() { common_teardown; }

# from ADDR LINE...: a pipe session that looks like it comes from ADDR
# (tcpserver's TCPREMOTEIP, used when stdin is not a socket).
from() {
	local addr=$1
	shift
	TCPREMOTEIP=$addr pop "$@"
}

@test "an address past the limit is refused with [LOGIN-DELAY], even with the right password" {
	from 192.0.2.1 "USER alice" "PASS wrong1" QUIT
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	from 192.0.2.1 "USER alice" "PASS wrong2" QUIT
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	from 192.0.2.1 "USER alice" "PASS wrong3" QUIT
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] too many failed logins'
	from 192.0.2.1 "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] '
	refute_output --partial "+OK 5 messages"
	grep -q 'login refused: rhost=192.0.2.1 failures=3 (too many failed logins)' "$POP_ERR"
	# Another address is not affected.
	from 192.0.2.2 "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_store_unchanged
}

@test "the state is one fixed-width line per address; IPv6 names are plain files" {
	from 2001:db8::1 "USER alice" "PASS wrong" QUIT
	[ -f "$STATE/2001_db8__1" ] || fail "$(ls "$STATE")"
	run cat "$STATE/2001_db8__1"
	assert_output --regexp '^ +1 +[0-9]+$'
	assert_equal "$(wc -c <"$STATE/2001_db8__1")" 32
}

@test "failures older than --fail-ban are forgotten" {
	printf '%10u %20d\n' 50 "$(($(date +%s) - 1000))" >"$STATE/192.0.2.3"
	POP_ARGS+=(--fail-ban=900)
	from 192.0.2.3 "${LOGIN[@]}" QUIT
	assert_success
	printf '%10u %20d\n' 50 "$(($(date +%s) - 10))" >"$STATE/192.0.2.3"
	from 192.0.2.3 "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] '
}

@test "a damaged state file counts as no failures" {
	echo 'garbage' >"$STATE/192.0.2.4"
	from 192.0.2.4 "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "earlier failures of the address lengthen the delay" {
	local t0 t1 first second
	POP_ARGS=(--fail-state="$STATE" --fail-limit=50 --fail-delay=200)
	t0=$(date +%s%N)
	from 192.0.2.5 "USER alice" "PASS wrong" QUIT
	t1=$(date +%s%N)
	first=$(((t1 - t0) / 1000000))
	from 192.0.2.5 "USER alice" "PASS wrong" "USER alice" "PASS wrong" QUIT
	t0=$(date +%s%N)
	from 192.0.2.5 "USER alice" "PASS wrong" QUIT
	t1=$(date +%s%N)
	second=$(((t1 - t0) / 1000000))
	# The fourth failure waits 4 x 200 ms; the first 200 ms.
	[ "$second" -ge 800 ] || fail "fourth failure took ${second} ms"
	[ "$first" -lt "$second" ] || fail "first ${first} ms, fourth ${second} ms"
}

@test "the directory stays bounded: stale files are pruned to make room" {
	"$PYTHON" - "$STATE" <<'PY'
import os, sys, time
d = sys.argv[1]
old = int(time.time()) - 100000
for i in range(10000):
    with open(os.path.join(d, "10.0.%d.%d" % (i // 256, i % 256)), "w") as f:
        f.write("%10u %20d\n" % (1, old))
PY
	from 192.0.2.6 "USER alice" "PASS wrong" QUIT
	[ -f "$STATE/192.0.2.6" ] || fail "not recorded"
	assert_equal "$(ls "$STATE" | wc -l)" 1
}

@test "--fail-state must be an absolute path" {
	run_onepop --fail-state=relative/dir --auth=passwd-file:"$PASSWD"
	assert_failure 2
}

@test "fail2ban-regex: the shipped filter matches the refusal line too" {
	command -v fail2ban-regex >/dev/null || skip "fail2ban-regex is not installed"
	[ -f /etc/fail2ban/filter.d/common.conf ] || skip "no /etc/fail2ban/filter.d/common.conf"
	from 192.0.2.7 "USER alice" "PASS a" "USER alice" "PASS b" "USER alice" "PASS c" QUIT
	from 192.0.2.7 "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] '
	# The message as onepop logged it, on a syslog line.
	local msg
	msg=$(grep -o 'login refused: .*' "$POP_ERR")
	printf 'Nov 22 01:30:00 mailhost onepop[4242]: %s\n' "$msg" >"$BATS_TEST_TMPDIR/mail.log"
	mkdir -p "$BATS_TEST_TMPDIR/f2b/filter.d"
	cp /etc/fail2ban/filter.d/common.conf "$BATS_TEST_DIRNAME/../units/fail2ban/onepop.conf" \
		"$BATS_TEST_TMPDIR/f2b/filter.d/"
	run fail2ban-regex --config "$BATS_TEST_TMPDIR/f2b" --print-all-matched \
		"$BATS_TEST_TMPDIR/mail.log" onepop
	assert_success
	assert_output --regexp 'Lines: 1 lines, 0 ignored, 1 matched'
	assert_output --partial 192.0.2.7
}
