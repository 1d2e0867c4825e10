#!/usr/bin/env bats
# The layers of doc/DESIGN.md, held by the include path: a backend in
# backends/NAME/ is compiled with only include/ (the contract,
# onepop/backend.h), backends/common/, util/, its own folder and the
# build directory (config.h) on it, so a backend that includes a core
# header from src/ or another backend's header does not build. These
# tests compile every backend with that path, show that a src/ header
# and another backend's header are then out of reach, and check that the
# build's own compile commands for backends/ name no other directory.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	T=$BATS_TEST_TMPDIR
	[ -n "${BUILD_ROOT:-}" ] || skip "BUILD_ROOT is not set: run through meson test"
	[ -f "$BUILD_ROOT/config.h" ] || skip "no config.h in $BUILD_ROOT"
	command -v pkg-config >/dev/null || skip "pkg-config is not installed"
	CC=${CC:-cc}
	# shellcheck disable=SC2207
	CFLAGS=(-fsyntax-only -std=gnu11 -D_GNU_SOURCE $(pkg-config --cflags libbsd-overlay)
		-I "$TOP/include" -I "$TOP/backends/common" -I "$TOP/util" -I "$BUILD_ROOT")
}

# Compile FILE as a file of backend DIR (a folder under backends/).
backend_cc() {
	local dir=$1
	shift
	(cd "$T" && "$CC" "${CFLAGS[@]}" -I "$TOP/backends/$dir" "$@")
}

@test "every backend compiles with only include/, backends/common/, util/, its folder and the build directory" {
	local f rel dir failed="" n=0
	for f in "$TOP"/backends/*.c "$TOP"/backends/*/*.c; do
		rel=${f#"$TOP"/backends/}
		dir=.
		[[ "$rel" != */* ]] || dir=${rel%/*}
		n=$((n + 1))
		backend_cc "$dir" "$f" >"$T/out" 2>&1 || { cat "$T/out"; failed+=" $rel"; }
	done
	[ -z "$failed" ] || { echo "do not compile:$failed"; return 1; }
	# Every backend's files were found (a glob that matched nothing fails).
	[ "$n" -ge 20 ]
}

@test "a backend that includes a src/ header does not compile (the check can fail)" {
	printf '#include "onepop/backend.h"\n#include "session.h"\n' >"$T/probe.c"
	run backend_cc mbox "$T/probe.c"
	[ "$status" -ne 0 ]
	[[ "$output" == *session.h* ]]
	# The probe is sound: with src/ on the path it compiles.
	run backend_cc mbox -I "$TOP/src" -I "$TOP/src/auth" "$T/probe.c"
	[ "$status" -eq 0 ]
	# Nor does the source root give a way round.
	printf '#include "onepop/backend.h"\n#include "src/session.h"\n' >"$T/probe2.c"
	run backend_cc mbox "$T/probe2.c"
	[ "$status" -ne 0 ]
	[[ "$output" == *src/session.h* ]]
}

@test "a backend that includes another backend's header does not compile" {
	printf '#include "onepop/backend.h"\n#include "maildir_list.h"\n' >"$T/probe.c"
	run backend_cc mbox "$T/probe.c"
	[ "$status" -ne 0 ]
	[[ "$output" == *maildir_list.h* ]]
	# In Maildir's own folder it does.
	run backend_cc maildir "$T/probe.c"
	[ "$status" -eq 0 ]
}

# The -I directories of each backends/ source in a compile_commands.json
# that are not include/, backends/common/, util/, the source's own
# folder, the build root or a target's private directory, one
# "file: dir" a line (file relative to backends/).
stray_includes() {
	python3 - "$1" "$TOP" <<'EOF'
import json, os, shlex, sys
db, top = sys.argv[1], sys.argv[2]
backends = os.path.join(top, "backends")
seen = 0
for e in json.load(open(db)):
    src = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if not src.startswith(backends + os.sep):
        continue
    seen += 1
    args = e.get("arguments") or shlex.split(e["command"])
    dirs = [a[2:] or args[i + 1] for i, a in enumerate(args) if a.startswith("-I")]
    allowed = {os.path.join(top, "include"), os.path.join(backends, "common"),
               os.path.join(top, "util"), os.path.dirname(src),
               os.path.normpath(e["directory"])}
    for d in dirs:
        d = os.path.normpath(os.path.join(e["directory"], d))
        if d not in allowed and not d.endswith(".p"):
            print(f"{os.path.relpath(src, backends)}: {d}")
if seen == 0:
    print("no backends/ sources in " + db)
EOF
}

@test "the build compiles backends/ with no other include directory" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	run stray_includes "$BUILD_ROOT/compile_commands.json"
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { echo "$output"; return 1; }
}

@test "the compile-command check finds src/ or another backend's folder on a backend's path (the check can fail)" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	cat >"$T/compile_commands.json" <<EOF
[{"directory": "$BUILD_ROOT", "file": "$TOP/backends/mbox/mbox.c",
  "command": "cc -I$TOP/backends/mbox -I$TOP/include -I$TOP/src -I$TOP/backends/maildir -c $TOP/backends/mbox/mbox.c"}]
EOF
	run stray_includes "$T/compile_commands.json"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mbox/mbox.c: $TOP/src" ]
	[ "${lines[1]}" = "mbox/mbox.c: $TOP/backends/maildir" ]
	[ "${#lines[@]}" -eq 2 ]
}
