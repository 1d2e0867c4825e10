# Shared fixtures and drivers for the onepop bats suites.
#
# Each .bats file does:
#     setup()    { load helpers; common_setup; }
#     teardown() { common_teardown; }
# and then talks to the real binary ($ONEPOP) through a pipe (pop, pop_file,
# pop_gen), through a fifo held open between commands (session_*), or over a
# real TCP socket (tcp_server_start).

bats_require_minimum_version 1.5.0

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

# test/, wherever the suite that loads this file sits under it.
TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ONEPOP=${ONEPOP:-$TESTDIR/../build/onepop}
LIBDIR=$TESTDIR/lib
POP3UTIL=$LIBDIR/pop3util.py
# The system interpreter: version-manager shims cost a lot per start.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

# Upper bound for any one onepop run; a hang fails the test instead of the suite.
POP_LIMIT=20

# The standard login; replies to it are lines 2 and 3 (after the greeting).
LOGIN=("USER alice" "PASS secret")

# Fixture message names (the UIDL of each is its base name, before ":").
UID_LF=1700000001.M100001P1001.fixture
UID_CRLF=1700000002.M100002P1002.fixture
UID_DOTS=1700000003.M100003P1003.fixture
UID_NOEOL=1700000004.M100004P1004.fixture
UID_SEEN=1700000005.M100005P1005.fixture
ALL_UIDS=("$UID_LF" "$UID_CRLF" "$UID_DOTS" "$UID_NOEOL" "$UID_SEEN")

declare -gA SIZE=()      # uid -> octets of its wire form
declare -gA MSGNUM=()    # uid -> message number (after load_uidls)
declare -gA MSGUID=()    # message number -> uid (after load_uidls)
declare -gA SESSION_FD=() SESSION_PID=() SESSION_RC=()
TOTAL_OCTETS=0

# ---------------------------------------------------------------- fixtures

is_root() { [ "$(id -u)" -eq 0 ]; }

require_root() {
	is_root || skip "needs root (onepop drops privileges only when run as root)"
}

# retry TRIES DELAY CMD...: run CMD until it succeeds, at most TRIES
# times, DELAY seconds apart; 0 once it did, 1 if it never did.
retry() {
	local tries=$1 delay=$2 i
	shift 2
	for ((i = 1; ; i++)); do
		"$@" && return 0
		((i < tries)) || return 1
		sleep "$delay"
	done
}

# retry_lock CMD...: shadow's tools refuse while another test holds the
# /etc/passwd lock; try again a few times.
retry_lock() { retry 20 0.2 "$@"; }

# wait_for CMD...: up to 10 s, until CMD succeeds.
wait_for() { retry 200 0.05 "$@"; }

# Give PATH... to the fixture user (root only: onepop drops to that uid).
fix_owner() {
	if is_root; then
		chown -R "$FIX_UID:$FIX_GID" "$@"
	fi
}

