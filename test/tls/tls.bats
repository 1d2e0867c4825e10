#!/usr/bin/env bats
# TLS: STLS (RFC 2595) and implicit TLS (RFC 8314) with real clients,
# the plaintext policy, what CAPA says, pipelined input after STLS, the
# handshake timeout, certificate errors at startup and kernel TLS
# (--tls-ktls) with its fallback.

setup() {
	load ../helpers
	load ../edge
	common_setup
	make_cert
	TLS_ARGS=(--tls-cert="$CERT" --tls-key="$KEY")
}
teardown() { edge_teardown; }

capa_of() {
	printf '%s\n' "$output" | sed -n '/^+OK capability/,/^\.$/p'
}

# ------------------------------------------------------------- startup

@test "a missing certificate is exit 2 on stderr before anything is sent" {
	run_onepop --auth=passwd-file:"$PASSWD" --tls=starttls --tls-cert=/nonexistent/cert.pem
	assert_failure 2
	assert_output ""
	[ ! -s "$RAW" ] || fail "bytes sent to the client: $(cat -A "$RAW")"
	run pop_stderr
	assert_output --partial "/nonexistent/cert.pem"
	assert_output --partial "No such file"
}

@test "a key that does not match the certificate is exit 2" {
	local cert2=$BATS_TEST_TMPDIR/other.pem key2=$BATS_TEST_TMPDIR/otherkey.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$key2" -out "$cert2" -days 2 -subj /CN=other >/dev/null 2>&1
	run_onepop --auth=passwd-file:"$PASSWD" --tls=implicit --tls-cert="$CERT" --tls-key="$key2"
	assert_failure 2
	assert_output ""
	run pop_stderr
	assert_output --partial "onepop: "
}

@test "private keys in every PEM form serve a handshake: EC and RSA, PKCS#8 and traditional, Ed25519" {
	command -v openssl >/dev/null || skip "no openssl"
	local d=$BATS_TEST_TMPDIR k form
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ec.p8" 2>/dev/null
	openssl ec -in "$d/ec.p8" -out "$d/ec.sec1" 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/rsa.p8" 2>/dev/null
	openssl rsa -in "$d/rsa.p8" -traditional -out "$d/rsa.pkcs1" 2>/dev/null
	openssl genpkey -algorithm ED25519 -out "$d/ed.p8" 2>/dev/null
	grep -q 'BEGIN EC PRIVATE KEY' "$d/ec.sec1"
	grep -q 'BEGIN RSA PRIVATE KEY' "$d/rsa.pkcs1"
	for form in ec.p8 ec.sec1 rsa.p8 rsa.pkcs1 ed.p8; do
		k=$d/$form
		openssl req -x509 -new -key "$k" -days 2 -subj /CN=localhost -out "$k.crt" 2>/dev/null
		edge_server_start P --auth=passwd-file:"$PASSWD" --tls=implicit --tls-cert="$k.crt" --tls-key="$k"
		run bash -c "printf 'QUIT\r\n' | timeout 15 openssl s_client -quiet -connect 127.0.0.1:$P 2>/dev/null"
		assert_line --partial --index 0 "+OK onepop ready"
		edge_teardown
	done
}

@test "an RSA key for an EC certificate is exit 2: the key does not match" {
	local key2=$BATS_TEST_TMPDIR/rsa.pem
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key2" 2>/dev/null
	run_onepop --auth=passwd-file:"$PASSWD" --tls=implicit --tls-cert="$CERT" --tls-key="$key2"
	assert_failure 2
	assert_output ""
	run pop_stderr
	assert_output --partial "key does not match certificate"
}

@test "--tls without --tls-cert, and a bad --tls mode, are exit 2" {
	run_onepop --auth=passwd-file:"$PASSWD" --tls=starttls
	assert_failure 2
	run pop_stderr
	assert_output --partial "--tls-cert"
	run_onepop --auth=passwd-file:"$PASSWD" --tls=maybe
	assert_failure 2
	assert_output ""
}

