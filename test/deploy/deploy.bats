#!/usr/bin/env bats
# Deployment, driving the real components: meson install with DESTDIR,
# man -l, systemd-analyze verify and security, xinetd, tcpserver with the
# inetd.conf line, systemd-socket-activate (inetd style and LISTEN_FDS),
# the journal's native protocol and syslog (captured in a private mount
# namespace), and fail2ban-regex on the lines onepop really writes.

setup() {
	load ../helpers
	common_setup
	UNITS=$BATS_TEST_DIRNAME/../../units
	SRV_PID=
}

teardown() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || :
		wait "$SRV_PID" 2>/dev/null || :
	fi
	common_teardown
}

need() {
	command -v "$1" >/dev/null || skip "$1 is not installed"
}

# install_tree: meson install into $DEST (once per test).
install_tree() {
	need meson
	[ -n "${BUILD_ROOT:-}" ] || skip "BUILD_ROOT is not set (run through meson test)"
	DEST=$BATS_TEST_TMPDIR/dest
	meson install -C "$BUILD_ROOT" --no-rebuild --quiet --destdir "$DEST" >"$BATS_TEST_TMPDIR/install.log" 2>&1 ||
		fail "meson install failed: $(cat "$BATS_TEST_TMPDIR/install.log")"
	PREFIX=$(meson introspect "$BUILD_ROOT" --buildoptions |
		python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
}

# write_config FILE: the test's options as a --config file.
write_config() {
	printf '%s\n' "# made by deploy.bats" "auth = passwd-file:$PASSWD" \
		"mailbox = $MAILBOX" "fail-delay = 0" >"$1"
}

# listen_on CMD...: run CMD (with {PORT} replaced by a free port of
# 127.0.0.1) in the background until it listens; sets PORT and SRV_PID.
listen_on() {
	local try i
	local -a cmd
	for try in 1 2 3; do
		PORT=$(python3 "$POP3UTIL" freeport)
		cmd=("${@//\{PORT\}/$PORT}")
		"${cmd[@]}" </dev/null >"$BATS_TEST_TMPDIR/srv.log" 2>&1 3>&- &
		SRV_PID=$!
		for ((i = 0; i < 100; i++)); do
			[ -z "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ] || return 0
			kill -0 "$SRV_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$SRV_PID" 2>/dev/null || :
		wait "$SRV_PID" 2>/dev/null || :
		SRV_PID=
	done
	fail "$1 did not listen: $(cat "$BATS_TEST_TMPDIR/srv.log")"
}

# fetch_all: log in as alice over TCP with poplib and RETR everything;
# checks the count, the total and each message against the fixture.
fetch_all() {
	run timeout 20 python3 "$LIBDIR/popfetch.py" "$PORT" alice secret
	assert_success
	assert_line --index 0 "+OK-login 5 $TOTAL_OCTETS"
	assert_line --index 6 quit
	local uid sum
	for uid in "${ALL_UIDS[@]}"; do
		sum=$(sha256sum <"$WIRE_DIR/$uid" | cut -d' ' -f1)
		assert_line --regexp "^[1-5] ${SIZE[$uid]} $sum\$"
	done
}

# ---------------------------------------------------------------- install

@test "meson install puts everything where Debian expects it" {
	install_tree
	if [ "$PREFIX" != /usr ]; then
		# Debian builds with --prefix=/usr: configure this tree that way.
		BUILD_ROOT=$BATS_TEST_TMPDIR/build-usr
		meson setup "$BUILD_ROOT" "$BATS_TEST_DIRNAME/../.." --prefix=/usr -Dbuildtype=plain \
			>"$BATS_TEST_TMPDIR/setup.log" 2>&1 || fail "meson setup: $(cat "$BATS_TEST_TMPDIR/setup.log")"
		ninja -C "$BUILD_ROOT" >"$BATS_TEST_TMPDIR/ninja.log" 2>&1 ||
			fail "ninja: $(cat "$BATS_TEST_TMPDIR/ninja.log")"
		rm -rf "$DEST"
		install_tree
	fi
	assert_equal "$PREFIX" /usr
	for f in usr/sbin/onepop usr/share/man/man8/onepop.8 \
		lib/systemd/system/onepop.socket lib/systemd/system/onepop@.service \
		lib/systemd/system/onepops.socket lib/systemd/system/onepops@.service \
		etc/xinetd.d/onepop etc/onepop/onepop.conf etc/onepop/onepops.conf \
		etc/fail2ban/filter.d/onepop.conf etc/fail2ban/jail.d/onepop.conf; do
		[ -f "$DEST/$f" ] || fail "$f is not installed: $(cd "$DEST" && find . -type f)"
	done
	[ -x "$DEST/usr/sbin/onepop" ] || fail "onepop is not executable"
	run grep -h '^ExecStart=' "$DEST"/lib/systemd/system/onepop@.service \
		"$DEST"/lib/systemd/system/onepops@.service
	assert_line --index 0 "ExecStart=/usr/sbin/onepop --config=/etc/onepop/onepop.conf"
	assert_line --index 1 "ExecStart=/usr/sbin/onepop --config=/etc/onepop/onepops.conf"
	run grep -E '^\s*server\s*=' "$DEST/etc/xinetd.d/onepop"
	assert_output --regexp '= /usr/sbin/onepop$'
}

@test "man -l renders onepop(8), and it covers every option of --help" {
	need man
	install_tree
	page=$(find "$DEST" -name onepop.8)
	run env MANWIDTH=100 man -l "$page"
	assert_success
	assert_line --regexp '^ONEPOP\(8\)'
	rendered=$output
	for section in SYNOPSIS OPTIONS AUTHENTICATION BACKENDS UNITS LOGGING 'EXIT STATUS'; do
		grep -q "^$section" <<<"$rendered" || fail "no $section section"
	done
	opts=$("$ONEPOP" --help | grep -oE -- '--[a-z-]+' | sort -u)
	[ "$(wc -l <<<"$opts")" -ge 10 ] || fail "too few options in --help: $opts"
	for o in $opts; do
		grep -qF -- "$o" <<<"$rendered" || fail "option $o is not in the man page"
	done
	for b in $("$ONEPOP" --list-backends); do
		grep -qE "^ {7}$b( |\$)" <<<"$rendered" || fail "backend $b is not in the man page"
	done
	for w in passwd-file pam checkpassword onepop.socket onepop@.service onepops.socket \
		xinetd inetd.conf fail2ban; do
		grep -qF -- "$w" <<<"$rendered" || fail "$w is not in the man page"
	done
	run bash -c "MANWIDTH=100 man --warnings -l '$page' 2>&1 >/dev/null"
	assert_output ""
}

# ---------------------------------------------------------------- systemd units

# installed_units DIR: the installed units with ExecStart pointing at the
# installed binary (systemd-analyze checks that it exists).
installed_units() {
	install_tree
	mkdir -p "$1"
	for f in "$DEST"/lib/systemd/system/*; do
		sed "s|$PREFIX/sbin/onepop|$DEST$PREFIX/sbin/onepop|" "$f" >"$1/$(basename "$f")"
	done
}

@test "systemd-analyze verify accepts the units without a word" {
	need systemd-analyze
	installed_units "$BATS_TEST_TMPDIR/u"
	cd "$BATS_TEST_TMPDIR/u"
	run env MANPATH="$DEST$PREFIX/share/man" systemd-analyze verify \
		./onepop.socket ./onepop@.service ./onepops.socket ./onepops@.service
	assert_success
	assert_output ""
	# What the deployment relies on.
	grep -qx 'ListenStream=110' onepop.socket
	grep -qx 'ListenStream=995' onepops.socket
	grep -qx 'Accept=yes' onepop.socket
	grep -qx 'Accept=yes' onepops.socket
	grep -qx 'StandardInput=socket' onepop@.service
	grep -qx 'CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_SYS_CHROOT' onepop@.service
	# Privilege separation: chroot allowed back, the empty root made.
	grep -q '^SystemCallFilter=.* chroot' onepop@.service
	grep -qx 'RuntimeDirectory=onepop/empty' onepop@.service
	grep -qx 'PrivateNetwork=yes' onepop@.service
}

@test "systemd-analyze security rates both services' exposure at most 1.5" {
	need systemd-analyze
	installed_units "$BATS_TEST_TMPDIR/u"
	cd "$BATS_TEST_TMPDIR/u"
	for unit in onepop@.service onepops@.service; do
		run systemd-analyze security --offline=yes --no-pager "./$unit"
		score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$output")
		[ -n "$score" ] || fail "no score for $unit: $output"
		echo "# $unit exposure: $score" >&3
		awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || fail "$unit exposure $score > 1.5"
	done
}

# ---------------------------------------------------------------- super-servers

@test "xinetd: the shipped entry serves mail on a loopback port" {
	need xinetd
	require_root
	write_config "$BATS_TEST_TMPDIR/onepop.conf"
	PORT=$(python3 "$POP3UTIL" freeport)
	# The shipped entry, pointed at this build, this config and this port.
	{
		printf 'defaults\n{\n\tinstances = 10\n}\n'
		sed -e 's/^\(\s*disable\s*=\).*/\1 no/' \
			-e "s|^\(\s*server\s*=\).*|\1 $ONEPOP|" \
			-e "s|/etc/onepop/onepop.conf|$BATS_TEST_TMPDIR/onepop.conf|" \
			-e '/^\s*log_/d' \
			-e "s|^{|{\n\ttype = UNLISTED\n\tport = {PORT}\n\tbind = 127.0.0.1\n\tlog_type = FILE $BATS_TEST_TMPDIR/xinetd.log|" \
			"$UNITS/xinetd/onepop"
	} >"$BATS_TEST_TMPDIR/xinetd.tmpl"
	grep -q 'server_args.*--config=' "$BATS_TEST_TMPDIR/xinetd.tmpl" || fail "no server_args"
	# xinetd reads its config at start: write it per port try.
	cat >"$BATS_TEST_TMPDIR/run-xinetd" <<-EOF
	#!/bin/sh
	sed "s/{PORT}/\$1/" "$BATS_TEST_TMPDIR/xinetd.tmpl" >"$BATS_TEST_TMPDIR/xinetd.conf"
	exec xinetd -dontfork -f "$BATS_TEST_TMPDIR/xinetd.conf" -pidfile "$BATS_TEST_TMPDIR/xinetd.pid"
	EOF
	chmod 755 "$BATS_TEST_TMPDIR/run-xinetd"
	listen_on "$BATS_TEST_TMPDIR/run-xinetd" '{PORT}'
	fetch_all
	kill "$SRV_PID"
	wait "$SRV_PID" || :
	SRV_PID=
	assert_store_unchanged
}

@test "inetd.conf: the shipped line runs under tcpserver and serves mail" {
	need tcpserver
	write_config "$BATS_TEST_TMPDIR/onepop.conf"
	line=$(grep -v '^#' "$UNITS/inetd.conf")
	read -r service socktype proto wait user server argv0 args <<<"$line"
	assert_equal "$service $socktype $proto $wait $user" "pop3 stream tcp nowait root"
	assert_equal "$argv0" onepop
	args=${args//\/etc\/onepop\/onepop.conf/$BATS_TEST_TMPDIR/onepop.conf}
	assert_equal "$server" /usr/sbin/onepop
	# shellcheck disable=SC2086
	listen_on tcpserver -H -R -l 0 127.0.0.1 '{PORT}' "$ONEPOP" $args
	fetch_all
	assert_store_unchanged
}

@test "LISTEN_FDS: an accepted socket on fd 3 is served (systemd-socket-activate --accept)" {
	need systemd-socket-activate
	write_config "$BATS_TEST_TMPDIR/onepop.conf"
	listen_on systemd-socket-activate --accept -l '127.0.0.1:{PORT}' \
		"$ONEPOP" --config="$BATS_TEST_TMPDIR/onepop.conf"
	fetch_all
}

@test "LISTEN_FDS: a listening socket (Accept=no) is refused with exit 2" {
	need systemd-socket-activate
	write_config "$BATS_TEST_TMPDIR/onepop.conf"
	listen_on systemd-socket-activate -l '127.0.0.1:{PORT}' \
		"$ONEPOP" --config="$BATS_TEST_TMPDIR/onepop.conf"
	# The first connection starts onepop on the listening socket.
	python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5).close()' "$PORT" || :
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	run wait "$SRV_PID"
	SRV_PID=
	assert_equal "$status" 2
	run grep -F LISTEN_FDS "$BATS_TEST_TMPDIR/srv.log"
	assert_success
}

# ---------------------------------------------------------------- logging

# in_log_namespace SOCKET CMD...: run CMD in a private mount namespace in
# which SOCKET ("syslog" = /dev/log, "journal" = the journal's socket) is
# a sink writing to $LOG_OUT; stdin is the test's transcript file $IN.
in_log_namespace() {
	require_root
	need unshare
	local kind=$1 dir=$BATS_TEST_TMPDIR/ns sock setup sink
	shift
	mkdir -p "$dir/dev" "$dir/journal"
	LOG_OUT=$BATS_TEST_TMPDIR/$kind.out
	: >"$LOG_OUT"
	if [ "$kind" = syslog ]; then
		sock=$dir/dev/log
		touch "$dir/dev/null"
		# /dev with only null and log in it.
		setup="mount --bind /dev/null $dir/dev/null && mount --bind $dir/dev /dev"
	else
		sock=$dir/journal/socket
		setup="mount -t tmpfs tmpfs /run && mkdir -p /run/systemd && ln -s $dir/journal /run/systemd/journal"
	fi
	python3 "$LIBDIR/dgram_sink.py" "$sock" "$LOG_OUT" "$dir/ready" 20 &
	sink=$!
	wait_for test -e "$dir/ready" || fail "the log sink did not start"
	run unshare -m --propagation private bash -c "$setup && exec \"\$@\"" bash "$@"
	# Let the last datagram land, then stop the sink.
	sleep 0.2
	kill "$sink"
	wait "$sink" || :
}

@test "journal: started by systemd, the session logs USER, REMOTE_ADDR, RETR_BYTES, DELETED, END_REASON" {
	load_uidls
	printf '%s\r\n' "USER alice" "PASS wrong" "USER alice" "PASS secret" \
		"RETR ${MSGNUM[$UID_LF]}" "DELE ${MSGNUM[$UID_DOTS]}" QUIT >"$BATS_TEST_TMPDIR/in"
	in_log_namespace journal env JOURNAL_STREAM=8:12345 TCPREMOTEIP=192.0.2.7 \
		timeout 20 "$ONEPOP" --auth="passwd-file:$PASSWD" --mailbox="$MAILBOX" --fail-delay=0 \
		<"$BATS_TEST_TMPDIR/in"
	assert_success
	assert_line --regexp '^\+OK 5 messages'
	run cat "$LOG_OUT"
	# The failed login: its own entry with USER and REMOTE_ADDR.
	assert_line 'MESSAGE=login failed: user=alice rhost=192.0.2.7'
	# The summary entry, field by field.
	awk -v RS='--\n' '/END_REASON=/' "$LOG_OUT" >"$BATS_TEST_TMPDIR/end"
	run cat "$BATS_TEST_TMPDIR/end"
	assert_line USER=alice
	assert_line REMOTE_ADDR=192.0.2.7
	assert_line END_REASON=quit
	assert_line "RETR_BYTES=${SIZE[$UID_LF]}"
	assert_line DELETED=1
	assert_line SYSLOG_IDENTIFIER=onepop
	assert_line PRIORITY=6
	assert_line --regexp '^MESSAGE=session end: user=alice '
	assert_store_without "$UID_DOTS"
}

@test "syslog: without systemd the same lines go to /dev/log, facility mail" {
	printf '%s\r\n' "USER alice" "PASS wrong" QUIT >"$BATS_TEST_TMPDIR/in"
	in_log_namespace syslog env -u JOURNAL_STREAM -u INVOCATION_ID TCPREMOTEIP=192.0.2.8 \
		timeout 20 "$ONEPOP" --auth="passwd-file:$PASSWD" --mailbox="$MAILBOX" --fail-delay=0 \
		<"$BATS_TEST_TMPDIR/in"
	assert_success
	run cat "$LOG_OUT"
	# <mail.notice> = 2*8+5 = 21
	assert_line --regexp '^<21>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} onepop\[[0-9]+\]: login failed: user=alice rhost=192\.0\.2\.8$'
	assert_line --regexp '^<22>.* onepop\[[0-9]+\]: session end: user=- rhost=192\.0\.2\.8 end=quit '
}

@test "fail2ban-regex: the shipped filter matches onepop's real failed-login lines, and only those" {
	need fail2ban-regex
	printf '%s\r\n' "USER alice" "PASS wrong1" "USER mallory" "PASS x" QUIT \
		>"$BATS_TEST_TMPDIR/in"
	in_log_namespace syslog env TCPREMOTEIP=198.51.100.23 \
		timeout 20 "$ONEPOP" --auth="passwd-file:$PASSWD" --mailbox="$MAILBOX" --fail-delay=0 \
		<"$BATS_TEST_TMPDIR/in"
	assert_success
	# The sink's datagrams as a syslog file: drop "<PRI>", add a host name.
	grep -v '^--$' "$LOG_OUT" | sed -E 's/^<[0-9]+>(.{15}) /\1 mailhost /' >"$BATS_TEST_TMPDIR/mail.log"
	run grep -c 'login failed' "$BATS_TEST_TMPDIR/mail.log"
	assert_output 2
	# The filter as installed next to Debian's common.conf, by name.
	[ -f /etc/fail2ban/filter.d/common.conf ] || skip "no /etc/fail2ban/filter.d/common.conf"
	mkdir -p "$BATS_TEST_TMPDIR/f2b/filter.d"
	cp /etc/fail2ban/filter.d/common.conf "$UNITS/fail2ban/onepop.conf" "$BATS_TEST_TMPDIR/f2b/filter.d/"
	run fail2ban-regex --config "$BATS_TEST_TMPDIR/f2b" --print-all-matched \
		"$BATS_TEST_TMPDIR/mail.log" onepop
	assert_success
	assert_output --regexp 'Failregex: 2 total'
	assert_output --partial 198.51.100.23
	assert_output --regexp 'Lines: [0-9]+ lines, 0 ignored, 2 matched'
}
