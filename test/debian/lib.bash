# Shared by test/deploy/package.bats and test/deploy/nspawn.bats: build the Debian
# package from this tree once per run, and make clean Debian 12 roots.

bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

export DEBIAN_FRONTEND=noninteractive
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MKROOT=$TOP/test/debian/mkroot
# One build a run, shared by both suites (the build dir when meson runs us).
PKG_DIR=${BUILD_ROOT:-$BATS_RUN_TMPDIR}/debian-package

# Why this machine cannot run these tests, or nothing.
pkg_unusable() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root (debootstrap, chroot, dpkg)"; return; }
	local t
	for t in dpkg-buildpackage dh lintian debootstrap unshare; do
		command -v "$t" >/dev/null || { echo "no $t (tools/install-deps installs it)"; return; }
	done
}

# pkg_build: dpkg-buildpackage -us -uc -b on a copy of the tree (the build
# writes debian/ and the parent directory); sets DEB. Built once: a later
# call reuses the .deb if no file of the tree is newer.
pkg_build() {
	local lock
	# package.bats and nspawn.bats may run at once: one builds, the other waits
	exec {lock}>"$PKG_DIR.lock"
	flock "$lock"
	_pkg_build
	local rc=$?
	exec {lock}>&-
	return $rc
}

_pkg_build() {
	DEB=$(ls "$PKG_DIR"/onepop_*.deb 2>/dev/null | head -1)
	if [ -n "$DEB" ] && [ -z "$(cd "$TOP" && find src backends units man debian meson.build \
		-newer "$DEB" -type f | head -1)" ]; then
		return 0
	fi
	rm -rf "$PKG_DIR"
	mkdir -p "$PKG_DIR/src"
	(cd "$TOP" && { git ls-files -co --exclude-standard 2>/dev/null ||
		find . -path './build*' -prune -o -type f -print; } |
		grep -v '^build' | tar -cf - -T -) | tar -C "$PKG_DIR/src" -xf -
	(cd "$PKG_DIR/src" && dpkg-buildpackage -us -uc -b) >"$PKG_DIR/build.log" 2>&1 || {
		tail -40 "$PKG_DIR/build.log"
		return 1
	}
	DEB=$(ls "$PKG_DIR"/onepop_*.deb | head -1)
}

# mkroot DIR: a fresh Debian 12 root (from the cache; debootstrap once).
# Fails with "mirror" in its output when the root cannot be made.
mkroot() {
	"$MKROOT" "$1" >"$BATS_FILE_TMPDIR/mkroot.log" 2>&1 || {
		tail -20 "$BATS_FILE_TMPDIR/mkroot.log"
		return 1
	}
}

# inroot ROOT CMD...: run CMD chrooted in ROOT with /proc mounted, in a
# private mount namespace (the mount goes away with the command).
inroot() {
	local root=$1
	shift
	unshare -m --propagation private sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
		"$root" "$@"
}

# pkg_install ROOT: install the .deb with apt, as an operator would.
pkg_install() {
	cp "$DEB" "$1/tmp/onepop.deb"
	inroot "$1" apt-get install -y -q --no-install-recommends \
		/tmp/onepop.deb </dev/null
}
