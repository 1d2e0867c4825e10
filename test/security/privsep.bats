#!/usr/bin/env bats
# Privilege separation (privsep.h, SECURITY.md "Privilege separation"):
# started as root, the process that talks to the client before login is
# the unprivileged privsep user, without groups or capabilities, chrooted
# to an empty directory, under seccomp; killing it logs nobody in.

load ../helpers
load ../edge

setup() {
	common_setup
	require_root
	id onepop >/dev/null 2>&1 || skip "no 'onepop' system user (tools/install-deps creates it)"
	PSDIR=$BATS_TEST_TMPDIR/empty
	POP_ARGS=(--privsep-dir="$PSDIR" --timeout=20)
}
teardown() { common_teardown; }

gone() { ! kill -0 "$1" 2>/dev/null; }

# preauth_pid: the pre-auth process of the one session behind the
# socket-activated listener: the child of the monitor, the child of
# systemd-socket-activate.
preauth_pid() {
	local mon kid
	mon=$(child_pids "$TCP_PID" | head -n1)
	[ -n "$mon" ] && kid=$(child_pids "$mon" | head -n1)
	[ -n "${kid:-}" ] && echo "$kid"
}

status_field() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }

# assert_cell PID: all of the pre-auth process's identity and limits.
assert_cell() {
	local pid=$1 uid gid
	uid=$(id -u onepop) gid=$(id -g onepop)
	assert_equal "$(status_field "$pid" Uid | tr -s '\t ' ' ')" "$uid $uid $uid $uid"
	assert_equal "$(status_field "$pid" Gid | tr -s '\t ' ' ')" "$gid $gid $gid $gid"
	assert_equal "$(status_field "$pid" Groups)" ""
	assert_equal "$(status_field "$pid" CapEff)" "0000000000000000"
	assert_equal "$(status_field "$pid" CapPrm)" "0000000000000000"
	assert_equal "$(status_field "$pid" NoNewPrivs)" "1"
	assert_equal "$(status_field "$pid" Seccomp)" "2"
	assert_equal "$(readlink "/proc/$pid/root")" "$PSDIR"
	assert_equal "$(ls -A "$PSDIR")" ""
	assert_equal "$(stat -c '%u %a' "$PSDIR")" "0 555"
	# The monitor stays root and never reads the connection.
	assert_equal "$(status_field "$MONITOR_PID" Uid | tr -s '\t ' ' ')" "0 0 0 0"
}

# probe CLIENT_ACTIONS...: connect, run the actions up to a pause, check
# the cell, then log in and read the mailbox.
probe() {
	local go=$BATS_TEST_TMPDIR/go pid
	rm -f "$go"
	"$PYTHON" "$LIBDIR/tcp_client.py" "$PORT" "$@" "touch:$BATS_TEST_TMPDIR/paused" \
		"until:$go" "send:USER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n" \
		>"$BATS_TEST_TMPDIR/client.out" 2>&1 &
	local client=$!
	wait_for test -e "$BATS_TEST_TMPDIR/paused" || fail "the client never got there"
	pid=$(wait_for preauth_pid) || fail "no pre-auth process: $(cat "$TCP_ERR")"
	MONITOR_PID=$(child_pids "$TCP_PID" | head -n1)
	assert_cell "$pid"
	touch "$go"
	wait "$client" || fail "client failed: $(cat "$BATS_TEST_TMPDIR/client.out")"
	run tr -d '\r' <"$BATS_TEST_TMPDIR/client.out"
	assert_line --partial "+OK 5 messages"
	assert_line "+OK goodbye"
}

@test "plaintext: the pre-auth process is the privsep user, no groups or capabilities, chrooted, seccomp" {
	tcp_server_start
	probe "wait:1"
}

@test "implicit TLS: the handshake and the dialogue run in the same cell" {
	make_cert
	tcp_server_start --tls=implicit --tls-cert="$CERT" --tls-key="$KEY"
	probe tls "wait:1"
}

@test "STLS: the same cell before and after the upgrade" {
	make_cert
	tcp_server_start --tls=starttls --tls-cert="$CERT" --tls-key="$KEY"
	probe "wait:1" "send:STLS\r\n" "wait:2" tls "send:CAPA\r\n" "wait:3"
}

@test "--tls-ktls=on: the cell is the same, and offering the connection to the kernel's TLS from it does not kill it" {
	make_cert
	tcp_server_start --debug --tls=implicit --tls-cert="$CERT" --tls-key="$KEY" --tls-ktls=on
	probe tls "wait:1"
	grep -q 'kTLS: ' "$TCP_ERR" || fail "no kTLS line: $(cat "$TCP_ERR")"
}

