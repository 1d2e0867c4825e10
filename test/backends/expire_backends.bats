#!/usr/bin/env bats
# --expire and --login-delay on the mbox and MH backends ($ONEPOP_BACKEND;
# meson runs this file once for each). Retrieved: mbox Status "RO", MH the
# sequence onepopretrieved (leaving unseen). Delivered: mbox the From_
# line's date, MH the file's mtime. The Maildir side is expire.bats.

setup() {
	load ../helpers
	load ../stores
	load ../expire
	common_setup
	store_setup "${ONEPOP_BACKEND:-mbox}"
	case $BACKEND in
	mbox) LOGINREC=$MAILBOX.onepop-login ;;
	mh)
		LOGINREC=$MAILBOX/.onepop-login
		# Delivered long ago (the fixture files were just copied).
		touch -d '10 days ago' "$MAILBOX"/[0-9]*
		;;
	*) skip "expire_backends.bats is for mbox and mh" ;;
	esac
}
teardown() { common_teardown; }

# uidls: the UIDL listing of a session with POP_ARGS (no RETR).
uidls() {
	_pop_exec _gen_lines "${LOGIN[@]}" UIDL QUIT | sed -n '5,/^\.$/p' | sed '$d'
}

# with_status FLAGS < message: the message with "Status: FLAGS" added at
# the end of its header, with the line ending of its blank line.
with_status() {
	python3 -c '
import sys
data = sys.stdin.buffer.read()
i = data.find(b"\n\n")
j = data.find(b"\n\r\n")
eol = b"\r\n" if j >= 0 and (i < 0 or j < i) else b"\n"
at = (j if eol == b"\r\n" else i) + 1
sys.stdout.buffer.write(data[:at] + b"Status: " + sys.argv[1].encode() + eol + data[at:])
' "$1"
}

# expect_mbox FILE N[:FLAGS]...: FILE is the fixture mbox holding the
# fixture messages N (1-5) in that order, those with FLAGS given a Status.
expect_mbox() {
	local out=$1 spec n flags
	shift
	: >"$out"
	for spec in "$@"; do
		n=${spec%%:*}
		flags=
		[[ $spec != *:* ]] || flags=${spec#*:}
		if [ -n "$flags" ]; then
			with_status "$flags" <"$(store_path "$MAILDIR" "${ALL_UIDS[$((n - 1))]}")" |
				mbox_append "$out"
		else
			mbox_append "$out" <"$(store_path "$MAILDIR" "${ALL_UIDS[$((n - 1))]}")"
		fi
	done
}

# mh_files: "name sha256" of the message files of the MH folder.
mh_files() {
	(cd "$MAILBOX" && find . -type f -name '[0-9]*' -print0 | sort -z | xargs -0 -r sha256sum)
}

# fixture_files N...: mh_files as it is for the untouched fixture files N.
fixture_files() {
	local n
	for n in "$@"; do
		printf '%s  ./%s\n' "$(sha256sum <"$(store_path "$MAILDIR" "${ALL_UIDS[$((n - 1))]}")" |
			cut -d' ' -f1)" "${MH_NUMS[$((n - 1))]}"
	done | sort -k2
}

# assert_store N[:FLAGS]...: the store holds exactly the fixture messages
# N, byte for byte; mbox: with Status FLAGS where given.
assert_store() {
	local spec
	case $BACKEND in
	mbox)
		expect_mbox "$BATS_TEST_TMPDIR/expect" "$@"
		cmp "$MAILBOX" "$BATS_TEST_TMPDIR/expect" || fail "$(diff -a "$BATS_TEST_TMPDIR/expect" "$MAILBOX")"
		;;
	mh)
		local -a nums=()
		for spec in "$@"; do nums+=("${spec%%:*}"); done
		assert_equal "$(mh_files)" "$(fixture_files "${nums[@]}")"
		;;
	esac
}

# assert_sequences TEXT: MH's .mh_sequences is exactly TEXT.
assert_sequences() {
	[ "$BACKEND" = mh ] || return 0
	run cat "$MAILBOX/.mh_sequences"
	assert_output "$1"
}

@test "RETR then QUIT marks the message retrieved; UIDLs stay; TOP is no retrieval" {
	[ "$BACKEND" = mbox ] || printf 'unseen: 1-10\ncur: 3\n' >"$MAILBOX/.mh_sequences"
	fix_owner "$MAILBOX"
	POP_ARGS+=(--expire=36500)
	local before
	before=$(uidls)
	pop "${LOGIN[@]}" "RETR 1" "RETR 2" "TOP 3 99999" QUIT
	assert_success
	# Message 2 has CRLF line ends: its Status line gets them too.
	assert_store 1:RO 2:RO 3 4 5
	assert_sequences "$(printf 'unseen: 2 4-10\ncur: 3\nonepopretrieved: 1 3')"
	assert_equal "$(uidls)" "$before"
	# Marked again: nothing changes.
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	assert_store 1:RO 2:RO 3 4 5
	assert_sequences "$(printf 'unseen: 2 4-10\ncur: 3\nonepopretrieved: 1 3')"
}

