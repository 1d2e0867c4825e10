#!/usr/bin/env bats
# PROXY protocol v1/v2 before the greeting: the real client's address in
# the logs, no greeting without a good header, and a plain bad command
# when the option is off.

setup() {
	load ../helpers
	load ../edge
	common_setup
	HDR1='PROXY TCP4 192.0.2.77 198.51.100.1 40001 110\r\n'
	# v2, PROXY command, TCP over IPv4: 203.0.113.5:4660 -> 198.51.100.1:110
	HDR2='\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xcb\x00\x71\x05\xc6\x33\x64\x01\x12\x34\x00\x6e'
}
teardown() { edge_teardown; }

# gen_hdr HEADER LINE...: the header (printf escapes), then the lines.
gen_hdr() {
	printf "$1"
	shift
	[ "$#" -eq 0 ] || printf '%s\r\n' "$@"
}

@test "a v1 header: the session goes on and the log names the real client" {
	POP_ARGS=(--proxy-protocol --debug)
	pop_gen gen_hdr "$HDR1" "USER alice" "PASS wrong" "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 0 --regexp '^\+OK onepop ready'
	assert_line --index 2 --regexp '^-ERR \[AUTH\] '
	assert_line --index 4 "+OK 5 messages ($TOTAL_OCTETS octets)"
	run pop_stderr
	assert_output --partial "login failed: user=alice rhost=192.0.2.77"
	assert_output --regexp "session end: user=alice rhost=192.0.2.77 end=quit"
}

@test "a v2 header: the log names the real client" {
	POP_ARGS=(--proxy-protocol --debug)
	pop_gen gen_hdr "$HDR2" "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	run pop_stderr
	assert_output --partial "rhost=203.0.113.5"
}

@test "v2 LOCAL and v1 UNKNOWN (health checks) are accepted" {
	POP_ARGS=(--proxy-protocol)
	pop_gen gen_hdr '\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00' QUIT
	assert_success
	assert_line --index 1 "+OK goodbye"
	pop_gen gen_hdr 'PROXY UNKNOWN\r\n' QUIT
	assert_success
	assert_line --index 1 "+OK goodbye"
}

@test "a missing header ends the session without a greeting" {
	POP_ARGS=(--proxy-protocol --debug)
	pop "${LOGIN[@]}" QUIT
	assert_failure 1
	assert_output ""
	[ ! -s "$RAW" ]
	run pop_stderr
	assert_output --partial "PROXY header"
	pop
	assert_failure 1
	assert_output ""
}

@test "malformed headers end the session without a greeting" {
	POP_ARGS=(--proxy-protocol)
	for h in 'PROXY TCP4 192.0.2.1 198.51.100.1 1 110\n' \
		'PROXY TCP4 192.0.2.1 198.51.100.1 99999 110\r\n' \
		'PROXY TCP9 a b 1 2\r\n' \
		'PROXY TCP4 192.0.2.1 198.51.100.1 1 110 extra\r\n' \
		'\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x04\x01\x02\x03\x04' \
		'\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff'; do
		pop_gen gen_hdr "$h" "${LOGIN[@]}" "DELE 1" QUIT
		assert_failure 1
		assert_output ""
	done
	# A v1 line that never ends is cut at 107 octets, not read forever.
	pop_gen gen_hdr "PROXY $(printf 'x%.0s' $(seq 300))\r\n" QUIT
	assert_failure 1
	assert_output ""
	assert_store_unchanged
}

@test "without --proxy-protocol a v1 header is just a bad command" {
	pop_gen gen_hdr "$HDR1" "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 1 "-ERR unknown command"
	assert_line --index 3 "+OK 5 messages ($TOTAL_OCTETS octets)"
}

@test "without --proxy-protocol a v2 header ends the session by its own QUIT" {
	pop_gen gen_hdr "$HDR2" "${LOGIN[@]}" "DELE 1" QUIT
	assert_success
	assert_line --index 0 --regexp '^\+OK onepop ready'
	assert_line "+OK goodbye"
	refute_line --regexp '^\+OK 5 messages'
	assert_store_unchanged
}

@test "--proxy-protocol=CIDR: peers outside the list are direct clients" {
	# A pipe has no IP peer: with a list it is served as a direct client.
	POP_ARGS=(--proxy-protocol=10.0.0.0/8,2001:db8::/32)
	pop "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	# Over TCP from 127.0.0.1, which is in the list: the header is required.
	POP_ARGS=(--proxy-protocol=127.0.0.0/8 --debug)
	edge_server_start P
	run timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8)
s.sendall(b"PROXY TCP4 192.0.2.99 127.0.0.1 5555 110\r\nUSER alice\r\nPASS wrong\r\nQUIT\r\n")
print(s.makefile("rb").read().decode().replace("\r", ""))' "$P"
	assert_success
	assert_line --index 0 --regexp '^\+OK onepop ready'
	wait_log "$BATS_TEST_TMPDIR/P.log" 'login failed: user=alice rhost=192\.0\.2\.99'
}

@test "a bad --proxy-protocol list is exit 2" {
	run_onepop --auth=passwd-file:"$PASSWD" --proxy-protocol=10.0.0.0/33
	assert_failure 2
	assert_output ""
	run pop_stderr
	assert_output --partial "proxy-protocol"
}

@test "implicit TLS behind a v2 header sent in the same write as the ClientHello" {
	make_cert
	POP_ARGS=(--proxy-protocol --debug)
	edge_server_start P --tls=implicit --tls-cert="$CERT" --tls-key="$KEY"
	run timeout 20 python3 "$EDGE" proxy-tls "$P" 192.0.2.200
	assert_success
	assert_line --index 0 --regexp '^\+OK onepop ready'
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	wait_log "$BATS_TEST_TMPDIR/P.log" 'session end: user=alice rhost=192\.0\.2\.200'
}
