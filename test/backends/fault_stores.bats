#!/usr/bin/env bats
# Fault injection on the UPDATE of the mbox and MH backends ($ONEPOP_BACKEND;
# meson runs this file once for each): a session deletes messages 2 and 4
# and QUITs while test/fault/faultshim.so fails one call of the program's
# own code — each open/openat/write/fsync/rename/renameat/unlink/unlinkat/
# flock in turn — with ENOSPC, EIO, EACCES, EINTR, or kills it there. The
# mbox rewrite (copy, fsync, rename) and the MH unlinks with the
# .mh_sequences rewrite are among those calls. After every run, file by
# file: each is as before or as a clean session leaves it (an mbox is old
# or new as a whole, an MH message kept or gone, .mh_sequences old or new
# text, never a mix); every message not deleted is there; nothing new but,
# after a kill, a temporary file; +OK at QUIT only when everything is done
# (so anything left undone got -ERR or no answer); no dotlock left over;
# the next session gets in and sees what the store holds. maildir's UPDATE
# is in fault.bats.

setup() {
	load ../helpers
	load ../stores
	[ -n "${FAULTSHIM:-}" ] && [ -f "$FAULTSHIM" ] || skip "FAULTSHIM not set (run through meson test)"
	common_setup
	store_setup "${ONEPOP_BACKEND:-mbox}"
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	STORE_DIR=$MAILBOX
	[ "$BACKEND" = mbox ] && STORE_DIR=$(dirname "$MAILBOX")
	if [ "$BACKEND" = mh ]; then
		# Messages 2 and 4 are files 3 and 8: the rewrite has work to do.
		printf 'cur: 4\nunseen: 1-10\npicked: 1 3-4 8\n' >"$MAILBOX/.mh_sequences"
		fix_owner "$MAILBOX"
	fi
	TEMPLATE=$BATS_TEST_TMPDIR/template
	cp -a "$STORE_DIR" "$TEMPLATE"
	POP_ARGS+=(--preauth=alice)
	state >"$BATS_TEST_TMPDIR/old"
	pop UIDL "DELE 2" "DELE 4" QUIT
	assert_success
	state >"$BATS_TEST_TMPDIR/new"
	# The fixture numbering: CLEAN[uid]=n.
	declare -gA CLEAN=()
	while read -r n uid; do CLEAN[$uid]=$n; done < <(uidl_reply)
	[ "${#CLEAN[@]}" -eq 5 ] || fail "UIDL: ${lines[*]}"
	! cmp -s "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/new" || fail "the clean run changed nothing"
}

teardown() {
	common_teardown
}

fresh_store() {
	rm -rf "$STORE_DIR"
	cp -a "$TEMPLATE" "$STORE_DIR"
}

# state: "NAME SHA256" for every file of the store's directory (the MH
# session lock is a fixture of the folder, not state).
state() {
	(cd "$STORE_DIR" && find . -type f ! -name .onepop.lock -printf '%P\0' | sort -z |
		xargs -0r sha256sum | awk '{ print $2, substr($1, 1, 16) }')
}

# uidl_reply: the "n uid" lines of the UIDL reply in $lines (none if the
# session did not get that far).
uidl_reply() {
	[[ ${lines[1]:-} == "+OK"* ]] && [[ ${lines[0]:-} == "+OK"* ]] || return 0
	printf '%s\n' "${lines[@]:2}" | sed '/^\.$/q' | sed '$d' | grep -E '^[0-9]+ ' || :
}

