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

# gen_proxy HEADER LINE...: a PROXY v1 header, then the lines.
gen_proxy() { printf '%s\r\n' "$@"; }

# from ADDR LINE...: a pipe session that looks like it comes from ADDR
# (tcpserver's TCPREMOTEIP, used when stdin is not a socket).
from() {
	local addr=$1
	shift
	TCPREMOTEIP=$addr pop "$@"
}

@test "an address past the limit is refused with [LOGIN-DELAY], then before the greeting" {
	from 192.0.2.1 "USER alice" "PASS wrong1" QUIT
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	from 192.0.2.1 "USER alice" "PASS wrong2" QUIT
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	from 192.0.2.1 "USER alice" "PASS wrong3" QUIT
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] too many failed logins'
	# The next connection is turned away before the greeting.
	from 192.0.2.1 "${LOGIN[@]}" STAT QUIT
	assert_output --regexp '^-ERR \[SYS/TEMP\] too many failed logins from your address, try again in [0-9]+ seconds$'
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
	assert_output --regexp '^-ERR \[SYS/TEMP\] .* try again in (89[0-9]|900) seconds$'
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
	assert_output --regexp '^-ERR \[SYS/TEMP\] '
	# The message as onepop logged it, on a syslog line.
	local msg
	msg=$(grep -o 'login refused: .*' "$POP_ERR")
	assert_equal "$(wc -l <<<"$msg")" 1
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

# block ADDR: ADDR is past the limit (5 failures of 3, the last one now).
block() { printf '%10u %20d\n' 5 "$(date +%s)" >"$STATE/$1"; }

@test "a refused address gets one line before the greeting and nothing is read" {
	block 192.0.2.10
	from 192.0.2.10 "${LOGIN[@]}" STAT QUIT
	assert_failure 1
	assert_output --regexp '^-ERR \[SYS/TEMP\] too many failed logins from your address, try again in [0-9]+ seconds$'
	assert_crlf
	run pop_stderr
	assert_output --partial 'login refused: rhost=192.0.2.10 failures=5 (too many failed logins)'
	assert_output --partial 'session end: user=- rhost=192.0.2.10 end=auth-failures'
	refute_output --partial 'C: USER'
	# Not one more failure counted: the state is as it was.
	run cat "$STATE/192.0.2.10"
	assert_output --regexp '^ +5 +[0-9]+$'
	# --preauth has no login to refuse: it is served.
	POP_ARGS+=(--preauth=alice)
	from 192.0.2.10 STAT QUIT
	assert_success
	assert_line --index 1 "+OK 5 $TOTAL_OCTETS"
}

@test "--proxy-protocol: the address in the header is the one refused, not the proxy's" {
	block 192.0.2.77
	POP_ARGS+=(--proxy-protocol)
	TCPREMOTEIP=127.0.0.1 pop_gen gen_proxy 'PROXY TCP4 192.0.2.77 198.51.100.1 40001 110' \
		"${LOGIN[@]}" QUIT
	assert_failure 1
	assert_output --regexp '^-ERR \[SYS/TEMP\] too many failed logins'
	grep -q 'login refused: rhost=192.0.2.77 ' "$POP_ERR"
	# A blocked proxy address passes clients it names that are not.
	block 127.0.0.1
	TCPREMOTEIP=127.0.0.1 pop_gen gen_proxy 'PROXY TCP4 192.0.2.78 198.51.100.1 40001 110' \
		"${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "STLS: the refusal is the plain first line; implicit TLS: closed before the handshake" {
	load edge
	make_cert
	block 192.0.2.11
	POP_ARGS+=(--tls=starttls --tls-cert="$CERT" --tls-key="$KEY")
	from 192.0.2.11 STLS QUIT
	assert_failure 1
	assert_output --regexp '^-ERR \[SYS/TEMP\] too many failed logins'
	POP_ARGS=(--fail-state="$STATE" --fail-limit=3 --debug --tls=implicit --tls-cert="$CERT"
		--tls-key="$KEY")
	from 192.0.2.11 QUIT
	assert_failure 1
	# Not a byte sent, and no handshake: a plain line would be garbage to
	# a TLS client, and the handshake is the cost being saved.
	[ ! -s "$RAW" ] || fail "sent: $(od -c "$RAW" | head -3)"
	grep -q 'login refused: rhost=192.0.2.11 ' "$POP_ERR"
	run grep -ci 'tls' "$POP_ERR"
	assert_output 0
}
