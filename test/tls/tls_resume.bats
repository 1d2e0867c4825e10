#!/usr/bin/env bats
# TLS session resumption across onepop processes (--tls-ticket-key):
# a client that saved its session from one connection resumes it on the
# next, served by a new process (systemd-socket-activate --accept), with
# TLS 1.3 and 1.2; the key rotation; no resumption without the option;
# bad key files refused at startup.

setup() {
	load ../helpers
	load ../edge
	common_setup
	make_cert
	TLS_ARGS=(--tls=implicit --tls-cert="$CERT" --tls-key="$KEY")
	TKEY=$BATS_TEST_TMPDIR/ticket.key
	(umask 077 && head -c 80 /dev/urandom >"$TKEY")
	SESS=$BATS_TEST_TMPDIR/sess.pem
}
teardown() { edge_teardown; }

# connect PORT [S_CLIENT_ARGS...]: one session (USER/PASS/STAT/QUIT) by
# openssl s_client; output is s_client's report and the replies.
connect() {
	local port=$1
	shift
	run timeout 15 openssl s_client -connect "127.0.0.1:$port" -ign_eof "$@" \
		< <(printf 'USER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n'; sleep 1)
	assert_line --partial "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --partial "+OK goodbye"
}

@test "a second connection resumes the first's TLS 1.3 session in a new process" {
	edge_server_start P "${TLS_ARGS[@]}" --tls-ticket-key="$TKEY"
	connect "$P" -tls1_3 -sess_out "$SESS"
	assert_line --regexp '^New, TLSv1\.3'
	[ -s "$SESS" ] || fail "no session ticket was saved"
	connect "$P" -tls1_3 -sess_in "$SESS"
	assert_line --regexp '^Reused, TLSv1\.3'
}

@test "a second connection resumes the first's TLS 1.2 session in a new process" {
	edge_server_start P "${TLS_ARGS[@]}" --tls-ticket-key="$TKEY"
	connect "$P" -tls1_2 -sess_out "$SESS"
	assert_line --regexp '^New, TLSv1\.2'
	connect "$P" -tls1_2 -sess_in "$SESS"
	assert_line --regexp '^Reused, TLSv1\.2'
}

@test "two listeners reading one key file resume each other's sessions" {
	edge_server_start P1 "${TLS_ARGS[@]}" --tls-ticket-key="$TKEY"
	edge_server_start P2 "${TLS_ARGS[@]}" --tls-ticket-key="$TKEY"
	connect "$P1" -sess_out "$SESS"
	connect "$P2" -sess_in "$SESS"
	assert_line --regexp '^Reused, TLSv1\.3'
}

@test "without --tls-ticket-key no ticket is issued and no session is resumed" {
	edge_server_start P "${TLS_ARGS[@]}"
	connect "$P" -tls1_3 -sess_out "$SESS"
	refute_line --partial "New Session Ticket arrived"
	[ ! -e "$SESS" ] || fail "TLS 1.3 saved a session: a ticket was issued"
	# A ticket from a listener that issues them is not taken either.
	edge_server_start T "${TLS_ARGS[@]}" --tls-ticket-key="$TKEY"
	connect "$T" -tls1_3 -sess_out "$SESS"
	[ -s "$SESS" ] || fail "no session ticket was saved"
	connect "$P" -tls1_3 -sess_in "$SESS"
	assert_line --regexp '^New, TLSv1\.3'
	refute_line --regexp '^Reused'
	rm -f "$SESS"
	connect "$P" -tls1_2 -sess_out "$SESS"
	refute_line --partial "TLS session ticket:"
	[ ! -e "$SESS" ] || fail "TLS 1.2 saved a session: a ticket or session id was issued"
	connect "$T" -tls1_2 -sess_out "$SESS"
	[ -s "$SESS" ] || fail "no session ticket was saved"
	connect "$P" -tls1_2 -sess_in "$SESS"
	assert_line --regexp '^New, TLSv1\.2'
	refute_line --regexp '^Reused'
}

@test "rotation: the previous key is still accepted, a dropped one is not" {
	edge_server_start P "${TLS_ARGS[@]}" --tls-ticket-key="$TKEY"
	connect "$P" -sess_out "$SESS"
	cp "$SESS" "$BATS_TEST_TMPDIR/sess-a.pem"
	# New key first, the previous second: read by the next process.
	{ head -c 80 /dev/urandom; head -c 80 "$BATS_TEST_TMPDIR/ticket.key"; } >"$TKEY.new"
	chmod 600 "$TKEY.new"
	mv "$TKEY.new" "$TKEY"
	connect "$P" -sess_in "$BATS_TEST_TMPDIR/sess-a.pem" -sess_out "$SESS"
	assert_line --regexp '^Reused, TLSv1\.3'
	# The ticket it got is under the new key: still good after one more
	# rotation, while the first key's ticket is now refused.
	{ head -c 80 /dev/urandom; head -c 80 "$TKEY"; } >"$TKEY.new"
	chmod 600 "$TKEY.new"
	mv "$TKEY.new" "$TKEY"
	connect "$P" -sess_in "$SESS"
	assert_line --regexp '^Reused, TLSv1\.3'
	connect "$P" -sess_in "$BATS_TEST_TMPDIR/sess-a.pem"
	assert_line --regexp '^New, TLSv1\.3'
}

@test "a key file of the wrong size, readable by others, or missing is exit 2" {
	head -c 79 /dev/urandom >"$BATS_TEST_TMPDIR/short.key"
	chmod 600 "$BATS_TEST_TMPDIR/short.key"
	run_onepop --auth=passwd-file:"$PASSWD" "${TLS_ARGS[@]}" \
		--tls-ticket-key="$BATS_TEST_TMPDIR/short.key"
	assert_failure 2
	assert_output ""
	run pop_stderr
	assert_output --partial "79 octets"
	chmod 644 "$TKEY"
	run_onepop --auth=passwd-file:"$PASSWD" "${TLS_ARGS[@]}" --tls-ticket-key="$TKEY"
	assert_failure 2
	run pop_stderr
	assert_output --partial "readable by group or others"
	run_onepop --auth=passwd-file:"$PASSWD" "${TLS_ARGS[@]}" \
		--tls-ticket-key="$BATS_TEST_TMPDIR/none.key"
	assert_failure 2
	run pop_stderr
	assert_output --partial "No such file"
}