@test "key and certificate in one PEM file, and the options from --config" {
	cat "$CERT" "$KEY" >"$BATS_TEST_TMPDIR/both.pem"
	printf 'tls = starttls\ntls-cert = %s\n' "$BATS_TEST_TMPDIR/both.pem" >"$BATS_TEST_TMPDIR/conf"
	POP_ARGS=(--config="$BATS_TEST_TMPDIR/conf")
	pop CAPA QUIT
	assert_success
	assert_line STLS
}

# ------------------------------------------------------------- policy (no handshake needed)

@test "with STLS available, plaintext logins get -ERR [AUTH] before TLS" {
	POP_ARGS=(--tls=starttls "${TLS_ARGS[@]}")
	pop "USER alice" "PASS secret" "APOP alice 0123456789abcdef0123456789abcdef" \
		"AUTH PLAIN $(b64 '\0alice\0secret')" STAT QUIT
	assert_success
	for i in 1 2 3 4; do
		assert_line --index "$i" --regexp '^-ERR \[AUTH\] '
	done
	assert_line --index 5 --regexp '^-ERR '
	assert_line --index 6 "+OK goodbye"
	assert_store_unchanged
}

@test "CAPA before STLS lists STLS, no USER, and SASL without PLAIN" {
	POP_ARGS=(--tls=starttls "${TLS_ARGS[@]}")
	pop CAPA AUTH QUIT
	assert_success
	capa=$(capa_of)
	grep -qx STLS <<<"$capa" || fail "no STLS: $capa"
	! grep -qx USER <<<"$capa" || fail "USER listed: $capa"
	grep -qx 'SASL CRAM-MD5' <<<"$capa" || fail "SASL line: $capa"
	# Bare AUTH agrees with CAPA.
	refute_line PLAIN
}

@test "--allow-plaintext: USER/PASS work before STLS and CAPA says so" {
	POP_ARGS=(--tls=starttls "${TLS_ARGS[@]}" --allow-plaintext)
	pop CAPA "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line USER
	assert_line 'SASL PLAIN CRAM-MD5'
	assert_line STLS
	assert_line "+OK 5 $TOTAL_OCTETS"
}

@test "without --tls, STLS is an error and CAPA does not list it" {
	pop CAPA STLS "${LOGIN[@]}" QUIT
	assert_success
	refute_line STLS
	assert_line --regexp '^-ERR STLS is not available'
	assert_line "+OK 5 messages ($TOTAL_OCTETS octets)"
}

# ------------------------------------------------------------- real clients

@test "openssl s_client -starttls pop3 fetches every message byte for byte" {
	command -v openssl >/dev/null || skip "no openssl"
	edge_server_start P --tls=starttls "${TLS_ARGS[@]}"
	load_uidls
	RAW=$BATS_TEST_TMPDIR/sclient.raw
	{ printf 'USER alice\r\nPASS secret\r\nRETR 1\r\nRETR 5\r\nQUIT\r\n'; sleep 2; } |
		timeout 15 openssl s_client -quiet -starttls pop3 -connect "127.0.0.1:$P" \
		>"$RAW" 2>"$BATS_TEST_TMPDIR/sclient.err" || :
	run tr -d '\r' <"$RAW"
	assert_line --index 0 "+OK send PASS"
	assert_line --index 1 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_block 3 "$WIRE_DIR/${MSGUID[1]}"
	l=$(( $(grep -c '' <(python3 "$POP3UTIL" stuff "$WIRE_DIR/${MSGUID[1]}")) + 5 ))
	assert_block "$l" "$WIRE_DIR/${MSGUID[5]}"
	assert_line "+OK goodbye"
}

