#!/usr/bin/env bats
# The Debian package (debian/): built with dpkg-buildpackage, lintian-clean,
# installed with apt into a clean Debian 12 root where it serves a session
# with its own binary and config, and purged without a trace.

load ../debian/lib

setup_file() {
	local why
	why=$(pkg_unusable)
	[ -n "$why" ] && return 0
	pkg_build >&3 || echo "build failed" >"$BATS_FILE_TMPDIR/build-failed"
}

setup() {
	local why
	why=$(pkg_unusable)
	[ -z "$why" ] || skip "$why"
	[ ! -e "$BATS_FILE_TMPDIR/build-failed" ] || fail "dpkg-buildpackage failed: $PKG_DIR/build.log"
	DEB=$(ls "$PKG_DIR"/onepop_*.deb | head -1)
	ROOT=$BATS_TEST_TMPDIR/root
}

teardown() {
	[ -z "${ROOT:-}" ] || rm -rf "$ROOT"
}

@test "the package holds what Debian expects where Debian expects it" {
	run dpkg-deb -c "$DEB"
	assert_success
	local f
	for f in ./usr/sbin/onepop ./usr/share/man/man8/onepop.8.gz \
		./lib/systemd/system/onepop.socket ./lib/systemd/system/onepop@.service \
		./lib/systemd/system/onepops.socket ./lib/systemd/system/onepops@.service \
		./etc/onepop/onepop.conf ./etc/onepop/onepops.conf ./etc/pam.d/onepop \
		./etc/xinetd.d/onepop ./etc/fail2ban/filter.d/onepop.conf \
		./etc/fail2ban/jail.d/onepop.conf ./usr/lib/tmpfiles.d/onepop.conf \
		./usr/share/doc/onepop/examples/inetd.conf ./usr/share/doc/onepop/copyright; do
		assert_output --partial " $f"
	done
	assert_output --regexp 'drwx------ root/root .* \./var/lib/onepop/$'
	assert_output --regexp '/usr/lib/[^/]+/onepop/onepop-tls\.so'
	assert_output --regexp '/usr/lib/[^/]+/onepop/onepop-pam\.so'
	# every file under /etc is a conffile (dh_installdeb)
	run sh -c "dpkg-deb --ctrl-tarfile '$DEB' | tar -xOf - ./conffiles"
	assert_success
	assert_line /etc/onepop/onepop.conf
	assert_line /etc/pam.d/onepop
}

@test "lintian: no error, no warning that is not overridden with a reason" {
	run lintian --pedantic --display-info "$PKG_DIR"/onepop_*.changes
	echo "$output" >"$PKG_DIR/lintian.log"
	assert_success
	refute_output --regexp '^[EW]: '
	# the one override carries its reason in the source
	run grep -B1 -A0 '^non-standard-dir-perm' "$TOP/debian/onepop.lintian-overrides"
	assert_output --partial '# '
}

@test "apt installs it in a clean Debian 12, it serves a session as installed, purge leaves nothing" {
	mkroot "$ROOT" || skip "no Debian 12 root: debootstrap from the mirror failed (offline?)"
	# A system user with a Maildir and a password, as PAM (the installed
	# config's auth = pam) sees it.
	inroot "$ROOT" useradd -m bob
	echo 'bob:b0b-secret' | inroot "$ROOT" chpasswd
	mkdir -p "$ROOT/home/bob/Maildir/"{new,cur,tmp}
	printf 'From: a@example.org\nSubject: hi\n\nhello bob\n' >"$ROOT/home/bob/Maildir/new/1700000001.M1P1.host"
	inroot "$ROOT" chown -R bob:bob /home/bob/Maildir
	snapshot "$ROOT" >"$BATS_TEST_TMPDIR/before"

	run pkg_install "$ROOT"
	assert_success
	run inroot "$ROOT" id onepop
	assert_output --regexp '^uid=[0-9]+\(onepop\) gid=[0-9]+\(onepop\) groups=[0-9]+\(onepop\)$'
	run inroot "$ROOT" getent passwd onepop
	assert_output --regexp ':/nonexistent:/usr/sbin/nologin$'
	[ "$(stat -c '%a %U' "$ROOT/run/onepop/empty")" = "555 root" ]
	[ -z "$(ls -A "$ROOT/run/onepop/empty")" ]
	[ "$(stat -c '%a %U' "$ROOT/var/lib/onepop")" = "700 root" ]
	# nothing listens: the sockets are installed, not enabled
	[ ! -e "$ROOT/etc/systemd/system/sockets.target.wants/onepop.socket" ]
	[ ! -e "$ROOT/etc/systemd/system/sockets.target.wants/onepops.socket" ]

	# The installed binary, config, PAM service and modules.
	run inroot "$ROOT" /usr/sbin/onepop --check-config --config=/etc/onepop/onepop.conf
	assert_success
	assert_line 'auth = pam'
	run --separate-stderr inroot "$ROOT" sh -c \
		"printf 'USER bob\r\nPASS b0b-secret\r\nSTAT\r\nRETR 1\r\nQUIT\r\n' | /usr/sbin/onepop --config=/etc/onepop/onepop.conf"
	assert_success
	assert_line --index 3 --regexp '^\+OK 1 [0-9]+'
	assert_output --partial 'hello bob'

	run inroot "$ROOT" apt-get purge -y -q onepop
	assert_success
	rm -f "$ROOT/tmp/onepop.deb"
	run inroot "$ROOT" getent passwd onepop
	assert_failure
	run inroot "$ROOT" getent group onepop
	assert_failure
	snapshot "$ROOT" >"$BATS_TEST_TMPDIR/after"
	run diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_success
}

# snapshot ROOT: every path with mode and owner, and the checksum of every
# file under /etc, but for what apt and dpkg keep about themselves (their
# database, logs, caches), shadow's backup copies (/etc/passwd- ...) and
# the user's home: the mail store is the user's, not the package's.
snapshot() {
	(cd "$1" && find . -xdev \( -path ./proc -o -path ./var/lib/dpkg -o -path ./var/lib/apt \
		-o -path ./var/log -o -path ./var/cache/apt -o -path ./var/cache/debconf \
		-o -path ./home/bob -o -path './etc/*-' \) -prune -o -printf '%p %M %u %g\n' | sort
	 find ./etc -xdev -type f ! -name '*-' -exec md5sum {} + | sort)
}
