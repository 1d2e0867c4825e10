# Shared steps of the interoperability suite: the mail store (behind a
# backend switch), the onepop listener, running a client as the mail user,
# comparing what it stored, and recording results for tools/interop-table.
#
# interop.bats loads this, then clients/$INTEROP_CLIENT.bash, which defines:
#   client_version          print the client's own version string
#   client_package          the Debian package it comes from
#   client_check            return non-zero (after echoing why) if unusable
#   client_fetch MODE OUT   run the client once against $PORT; MODE is keep
#                           (leave mail on the server, skip what an earlier
#                           run fetched) or delete; put each message it
#                           stored, one a file, into directory OUT
#   CLIENT_EOL              lf or crlf: the line ends the client stores
#   CLIENT_STRIP            headers the client documents prepending, each
#                           strip:NAME (added on top) or replace:NAME (added
#                           on top, after removing the message's own NAME)
#   CLIENT_TRACKS_UIDL      1 if the client remembers what it fetched

ONEPOP=${ONEPOP:-$BATS_TEST_DIRNAME/../../build/onepop}
load ../helpers
load ../stores
# helpers.bash looks for lib/ next to the suite; ours is one level up.
LIBDIR=$BATS_TEST_DIRNAME/../lib
POP3UTIL=$LIBDIR/pop3util.py

# The clients under test are Debian's: its python3 and perl, not a user's own.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

INTEROP_BACKEND=${INTEROP_BACKEND:-maildir}
# full: the 10 MiB message; reduced: a 1 MiB one instead (meson.build picks).
INTEROP_FIXTURES=${INTEROP_FIXTURES:-full}
INTEROP_PY=$BATS_TEST_DIRNAME/interop.py
CLIENT_LIMIT=${INTEROP_CLIENT_LIMIT:-120}
CLIENT_EOL=lf
CLIENT_STRIP=()
CLIENT_TRACKS_UIDL=1

# ------------------------------------------------------------ the mail store
# One function set a backend: store_<backend>_{make,deliver,count,empty,
# snapshot}. ORIG holds each message as delivered, named by its UIDL in
# the Maildir fixtures (the names only label files: compare matches by
# content, since mbox and MH UIDLs are digests). A snapshot is a text that
# changes when a message is lost, added or altered, and not when a client
# only reads. interop_setup has put the core fixtures into the backend's
# store (test/stores.bash, the one backends.bats uses); "store make" adds
# the interop messages after them.

# interop_fixtures [--small]: write the interop messages ($INTEROP_FIXTURES
# picks the set) and the core fixtures into ORIG; print the interop
# messages' names in delivery order.
interop_fixtures() {
	local -a names
	local uid
	mapfile -t names < <("$PYTHON" "$INTEROP_PY" fixtures "$ORIG" "$INTEROP_FIXTURES" "$@")
	[ "${#names[@]}" -gt 0 ] || fail "interop.py fixtures wrote nothing"
	for uid in "${ALL_UIDS[@]}"; do
		cp "$(store_path "$MAILDIR" "$uid")" "$ORIG/$uid"
	done
	printf '%s\n' "${names[@]}"
}

store_maildir_make() {
	local name
	for name in $(interop_fixtures "$@"); do
		cp "$ORIG/$name" "$MAILDIR/new/$name"
		touch -d "@${name%%.*}" "$MAILDIR/new/$name"
	done
	fix_owner "$MAILDIR"
}

store_maildir_deliver() {
	add_message "$MAILDIR" "$1"
	cp "$MAILDIR/new/$1" "$ORIG/$1"
}

store_maildir_count() {
	find "$MAILDIR/new" "$MAILDIR/cur" -type f | wc -l
}

store_mbox_make() {
	local name
	for name in $(interop_fixtures "$@"); do
		mbox_append "$MAILBOX" <"$ORIG/$name"
	done
	fix_owner "$MAILBOX"
}

store_mbox_deliver() {
	store_deliver "$1"
	late_message "$1" >"$ORIG/$1"
}