@test "openssl s_client on implicit TLS fetches a message byte for byte" {
	command -v openssl >/dev/null || skip "no openssl"
	edge_server_start P --tls=implicit "${TLS_ARGS[@]}"
	load_uidls
	RAW=$BATS_TEST_TMPDIR/sclient.raw
	{ printf 'USER alice\r\nPASS secret\r\nRETR 3\r\nQUIT\r\n'; sleep 2; } |
		timeout 15 openssl s_client -quiet -connect "127.0.0.1:$P" \
		>"$RAW" 2>"$BATS_TEST_TMPDIR/sclient.err" || :
	run tr -d '\r' <"$RAW"
	assert_line --index 0 --regexp '^\+OK onepop ready'
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_block 4 "$WIRE_DIR/${MSGUID[3]}"
	assert_line "+OK goodbye"
}

@test "TLS 1.2 is accepted and TLS 1.1 refused" {
	command -v openssl >/dev/null || skip "no openssl"
	edge_server_start P --tls=implicit "${TLS_ARGS[@]}"
	run timeout 15 openssl s_client -tls1_2 -connect "127.0.0.1:$P" </dev/null
	assert_output --regexp 'Protocol *: *TLSv1\.2'
	# Lower the client's own floor so that only the server can refuse.
	run timeout 15 openssl s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
		-connect "127.0.0.1:$P" </dev/null
	assert_failure
	assert_output --partial 'alert protocol version'
}

@test "curl pop3s:// and pop3:// --ssl-reqd fetch messages byte for byte" {
	command -v curl >/dev/null || skip "no curl"
	edge_server_start IMP --tls=implicit "${TLS_ARGS[@]}"
	edge_server_start STA --tls=starttls "${TLS_ARGS[@]}"
	load_uidls
	run timeout 15 curl -sS -k -o "$BATS_TEST_TMPDIR/c1" -u alice:secret "pop3s://127.0.0.1:$IMP/2"
	assert_success
	cmp "$BATS_TEST_TMPDIR/c1" "$WIRE_DIR/${MSGUID[2]}"
	run timeout 15 curl -sS -k --ssl-reqd -o "$BATS_TEST_TMPDIR/c3" -u alice:secret "pop3://127.0.0.1:$STA/3"
	assert_success
	cmp "$BATS_TEST_TMPDIR/c3" "$WIRE_DIR/${MSGUID[3]}"
	# Without TLS, PLAIN is refused (CRAM-MD5 would still work).
	run timeout 15 curl -sS --login-options AUTH=PLAIN -u alice:secret "pop3://127.0.0.1:$STA/1"
	assert_failure
	assert_store_unchanged
}

@test "Python poplib: stls() and POP3_SSL, CAPA before and after STLS" {
	edge_server_start STA --tls=starttls "${TLS_ARGS[@]}"
	edge_server_start IMP --tls=implicit "${TLS_ARGS[@]}"
	run timeout 30 python3 "$EDGE" poplib-stls "$STA" "$WIRE_DIR"
	assert_success
	assert_line --index 0 --regexp 'STLS'
	assert_line --index 0 --regexp 'SASL=CRAM-MD5 '
	refute_line --index 0 --regexp ' USER'
	refute_line --index 1 --regexp 'STLS'
	assert_line --index 1 --regexp 'SASL=PLAIN,CRAM-MD5 '
	assert_line --index 1 --regexp ' USER'
	assert_equal "$(count_lines '^retr .* ok$')" 5
	run timeout 30 python3 "$EDGE" poplib-ssl "$IMP" "$WIRE_DIR"
	assert_success
	refute_line --index 0 --regexp 'STLS'
	assert_equal "$(count_lines '^retr .* ok$')" 5
	assert_store_unchanged
}