# Make every ancestor of $BATS_TEST_TMPDIR traversable by the dropped user.
open_ancestors() {
	local d=$BATS_TEST_TMPDIR
	while [ "$d" != / ] && [ -n "$d" ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}

# write_message FILE: the message text comes from stdin; mtime from the name.
write_message() {
	local file=$1 base=${1##*/}
	cat >"$file"
	touch -d "@${base%%.*}" "$file"
}

# make_maildir DIR: a Maildir with five messages covering the wire's corners,
# and the wire form of each in $WIRE_DIR/<uid> with its size in SIZE[uid].
make_maildir() {
	local dir=$1 uid
	mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"

	# 1: bare LF line ends.
	printf '%s\n' \
		'Return-Path: <carol@example.org>' \
		'From: Carol <carol@example.org>' \
		'To: Alice <alice@example.org>' \
		'Subject: plain LF message' \
		'Date: Tue, 14 Nov 2023 22:13:21 +0000' \
		'Message-ID: <lf@example.org>' \
		'' \
		'Hello Alice,' \
		'this message uses bare LF line endings.' \
		'Third body line.' \
		'Fourth body line.' |
		write_message "$dir/new/$UID_LF"

	# 2: CRLF line ends already.
	printf '%s\r\n' \
		'From: Dave <dave@example.org>' \
		'To: Alice <alice@example.org>' \
		'Subject: CRLF message' \
		'Date: Tue, 14 Nov 2023 22:13:22 +0000' \
		'' \
		'This one arrived with CRLF line endings.' \
		'' \
		'An empty line above, two lines in all after it.' |
		write_message "$dir/new/$UID_CRLF"

	# 3: body lines that need dot-stuffing, one of them a lone ".".
	printf '%s\n' \
		'From: Eve <eve@example.org>' \
		'To: Alice <alice@example.org>' \
		'Subject: dots' \
		'' \
		'.leading dot' \
		'..two leading dots' \
		'.' \
		'...' \
		' . not at the start' \
		'last line' |
		write_message "$dir/new/$UID_DOTS"

	# 4: no newline at the end of the last line.
	printf '%s\n%s\n%s\n\n%s\n%s' \
		'From: Frank <frank@example.org>' \
		'To: Alice <alice@example.org>' \
		'Subject: no trailing newline' \
		'First body line.' \
		'The last line has no newline.' |
		write_message "$dir/new/$UID_NOEOL"

	# 5: already seen, in cur/ with an info suffix; one 998-octet line.
	{
		printf '%s\n' \
			'From: Grace <grace@example.org>' \
			'To: Alice <alice@example.org>' \
			'Subject: seen message in cur' \
			'' \
			'A message already seen by another client.'
		printf 'x%.0s' $(seq 998)
		printf '\n%s\n' 'The end.'
	} | write_message "$dir/cur/$UID_SEEN:2,S"

	fix_owner "$dir"

	WIRE_DIR=$BATS_TEST_TMPDIR/wire
	mkdir -p "$WIRE_DIR"
	TOTAL_OCTETS=0
	local -a pairs=()
	for uid in "${ALL_UIDS[@]}"; do
		pairs+=("$(store_path "$dir" "$uid")" "$WIRE_DIR/$uid")
	done
	"$PYTHON" "$POP3UTIL" wire "${pairs[@]}"
	local size name
	while read -r size name; do
		uid=${name##*/}
		SIZE[$uid]=$size
		TOTAL_OCTETS=$((TOTAL_OCTETS + size))
	done < <(cd "$WIRE_DIR" && stat -c '%s %n' "${ALL_UIDS[@]}")
}

# add_message DIR UID: deliver a small message the Maildir way (tmp/, then new/).
add_message() {
	local dir=$1 uid=$2
	printf 'From: late@example.org\nSubject: %s\n\nDelivered later.\n' "$uid" \
		>"$dir/tmp/$uid"
	fix_owner "$dir/tmp/$uid"
	mv "$dir/tmp/$uid" "$dir/new/$uid"
}

# store_path DIR UID: the file holding UID in DIR's new/ or cur/ (or nothing).
store_path() {
	local dir=$1 uid=$2 f
	for f in "$dir/new/$uid" "$dir/new/$uid:"* "$dir/cur/$uid" "$dir/cur/$uid:"*; do
		if [ -f "$f" ]; then
			printf '%s\n' "$f"
			return 0
		fi
	done
	return 1
}

# snapshot DIR: "uid sha256" of every message in new/ and cur/, sorted.
# Moving a message from new/ to cur/ or adding flags does not change it;
# losing, adding or altering a message does.
snapshot() {
	local dir=$1 f hash name
	local -a files=()
	for f in "$dir/new/"* "$dir/cur/"*; do
		[ -f "$f" ] && files+=("$f")
	done
	[ "${#files[@]}" -gt 0 ] || return 0
	sha256sum -z -- "${files[@]}" | while IFS= read -r -d '' line; do
		hash=${line%% *}
		name=${line#*  }
		name=${name##*/}
		printf '%s %s\n' "${name%%:*}" "$hash"
	done | sort
}

# make_passwd FILE: alice {PLAIN}secret and bob {SHA512-CRYPT}hunter2.
make_passwd() {
	local file=$1 hash
	hash=$(openssl passwd -6 hunter2 2>/dev/null) ||
		hash=$("$PYTHON" -W ignore -c 'import crypt; print(crypt.crypt("hunter2", crypt.mksalt(crypt.METHOD_SHA512)))')
	[[ $hash == '$6$'* ]] || {
		echo "cannot make a SHA512-CRYPT hash" >&2
		return 1
	}
	{
		printf 'alice:{PLAIN}secret:%s:%s::%s::\n' "$FIX_UID" "$FIX_GID" "$HOME_ALICE"
		printf 'bob:{SHA512-CRYPT}%s:%s:%s::%s::\n' "$hash" "$FIX_UID" "$FIX_GID" "$HOME_BOB"
	} >"$file"
	chmod 600 "$file"
}

common_setup() {
	if is_root; then
		FIX_UID=65534 FIX_GID=65534
		open_ancestors
	else
		FIX_UID=$(id -u) FIX_GID=$(id -g)
	fi
	HOME_ALICE=$BATS_TEST_TMPDIR/home/alice
	HOME_BOB=$BATS_TEST_TMPDIR/home/bob
	mkdir -p "$HOME_ALICE" "$HOME_BOB"
	chmod 755 "$BATS_TEST_TMPDIR/home"
	MAILDIR=$HOME_ALICE/Maildir
	make_maildir "$MAILDIR"
	fix_owner "$HOME_ALICE" "$HOME_BOB"
	PASSWD=$BATS_TEST_TMPDIR/passwd
	make_passwd "$PASSWD"
	MAILBOX=$MAILDIR
	POP_ARGS=()
	RAW=$BATS_TEST_TMPDIR/pop.raw
	POP_ERR=$BATS_TEST_TMPDIR/pop.err
	BEFORE=$BATS_TEST_TMPDIR/snapshot.before
	snapshot "$MAILDIR" >"$BEFORE"
	[ -x "$ONEPOP" ] || fail "no onepop binary at $ONEPOP (set ONEPOP)"
}

common_teardown() {
	local name
	for name in "${!SESSION_PID[@]}"; do
		session_kill "$name"
	done
	tcp_server_stop
}

# ---------------------------------------------------------------- pipe driver

# The options every pipe session gets; tests add theirs in POP_ARGS. The
# fixture mixes {PLAIN} and crypt users, for which onepop would offer
# only PLAIN by default: the suites name every mechanism so that each is
# exercised (test/auth/mechanisms.bats checks the default).
pop_std_args() {
	printf '%s\n' "--auth=passwd-file:$PASSWD" "--mailbox=$MAILBOX" --fail-delay=0 \
		--auth-mechanisms=plain,cram-md5,apop
}

# _pop_exec GENERATOR [ARGS...]: GENERATOR's output is onepop's stdin; the raw
# stdout goes to $RAW, stderr to $POP_ERR; prints stdout without CRs and
# returns onepop's exit status.
_pop_exec() {
	local gen=$1 rc
	shift
	local -a std
	mapfile -t std < <(pop_std_args)
	"$gen" "$@" | {
		timeout -k 2 "$POP_LIMIT" "$ONEPOP" "${std[@]}" "${POP_ARGS[@]}" \
			>"$RAW" 2>"$POP_ERR" 3>&-
		echo $? >"$RAW.rc"
	}
	printf '%s' "$(tr -d '\r' <"$RAW")"
	rc=$(cat "$RAW.rc")
	return "$rc"
}

_gen_lines() {
	[ "$#" -eq 0 ] || printf '%s\r\n' "$@"
}
_gen_file() { cat "$1"; }

# pop LINE...: send the lines (CRLF-terminated) in one go; sets output, lines,
# status like run, with $RAW holding the untouched bytes.
pop() { run --keep-empty-lines _pop_exec _gen_lines "$@"; }

# pop_file FILE: send FILE byte for byte.
pop_file() { run --keep-empty-lines _pop_exec _gen_file "$1"; }

# pop_gen FUNCTION [ARGS...]: send what FUNCTION writes (it may sleep).
pop_gen() { run --keep-empty-lines _pop_exec "$@"; }

# run_onepop ARGS...: the bare binary with only ARGS, stdin from /dev/null;
# output is stdout without CRs ($RAW has it raw), $POP_ERR holds stderr.
_onepop_bare() {
	local rc=0
	timeout -k 2 "$POP_LIMIT" "$ONEPOP" "$@" </dev/null >"$RAW" 2>"$POP_ERR" 3>&- || rc=$?
	printf '%s' "$(tr -d '\r' <"$RAW")"
	return "$rc"
}
run_onepop() { run --keep-empty-lines _onepop_bare "$@"; }

# uidl_list: "N UIDL" lines of a session's UIDL reply (or fails).
uidl_list() {
	local out
	out=$(_pop_exec _gen_lines "${LOGIN[@]}" UIDL QUIT) || { echo "$out" >&2; return 1; }
	printf '%s\n' "$out" | sed -n '5,/^\.$/p' | sed '$d'
}

# pop_stderr: what the last session wrote to stderr (--debug logs).
pop_stderr() { cat "$POP_ERR"; }

# load_uidls: log in, read UIDL, fill MSGNUM[uid] and MSGUID[n]; checks that
# the five fixture messages are all there and nothing else is.
load_uidls() {
	local out n uid
	out=$(_pop_exec _gen_lines "${LOGIN[@]}" UIDL QUIT) || {
		echo "load_uidls: session failed: $out" >&2
		return 1
	}
	MSGNUM=() MSGUID=()
	while read -r n uid; do
		[[ $n =~ ^[0-9]+$ ]] || continue
		MSGNUM[$uid]=$n
		MSGUID[$n]=$uid
	done < <(printf '%s\n' "$out" | sed -n '4,/^\.$/p' | sed '1d;$d')
	for uid in "${ALL_UIDS[@]}"; do
		[ -n "${MSGNUM[$uid]:-}" ] || {
			echo "load_uidls: $uid not in UIDL: $out" >&2
			return 1
		}
	done
	[ "${#MSGUID[@]}" -eq "${#ALL_UIDS[@]}" ] || {
		echo "load_uidls: expected ${#ALL_UIDS[@]} messages: $out" >&2
		return 1
	}
}

# ---------------------------------------------------------------- assertions

# These assertions leave $output, $lines and $status alone.

# assert_crlf: every line onepop wrote ends in CRLF.
assert_crlf() {
	local why
	why=$("$PYTHON" "$POP3UTIL" crlf "$RAW" 2>&1) || fail "$why"
}

# assert_block LINENO EXPECTED [--raw]: the multi-line reply whose status is
# line LINENO of $RAW carries exactly the bytes of file EXPECTED (un-stuffed,
# or as sent with --raw).
assert_block() {
	local got=$BATS_TEST_TMPDIR/block.got why
	why=$("$PYTHON" "$POP3UTIL" block "$RAW" "$1" ${3:+"$3"} 2>&1 >"$got") ||
		fail "no well-formed multi-line reply at line $1: $why"
	cmp -s "$2" "$got" ||
		fail "$(printf 'reply at line %s differs from %s\n--- expected\n%s\n--- got\n%s' \
			"$1" "$2" "$(cat -A "$2")" "$(cat -A "$got")")"
}

# assert_store_unchanged [DIR]: every message is there with the same bytes.
assert_store_unchanged() {
	local dir=${1:-$MAILDIR}
	assert_equal "$(snapshot "$dir")" "$(cat "$BEFORE")"
}

# assert_store_without UID...: the store is as before minus those messages.
assert_store_without() {
	local expected uid
	expected=$(cat "$BEFORE")
	for uid in "$@"; do
		! store_path "$MAILDIR" "$uid" >/dev/null ||
			fail "$uid is still in the Maildir"
		expected=$(printf '%s\n' "$expected" | awk -v u="$uid " 'index($0, u) != 1')
	done
	assert_equal "$(snapshot "$MAILDIR")" "$expected"
}

# count_lines REGEX: how many lines of $output match (extended regex).
count_lines() {
	printf '%s\n' "$output" | awk -v re="$1" '$0 ~ re { n++ } END { print n + 0 }'
}

# ---------------------------------------------------------------- fifo sessions

# session_start NAME [ONEPOP_ARGS...]: onepop reading from a fifo we hold open.
session_start() {
	local name=$1 dir fd
	shift
	dir=$BATS_TEST_TMPDIR/session.$name
	mkdir -p "$dir"
	mkfifo "$dir/in"
	local -a std
	mapfile -t std < <(pop_std_args)
	timeout -k 2 30 "$ONEPOP" "${std[@]}" "${POP_ARGS[@]}" "$@" \
		<"$dir/in" >"$dir/raw" 2>"$dir/err" 3>&- &
	SESSION_PID[$name]=$!
	exec {fd}>"$dir/in"
	SESSION_FD[$name]=$fd
}

# session_send NAME LINE...: write the lines, CRLF-terminated, in one write.
session_send() {
	local name=$1
	shift
	(printf '%s\r\n' "$@" >&"${SESSION_FD[$name]}") ||
		fail "session $name: cannot write (server gone?)"
}

# session_wait NAME N: wait (at most 10 s) until the server wrote N lines.
_lines_at_least() { [ "$(tr -cd '\n' <"$1" | wc -c)" -ge "$2" ]; }
session_wait() {
	local raw=$BATS_TEST_TMPDIR/session.$1/raw
	wait_for _lines_at_least "$raw" "$2" ||
		fail "session $1: waited for $2 lines, got $(tr -cd '\n' <"$raw" | wc -c): $(cat "$raw")"
}

# session_end NAME: close the client side (EOF), wait for exit, keep the status.
session_end() {
	local name=$1 rc=0 fd=${SESSION_FD[$1]}
	exec {fd}>&-
	wait "${SESSION_PID[$name]}" || rc=$?
	SESSION_RC[$name]=$rc
	unset "SESSION_PID[$name]"
}

# session_output NAME: the CR-stripped output; returns the exit status
# (use with run after session_end).
session_output() {
	printf '%s' "$(tr -d '\r' <"$BATS_TEST_TMPDIR/session.$1/raw")"
	return "${SESSION_RC[$1]}"
}

session_kill() {
	local name=$1 fd=${SESSION_FD[$1]:-}
	kill "${SESSION_PID[$name]}" 2>/dev/null || :
	[ -z "$fd" ] || exec {fd}>&-
	wait "${SESSION_PID[$name]}" 2>/dev/null || :
	unset "SESSION_PID[$name]"
}

# ---------------------------------------------------------------- processes

# child_pids PID: the direct children of PID, one a line (from /proc, so no
# procps is needed).
child_pids() {
	local f
	if [ -r "/proc/$1/task/$1/children" ]; then
		tr ' ' '\n' <"/proc/$1/task/$1/children" | sed '/^$/d'
		return 0
	fi
	for f in /proc/[0-9]*/stat; do
		# The fields after the ")" that ends the command name: state ppid ...
		awk -v want="$1" '{ sub(/^.*\) /, ""); if ($2 == want) print FILENAME }' "$f" 2>/dev/null
	done | sed 's|^/proc/||; s|/stat$||'
}

# port_listening PORT: something listens on 127.0.0.1:PORT (from /proc, so
# no iproute2 is needed).
port_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	grep -q "^ *[0-9]*: 0100007F:$hex 00000000:0000 0A " /proc/net/tcp
}

# ---------------------------------------------------------------- TCP

TCP_PID=

# tcp_server_start [ONEPOP_ARGS...]: systemd-socket-activate --accept --inetd
# (one onepop per connection, the socket as stdin and stdout) on a free
# port of 127.0.0.1; sets PORT. Output of the launcher (and of onepop's
# stderr) goes to $TCP_ERR.
tcp_server_start() {
	local -a std
	local i
	mapfile -t std < <(pop_std_args)
	TCP_ERR=$BATS_TEST_TMPDIR/tcp.err
	for _ in 1 2 3; do
		PORT=$("$PYTHON" "$POP3UTIL" freeport)
		systemd-socket-activate --accept --inetd -l "127.0.0.1:$PORT" \
			"$ONEPOP" "${std[@]}" "${POP_ARGS[@]}" "$@" \
			</dev/null >"$TCP_ERR" 2>&1 3>&- &
		TCP_PID=$!
		for ((i = 0; i < 100; i++)); do
			port_listening "$PORT" && return 0
			kill -0 "$TCP_PID" 2>/dev/null || break
			sleep 0.05
		done
		tcp_server_stop
	done
	fail "systemd-socket-activate did not listen: $(cat "$TCP_ERR")"
}

tcp_server_stop() {
	if [ -n "${TCP_PID:-}" ]; then
		kill "$TCP_PID" 2>/dev/null || :
		wait "$TCP_PID" 2>/dev/null || :
		TCP_PID=
	fi
}

# tcp_wait_idle: wait (at most 10 s) until no session started by the
# listener is still running, so its UPDATE is over.
_listener_idle() { [ -z "$(child_pids "$TCP_PID")" ]; }
tcp_wait_idle() {
	wait_for _listener_idle || fail "sessions still running under the listener"
}

# tcp ACTION...: run lib/tcp_client.py against $PORT (see its usage); sets
# output (without CRs) and status like run, $RAW holds the bytes received.
_tcp_exec() {
	local rc=0
	"$PYTHON" "$LIBDIR/tcp_client.py" "$PORT" "$@" >"$RAW" || rc=$?
	printf '%s' "$(tr -d '\r' <"$RAW")"
	return "$rc"
}
tcp() { run --keep-empty-lines _tcp_exec "$@"; }
