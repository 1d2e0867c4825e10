#!/usr/bin/env bats
# The session lock is given up before "+OK" to QUIT (issue 16.2): a
# client that logs in again as soon as it reads the goodbye is never told
# [IN-USE], even when the first session still has work to do after its
# reply (writing the size cache of a large mailbox seen cold). A session
# that ends without QUIT hangs up only after its unlock, for the same
# reason.

setup() {
	load ../../helpers
	common_setup
}

# many_messages DIR N: N small messages without ,S= in their names, so the
# first session reads every file and writes the whole size cache at close.
many_messages() {
	"$PYTHON" - "$1" "$2" <<-'PY'
	import os, sys
	d, n = sys.argv[1], int(sys.argv[2])
	for i in range(n):
	    with open(os.path.join(d, "new", "%d.M%dP1.cold" % (1700001000 + i, i)), "w") as f:
	        f.write("Subject: %d\n\nbody %d\n" % (i, i))
	PY
	fix_owner "$1"
}

# reconnect ROUNDS: each round, a session sends UIDL and QUIT; the moment
# its goodbye is read, a second session logs in. Prints each second
# session's STAT reply; the cache is removed between rounds (cold again).
reconnect() {
	local -a std
	mapfile -t std < <(pop_std_args)
	"$PYTHON" - "$1" "$MAILDIR" "$ONEPOP" "${std[@]}" --preauth=alice <<-'PY'
	import os, subprocess, sys
	rounds, maildir, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
	for r in range(rounds):
	    for name in ("onepop.cache", "onepop-uidl"):
	        try:
	            os.unlink(os.path.join(maildir, name))
	        except FileNotFoundError:
	            pass
	    first = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
	                             stderr=subprocess.DEVNULL)
	    first.stdin.write(b"UIDL\r\nQUIT\r\n")
	    first.stdin.flush()
	    while True:
	        line = first.stdout.readline()
	        if not line or line.startswith(b"+OK goodbye"):
	            break
	    if not line:
	        print("round %d: first session gave no goodbye" % r)
	        continue
	    second = subprocess.run(cmd, input=b"STAT\r\nQUIT\r\n", capture_output=True, timeout=60)
	    print("round %d: %s" % (r, " | ".join(second.stdout.decode().splitlines())))
	    first.wait(timeout=60)
	PY
}

@test "QUIT: a login right after the goodbye on a large cold Maildir is never [IN-USE]" {
	many_messages "$MAILDIR" 40000
	run reconnect 4
	assert_success
	refute_output --partial "IN-USE"
	refute_output --partial "no goodbye"
	assert_equal "$(grep -c "| +OK 40005 " <<<"$output")" 4 || fail "$output"
}

# hangup_reconnect PORT ROUNDS [tls]: each round, a session sends UIDL
# and then half-closes (no QUIT: the session ends on EOF); the moment the
# server hangs up (TCP FIN), a second session logs in. Prints each second
# session's STAT reply; the cache is removed between rounds.
hangup_reconnect() {
	"$PYTHON" - "$1" "$2" "$MAILDIR" "${3:-}" <<-'PY'
	import os, socket, ssl, sys
	port, rounds, maildir, tls = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
	login = b"USER alice\r\nPASS secret\r\n" if tls else b""
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
	def connect():
	    s = socket.create_connection(("127.0.0.1", port), timeout=60)
	    return ctx.wrap_socket(s) if tls else s
	def recv_all(s):
	    out = b""
	    while True:
	        b = s.recv(65536)
	        if not b:
	            return out
	        out += b
	for r in range(rounds):
	    try:
	        os.unlink(os.path.join(maildir, "onepop.cache"))
	    except FileNotFoundError:
	        pass
	    first = connect()
	    first.sendall(login + b"UIDL\r\n")
	    got = b""
	    while not got.endswith(b"\r\n.\r\n"):
	        got += first.recv(65536)
	    # No QUIT: a half-close (over TLS without close_notify, which the
	    # server takes as EOF too); then read up to the server's FIN.
	    first.shutdown(socket.SHUT_WR)
	    recv_all(first)
	    first.close()
	    second = connect()
	    second.sendall(login + b"STAT\r\nQUIT\r\n")
	    lines = recv_all(second).decode().splitlines()
	    print("round %d: %s" % (r, " | ".join(lines)))
	PY
}

@test "a session that ends without QUIT hangs up only once the mailbox is unlocked: a login at once after the hang-up is never [IN-USE]" {
	load ../../edge
	many_messages "$MAILDIR" 40000
	edge_server_start P --preauth=alice
	run hangup_reconnect "$P" 3
	edge_teardown
	assert_success
	refute_output --partial "IN-USE"
	assert_equal "$(grep -c "| +OK 40005 " <<<"$output")" 3 || fail "$output"
}

# Less sharp than the plaintext case: a TLS reconnect and login take longer
# than the window between a premature hang-up and the unlock, so with
# 3d82637's order this passed too. It guards the relay's path end to end.
@test "the same over implicit TLS as root, where the pre-auth process relays (privilege separation)" {
	load ../../edge
	[ "$(id -u)" -eq 0 ] || skip "the split needs root"
	make_cert
	many_messages "$MAILDIR" 40000
	edge_server_start P --auth=passwd-file:"$PASSWD" --tls=implicit --tls-cert="$CERT" --tls-key="$KEY"
	run hangup_reconnect "$P" 3 tls
	edge_teardown
	assert_success
	refute_output --partial "IN-USE"
	assert_equal "$(grep -c "| +OK 40005 " <<<"$output")" 3 || fail "$output"
}