@test "fetchmail --ssl and with STLS fetches every message" {
	command -v fetchmail >/dev/null || skip "no fetchmail"
	edge_server_start IMP --tls=implicit "${TLS_ARGS[@]}"
	edge_server_start STA --tls=starttls "${TLS_ARGS[@]}"
	local out=$BATS_TEST_TMPDIR/fm rc=$BATS_TEST_TMPDIR/fetchmailrc
	mkdir -p "$out"
	for mode in "ssl" "sslproto tls1.2+"; do
		port=$IMP
		[ "$mode" = ssl ] || port=$STA
		printf 'poll 127.0.0.1 service %s protocol pop3 user alice password secret %s no sslcertck keep fetchall mda "%s"\n' \
			"$port" "$mode" "tee -a $out/all" >"$rc"
		chmod 600 "$rc"
		: >"$out/all"
		run env HOME="$BATS_TEST_TMPDIR" timeout 30 fetchmail -f "$rc" --nosyslog \
			--pidfile "$BATS_TEST_TMPDIR/fm.pid" -v
		assert_success
		for uid in "${ALL_UIDS[@]}"; do
			grep -qF "$(sed -n '2p' "$WIRE_DIR/$uid" | tr -d '\r')" "$out/all" ||
				fail "$mode: message $uid missing from what fetchmail delivered"
		done
		[ "$mode" = ssl ] || grep -q STLS <<<"$output" || fail "fetchmail did not use STLS: $output"
	done
	assert_store_unchanged
}

@test "mpop with tls_starttls on fetches every message" {
	command -v mpop >/dev/null || skip "no mpop"
	edge_server_start STA --tls=starttls "${TLS_ARGS[@]}"
	local out=$BATS_TEST_TMPDIR/mpop.mbox rc=$BATS_TEST_TMPDIR/mpoprc
	: >"$out"
	cat >"$rc" <<-EOF2
	account default
	host 127.0.0.1
	port $STA
	user alice
	password secret
	auth user
	tls on
	tls_starttls on
	tls_certcheck off
	keep on
	delivery mbox $out
	uidls_file $BATS_TEST_TMPDIR/mpop.uidls
	EOF2
	chmod 600 "$rc"
	run timeout 30 mpop -C "$rc" -q
	assert_success
	for uid in "${ALL_UIDS[@]}"; do
		grep -qF "$(sed -n '2p' "$WIRE_DIR/$uid" | tr -d '\r')" "$out" ||
			fail "message $uid missing from mpop's mbox"
	done
	assert_equal "$(grep -c '^From ' "$out")" 5
	assert_store_unchanged
}

# ------------------------------------------------------------- STLS injection and timeouts

@test "commands pipelined after STLS in the same write are discarded, not run" {
	POP_ARGS=(--allow-plaintext)
	edge_server_start P --tls=starttls "${TLS_ARGS[@]}"
	run timeout 20 python3 "$EDGE" stls-inject "$P"
	assert_success
	assert_line --index 1 "+OK begin TLS negotiation"
	# Over TLS the session is still in AUTHORIZATION: the injected
	# USER/PASS/DELE/QUIT never ran.
	assert_line --index 2 --regexp '^-ERR STAT is not valid'
	assert_line --index 3 "+OK goodbye"
	assert_store_unchanged
}

@test "the idle timeout holds during the handshake (STLS and implicit)" {
	POP_ARGS=(--timeout=1)
	edge_server_start STA --tls=starttls "${TLS_ARGS[@]}"
	edge_server_start IMP --tls=implicit "${TLS_ARGS[@]}"
	run timeout 20 python3 "$EDGE" idle "$STA" stls
	assert_success
	assert_line --index 0 "+OK begin TLS negotiation"
	secs=$(sed -n 's/^closed after //p' <<<"$output")
	[ "${secs%.*}" -le 4 ] || fail "closed after $secs s"
	run timeout 20 python3 "$EDGE" idle "$IMP" plain
	assert_success
	secs=$(sed -n 's/^closed after //p' <<<"$output")
	[ "${secs%.*}" -le 4 ] || fail "closed after $secs s"
}

# ------------------------------------------------------------- kernel TLS (--tls-ktls)