@test "the next login with --expire=0 deletes what was retrieved; the rest stays" {
	POP_ARGS+=(--expire=0)
	pop "${LOGIN[@]}" "RETR 1" "RETR 4" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_store 1:RO 2 3 4:RO 5
	assert_sequences 'onepopretrieved: 1 8'
	POP_ARGS+=(--debug)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 3 messages '
	grep -q 'expire: user=alice removed=2 ' "$POP_ERR" || fail "$(cat "$POP_ERR")"
	assert_store 2 3 5
	# Expired messages leave every sequence; the file stays (it had one).
	[ "$BACKEND" != mh ] || [ ! -s "$MAILBOX/.mh_sequences" ] || fail "$(cat "$MAILBOX/.mh_sequences")"
}

@test "retrieved but delivered less than DAYS ago is kept" {
	local young
	young="From x@example.org $(LC_ALL=C date '+%a %b %e %H:%M:%S %Y')"
	case $BACKEND in
	mbox) FROM_LINE=$young mbox_append "$MAILBOX" <"$(store_path "$MAILDIR" "$UID_DOTS")" ;;
	mh) touch "$MAILBOX/3" ;;   # message 2, delivered now
	esac
	POP_ARGS+=(--expire=1)
	pop "${LOGIN[@]}" "RETR 1" "RETR 2" "RETR 6" QUIT
	assert_success
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	case $BACKEND in
	mbox)
		assert_line --index 2 --regexp '^\+OK 4 messages '
		expect_mbox "$BATS_TEST_TMPDIR/expect" 3 4 5
		with_status RO <"$(store_path "$MAILDIR" "$UID_DOTS")" |
			FROM_LINE=$young mbox_append "$BATS_TEST_TMPDIR/expect"
		cmp "$MAILBOX" "$BATS_TEST_TMPDIR/expect" || fail "$(diff -a "$BATS_TEST_TMPDIR/expect" "$MAILBOX")"
		;;
	mh)
		assert_line --index 2 --regexp '^\+OK 4 messages '
		assert_store 2 3 4 5
		assert_sequences 'onepopretrieved: 3'
		;;
	esac
}

@test "not retrieved, or retrieved without QUIT: nothing marked, nothing deleted" {
	POP_ARGS+=(--expire=0)
	pop "${LOGIN[@]}" "RETR 1" "DELE 2"
	assert_failure 1
	pop "${LOGIN[@]}" "TOP 1 0" QUIT
	assert_success
	pop "${LOGIN[@]}" STAT QUIT
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_store 1 2 3 4 5
	[ "$BACKEND" != mh ] || [ ! -e "$MAILBOX/.mh_sequences" ] || fail ".mh_sequences made"
}

@test "without --expire, RETR and QUIT change nothing" {
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	assert_store 1 2 3 4 5
}

@test "mbox: Status flags are merged; an undatable From_ line is never expired" {
	[ "$BACKEND" = mbox ] || skip "mbox only"
	printf 'From a@b Mon Jan  1 00:00:00 2024\nSubject: one\nStatus: O\nX-Status: F\n\nbody\n\n' >"$MAILBOX"
	printf 'From a@b Mon Jan  1 00:00:01 2024\nStatus: RO\nSubject: two\n\nbody\n\n' >>"$MAILBOX"
	printf 'From a@b sometime last year\nSubject: three\nstatus: UD\n\nbody\n\n' >>"$MAILBOX"
	printf 'From a@b Mon Jan  1 00:00:02 2024\nSubject: four\n' >>"$MAILBOX"
	fix_owner "$MAILBOX"
	POP_ARGS+=(--expire=36500)
	local before
	before=$(uidls)
	pop "${LOGIN[@]}" "RETR 1" "RETR 2" "RETR 3" "RETR 4" QUIT
	assert_success
	# "four" has no blank line after its header: left as it is.
	cmp "$MAILBOX" <(printf '%s\n' 'From a@b Mon Jan  1 00:00:00 2024' 'Subject: one' 'Status: RO' \
		'X-Status: F' '' body '' 'From a@b Mon Jan  1 00:00:01 2024' 'Status: RO' 'Subject: two' \
		'' body '' 'From a@b sometime last year' 'Subject: three' 'Status: ROUD' '' body '' \
		'From a@b Mon Jan  1 00:00:02 2024' 'Subject: four') || fail "$(cat "$MAILBOX")"
	assert_equal "$(uidls)" "$before"
	# Already "RO" before counts as retrieved too, as in a mail reader.
	POP_ARGS=(--backend=mbox --expire=0)
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 2 messages '
	assert_line --index 4 "1 $(sed -n 3p <<<"$before" | cut -d' ' -f2)"
	assert_line --index 5 "2 $(sed -n 4p <<<"$before" | cut -d' ' -f2)"
}

