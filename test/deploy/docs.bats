#!/usr/bin/env bats
# The documentation's promises (README.md, man/, doc/): every page under
# man/ renders without a warning, README.md stays short, onepop(8) names
# every option of --help, onepop.conf(5) every key the config parser
# accepts (src/options.c's longopts), and the Markdown links point at
# files that exist. Each check is a function; the last tests feed each
# one a broken input to show that it can fail.

README_MAX=250

setup() {
	load ../helpers
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	T=$BATS_TEST_TMPDIR
}

need_man() {
	command -v man >/dev/null || skip "man (man-db) is not installed: tools/install-deps installs it"
	command -v groff >/dev/null || skip "groff (groff-base) is not installed: tools/install-deps installs it"
}

# The locale for rendering: UTF-8 when the system has one, so that man
# does not complain about the locale itself.
render_env() {
	if locale -a 2>/dev/null | grep -qix 'c.utf-\?8'; then
		echo C.UTF-8
	else
		echo C
	fi
}

# A page renders through man -l and groff -man -ww without a warning.
check_renders() {
	local page=$1 loc warn
	loc=$(render_env)
	warn=$(LC_ALL=$loc MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) ||
		{ echo "man -l $page failed: $warn"; return 1; }
	[ -z "$warn" ] || { echo "man -l $page: $warn"; return 1; }
	warn=$(groff -man -ww -z "$page" 2>&1) || { echo "groff $page failed: $warn"; return 1; }
	[ -z "$warn" ] || { echo "groff $page: $warn"; return 1; }
}

# A page's text as words can be searched for: the roff source without
# comment lines, with \- as -, font and zero-width escapes removed (the
# rendered text may break a hyphenated option across two lines).
page_text() {
	sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$1"
}

# Each word of the list on stdin appears in the page as a whole word
# (so "exec" is not found inside "exec-arg").
check_words_in_page() {
	local page=$1 what=$2 text w missing=""
	text=$(page_text "$page")
	while read -r w; do
		[ -n "$w" ] || continue
		grep -qE -- "(^|[^a-z-])${w}([^a-z-]|\$)" <<<"$text" || missing+=" $w"
	done
	[ -z "$missing" ] || { echo "$what not in $page:$missing"; return 1; }
}

