#!/usr/bin/env bats
# The layers of doc/DESIGN.md, held by the include path: a backend in
# backends/NAME/ is compiled with only include/ (the contract,
# onepop/backend.h), backends/common/, util/, its own folder and the
# build directory (config.h) on it, so a backend that includes a core
# header from src/ or another backend's header does not build. These
# tests compile every backend with that path, show that a src/ header
# and another backend's header are then out of reach, and check that the
# build's own compile commands for backends/ name no other directory.
# And no two files of the backends call each other in a circle: the
# symbols each object uses and defines (nm) make a graph that must have
# no cycle.

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

# The "uses a symbol defined by" graph of the objects built from files
# under TOP/backends/ (at any depth) in a compile_commands.json, read
# with nm: file X -> file Y when X has Y's global symbol undefined (U)
# and Y defines it (T, D, B, R and the like). All of them make one graph
# (each backend is its own library, backends/common/ another: a circle
# through common/ counts too). Files are named by their path under
# backends/. Prints each
# cycle, one "cycle: a.c -> b.c -> a.c" line and then the edges among
# its files with the symbols behind them, and exits 1; exits 0 and
# prints nothing when there is none; exits 2 when it finds no object.
symbol_cycles() {
	python3 - "$1" "$TOP" <<'EOF'
import json, os, shlex, subprocess, sys
db, top = sys.argv[1], sys.argv[2]
base = os.path.join(top, "backends") + os.sep
DEFINED = set("TDBRCGSVW")
groups = {}
for e in json.load(open(db)):
    src = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if not src.startswith(base):
        continue
    out = e.get("output")
    if not out:
        args = e.get("arguments") or shlex.split(e["command"])
        out = args[args.index("-o") + 1]
    target = "backends"
    obj = os.path.join(e["directory"], out)
    groups.setdefault(target, {})[os.path.relpath(src, base)] = obj
if not groups:
    print("no object built from backends/ in " + db)
    sys.exit(2)

def symbols(obj):
    nm = subprocess.run(["nm", "-P", obj], capture_output=True, text=True, check=True)
    uses, defs = set(), set()
    for line in nm.stdout.splitlines():
        f = line.split()
        if len(f) >= 2 and f[1] == "U":
            uses.add(f[0])
        elif len(f) >= 2 and f[1] in DEFINED:
            defs.add(f[0])
    return uses, defs

def sccs(nodes, edges):
    # Tarjan's strongly connected components, without recursion.
    index, low, stack, on, found = {}, {}, [], set(), []
    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
    for root in nodes:
        if root in index:
            continue
        visit(root)
        work = [(root, iter(sorted(edges[root])))]
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while not comp or comp[-1] != v:
                        comp.append(stack.pop())
                        on.discard(comp[-1])
                    found.append(sorted(comp))
            elif w not in index:
                visit(w)
                work.append((w, iter(sorted(edges[w]))))
            elif w in on:
                low[v] = min(low[v], index[w])
    return [c for c in found if len(c) > 1]

def one_cycle(start, comp, edges):
    # The shortest way from start back to itself inside comp.
    prev, todo = {}, [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(edges[v]):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in comp and w not in prev:
                prev[w] = v
                todo.append(w)

status = 0
for target in sorted(groups):
    files = groups[target]
    syms = {f: symbols(o) for f, o in files.items()}
    definer = {}
    for f, (_, defs) in syms.items():
        for s in defs:
            definer.setdefault(s, set()).add(f)
    edges = {f: {} for f in files}
    for f, (uses, _) in syms.items():
        for s in uses:
            for g in definer.get(s, ()):
                if g != f:
                    edges[f].setdefault(g, set()).add(s)
    for comp in sccs(sorted(files), edges):
        status = 1
        print("cycle: " + " -> ".join(one_cycle(comp[0], set(comp), edges)))
        for f in comp:
            for g in sorted(edges[f]):
                if g in comp:
                    print(f"  {f} -> {g}: {' '.join(sorted(edges[f][g]))}")
sys.exit(status)
EOF
}

@test "no two files of the backends use each other's symbols in a circle (nm)" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	command -v nm >/dev/null || skip "nm is not installed"
	run symbol_cycles "$BUILD_ROOT/compile_commands.json"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -z "$output" ]
}

# Two made-up backend files in folders, x/a.c and y/b.c (as backends/NAME/
# will be), compiled for the checker; back=yes: b.c calls back into a.c.
made_up_backends() {
	local back=$1
	mkdir -p "$T/top/backends/x" "$T/top/backends/y" "$T/build/lib.a.p"
	printf 'int b(void);\nint a(void) { return b() + 1; }\n' >"$T/top/backends/x/a.c"
	if [ "$back" = yes ]; then
		printf 'int a(void);\nint b(void) { return a() + 2; }\n' >"$T/top/backends/y/b.c"
	else
		printf 'int b(void) { return 2; }\n' >"$T/top/backends/y/b.c"
	fi
	(cd "$T/build" &&
		"$CC" -c -o lib.a.p/x_a.c.o ../top/backends/x/a.c &&
		"$CC" -c -o lib.a.p/y_b.c.o ../top/backends/y/b.c)
	# One entry with "output", one with only the command's -o.
	cat >"$T/build/compile_commands.json" <<EOF
[{"directory": "$T/build", "file": "../top/backends/x/a.c", "output": "lib.a.p/x_a.c.o",
  "command": "cc -c -o lib.a.p/x_a.c.o ../top/backends/x/a.c"},
 {"directory": "$T/build", "file": "../top/backends/y/b.c",
  "command": "cc -c -o lib.a.p/y_b.c.o ../top/backends/y/b.c"}]
EOF
}

@test "the symbol-cycle check finds two made-up objects calling each other (the check can fail)" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	command -v nm >/dev/null || skip "nm is not installed"
	made_up_backends yes
	TOP=$T/top run symbol_cycles "$T/build/compile_commands.json"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "cycle: x/a.c -> y/b.c -> x/a.c" ]
	[ "${lines[1]}" = "  x/a.c -> y/b.c: b" ]
	[ "${lines[2]}" = "  y/b.c -> x/a.c: a" ]
	# The same two, one way round, pass.
	made_up_backends no
	TOP=$T/top run symbol_cycles "$T/build/compile_commands.json"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
