#!/usr/bin/env bats
# Load: 200 concurrent sessions on 200 mailboxes and 20 at once on one,
# over 127.0.0.1 through systemd-socket-activate --accept --inetd (one
# onepop per connection, as in production). Every session gets exactly
# its data or a clean -ERR [IN-USE]; afterwards no onepop is left (no
# zombie), no lock is held, and a long pipelined session holds a constant
# number of file descriptors.

setup() {
	load ../helpers
	command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
	common_setup
	LOADCLIENT=$LIBDIR/loadclient.py
	# Under ASan each process costs far more memory: fewer sessions then.
	NUSERS=200
	! ldd "$ONEPOP" 2>/dev/null | grep -q libasan || NUSERS=50
}

teardown() {
	common_teardown
}

# make_users N: users u0..u(N-1), password pw-uK, home $BATS_TEST_TMPDIR/load/uK
# with a Maildir of three messages naming the user. No uid fields: the
# sessions keep the test's identity (hence --allow-root when root).
make_users() {
	local n=$1 i
	mkdir -p "$BATS_TEST_TMPDIR/load"
	"$PYTHON" "$LOADCLIENT" mkusers "$BATS_TEST_TMPDIR/load" "$n"
	LOAD_PASSWD=$BATS_TEST_TMPDIR/load/passwd
	USERS=()
	for ((i = 0; i < n; i++)); do
		USERS+=("u$i")
	done
}

load_server_start() {
	POP_ARGS=("--auth=passwd-file:$LOAD_PASSWD" "--mailbox=%h/Maildir" --allow-root --timeout=60)
	tcp_server_start
}

# no_children: within 5 s, the launcher has no child left (running or zombie).
no_children() {
	local i kids
	for ((i = 0; i < 50; i++)); do
		kids=$(ps --ppid "$TCP_PID" -o pid=,stat=,comm= 2>/dev/null || :)
		[ -z "$kids" ] && return 0
		sleep 0.1
	done
	fail "children left behind: $kids"
}

# no_lock_held DIR...: nobody holds the flock on DIR/onepop.lock.
no_lock_held() {
	local d
	for d in "$@"; do
		[ ! -e "$d/onepop.lock" ] || flock -n "$d/onepop.lock" true ||
			fail "lock still held: $d"
	done
}

@test "load: 200 concurrent sessions (50 under ASan) on as many mailboxes get their own data" {
	make_users "$NUSERS"
	load_server_start
	run timeout 120 "$PYTHON" "$LOADCLIENT" "$PORT" "${USERS[@]}"
	assert_success
	assert_output "ok $NUSERS inuse 0"
	no_children
	no_lock_held "$BATS_TEST_TMPDIR"/load/*/Maildir
	# Nothing deleted, nothing changed.
	[ "$(find "$BATS_TEST_TMPDIR/load" -path '*/new/*' -type f | wc -l)" -eq $((NUSERS * 3)) ]
}

@test "load: 20 sessions at once on one mailbox: correct data or [IN-USE], then unlocked" {
	make_users 1
	load_server_start
	local -a same=()
	for ((i = 0; i < 20; i++)); do same+=(u0); done
	run timeout 120 "$PYTHON" "$LOADCLIENT" "$PORT" "${same[@]}"
	assert_success
	[[ $output =~ ^ok\ ([0-9]+)\ inuse\ ([0-9]+)$ ]] || fail "bad summary: $output"
	[ "${BASH_REMATCH[1]}" -ge 1 ] || fail "no session got in: $output"
	[ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -eq 20 ] || fail "$output"
	no_children
	no_lock_held "$BATS_TEST_TMPDIR/load/u0/Maildir"
	# The next session is not locked out.
	run timeout 30 "$PYTHON" "$LOADCLIENT" "$PORT" u0
	assert_output "ok 1 inuse 0"
}

# fd_count PID: open descriptors of PID.
fd_count() { ls "/proc/$1/fd" | wc -l; }

@test "load: a long pipelined session (2000 commands) holds a constant number of fds" {
	POP_ARGS=(--preauth=alice)
	session_start long
	session_wait long 1
	local pid i j batch want=1 counts=()
	pid=$(pgrep -P "${SESSION_PID[long]}" | head -n 1)
	[ -n "$pid" ] || fail "no onepop under timeout ${SESSION_PID[long]}"
	for ((i = 0; i < 10; i++)); do
		batch=()
		for ((j = 1; j <= 40; j++)); do
			batch+=("RETR $((j % 5 + 1))" "TOP $((j % 5 + 1)) 1" "UIDL" "LIST $((j % 5 + 1))" "DELE $((j % 5 + 1))")
		done
		batch+=(RSET)
		session_send long "${batch[@]}"
		# DELE of an already deleted message is -ERR: 8 per batch of 40.
		want=$((want + 201))
		for ((j = 0; j < 200; j++)); do
			[ "$(grep -c '^[+-]' "$BATS_TEST_TMPDIR/session.long/raw")" -ge "$want" ] && break
			sleep 0.05
		done
		[ "$(grep -c '^[+-]' "$BATS_TEST_TMPDIR/session.long/raw")" -ge "$want" ] ||
			fail "batch $i: replies missing"
		counts+=("$(fd_count "$pid")")
	done
	session_send long QUIT
	session_end long
	run session_output long
	assert_success
	assert_store_unchanged
	# Every count the same as the first.
	for c in "${counts[@]}"; do
		[ "$c" -eq "${counts[0]}" ] || fail "fd counts vary: ${counts[*]}"
	done
	echo "# fds during the session: ${counts[*]}" >&3
}