@test "after login over plaintext the user's process serves the connection alone" {
	tcp_server_start
	local go=$BATS_TEST_TMPDIR/go2
	"$PYTHON" "$LIBDIR/tcp_client.py" "$PORT" "wait:1" "send:USER alice\r\nPASS secret\r\n" \
		"wait:3" "touch:$BATS_TEST_TMPDIR/in" "until:$go" "send:QUIT\r\n" \
		>"$BATS_TEST_TMPDIR/client.out" 2>&1 &
	local client=$! mon
	wait_for test -e "$BATS_TEST_TMPDIR/in" || fail "the client never got there"
	mon=$(child_pids "$TCP_PID" | head -n1)
	[ -n "$mon" ] || fail "no session process"
	# No pre-auth process any more, and the session runs as the user.
	assert_equal "$(child_pids "$mon")" ""
	assert_equal "$(status_field "$mon" Uid | tr -s '\t ' ' ')" "$FIX_UID $FIX_UID $FIX_UID $FIX_UID"
	touch "$go"
	wait "$client"
}

kill_preauth() {
	local sig=$1 pid
	tcp_server_start --debug
	"$PYTHON" "$LIBDIR/tcp_client.py" "$PORT" "wait:1" "send:USER alice\r\n" "wait:2" \
		"touch:$BATS_TEST_TMPDIR/paused" "until:$BATS_TEST_TMPDIR/never" \
		>"$BATS_TEST_TMPDIR/client.out" 2>&1 &
	local client=$!
	wait_for test -e "$BATS_TEST_TMPDIR/paused" || fail "the client never got there"
	pid=$(wait_for preauth_pid) || fail "no pre-auth process"
	MONITOR_PID=$(child_pids "$TCP_PID" | head -n1)
	[ -n "$MONITOR_PID" ] || fail "no monitor"
	kill "-$sig" "$pid"
	# The monitor ends the session: the connection closes.
	wait_for gone "$MONITOR_PID" || fail "the monitor did not end"
	kill "$client" 2>/dev/null || true
	wait "$client" 2>/dev/null || true
	run cat "$TCP_ERR"
	assert_output --partial "privsep: the pre-auth process ended without a word; nobody logged in"
	refute_output --partial "login: user="
	assert_output --partial "end=preauth-lost"
	assert_store_unchanged
}

@test "SIGSEGV in the pre-auth process: nobody logged in, the monitor logs it, the store is unchanged" {
	kill_preauth SEGV
	if ldd "$ONEPOP" 2>/dev/null | grep -q libasan; then
		# ASan's handler catches the SIGSEGV, reports it and exits 1.
		assert_output --partial "the pre-auth process failed (status 1)"
	else
		assert_output --partial "killed by signal 11"
	fi
}

@test "SIGKILL in the pre-auth process: the same" {
	kill_preauth KILL
}

@test "a missing privsep user is exit 2 with how to create it" {
	POP_ARGS=(--privsep-user=onepop-no-such-user)
	pop "USER alice"
	assert_failure 2
	assert_equal "$(cat "$RAW")" ""
	run cat "$POP_ERR"
	assert_output --partial "useradd --system"
	assert_output --partial "onepop-no-such-user"
}

@test "a --privsep-dir that is not empty or that others can write is exit 2" {
	mkdir -p "$BATS_TEST_TMPDIR/full" && touch "$BATS_TEST_TMPDIR/full/x"
	chmod 555 "$BATS_TEST_TMPDIR/full"
	POP_ARGS=(--privsep-dir="$BATS_TEST_TMPDIR/full")
	pop "USER alice"
	assert_failure 2
	grep -q "must be empty" "$POP_ERR"
	mkdir -m 777 "$BATS_TEST_TMPDIR/open"
	POP_ARGS=(--privsep-dir="$BATS_TEST_TMPDIR/open")
	pop "USER alice"
	assert_failure 2
	grep -q "only root can write" "$POP_ERR"
}

@test "pipelined commands after PASS cross to the user's process in order" {
	pop "USER alice" "PASS secret" "STAT" "LIST 1" "NOOP" "QUIT"
	assert_success
	assert_line --index 2 --partial "+OK 5 messages"
	assert_line --index 3 --regexp '^\+OK 5 [0-9]+$'
	assert_line --index 4 --regexp '^\+OK 1 [0-9]+$'
	assert_line --index 5 "+OK"
	assert_line --index 6 "+OK goodbye"
}

@test "meson install's step makes the user as root, and only names it for a staging tree" {
	local u=onepop-t$$ script=$BATS_TEST_DIRNAME/../../tools/install-user
	! id "$u" >/dev/null 2>&1 || skip "user $u exists already"
	run env DESTDIR=/tmp/stage "$script" "$u"
	assert_success
	assert_output --partial "useradd --system"
	! id "$u" >/dev/null 2>&1 || fail "made $u for a staging tree"
	run "$script" "$u"
	assert_success
	id "$u" >/dev/null 2>&1 || fail "did not make $u"
	assert_equal "$(getent passwd "$u" | cut -d: -f7)" /usr/sbin/nologin
	assert_equal "$(id -G "$u" | wc -w)" 1
	retry_lock userdel "$u"
}