# kernel_tls_ulp: whether this kernel attaches its TLS layer to a TCP
# connection (TCP_ULP, 31 in linux/tcp.h, "tls"), after loading the tls
# module where modprobe can.
kernel_tls_ulp() {
	if command -v modprobe >/dev/null; then
		modprobe tls 2>/dev/null || :
	fi
	python3 -c '
import socket, sys
l = socket.create_server(("127.0.0.1", 0))
c = socket.create_connection(l.getsockname())
try:
    c.setsockopt(socket.IPPROTO_TCP, 31, b"tls")
except OSError:
    sys.exit(1)
'
}

# ktls_fetch: poplib over STLS on $STA and over implicit TLS on $IMP,
# every message read back byte for byte.
ktls_fetch() {
	run timeout 30 python3 "$EDGE" poplib-stls "$STA" "$WIRE_DIR"
	assert_success
	assert_equal "$(count_lines '^retr .* ok$')" 5
	run timeout 30 python3 "$EDGE" poplib-ssl "$IMP" "$WIRE_DIR"
	assert_success
	assert_equal "$(count_lines '^retr .* ok$')" 5
	assert_store_unchanged
}

@test "--tls-ktls=on: STLS and implicit TLS fetch every message; without a kernel TLS ULP the log says kTLS is unavailable" {
	# The option both ways: on the command line and as a config key.
	printf 'tls-ktls = on\n' >"$BATS_TEST_TMPDIR/ktls.conf"
	edge_server_start STA --debug --tls=starttls "${TLS_ARGS[@]}" --config="$BATS_TEST_TMPDIR/ktls.conf"
	edge_server_start IMP --debug --tls=implicit "${TLS_ARGS[@]}" --tls-ktls=on
	ktls_fetch
	# One kTLS line a session, right after the handshake's.
	for log in "$BATS_TEST_TMPDIR/STA.log" "$BATS_TEST_TMPDIR/IMP.log"; do
		wait_log "$log" 'session end:'
		assert_equal "$(grep -c 'kTLS: ' "$log")" 1
		grep -A1 'TLS: TLSv1' "$log" | grep -q 'kTLS: ' || fail "no kTLS line after the handshake: $(cat "$log")"
		if ! kernel_tls_ulp; then
			grep -q 'kTLS: unavailable (kernel offers no TLS ULP)' "$log" ||
				fail "kTLS not reported unavailable: $(cat "$log")"
		fi
	done
}

@test "--tls-ktls=on where the kernel offers a TLS ULP: the kernel sends the records" {
	kernel_tls_ulp || skip "kernel offers no TLS ULP"
	edge_server_start STA --debug --tls=starttls "${TLS_ARGS[@]}" --tls-ktls=on
	edge_server_start IMP --debug --tls=implicit "${TLS_ARGS[@]}" --tls-ktls=on
	ktls_fetch
	for log in "$BATS_TEST_TMPDIR/STA.log" "$BATS_TEST_TMPDIR/IMP.log"; do
		wait_log "$log" 'session end:'
		grep -q 'kTLS: send on' "$log" || fail "kTLS send is not on: $(cat "$log")"
	done
}

