#!/usr/bin/env bats
# The units under a real systemd: a debootstrapped Debian 12 with the
# package installed boots with systemd as PID 1 (systemd-nspawn -b);
# onepop.socket and onepops.socket listen on 127.0.0.1 ports and every
# session runs in onepop@.service / onepops@.service with all of the
# unit's sandboxing in force. A real client (Python's poplib) fetches mail
# from the mbox spool with USER/PASS, APOP, AUTH, STLS and implicit TLS;
# --fail-state and the journal fields are checked inside the container.

load ../debian/lib

C=$BATS_TEST_DIRNAME/../debian/popclient.py

# nspawn_unusable: why this machine cannot boot the container, or nothing.
nspawn_unusable() {
	pkg_unusable
	command -v systemd-nspawn >/dev/null || echo "no systemd-nspawn (package systemd-container)"
	command -v nsenter >/dev/null || echo "no nsenter"
}

setup_file() {
	local why
	why=$(nspawn_unusable)
	if [ -n "$why" ]; then
		echo "$why" >"$BATS_FILE_TMPDIR/skip"
		return 0
	fi
	ROOT=$BATS_FILE_TMPDIR/root
	pkg_build >&3 || { echo "dpkg-buildpackage failed: $PKG_DIR/build.log" >"$BATS_FILE_TMPDIR/fail"; return 0; }
	mkroot "$ROOT" >&3 || { echo "no Debian 12 root: debootstrap from the mirror failed (offline?)" >"$BATS_FILE_TMPDIR/skip"; return 0; }
	pkg_install "$ROOT" >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
		{ echo "apt-get install failed: $BATS_FILE_TMPDIR/install.log" >"$BATS_FILE_TMPDIR/fail"; return 0; }
	configure_root "$ROOT"
	boot "$ROOT" || true
}

teardown_file() {
	local pid i
	if [ -s "$BATS_FILE_TMPDIR/nspawn.pid" ]; then
		pid=$(cat "$BATS_FILE_TMPDIR/nspawn.pid")
		# nspawn turns SIGTERM into an orderly poweroff of the container
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	rm -rf "$BATS_FILE_TMPDIR/root"
}

setup() {
	[ ! -s "$BATS_FILE_TMPDIR/skip" ] || skip "$(cat "$BATS_FILE_TMPDIR/skip")"
	[ ! -s "$BATS_FILE_TMPDIR/fail" ] || fail "$(cat "$BATS_FILE_TMPDIR/fail")"
	ROOT=$BATS_FILE_TMPDIR/root
	P110=$(cat "$BATS_FILE_TMPDIR/port110")
	P995=$(cat "$BATS_FILE_TMPDIR/port995")
	CERT=$BATS_FILE_TMPDIR/cert.pem
	LEADER=$(cat "$BATS_FILE_TMPDIR/leader")
}

# ct CMD...: run CMD inside the booted container (all its namespaces).
ct() { nsenter -t "$LEADER" -a "$@"; }

# configure_root ROOT: what an operator does after installing: a mail user
# with an mbox in the spool, a passwd-file (APOP and CRAM-MD5 need its
# plaintext secret), a certificate, the options, and 127.0.0.1 ports for
# the two sockets (drop-ins: the shipped units listen on 110 and 995).
configure_root() {
	local root=$1 uid gid d=$BATS_FILE_TMPDIR
	inroot "$root" useradd -M -d /nonexistent alice
	uid=$(inroot "$root" id -u alice)
	gid=$(inroot "$root" id -g alice)
	{
		printf 'From sender@example.org Mon Jan  1 00:00:00 2024\nFrom: sender@example.org\nSubject: first\n\nbody one\n\n'
		printf 'From sender@example.org Mon Jan  1 00:00:01 2024\nFrom: sender@example.org\nSubject: second\n\n>From the spool\nbody two\n\n'
	} >"$root/var/mail/alice"
	inroot "$root" chown alice:mail /var/mail/alice
	chmod 0660 "$root/var/mail/alice"
	printf 'alice:{PLAIN}s3cret:%s:%s::/nonexistent::\n' "$uid" "$gid" >"$root/etc/onepop/passwd"
	chmod 0600 "$root/etc/onepop/passwd"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$root/etc/onepop/key.pem" -out "$d/cert.pem" -days 2 -subj /CN=localhost \
		>/dev/null 2>&1
	cp "$d/cert.pem" "$root/etc/onepop/cert.pem"
	chmod 0600 "$root/etc/onepop/key.pem"
	local common
	common=$(printf '%s\n' "auth = passwd-file:/etc/onepop/passwd" "backend = mbox" \
		"tls-cert = /etc/onepop/cert.pem" "tls-key = /etc/onepop/key.pem" \
		"fail-state = /var/lib/onepop" "fail-limit = 3" "fail-ban = 600" \
		"fail-delay = 100")
	printf '%s\n' "$common" "tls = starttls" "allow-plaintext" >"$root/etc/onepop/onepop.conf"
	printf '%s\n' "$common" "tls = implicit" >"$root/etc/onepop/onepops.conf"
	python3 "$BATS_TEST_DIRNAME/../lib/pop3util.py" freeport >"$d/port110"
	python3 "$BATS_TEST_DIRNAME/../lib/pop3util.py" freeport >"$d/port995"
	mkdir -p "$root/etc/systemd/system/onepop.socket.d" "$root/etc/systemd/system/onepops.socket.d"
	printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$(cat "$d/port110")" \
		>"$root/etc/systemd/system/onepop.socket.d/test.conf"
	printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$(cat "$d/port995")" \
		>"$root/etc/systemd/system/onepops.socket.d/test.conf"
	# Nothing the test does not need: no getty on the console, no timers.
	inroot "$root" systemctl mask console-getty.service apt-daily.timer \
		apt-daily-upgrade.timer e2scrub_all.timer >/dev/null 2>&1
}