# mbox_append quotes body lines starting "From ", so every "^From " line
# starts a message.
store_mbox_count() {
	if [ -s "$MAILBOX" ]; then
		grep -c '^From ' "$MAILBOX" || :
	else
		echo 0
	fi
}

store_mh_make() {
	local name n
	n=$(store_mh_last)
	for name in $(interop_fixtures "$@"); do
		n=$((n + 1))
		cp "$ORIG/$name" "$MAILBOX/$n"
	done
	fix_owner "$MAILBOX"
}

store_mh_last() {
	find "$MAILBOX" -maxdepth 1 -type f -regex '.*/[1-9][0-9]*' -printf '%f\n' |
		sort -n | tail -n 1 | grep . || echo 0
}

store_mh_deliver() {
	store_deliver "$1"
	late_message "$1" >"$ORIG/$1"
}

store_mh_count() {
	find "$MAILBOX" -maxdepth 1 -type f -regex '.*/[1-9][0-9]*' | wc -l
}

# snapshot and empty: the same steps for every backend (stores.bash).
store_any_snapshot() { store_digest; }
store_any_empty() {
	store_empty
	rm -f "$ORIG"/*
}
store_maildir_snapshot() { store_any_snapshot; }
store_maildir_empty() { store_any_empty; }
store_mbox_snapshot() { store_any_snapshot; }
store_mbox_empty() { store_any_empty; }
store_mh_snapshot() { store_any_snapshot; }
store_mh_empty() { store_any_empty; }

store() {
	local verb=$1
	shift
	"store_${INTEROP_BACKEND}_$verb" "$@" || return
	case $verb in
	make | deliver) "store_${INTEROP_BACKEND}_snapshot" >"$BATS_TEST_TMPDIR/store.before" ;;
	esac
}

# assert_store_kept: the store is as "store make" or "store deliver" left it.
assert_store_kept() {
	assert_equal "$(store snapshot)" "$(cat "$BATS_TEST_TMPDIR/store.before")"
}

# ------------------------------------------------------------ setup

interop_setup() {
	[ -n "${INTEROP_CLIENT:-}" ] || fail "INTEROP_CLIENT is not set"
	load "clients/$INTEROP_CLIENT"
	local why
	why=$(client_check 2>&1) || skip "$INTEROP_CLIENT: $why"
	declare -F "store_${INTEROP_BACKEND}_make" >/dev/null ||
		skip "backend $INTEROP_BACKEND has no fixtures in interop.bash yet"
	onepop_has_backend || skip "onepop has no $INTEROP_BACKEND backend compiled in"
	common_setup
	store_setup "$INTEROP_BACKEND"
	ORIG=$BATS_TEST_TMPDIR/orig
	CLIENT_DIR=$BATS_TEST_TMPDIR/client
	mkdir -p "$ORIG" "$CLIENT_DIR"
	fix_owner "$CLIENT_DIR"
	chmod 700 "$CLIENT_DIR"
	# A client killed mid-session must not leave its onepop for 10 minutes.
	POP_ARGS=(--backend="$INTEROP_BACKEND" --timeout=60)
	RUN_NO=0
}

# interop_teardown: end the sessions still open (children of the listener,
# one a connection), then the listener and the rest of common_teardown.
interop_teardown() {
	local pid
	if [ -n "${TCP_PID:-}" ]; then
		for pid in $(child_pids "$TCP_PID"); do
			kill "$pid" 2>/dev/null || :
		done
	fi
	common_teardown
}

onepop_has_backend() {
	"$ONEPOP" --list-backends 2>/dev/null | grep -qx "$INTEROP_BACKEND"
}

# ------------------------------------------------------------ running clients

# as_user CMD...: run CMD as the mail user (clients such as getmail refuse
# to deliver as root), with HOME in the client's directory, time-bounded.
as_user() {
	local -a env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$CLIENT_DIR"
		LC_ALL=C.UTF-8 TZ=UTC)
	if is_root; then
		timeout -k 2 "$CLIENT_LIMIT" setpriv --reuid="$FIX_UID" --regid="$FIX_GID" \
			--clear-groups "${env[@]}" "$@"
	else
		timeout -k 2 "$CLIENT_LIMIT" "${env[@]}" "$@"
	fi
}

# put_file PATH MODE: write stdin to PATH, owned by the mail user.
put_file() {
	cat >"$1"
	chmod "$2" "$1"
	fix_owner "$1"
}

# fetch MODE: one client run into a fresh $GOT directory; the run's output
# is in $BATS_TEST_TMPDIR/run.N.log.
fetch() {
	RUN_NO=$((RUN_NO + 1))
	GOT=$BATS_TEST_TMPDIR/got.$RUN_NO
	mkdir -p "$GOT"
	local log=$BATS_TEST_TMPDIR/run.$RUN_NO.log rc=0
	client_fetch "$1" "$GOT" >"$log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] ||
		fail "$INTEROP_CLIENT ($1 run $RUN_NO) failed with status $rc:
$(tail -n 40 "$log")
--- server:
$(tail -n 20 "$TCP_ERR")"
}

# assert_fetched UID...: the last run stored exactly these messages, byte
# for byte (after the client's documented additions are removed).
assert_fetched() {
	local -a origs=() strip=() h uid
	for uid in "$@"; do
		origs+=("$ORIG/$uid")
	done
	for h in "${CLIENT_STRIP[@]}"; do
		strip+=("--${h%%:*}-header" "${h#*:}")
	done
	local why
	why=$("$PYTHON" "$INTEROP_PY" compare "$GOT" "$CLIENT_EOL" "${strip[@]}" "${origs[@]}" 2>&1) ||
		fail "$INTEROP_CLIENT run $RUN_NO: $why
--- client output:
$(tail -n 20 "$BATS_TEST_TMPDIR/run.$RUN_NO.log")"
}

assert_fetched_nothing() {
	local n
	n=$(find "$GOT" -type f | wc -l)
	[ "$n" -eq 0 ] || fail "$INTEROP_CLIENT run $RUN_NO fetched $n messages, expected none"
}

all_uids() {
	ls "$ORIG"
}

# ------------------------------------------------------------ results

# Each meson test (one client, one backend) writes one results file:
# "client<TAB>package<TAB>version<TAB>backend" first, then a
# "check<TAB>result" line a test. tools/interop-table turns them into the
# table in doc/interop.md.
interop_results_file() {
	[ -n "${INTEROP_RESULTS:-}" ] || return 1
	printf '%s/%s-%s.tsv\n' "$INTEROP_RESULTS" "$INTEROP_CLIENT" "$INTEROP_BACKEND"
}

interop_results_start() {
	local file version package
	file=$(interop_results_file) || return 0
	mkdir -p "$INTEROP_RESULTS"
	load "clients/$INTEROP_CLIENT"
	if client_check >/dev/null 2>&1; then
		version=$(client_version 2>/dev/null | head -n 1)
		package=$(client_package)
		package="$package $(dpkg-query -W -f '${Version}' "$package" 2>/dev/null || :)"
	else
		version="not installed" package=$(client_package)
	fi
	printf '%s\t%s\t%s\t%s\n' "$INTEROP_CLIENT" "$package" "${version:-?}" \
		"$INTEROP_BACKEND" >"$file"
}

# interop_record: called from teardown; the check is the test name's "[word]".
interop_record() {
	local file result=fail check=${BATS_TEST_DESCRIPTION%%]*}
	check=${check#[}
	file=$(interop_results_file) || return 0
	if [ -n "${BATS_TEST_SKIPPED:-}" ]; then
		result=skip
	elif [ "${BATS_TEST_COMPLETED:-}" = 1 ]; then
		result=pass
	fi
	printf '%s\t%s\n' "$check" "$result" >>"$file"
}

# move_out DIR: move what a driver script wrote to $CLIENT_DIR/out into DIR.
move_out() {
	local f
	for f in "$CLIENT_DIR/out/"*; do
		[ -e "$f" ] && mv "$f" "$1/"
	done
	return 0
}
