#!/usr/bin/env bats
# The layers of doc/DESIGN.md, held by the include path: the backends
# are compiled with only backends/, util/ and the build directory
# (config.h) on it, so a backend that includes a core header from src/
# does not build. These tests compile every backend with that path, show
# that a src/ header is then out of reach, and check that the build's
# own compile commands for backends/*.c name no other directory.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	T=$BATS_TEST_TMPDIR
	[ -n "${BUILD_ROOT:-}" ] || skip "BUILD_ROOT is not set: run through meson test"
	[ -f "$BUILD_ROOT/config.h" ] || skip "no config.h in $BUILD_ROOT"
	command -v pkg-config >/dev/null || skip "pkg-config is not installed"
	CC=${CC:-cc}
	# shellcheck disable=SC2207
	CFLAGS=(-fsyntax-only -std=gnu11 -D_GNU_SOURCE $(pkg-config --cflags libbsd-overlay)
		-I "$TOP/backends" -I "$TOP/util" -I "$BUILD_ROOT")
}

# Compile FILE with the backends' include path.
backend_cc() {
	(cd "$T" && "$CC" "${CFLAGS[@]}" "$@")
}

@test "every backend compiles with only backends/, util/ and the build directory" {
	local f failed=""
	for f in "$TOP"/backends/*.c; do
		backend_cc "$f" >"$T/out" 2>&1 || { cat "$T/out"; failed+=" ${f##*/}"; }
	done
	[ -z "$failed" ] || { echo "do not compile:$failed"; return 1; }
}

@test "a backend that includes a src/ header does not compile (the check can fail)" {
	printf '#include "backend.h"\n#include "session.h"\n' >"$T/probe.c"
	run backend_cc "$T/probe.c"
	[ "$status" -ne 0 ]
	[[ "$output" == *session.h* ]]
	# The probe is sound: with src/ on the path it compiles.
	run backend_cc -I "$TOP/src" -I "$TOP/src/auth" "$T/probe.c"
	[ "$status" -eq 0 ]
	# Nor does the source root give a way round.
	printf '#include "backend.h"\n#include "src/session.h"\n' >"$T/probe2.c"
	run backend_cc "$T/probe2.c"
	[ "$status" -ne 0 ]
	[[ "$output" == *src/session.h* ]]
}

# The -I directories of each backends/*.c in a compile_commands.json
# that are not backends/, util/, the build root or a target's private
# directory, one "file: dir" a line.
stray_includes() {
	python3 - "$1" "$TOP" <<'EOF'
import json, os, shlex, sys
db, top = sys.argv[1], sys.argv[2]
seen = 0
for e in json.load(open(db)):
    src = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if os.path.dirname(src) != os.path.join(top, "backends"):
        continue
    seen += 1
    args = e.get("arguments") or shlex.split(e["command"])
    dirs = [a[2:] or args[i + 1] for i, a in enumerate(args) if a.startswith("-I")]
    for d in dirs:
        d = os.path.normpath(os.path.join(e["directory"], d))
        ok = (d in (os.path.join(top, "backends"), os.path.join(top, "util"),
                    os.path.normpath(e["directory"]))
              or d.endswith(".p"))
        if not ok:
            print(f"{os.path.basename(src)}: {d}")
if seen == 0:
    print("no backends/*.c in " + db)
EOF
}

@test "the build compiles backends/*.c with no other include directory" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	run stray_includes "$BUILD_ROOT/compile_commands.json"
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { echo "$output"; return 1; }
}

@test "the compile-command check finds a backend compiled with src/ on its path (the check can fail)" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	cat >"$T/compile_commands.json" <<EOF
[{"directory": "$BUILD_ROOT", "file": "$TOP/backends/mbox.c",
  "command": "cc -I$TOP/backends -I$TOP/src -c $TOP/backends/mbox.c"}]
EOF
	run stray_includes "$T/compile_commands.json"
	[ "$status" -eq 0 ]
	[ "$output" = "mbox.c: $TOP/src" ]
}