# expect_new: the state a clean session leaves when it deletes what the
# faulty one asked for, in $BATS_TEST_TMPDIR/expected. Messages 2 and 4
# unless the faulty session's scan could not open one (MH: each message
# is a file) and so numbered the others differently, as POP3 allows.
expect_new() {
	local -a dele=()
	local n uid
	while read -r n uid; do
		[ "$n" = 2 ] || [ "$n" = 4 ] || continue
		dele+=("DELE ${CLEAN[$uid]}")
	done < <(uidl_reply)
	if [ "${#dele[@]}" -eq 0 ] || [ "${dele[*]}" = "DELE 2 DELE 4" ]; then
		cp "$BATS_TEST_TMPDIR/new" "$BATS_TEST_TMPDIR/expected"
		return
	fi
	mv "$STORE_DIR" "$BATS_TEST_TMPDIR/faulty"
	fresh_store
	_pop_exec _gen_lines "${dele[@]}" QUIT >/dev/null || fail "clean run of ${dele[*]} failed"
	state >"$BATS_TEST_TMPDIR/expected"
	rm -rf "$STORE_DIR"
	mv "$BATS_TEST_TMPDIR/faulty" "$STORE_DIR"
}

# hash_of NAME FILE: NAME's hash in a state file, empty if absent.
hash_of() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

# load_state ARRAY FILE: a state file into an associative array, NAME to
# hash (check_outcome looks up every file three times: no process each).
load_state() {
	local -n into=$1
	local name hash
	into=()
	while read -r name hash; do into[$name]=$hash; done <"$2"
}

# check_outcome WHAT KIND: the invariants above, after a faulty session.
check_outcome() {
	local what=$1 kind=$2 name hash old new quit_ok=0 msgs
	local now=$BATS_TEST_TMPDIR/now new_state=$BATS_TEST_TMPDIR/expected
	local -A old_of new_of now_of
	state >"$now"
	expect_new
	load_state old_of "$BATS_TEST_TMPDIR/old"
	load_state new_of "$new_state"
	load_state now_of "$now"
	while read -r name hash; do
		old=${old_of[$name]:-}
		new=${new_of[$name]:-}
		[ -n "$old$new" ] || {
			# Only a kill may leave its temporary file (the next
			# rewrite by the same PID would clear it) or the mbox
			# dotlock: the next session must break that one (below).
			[ "$kind" = KILL ] && [[ $name == *.onepop-* ]] && continue
			[ "$kind" = KILL ] && [ "$STORE_DIR/$name" = "$MAILBOX.lock" ] && continue
			# MH: the intent record of an UPDATE cut short (the
			# next session finishes it, checked below).
			[ "$BACKEND" = mh ] && [[ $name == .onepop-intent* ]] && continue
			fail "$what: new file $name"
		}
		[ "$hash" = "$old" ] || [ "$hash" = "$new" ] ||
			fail "$what: $name is neither old nor new; the session said: ${lines[*]}"
	done <"$now"
	while read -r name hash; do
		[ -n "${now_of[$name]:-}" ] || fail "$what: $name lost"
	done <"$new_state"
	if [ "${#lines[@]}" -gt 0 ] && [ "${lines[-1]}" = "+OK goodbye" ]; then
		quit_ok=1
	fi
	if [ "$quit_ok" = 1 ]; then
		diff <(grep -v -e '\.onepop-' -e '\.lock ' "$now") <(grep -v -e '\.onepop-intent' "$new_state") >/dev/null ||
			fail "$what: +OK goodbye but the store is not as a clean run leaves it"
		[ "$status" -eq 0 ] || { [ "$kind" = KILL ] && [ "$status" -eq 137 ]; } ||
			fail "$what: +OK goodbye but exit status $status"
	elif [ "$status" -eq 0 ]; then
		fail "$what: exit 0 without +OK goodbye: ${lines[*]}"
	fi
	# No stale lock: the next session gets in and counts what is there.
	case $BACKEND in
	mbox) msgs=$(grep -c '^From ' "$MAILBOX") ;;
	mh) msgs=$(grep -cE '^[0-9]+ ' "$now") ;;
	esac
	out=$(POP_LIMIT=20 _pop_exec _gen_lines STAT QUIT) || fail "$what: next session failed: $out"
	if [ "$BACKEND" = mh ]; then
		# The next login finished an UPDATE cut short: all of its
		# deletions or none, never some.
		local after=$BATS_TEST_TMPDIR/after files
		state >"$after"
		files=$(grep -E '^[0-9]+ ' "$after")
		[ "$files" = "$(grep -E '^[0-9]+ ' "$BATS_TEST_TMPDIR/old")" ] ||
			[ "$files" = "$(grep -E '^[0-9]+ ' "$new_state")" ] ||
			fail "$what: after the next login, neither none nor all deletions: $files"
		msgs=$(grep -cE '^[0-9]+ ' "$after")
		! grep -q onepop-intent "$after" || fail "$what: intent record left after the next login"
	fi
	[[ $out == *"+OK $msgs "* ]] || fail "$what: next session: expected $msgs messages: $out"
	[ ! -e "$MAILBOX.lock" ] || fail "$what: dotlock left behind after the next session"
}