@test "--tls-ktls=on on a pipe pair (inetd may hand one over): the session works and the log says it is not a socket" {
	local -a std
	mapfile -t std < <(pop_std_args)
	# A TLS client over onepop's stdin and stdout (Python's memory BIOs).
	cat >"$BATS_TEST_TMPDIR/pipetls.py" <<-'EOF2'
	import os, ssl, subprocess, sys
	p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	c.check_hostname, c.verify_mode = False, ssl.CERT_NONE
	inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
	t = c.wrap_bio(inc, out)
	def flush():
	    p.stdin.write(out.read())
	    p.stdin.flush()
	def more():
	    d = os.read(p.stdout.fileno(), 65536)
	    if not d:
	        sys.exit("onepop closed the pipe")
	    inc.write(d)
	def call(f, *a):
	    while True:
	        try:
	            r = f(*a)
	            flush()
	            return r
	        except ssl.SSLWantReadError:
	            flush()
	            more()
	call(t.do_handshake)
	call(t.write, b"USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n")
	got = b""
	while not got.endswith(b"+OK goodbye\r\n"):
	    got += call(t.read, 65536)
	sys.stdout.buffer.write(got)
	p.stdin.close()
	sys.exit(p.wait())
	EOF2
	load_uidls
	RAW=$BATS_TEST_TMPDIR/pipe.raw
	timeout 30 python3 "$BATS_TEST_TMPDIR/pipetls.py" "$ONEPOP" "${std[@]}" --debug \
		--tls=implicit "${TLS_ARGS[@]}" --tls-ktls=on >"$RAW" 2>"$BATS_TEST_TMPDIR/pipe.err" ||
		fail "the session failed: $(cat "$BATS_TEST_TMPDIR/pipe.err")"
	run tr -d '\r' <"$RAW"
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_block 4 "$WIRE_DIR/${MSGUID[1]}"
	grep -q 'kTLS: unavailable (the connection is not a socket)' "$BATS_TEST_TMPDIR/pipe.err" ||
		fail "no such kTLS line: $(cat "$BATS_TEST_TMPDIR/pipe.err")"
}

@test "--tls-ktls: a bad value is exit 2 with the reason, on the command line and in a config file" {
	run_onepop --auth=passwd-file:"$PASSWD" --tls=implicit "${TLS_ARGS[@]}" --tls-ktls=maybe
	assert_failure 2
	assert_output ""
	run pop_stderr
	assert_output --partial "--tls-ktls: on or off, not maybe"
	printf 'tls-ktls = yes\n' >"$BATS_TEST_TMPDIR/bad.conf"
	run_onepop --auth=passwd-file:"$PASSWD" --config="$BATS_TEST_TMPDIR/bad.conf"
	assert_failure 2
	run pop_stderr
	assert_output --partial "--tls-ktls: on or off, not yes"
}

@test "--tls-ktls=on without --tls is ignored, as --tls-cert is: a plaintext session; =off logs nothing of kTLS" {
	POP_ARGS=(--debug --tls-ktls=on)
	pop CAPA "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	refute_line STLS
	assert_line "+OK 5 messages ($TOTAL_OCTETS octets)"
	run pop_stderr
	refute_output --partial "kTLS"
	edge_server_start IMP --debug --tls=implicit "${TLS_ARGS[@]}" --tls-ktls=off
	run timeout 30 python3 "$EDGE" poplib-ssl "$IMP" "$WIRE_DIR"
	assert_success
	wait_log "$BATS_TEST_TMPDIR/IMP.log" 'session end:'
	run grep -c 'kTLS' "$BATS_TEST_TMPDIR/IMP.log"
	assert_output 0
}

# ------------------------------------------------------------- cost

# maps_of_session ARGS...: start onepop with ARGS on a held-open fifo,
# wait for its greeting, print which optional libraries it has mapped.
maps_of_session() {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out pid i
	local -a std
	mapfile -t std < <(pop_std_args)
	rm -f "$fifo" "$out"   # called twice per test
	mkfifo "$fifo"
	"$ONEPOP" "${std[@]}" "${POP_ARGS[@]}" "$@" <"$fifo" >"$out" 2>/dev/null &
	pid=$!
	exec 7>"$fifo"
	wait_for test -s "$out" || fail "no greeting from the TLS session"
	grep -oE 'lib(ssl|crypto|systemd|pam)\.so[^ ]*' "/proc/$pid/maps" | sort -u
	exec 7>&-
	wait "$pid" || :
}

@test "a plaintext session maps no OpenSSL, PAM or libsystemd; TLS loads its module" {
	run maps_of_session
	assert_success
	assert_output ""
	run maps_of_session --tls=starttls "${TLS_ARGS[@]}"
	assert_success
	assert_output --partial "libssl.so"
}