@test "mbox: a Status value too long to be ours, or a failed marking, is left alone" {
	[ "$BACKEND" = mbox ] || skip "mbox only"
	local long
	long=$(printf 'x%.0s' $(seq 40))
	printf 'From a@b Mon Jan  1 00:00:00 2024\nStatus: %s\n\nbody\n\n' "$long" >"$MAILBOX"
	fix_owner "$MAILBOX"
	cp "$MAILBOX" "$BATS_TEST_TMPDIR/old"
	POP_ARGS+=(--expire=0)
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	cmp "$MAILBOX" "$BATS_TEST_TMPDIR/old" || fail "$(cat "$MAILBOX")"
	# Marking only, and the mailbox changed by another program since the
	# scan (-ESTALE): QUIT still says +OK; nothing was asked to go.
	printf 'From a@b Mon Jan  1 00:00:00 2024\nSubject: s\n\nbody\n\n' >"$MAILBOX"
	session_start mark
	session_send mark "${LOGIN[@]}" "RETR 1"
	session_wait mark 7
	printf 'From c@d Mon Jan  1 00:00:00 2024\nSubject: other\n\nbody\n\n' >"$MAILBOX.new"
	mv "$MAILBOX.new" "$MAILBOX"
	session_send mark QUIT
	session_end mark
	run session_output mark
	assert_success
	refute_output --partial -ERR
	assert_line '+OK goodbye'
	grep -q '^Subject: other' "$MAILBOX" && ! grep -q '^Status' "$MAILBOX" || fail "$(cat "$MAILBOX")"
}

@test "MH: only onepop's own mark counts, and unseen protects a reused number" {
	[ "$BACKEND" = mh ] || skip "MH only"
	# 1 and 3 were retrieved by onepop; 3 is in unseen again (a new
	# message got its number); 4 is read elsewhere (not unseen, not ours).
	printf 'unseen: 3 8\nonepopretrieved: 1 3\n' >"$MAILBOX/.mh_sequences"
	fix_owner "$MAILBOX"
	POP_ARGS+=(--expire=0)
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 2 --regexp '^\+OK 4 messages '
	assert_store 2 3 4 5
	assert_sequences "$(printf 'unseen: 3 8\nonepopretrieved: 3')"
}

@test "CAPA names EXPIRE and LOGIN-DELAY only when they are on" {
	capa_expiry_check
}

@test "--login-delay refuses a second login with [LOGIN-DELAY]; the store is untouched" {
	login_delay_refusal_check assert_store 1 2 3 4 5
	# A damaged record never locks anybody out.
	printf 'garbage\n' >"$LOGINREC"
	pop "${LOGIN[@]}" QUIT
	assert_success
}

@test "grace: right after a session that retrieved mail, one more login (to delete) is let in" {
	POP_ARGS+=(--login-delay=600)
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	grep -qE '^onepop-login 1 [0-9]+ [0-9]+ 1 0$' "$LOGINREC" || fail "$(cat "$LOGINREC")"
	pop "${LOGIN[@]}" "DELE 1" QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK message 1 deleted'
	assert_store 2 3 4 5
	# Only once: the delay still counts from the first login.
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_failure 1
	assert_line --index 2 --regexp '^-ERR \[LOGIN-DELAY\] '
}

@test "--scan with --expire and --login-delay expires and records nothing" {
	POP_ARGS+=(--expire=36500)
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	local seq=
	[ "$BACKEND" != mh ] || seq=$(cat "$MAILBOX/.mh_sequences")
	# It takes no lock: it works while a session holds the mailbox.
	session_start held
	session_send held "${LOGIN[@]}"
	session_wait held 3
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --backend="$BACKEND" \
		--expire=0 --login-delay=600 --scan=alice
	assert_success
	# mbox: "Status: RO" CRLF is part of the message now.
	local extra=0
	[ "$BACKEND" != mbox ] || extra=12
	assert_line --index 0 --regexp "^1 $((SIZE[$UID_LF] + extra)) "
	assert_equal "${#lines[@]}" 5
	assert_store 1:RO 2 3 4 5
	[ "$BACKEND" != mh ] || assert_equal "$(cat "$MAILBOX/.mh_sequences")" "$seq"
	[ ! -e "$LOGINREC" ] || fail "login record written by --scan"
	session_send held QUIT
	session_end held
}

@test "mbox: a session that expired mail still holds the new mailbox: a second one gets [IN-USE]" {
	[ "$BACKEND" = mbox ] || skip "mbox only"
	POP_ARGS+=(--expire=0)
	pop "${LOGIN[@]}" "RETR 1" QUIT
	assert_success
	local ino
	ino=$(stat -c %i "$MAILBOX")
	session_start first
	session_send first "${LOGIN[@]}" STAT
	session_wait first 4
	# The expiry rewrote the file: another inode, already locked.
	[ "$(stat -c %i "$MAILBOX")" != "$ino" ] || fail "mailbox not rewritten"
	pop "${LOGIN[@]}" QUIT
	assert_line --index 2 --regexp '^-ERR \[IN-USE\] '
	session_send first "DELE 1" QUIT
	session_end first
	run session_output first
	assert_success
	assert_line --index 2 --regexp '^\+OK 4 messages '
	assert_store 3 4 5
}