# calls_made: "CALL COUNT" for each wrapped call a clean run makes.
calls_made() {
	local count=$BATS_TEST_TMPDIR/count
	: >"$count"
	chmod 666 "$count"
	fresh_store
	FAULT_COUNT=$count LD_PRELOAD=$FAULTSHIM _pop_exec _gen_lines UIDL "DELE 2" "DELE 4" QUIT \
		>/dev/null || fail "the clean run failed"
	cat "$count"
}

# fail_each ERRNO: fail every call of a clean run in turn with ERRNO.
fail_each() {
	local err=$1 call count n runs=0 made
	made=$(calls_made)
	# The calls that change mail are among those failed.
	case $BACKEND in
	mbox) for c in open write fsync rename; do
		grep -q "^$c " <<<"$made" || fail "no $c in the rewrite: $made"
	done ;;
	mh) for c in unlinkat openat write fsync renameat; do
		grep -q "^$c " <<<"$made" || fail "no $c in the commit: $made"
	done ;;
	esac
	while read -r call count; do
		for ((n = 1; n <= count; n++)); do
			fresh_store
			FAULT_CALL=$call FAULT_NTH=$n FAULT_ERRNO=$err LD_PRELOAD=$FAULTSHIM \
				pop UIDL "DELE 2" "DELE 4" QUIT
			check_outcome "$call #$n $err" "$err"
			runs=$((runs + 1))
		done
	done <<<"$made"
	echo "# $BACKEND: $runs runs over: $(tr '\n' ' ' <<<"$made")" >&3
}

@test "fault: each call failing with ENOSPC: store old or new, -ERR if undone" {
	fail_each ENOSPC
}

@test "fault: each call failing with EIO: store old or new, -ERR if undone" {
	fail_each EIO
}

@test "fault: each call failing with EACCES: store old or new, -ERR if undone" {
	fail_each EACCES
}

@test "fault: each call interrupted with EINTR: nothing lost" {
	fail_each EINTR
}

@test "fault: kill -9 at each call: store old or new, no stale lock" {
	fail_each KILL
}

@test "fault: a failed rename/unlink in UPDATE answers -ERR [SYS/TEMP] and keeps the mail" {
	local call=rename nth=1
	# MH: the first two unlinkat calls clear the intent record's
	# temporary name (ENOENT as a rule); the third is the first message.
	[ "$BACKEND" = mh ] && call=unlinkat nth=3
	fresh_store
	FAULT_CALL=$call FAULT_NTH=$nth FAULT_ERRNO=EIO LD_PRELOAD=$FAULTSHIM pop UIDL "DELE 2" "DELE 4" QUIT
	assert_failure 1
	assert_line --regexp '^-ERR \[SYS/TEMP\]'
	check_outcome "$call #$nth EIO" EIO
	# The first of the two deletions failed: at least message 2 is kept.
	[ "$(hash_of "${MH_NUMS[1]}" "$BATS_TEST_TMPDIR/now")" ] || [ "$BACKEND" = mbox ] ||
		fail "the message whose unlink failed is gone"
	[ "$BACKEND" = mh ] || diff -q <(state) "$BATS_TEST_TMPDIR/old" || fail "mbox changed"
}