# The long options --help prints.
help_options() {
	grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# The config keys: the names in options.c's longopts table, which
# config_load looks every key up in.
config_keys() {
	sed -n '/^static const struct option longopts\[\] = {/,/^};/p' "$1" |
		grep -oE '^[[:space:]]*\{ "[a-z][a-z-]*"' | grep -oE '[a-z][a-z-]*' | sort -u
}

check_max_lines() {
	local file=$1 max=$2 n
	n=$(wc -l <"$file")
	[ "$n" -le "$max" ] || { echo "$file has $n lines, more than $max"; return 1; }
}

# Every relative Markdown link [text](target) of file resolves to a file
# or directory (a #fragment is cut off; URLs and pure fragments are not
# files).
check_links() {
	local file=$1 dir target missing=""
	dir=$(dirname "$file")
	while read -r target; do
		target=${target%%#*}
		case $target in
		'' | http://* | https://* | mailto:*) continue ;;
		esac
		[ -e "$dir/$target" ] || missing+=" $target"
	done < <(grep -oE '\]\([^) ]+\)' "$file" | sed -e 's/^](//' -e 's/)$//')
	[ -z "$missing" ] || { echo "$file links to missing files:$missing"; return 1; }
}

@test "every page under man/ renders with man -l and groff -ww without a warning" {
	need_man
	local pages=("$TOP"/man/*.[1-9])
	[ "${#pages[@]}" -ge 3 ] || fail "expected onepop.8, onepop.conf.5, onepop-exec.7: ${pages[*]}"
	for p in "${pages[@]}"; do
		run check_renders "$p"
		assert_success
	done
}

@test "man/meson.build installs every page under man/" {
	for p in "$TOP"/man/*.[1-9]; do
		grep -qF "'$(basename "$p")'" "$TOP/man/meson.build" ||
			fail "$(basename "$p") is not in man/meson.build"
	done
}

@test "README.md is at most $README_MAX lines and keeps its two commands" {
	run check_max_lines "$TOP/README.md" "$README_MAX"
	assert_success
	grep -qx '## Two commands' "$TOP/README.md" || fail "no '## Two commands' section"
	grep -qx '   tools/demo' "$TOP/README.md" || fail "README lost tools/demo"
	grep -qx '   tools/run-tests' "$TOP/README.md" || fail "README lost tools/run-tests"
}

@test "every long option of onepop --help is in onepop(8)" {
	local opts
	opts=$("$ONEPOP" --help | help_options)
	[ "$(wc -l <<<"$opts")" -ge 30 ] || fail "too few options in --help: $opts"
	run check_words_in_page "$TOP/man/onepop.8" "options of --help" <<<"$opts"
	assert_success
}

@test "every config key the parser accepts is in onepop.conf(5)" {
	local keys
	keys=$(config_keys "$TOP/src/options.c")
	[ "$(wc -l <<<"$keys")" -ge 30 ] || fail "too few keys found in src/options.c: $keys"
	grep -qx 'uidl-format' <<<"$keys" || fail "the key list looks wrong: $keys"
	run check_words_in_page "$TOP/man/onepop.conf.5" "config keys" <<<"$keys"
	assert_success
}

@test "the Markdown links of README.md, doc/ and bench/ point at files that exist" {
	local f
	for f in "$TOP/README.md" "$TOP"/doc/*.md "$TOP/bench/README.md" "$TOP/SECURITY.md"; do
		run check_links "$f"
		assert_success
	done
	# README links to the places it sends readers on to.
	for f in doc/operators.md doc/DESIGN.md SECURITY.md bench/results/; do
		grep -qF "]($f)" "$TOP/README.md" || fail "README.md does not link $f"
	done
}

@test "the interop table lives in doc/interop.md between tools/interop-table's markers" {
	local begin
	begin=$(grep -oE '"<!-- interop-table:begin [^"]*"' "$TOP/tools/interop-table" | tr -d '"')
	[ -n "$begin" ] || fail "no begin marker in tools/interop-table"
	grep -qxF "$begin" "$TOP/doc/interop.md" || fail "doc/interop.md lacks $begin"
	grep -qx '<!-- interop-table:end -->' "$TOP/doc/interop.md" || fail "doc/interop.md lacks the end marker"
	! grep -q 'interop-table:begin' "$TOP/README.md" || fail "README.md still holds the table"
}

# onepop.conf(5)'s FORMAT section, as onepop -t reads a file: the
# effective settings it prints show what each line did.
need_privsep_user() {
	if [ "$(id -u)" = 0 ] && ! id onepop >/dev/null 2>&1; then
		skip "as root, -t checks the privilege-separation user onepop, which is missing (tools/run-tests makes it)"
	fi
}

conf_check() {
	printf 'demo:{PLAIN}demo:::::\n' >"$T/passwd"
	mkdir -p "$T/mail"
	"$ONEPOP" -t --config="$1"
}

@test "onepop.conf(5): switches, later lines, values taken literally, nesting" {
	need_privsep_user
	printf '%s\n' "auth = passwd-file:$T/passwd" "mailbox = $T/mail/%u" >"$T/base.conf"
	# A switch alone is on, "= no" off; a later line replaces an earlier
	# one; a '#' inside a value is part of it; config = reads a file.
	printf '%s\n' "  # a comment" "" "config = $T/base.conf" "allow-plaintext" \
		"allow-root = yes" "allow-root = no" "greeting =  hello # there  " \
		"timeout = 30" "timeout=45" >"$T/a.conf"
	run conf_check "$T/a.conf"
	assert_success
	assert_line "allow-plaintext = yes"
	assert_line "allow-root = no"
	assert_line "greeting = hello # there"
	assert_line "timeout = 45"
	assert_line "auth = passwd-file:$T/passwd"
	# A later command-line option replaces the file's value.
	run "$ONEPOP" -t --config="$T/a.conf" --timeout=60
	assert_success
	assert_line "timeout = 60"
	# Four files deep is read, a fifth is refused.
	cp "$T/base.conf" "$T/n1.conf"
	for i in 2 3 4 5; do
		printf 'config = %s\n' "$T/n$((i - 1)).conf" >"$T/n$i.conf"
	done
	run conf_check "$T/n4.conf"
	assert_success
	run conf_check "$T/n5.conf"
	assert_failure 2
	assert_output --partial "nested too deep"
}

@test "onepop.conf(5): every bad line is reported with its line number, exit 2" {
	need_privsep_user
	printf '%s\n' "auth = passwd-file:$T/passwd" "no-such-key = 1" "mailbox" \
		"tls = sometimes" >"$T/bad.conf"
	run conf_check "$T/bad.conf"
	assert_failure 2
	assert_output --partial "bad.conf:2: unknown key or missing value: no-such-key"
	assert_output --partial "bad.conf:3: unknown key or missing value: mailbox"
	assert_output --partial "--tls: off, starttls or implicit, not sometimes"
}

# The checks above, each fed a broken input: they must fail.

@test "the render check fails on a page with an unknown macro" {
	need_man
	printf '.TH BROKEN 7 2026 x y\n.SH NAME\nbroken \\- a page\n.XX not a macro\n' >"$T/broken.7"
	run check_renders "$T/broken.7"
	assert_failure
	assert_output --partial "XX"
}

@test "the length check fails on a README one line too long" {
	seq 1 $((README_MAX + 1)) >"$T/README.md"
	run check_max_lines "$T/README.md" "$README_MAX"
	assert_failure
}

@test "the option check fails on an option onepop(8) does not name" {
	run check_words_in_page "$TOP/man/onepop.8" "options of --help" <<<"--no-such-option"
	assert_failure
	assert_output --partial -- "--no-such-option"
	# "exec" must be found as itself, not inside "exec-arg".
	printf '.TH T 8\n.SH OPTIONS\n.B \\-\\-exec\\-arg\n' >"$T/t.8"
	run check_words_in_page "$T/t.8" "options" <<<"--exec"
	assert_failure
}

@test "the config key check fails on a key onepop.conf(5) does not name" {
	printf 'static const struct option longopts[] = {\n\t{ "backend", required_argument, NULL, 1 },\n\t{ "no-such-key", no_argument, NULL, 2 },\n\t{ 0 },\n};\n' >"$T/options.c"
	run config_keys "$T/options.c"
	assert_output $'backend\nno-such-key'
	run check_words_in_page "$TOP/man/onepop.conf.5" "config keys" <<<"$output"
	assert_failure
	assert_output --partial no-such-key
}

@test "the link check fails on a link to a missing file" {
	printf 'See [the guide](doc/missing.md) and [web](https://example.org/).\n' >"$T/README.md"
	run check_links "$T/README.md"
	assert_failure
	assert_output --partial doc/missing.md
	refute_output --partial example.org
}
