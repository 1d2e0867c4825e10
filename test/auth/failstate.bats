#!/usr/bin/env bats
# --fail-state: failed logins remembered per address across connections.

setup() {
	load ../helpers
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

# record_of KEY: the table's record for KEY (its set is salted: search).
record_of() { tr '\0' '\n' <"$STATE/failures" | grep "^$1 "; }

@test "the state is one table of fixed 64-octet records; IPv6 clients count per /64" {
	from 2001:db8:1:2::1 "USER alice" "PASS wrong" QUIT
	[ -f "$STATE/failures" ] || fail "$(ls "$STATE")"
	assert_equal "$(ls "$STATE")" failures
	run record_of 2001:db8:1:2::/64
	assert_output --regexp '^2001:db8:1:2::/64 +1 +[0-9]+$'
	assert_equal "$(printf '%s\n' "$output" | wc -c)" 64
	head -c 64 "$STATE/failures" | grep -q '^onepop-failstate 1 [0-9a-f]\{16\}' || fail "no header"
}

@test "IPv6: failures from many addresses of one /64 add up, and the next address of it is refused" {
	local i
	POP_ARGS=(--fail-state="$STATE" --fail-limit=10 --fail-delay=0 --debug)
	for i in 1 2 3 4 5 6 7 8 9 a; do
		from "2001:db8:5:6::$i" "USER alice" "PASS wrong" QUIT
	done
	from 2001:db8:5:6:ffff::1 "${LOGIN[@]}" QUIT
	assert_output --regexp '^-ERR \[SYS/TEMP\] too many failed logins'
	# Another /64 is someone else.
	from 2001:db8:5:7::1 "${LOGIN[@]}" QUIT
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	# An IPv4-mapped address counts as the IPv4 address.
	from ::ffff:192.0.2.44 "USER alice" "PASS wrong" QUIT
	run record_of 192.0.2.44
	assert_output --regexp '^192\.0\.2\.44 +1 '
}

@test "failures older than --fail-ban are forgotten" {
	POP_ARGS+=(--fail-ban=2 --fail-delay=0)
	from 192.0.2.3 "USER alice" "PASS a" "USER alice" "PASS b" "USER alice" "PASS c" QUIT
	from 192.0.2.3 "${LOGIN[@]}" QUIT
	assert_output --regexp '^-ERR \[SYS/TEMP\] .* try again in [12] seconds$'
	sleep 3
	from 192.0.2.3 "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "a damaged state file counts as no failures, and is started again" {
	from 192.0.2.4 "USER alice" "PASS a" "USER alice" "PASS b" "USER alice" "PASS c" QUIT
	head -c 100 /dev/urandom >"$STATE/failures"
	from 192.0.2.4 "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	from 192.0.2.4 "USER alice" "PASS wrong" QUIT
	run record_of 192.0.2.4
	assert_output --regexp '^192\.0\.2\.4 +1 '
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

@test "a flooded table keeps recording, keeps the clients over the limit, and a failure costs O(1) file operations" {
	local i
	POP_ARGS=(--fail-state="$STATE" --fail-limit=3 --fail-delay=0 --debug)
	from 198.51.100.1 "USER alice" "PASS a" "USER alice" "PASS b" "USER alice" "PASS c" QUIT
	# 20,000 other clients, one failure each, written as onepop would
	# (more than the table holds): straight into the table's sets.
	"$PYTHON" - "$STATE/failures" <<'PY'
import sys, time
path = sys.argv[1]
with open(path, "r+b") as f:
    data = bytearray(f.read())
now = int(time.time())
# Every unused or other record of every set gets a fresh client, as a
# flood of new addresses would make them: each set is full.
for off in range(64, len(data), 64):
    rec = bytes(data[off:off + 64])
    if rec.startswith(b"198.51.100.1 "):
        continue
    line = "%-31s %10u %20d\n" % ("10.%d.%d.%d" % (off >> 16 & 255, off >> 8 & 255, off & 255), 1, now - 5)
    data[off:off + 64] = line.encode()
with open(path, "wb") as f:
    f.write(data)
PY
	# The flooder's next addresses are still recorded ...
	local flooder
	for flooder in 203.0.113.1 203.0.113.2 203.0.113.3; do
		from "$flooder" "USER alice" "PASS wrong" QUIT
		record_of "$flooder" | grep -q " 1 " || fail "$flooder not recorded: $(record_of "$flooder")"
	done
	# ... the client over the limit, the newest, is still refused ...
	from 198.51.100.1 "${LOGIN[@]}" QUIT
	assert_output --regexp '^-ERR \[SYS/TEMP\] too many failed logins'
	# ... and one failure is a handful of file operations on the table,
	# not a scan of anything.
	command -v strace >/dev/null || skip "strace is not installed"
	# (LeakSanitizer cannot run under ptrace: off for this one run.)
	ASAN_OPTIONS=detect_leaks=0 TCPREMOTEIP=203.0.113.99 strace -f -qq -e trace=openat,open,pread64,pwrite64,flock,getdents64 \
		-o "$BATS_TEST_TMPDIR/st" "$ONEPOP" --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" \
		--auth-mechanisms=plain --fail-state="$STATE" --fail-delay=0 \
		< <(printf 'USER alice\r\nPASS wrong\r\nQUIT\r\n') >/dev/null 2>&1
	# The table is opened at most three times (the check before the
	# greeting, the one before the password, the count) and read and
	# written a set or a header at a time.
	opens=$(grep -c "$STATE/failures" "$BATS_TEST_TMPDIR/st")
	rw=$(grep -cE 'p(read|write)64\([0-9]+, .*, (64|256), [0-9]+\)' "$BATS_TEST_TMPDIR/st")
	[ "$opens" -le 3 ] && [ "$rw" -le 7 ] ||
		fail "$opens opens, $rw reads and writes: $(cat "$BATS_TEST_TMPDIR/st")"
	! grep -A1 "openat.*\"$STATE\"" "$BATS_TEST_TMPDIR/st" | grep -q getdents64 ||
		fail "the state directory was listed"
}

@test "--fail-state that is missing or read-only is exit 2 with the reason" {
	run_onepop --fail-state="$BATS_TEST_TMPDIR/none" --auth=passwd-file:"$PASSWD"
	assert_failure 2
	grep -qF -- "--fail-state $BATS_TEST_TMPDIR/none" "$POP_ERR"
	touch "$BATS_TEST_TMPDIR/file"
	run_onepop --fail-state="$BATS_TEST_TMPDIR/file" --auth=passwd-file:"$PASSWD"
	assert_failure 2
	grep -q "not a directory" "$POP_ERR"
	if is_root; then
		# Root writes anywhere but on a read-only file system.
		mkdir -p "$BATS_TEST_TMPDIR/ro"
		mount -t tmpfs -o size=64k,ro tmpfs "$BATS_TEST_TMPDIR/ro" || skip "cannot mount a tmpfs"
		run_onepop --fail-state="$BATS_TEST_TMPDIR/ro" --auth=passwd-file:"$PASSWD"
		umount "$BATS_TEST_TMPDIR/ro"
	else
		mkdir -m 500 "$BATS_TEST_TMPDIR/ro"
		run_onepop --fail-state="$BATS_TEST_TMPDIR/ro" --auth=passwd-file:"$PASSWD"
	fi
	assert_failure 2
	grep -q "cannot write there" "$POP_ERR"
}

@test "a failure that cannot be written is logged" {
	from 192.0.2.9 "USER alice" "PASS a" QUIT
	chmod 000 "$STATE/failures"
	chattr +i "$STATE/failures" 2>/dev/null || skip "no chattr +i here (root can write a 000 file)"
	from 192.0.2.9 "USER alice" "PASS b" QUIT
	chattr -i "$STATE/failures"
	grep -q "fail-state $STATE/failures: open: .* (this failure is not remembered)" "$POP_ERR" ||
		fail "$(cat "$POP_ERR")"
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
	cp /etc/fail2ban/filter.d/common.conf "$BATS_TEST_DIRNAME/../../units/fail2ban/onepop.conf" \
		"$BATS_TEST_TMPDIR/f2b/filter.d/"
	run fail2ban-regex --config "$BATS_TEST_TMPDIR/f2b" --print-all-matched \
		"$BATS_TEST_TMPDIR/mail.log" onepop
	assert_success
	assert_output --regexp 'Lines: 1 lines, 0 ignored, 1 matched'
	assert_output --partial 192.0.2.7
}

# block ADDR: ADDR is past the limit (5 failures of 3, the last one now),
# by failing as a client would, under a higher limit.
block() {
	local -a save=("${POP_ARGS[@]}")
	POP_ARGS=(--fail-state="$STATE" --fail-limit=50 --fail-delay=0)
	from "$1" "USER alice" "PASS a" "USER alice" "PASS b" "USER alice" "PASS c" QUIT
	from "$1" "USER alice" "PASS d" "USER alice" "PASS e" QUIT
	POP_ARGS=("${save[@]}")
}

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
	run record_of 192.0.2.10
	assert_output --regexp '^192\.0\.2\.10 +5 +[0-9]+$'
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
	load ../edge
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
