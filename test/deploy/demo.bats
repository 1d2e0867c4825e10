#!/usr/bin/env bats
# README's first command, tools/demo, and what README says of it: it
# builds onepop and serves the bundled sample Maildir on stdin/stdout
# (USER demo / PASS demo); run as root it makes the system user for the
# pre-auth process when missing (tools/install-user, also meson install's
# step) and the session separates privileges as a deployed one does.
# The demo builds in its tree's build/, so it runs on a copy of the tree.

setup() {
	load ../helpers
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	T=$BATS_TEST_TMPDIR
	TMP_USER=""
}

teardown() {
	if [ -n "$TMP_USER" ] && id "$TMP_USER" >/dev/null 2>&1; then
		retry_lock userdel "$TMP_USER"
	fi
}

# copy_tree: the sources without .git and build directories, in $T/tree.
copy_tree() {
	mkdir "$T/tree"
	tar -C "$TOP" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$T/tree" -xf -
}

@test "tools/demo: a piped session logs in to the sample Maildir and reads it" {
	copy_tree
	printf 'USER demo\r\nPASS demo\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n' |
		"$T/tree/tools/demo" >"$T/out" 2>"$T/err" || fail "demo failed: $(tail -20 "$T/err")"
	run tr -d '\r' <"$T/out"
	assert_line --index 0 --regexp '^\+OK onepop ready'
	assert_line "+OK 3 messages (786 octets)"
	assert_line "+OK 3 786"
	assert_line "+OK goodbye"
	# The session worked on a copy: the bundled sample keeps its three.
	assert_equal "$(find "$T/tree/sample/Maildir/cur" "$T/tree/sample/Maildir/new" -type f | wc -l)" 3
	assert_equal "$(find "$T/tree/build/demo/Maildir/cur" "$T/tree/build/demo/Maildir/new" -type f | wc -l)" 2
}

@test "tools/demo as root: the session separates privileges (the pre-auth process chroots)" {
	require_root
	command -v strace >/dev/null || skip "strace is not installed: tools/install-deps installs it"
	id onepop >/dev/null 2>&1 || skip "no system user onepop (tools/run-tests makes it for the run)"
	copy_tree
	# Build first, so that strace sees the session only.
	printf 'QUIT\r\n' | "$T/tree/tools/demo" >/dev/null 2>"$T/err" || fail "demo failed: $(tail -20 "$T/err")"
	printf 'USER demo\r\nPASS demo\r\nSTAT\r\nQUIT\r\n' |
		strace -f -e trace=chroot,setresuid -o "$T/trace" "$T/tree/tools/demo" >"$T/out" 2>"$T/err" ||
		fail "demo failed: $(tail -20 "$T/err")"
	run tr -d '\r' <"$T/out"
	assert_line "+OK 3 786"
	run cat "$T/trace"
	assert_output --regexp 'chroot\("/run/onepop/empty"\) += 0'
	assert_output --regexp "setresuid\($(id -u onepop), $(id -u onepop), $(id -u onepop)\) += 0"
}

@test "tools/install-user makes a missing system user once, with no login and no home" {
	require_root
	TMP_USER=opt-iu-$$
	! id "$TMP_USER" >/dev/null 2>&1 || fail "$TMP_USER exists already"
	run retry_lock "$TOP/tools/install-user" "$TMP_USER"
	assert_success
	assert_output --partial "made the system user $TMP_USER"
	run getent passwd "$TMP_USER"
	assert_success
	IFS=: read -r _ _ uid _ _ home shell <<<"$output"
	[ "$uid" -lt 1000 ] || fail "uid $uid is not a system uid"
	assert_equal "$home" /nonexistent
	assert_equal "$shell" /usr/sbin/nologin
	[ ! -e /nonexistent ] || fail "a home directory was made"
	# Present already: nothing to do, nothing said.
	run "$TOP/tools/install-user" "$TMP_USER"
	assert_success
	assert_output ""
}

@test "tools/install-user into a staging tree (DESTDIR) only says how to make the user" {
	TMP_USER=opt-iu-$$
	! id "$TMP_USER" >/dev/null 2>&1 || fail "$TMP_USER exists already"
	DESTDIR=$T/stage run "$TOP/tools/install-user" "$TMP_USER"
	assert_success
	assert_output --partial "useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin $TMP_USER"
	run id "$TMP_USER"
	assert_failure
}