# boot ROOT: systemd-nspawn -b in the background (the host's network: the
# sockets bind 127.0.0.1 ports the client reaches); waits for the boot to
# finish and writes the container's PID 1 (host view) to leader.
boot() {
	local root=$1 d=$BATS_FILE_TMPDIR pid leader i state
	systemd-nspawn -q -D "$root" -b --register=no --keep-unit --console=passive \
		-M "onepop-test-$$" </dev/null >"$d/nspawn.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$d/nspawn.pid"
	for ((i = 0; i < 100; i++)); do
		# nspawn's first child is a short-lived helper: wait for PID 1
		leader=$(pgrep -P "$pid" -x systemd | head -1)
		[ -n "$leader" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if [ -z "$leader" ]; then
		echo "systemd-nspawn -b did not start a container here: $(tail -3 "$d/nspawn.log" | tr '\n' ' ')" >"$d/skip"
		return 1
	fi
	echo "$leader" >"$d/leader"
	# systemctl answers once PID 1 has its private socket up
	for ((i = 0; i < 150; i++)); do
		state=$(timeout 90 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1)
		[[ "$state" == *"Failed to connect"* ]] || break
		sleep 0.2
	done
	echo "$state" >"$d/boot-state"
}

@test "nspawn: Debian 12 boots with systemd as PID 1; the sockets listen on 127.0.0.1 only when started" {
	run ct cat /proc/1/comm
	assert_output systemd
	run cat "$BATS_FILE_TMPDIR/boot-state"
	assert_output --regexp '^(running|degraded)$'
	# installed, not enabled: nothing listens until the operator says so
	run ct systemctl is-enabled onepop.socket onepops.socket
	assert_output $'disabled\ndisabled'
	run ct onepop --check-config --config=/etc/onepop/onepop.conf
	assert_success
	run ct onepop -t --config=/etc/onepop/onepops.conf
	assert_success
	assert_line "tls = implicit"
	run ct systemctl start onepop.socket onepops.socket
	assert_success
	run ct systemctl is-active onepop.socket onepops.socket
	assert_output $'active\nactive'
	run ct systemctl show -p Listen onepop.socket
	assert_output "Listen=127.0.0.1:$P110 (Stream)"
}

@test "nspawn: USER/PASS and APOP fetch the mbox spool through onepop.socket" {
	run python3 "$C" "$P110" user alice s3cret
	assert_success
	assert_line "count 2"
	assert_line "msg 1 Subject: first"
	assert_line "msg 2 Subject: second"
	assert_line --partial "quit +OK"
	run python3 "$C" "$P110" apop alice s3cret
	assert_success
	assert_line "count 2"
}

@test "nspawn: AUTH PLAIN and CRAM-MD5, and STLS with the configured certificate" {
	run python3 "$C" "$P110" plain alice s3cret
	assert_success
	assert_line "count 2"
	run python3 "$C" "$P110" cram alice s3cret
	assert_success
	assert_line "count 2"
	run python3 "$C" "$P110" stls alice s3cret "$CERT"
	assert_success
	assert_line "msg 2 Subject: second"
}

@test "nspawn: implicit TLS through onepops.socket; DELE rewrites the spool under the sandbox" {
	run python3 "$C" "$P995" implicit alice s3cret "$CERT" --dele 1
	assert_success
	assert_line "count 2"
	assert_line --partial "quit +OK"
	# the mbox rewrite (dotlock in /var/mail, mail group) went through
	run ct grep -c '^From ' /var/mail/alice
	assert_output 1
	run ct grep -c 'Subject: second' /var/mail/alice
	assert_output 1
	run ct sh -c 'ls /var/mail'
	refute_output --partial '.lock'
}

@test "nspawn: a session runs with the unit's sandbox in force (seccomp, no new privileges, capabilities, read-only system)" {
	local holder pid unit i mnt
	# a client that holds its session open after the greeting; the
	# greeting comes from onepop itself, so once it is there the unit's
	# process has been through systemd's set-up and exec (read before
	# that, /proc showed a half-made process: Seccomp 2, NoNewPrivs 0)
	python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.recv(512)
open(sys.argv[2], "w").close()
time.sleep(20)' "$P110" "$BATS_TEST_TMPDIR/greeted" 3>&- &
	holder=$!
	for ((i = 0; i < 100; i++)); do
		[ -e "$BATS_TEST_TMPDIR/greeted" ] && break
		sleep 0.1
	done
	[ -e "$BATS_TEST_TMPDIR/greeted" ] || { kill "$holder"; fail "no greeting"; }
	for ((i = 0; i < 100; i++)); do
		unit=$(ct systemctl list-units --no-legend --plain --state=running 'onepop@*' | awk 'NR == 1 { print $1 }')
		[ -n "$unit" ] && break
		sleep 0.1
	done
	[ -n "$unit" ] || { kill "$holder"; fail "no onepop@ instance running"; }
	pid=$(ct systemctl show -p MainPID --value "$unit")
	ct cat "/proc/$pid/status" >"$BATS_TEST_TMPDIR/status"
	mnt=$(ct readlink "/proc/$pid/ns/mnt")
	ct cat "/proc/$pid/mountinfo" >"$BATS_TEST_TMPDIR/mountinfo"
	kill "$holder"
	wait "$holder" || :
	run grep -E '^(NoNewPrivs|Seccomp):' "$BATS_TEST_TMPDIR/status"
	assert_output $'NoNewPrivs:\t1\nSeccomp:\t2'
	# bounding set: CAP_SETGID, CAP_SETUID (and CAP_SYS_CHROOT for
	# privilege separation), nothing else
	run awk '/^CapBnd:/ { print $2 }' "$BATS_TEST_TMPDIR/status"
	(( (16#$output & ~16#400c0) == 0 )) || fail "CapBnd $output holds more than setuid, setgid, sys_chroot"
	(( (16#$output & 16#c0) == 16#c0 )) || fail "CapBnd $output lacks setuid/setgid"
	# its own mount namespace, / read-only (ProtectSystem=strict), its
	# own /tmp (PrivateTmp=yes)
	[ "$mnt" != "$(ct readlink /proc/1/ns/mnt)" ]
	run awk '$5 == "/" { print $6 }' "$BATS_TEST_TMPDIR/mountinfo"
	assert_output --regexp '(^|,)ro(,|$)'
	run awk '$5 == "/tmp" { print $4 }' "$BATS_TEST_TMPDIR/mountinfo"
	assert_output --regexp "/systemd-private-[^/]*-$unit-[^/]*/tmp"
}

@test "nspawn: the journal holds each session's fields, from the unit that ran it" {
	local j=$BATS_TEST_TMPDIR/journal.json
	ct journalctl -o json --no-pager >"$j"
	run python3 - "$j" <<'PY'
import json, sys
ends = [e for e in map(json.loads, open(sys.argv[1])) if e.get("END_REASON")]
for e in ends:
    print(e.get("_SYSTEMD_UNIT", "-").split("@")[0], e.get("USER"), e.get("REMOTE_ADDR"),
          e.get("END_REASON"), e.get("DELETED"), e.get("RETR_BYTES", "-") != "0",
          e.get("SYSLOG_FACILITY"), e.get("_UID"))
PY
	assert_success
	# logged after the session became alice (uid $uid), from its unit
	local uid
	uid=$(ct id -u alice)
	assert_line "onepop alice 127.0.0.1 quit 0 True 2 $uid"
	assert_line "onepops alice 127.0.0.1 quit 1 True 2 $uid"
	# and systemd had nothing to warn about the units while it ran them
	run python3 - "$j" <<'PY'
import json, sys
for e in map(json.loads, open(sys.argv[1])):
    if e.get("_PID") == "1" and "onepop" in str(e.get("MESSAGE")) and int(e.get("PRIORITY", 6)) <= 4:
        print(e.get("MESSAGE"))
PY
	assert_success
	assert_output ""
}

@test "nspawn: --fail-state refuses an address across connections, in the unit's state directory" {
	local i
	for i in 1 2 3; do
		run python3 "$C" "$P110" user alice wrong
		assert_failure
		assert_output --partial "-ERR"
	done
	# the right password, from the same address, is now refused
	run python3 "$C" "$P110" user alice s3cret
	assert_failure
	run ct sh -c 'ls -A /var/lib/onepop | wc -l'
	refute_output 0
	run ct stat -c '%a %U' /var/lib/onepop
	assert_output "700 root"
}
