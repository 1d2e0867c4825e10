#!/usr/bin/env bats
# Every command in every state, the multi-line replies byte for byte, and
# pipelining.

setup() {
	load ../helpers
	common_setup
}

teardown() {
	common_teardown
}

wire_lines() { wc -l <"$WIRE_DIR/$1"; }

# ---------------------------------------------------------------- states

@test "in AUTHORIZATION the TRANSACTION commands get -ERR and change nothing" {
	pop STAT LIST "LIST 1" "RETR 1" "DELE 1" UIDL "UIDL 1" "TOP 1 0" RSET \
		"${LOGIN[@]}" STAT QUIT
	assert_success
	for i in $(seq 1 9); do
		assert_line --index "$i" --regexp '^-ERR'
	done
	assert_line --index 10 --regexp '^\+OK'
	assert_line --index 11 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 12 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 13 "+OK goodbye"
	assert_equal "${#lines[@]}" 14
	assert_store_unchanged
}

@test "in AUTHORIZATION NOOP gets -ERR" {
	pop NOOP QUIT
	assert_success
	assert_line --index 1 --regexp '^-ERR'
	assert_line --index 2 "+OK goodbye"
}

@test "in TRANSACTION USER, PASS and APOP get -ERR and change nothing" {
	pop "${LOGIN[@]}" "USER bob" "PASS hunter2" "APOP alice 0123456789abcdef0123456789abcdef" \
		"USER alice" STAT QUIT
	assert_success
	for i in 3 4 5 6; do
		assert_line --index "$i" --regexp '^-ERR'
	done
	assert_line --index 7 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 8 "+OK goodbye"
	assert_equal "${#lines[@]}" 9
}

@test "CAPA in AUTHORIZATION lists the capabilities" {
	pop CAPA "${LOGIN[@]}" QUIT
	assert_success
	assert_line --index 1 --regexp '^\+OK'
	end=$(printf '%s\n' "${lines[@]}" | grep -n '^\.$' | head -n 1 | cut -d: -f1)
	[ -n "$end" ] || fail "CAPA reply has no terminating '.'"
	capa=$(printf '%s\n' "${lines[@]:2:end-3}")
	for cap in TOP USER UIDL RESP-CODES PIPELINING AUTH-RESP-CODE; do
		grep -qx "$cap" <<<"$capa" || fail "$cap missing from CAPA: $capa"
	done
	grep -qE '^IMPLEMENTATION .+' <<<"$capa" || fail "no IMPLEMENTATION in CAPA: $capa"
	# TLS is off and nothing enforces EXPIRE or LOGIN-DELAY.
	refute grep -qE '^(STLS|EXPIRE|LOGIN-DELAY)' <<<"$capa"
	# The session goes on after the multi-line reply.
	assert_line --index "$((end + 1))" "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index "$((end + 2))" "+OK goodbye"
	assert_crlf
}

@test "CAPA in TRANSACTION lists the capabilities" {
	pop "${LOGIN[@]}" CAPA STAT QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK'
	end=$(printf '%s\n' "${lines[@]}" | grep -n '^\.$' | head -n 1 | cut -d: -f1)
	[ -n "$end" ] || fail "CAPA reply has no terminating '.'"
	capa=$(printf '%s\n' "${lines[@]:4:end-5}")
	for cap in TOP USER UIDL RESP-CODES PIPELINING AUTH-RESP-CODE; do
		grep -qx "$cap" <<<"$capa" || fail "$cap missing from CAPA: $capa"
	done
	grep -qE '^IMPLEMENTATION .+' <<<"$capa" || fail "no IMPLEMENTATION in CAPA: $capa"
	assert_line --index "$end" "+OK 5 $TOTAL_OCTETS"
	assert_crlf
}

# ---------------------------------------------------------------- STAT LIST UIDL

@test "STAT gives the count and the octets RETR would send" {
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "LIST lists every message with its size" {
	load_uidls
	pop "${LOGIN[@]}" LIST QUIT
	assert_success
	assert_line --index 3 "+OK 5 messages ($TOTAL_OCTETS octets)"
	for n in 1 2 3 4 5; do
		assert_line --index $((3 + n)) "$n ${SIZE[${MSGUID[$n]}]}"
	done
	assert_line --index 9 "."
	assert_line --index 10 "+OK goodbye"
	assert_equal "${#lines[@]}" 11
	assert_crlf
}

@test "LIST n gives one message's size" {
	load_uidls
	pop "${LOGIN[@]}" "LIST 1" "LIST 2" "LIST 3" "LIST 4" "LIST 5" "LIST 6" QUIT
	assert_success
	for n in 1 2 3 4 5; do
		assert_line --index $((2 + n)) "+OK $n ${SIZE[${MSGUID[$n]}]}"
	done
	assert_line --index 8 --regexp '^-ERR'
	assert_line --index 9 "+OK goodbye"
}

@test "UIDL lists the Maildir base names" {
	pop "${LOGIN[@]}" UIDL QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK'
	assert_line --index 9 "."
	got=$(printf '%s\n' "${lines[@]:4:5}" | cut -d' ' -f2 | sort)
	assert_equal "$got" "$(printf '%s\n' "${ALL_UIDS[@]}" | sort)"
	for n in 1 2 3 4 5; do
		assert_line --index $((3 + n)) --regexp "^$n [^ ]+\$"
	done
	# The seen message's UIDL has no ":2,S".
	refute_output --partial ":2,"
	assert_crlf
}

@test "UIDL n matches the UIDL listing" {
	load_uidls
	pop "${LOGIN[@]}" "UIDL 5" "UIDL 1" "UIDL 3" "UIDL 6" QUIT
	assert_success
	assert_line --index 3 "+OK 5 ${MSGUID[5]}"
	assert_line --index 4 "+OK 1 ${MSGUID[1]}"
	assert_line --index 5 "+OK 3 ${MSGUID[3]}"
	assert_line --index 6 --regexp '^-ERR'
}

@test "UIDL and message order are stable across sessions" {
	pop "${LOGIN[@]}" UIDL LIST QUIT
	assert_success
	first=$output
	pop "${LOGIN[@]}" UIDL LIST QUIT
	assert_success
	assert_equal "$(sed 1d <<<"$output")" "$(sed 1d <<<"$first")"
}

# ---------------------------------------------------------------- RETR and TOP

@test "RETR sends every message byte for byte, CRLF and dot-stuffed" {
	load_uidls
	pop "${LOGIN[@]}" "RETR 1" "RETR 2" "RETR 3" "RETR 4" "RETR 5" QUIT
	assert_success
	assert_crlf
	line=4 # 1-based line of the first RETR status in $RAW
	for n in 1 2 3 4 5; do
		uid=${MSGUID[$n]}
		assert_line --index $((line - 1)) "+OK ${SIZE[$uid]} octets"
		# Un-stuffed, it is the wire form ...
		assert_block "$line" "$WIRE_DIR/$uid"
		# ... as sent, it is the wire form with leading dots doubled ...
		"$PYTHON" "$POP3UTIL" stuff "$WIRE_DIR/$uid" >"$BATS_TEST_TMPDIR/stuffed"
		assert_block "$line" "$BATS_TEST_TMPDIR/stuffed" --raw
		# ... and LIST's size is the un-stuffed octet count.
		got=$("$PYTHON" "$POP3UTIL" block "$RAW" "$line" | wc -c)
		assert_equal "$got" "${SIZE[$uid]}"
		line=$((line + $(wire_lines "$uid") + 2))
	done
	assert_line --index $((line - 1)) "+OK goodbye"
}

@test "RETR doubles leading dots, including a lone dot line" {
	load_uidls
	pop "${LOGIN[@]}" "RETR ${MSGNUM[$UID_DOTS]}" QUIT
	assert_success
	assert_line "..leading dot"
	assert_line "...two leading dots"
	assert_line ".."
	assert_line "...."
	assert_line " . not at the start"
	assert_line --index 3 "+OK ${SIZE[$UID_DOTS]} octets"
	assert_block 4 "$WIRE_DIR/$UID_DOTS"
	# The lone "." of the body did not end the reply early.
	assert_line --index "$(($(wire_lines "$UID_DOTS") + 4))" "."
	assert_line --index "$(($(wire_lines "$UID_DOTS") + 5))" "+OK goodbye"
}

@test "RETR turns LF into CRLF and ends a message without a newline" {
	load_uidls
	pop "${LOGIN[@]}" "RETR ${MSGNUM[$UID_LF]}" "RETR ${MSGNUM[$UID_NOEOL]}" QUIT
	assert_success
	assert_crlf
	assert_block 4 "$WIRE_DIR/$UID_LF"
	assert_block "$(($(wire_lines "$UID_LF") + 6))" "$WIRE_DIR/$UID_NOEOL"
	assert_line "The last line has no newline."
}

@test "RETR does not double CRs of a CRLF message" {
	load_uidls
	pop "${LOGIN[@]}" "RETR ${MSGNUM[$UID_CRLF]}" QUIT
	assert_success
	assert_crlf
	assert_block 4 "$WIRE_DIR/$UID_CRLF"
	assert_line --index 3 "+OK ${SIZE[$UID_CRLF]} octets"
}

@test "RETR of a message in cur/ with an info suffix" {
	load_uidls
	pop "${LOGIN[@]}" "RETR ${MSGNUM[$UID_SEEN]}" QUIT
	assert_success
	assert_block 4 "$WIRE_DIR/$UID_SEEN"
	assert_store_unchanged
}

@test "RETR leaves the mailbox unchanged" {
	pop "${LOGIN[@]}" "RETR 1" "RETR 2" "RETR 3" "RETR 4" "RETR 5" QUIT
	assert_success
	assert_store_unchanged
}

@test "TOP n 0 sends the headers and the blank line" {
	load_uidls
	for uid in "$UID_LF" "$UID_CRLF" "$UID_DOTS"; do
		pop "${LOGIN[@]}" "TOP ${MSGNUM[$uid]} 0" QUIT
		assert_success
		"$PYTHON" "$POP3UTIL" top "$WIRE_DIR/$uid" 0 >"$BATS_TEST_TMPDIR/top"
		assert_block 4 "$BATS_TEST_TMPDIR/top"
		assert_line --index "$(($(wc -l <"$BATS_TEST_TMPDIR/top") + 5))" "+OK goodbye"
	done
	assert_crlf
}

@test "TOP n 2 sends the headers and two body lines" {
	load_uidls
	pop "${LOGIN[@]}" "TOP ${MSGNUM[$UID_LF]} 2" QUIT
	assert_success
	"$PYTHON" "$POP3UTIL" top "$WIRE_DIR/$UID_LF" 2 >"$BATS_TEST_TMPDIR/top"
	assert_block 4 "$BATS_TEST_TMPDIR/top"
	assert_line "this message uses bare LF line endings."
	refute_line "Third body line."
}

@test "TOP dot-stuffs the lines it sends" {
	load_uidls
	pop "${LOGIN[@]}" "TOP ${MSGNUM[$UID_DOTS]} 3" QUIT
	assert_success
	"$PYTHON" "$POP3UTIL" top "$WIRE_DIR/$UID_DOTS" 3 >"$BATS_TEST_TMPDIR/top"
	assert_block 4 "$BATS_TEST_TMPDIR/top"
	"$PYTHON" "$POP3UTIL" stuff "$BATS_TEST_TMPDIR/top" >"$BATS_TEST_TMPDIR/top.stuffed"
	assert_block 4 "$BATS_TEST_TMPDIR/top.stuffed" --raw
	assert_line ".."
	refute_line "...."
}

@test "TOP beyond the end of the body sends the whole message" {
	load_uidls
	pop "${LOGIN[@]}" "TOP ${MSGNUM[$UID_NOEOL]} 100" "TOP ${MSGNUM[$UID_LF]} 4" QUIT
	assert_success
	assert_block 4 "$WIRE_DIR/$UID_NOEOL"
	assert_block "$(($(wire_lines "$UID_NOEOL") + 6))" "$WIRE_DIR/$UID_LF"
	assert_crlf
}

@test "TOP without a line count or with a bad one gets -ERR" {
	pop "${LOGIN[@]}" "TOP 1" "TOP 1 -1" "TOP 1 abc" "TOP" "TOP 6 0" "TOP 0 0" STAT QUIT
	assert_success
	for i in 3 4 5 6 7 8; do
		assert_line --index "$i" --regexp '^-ERR'
	done
	assert_line --index 9 "+OK 5 $TOTAL_OCTETS"
}

# ---------------------------------------------------------------- DELE RSET NOOP QUIT

@test "DELE marks a message; STAT, LIST and UIDL leave it out; RSET restores" {
	load_uidls
	n=${MSGNUM[$UID_DOTS]}
	rest=$((TOTAL_OCTETS - SIZE[$UID_DOTS]))
	pop "${LOGIN[@]}" "DELE $n" STAT LIST "LIST $n" "UIDL $n" UIDL RSET STAT "LIST $n" QUIT
	assert_success
	assert_line --index 3 "+OK message $n deleted"
	assert_line --index 4 "+OK 4 $rest"
	assert_line --index 5 "+OK 4 messages ($rest octets)"
	i=6
	for m in 1 2 3 4 5; do
		[ "$m" -eq "$n" ] && continue
		assert_line --index "$i" "$m ${SIZE[${MSGUID[$m]}]}"
		i=$((i + 1))
	done
	assert_line --index 10 "."
	assert_line --index 11 --regexp '^-ERR'
	assert_line --index 12 --regexp '^-ERR'
	assert_line --index 13 --regexp '^\+OK'
	refute_line "$n $UID_DOTS"
	assert_line --index 18 "."
	assert_line --index 19 "+OK maildrop has 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 20 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 21 "+OK $n ${SIZE[$UID_DOTS]}"
	assert_line --index 22 "+OK goodbye"
	assert_store_unchanged
}

@test "RSET with nothing deleted reports the maildrop" {
	pop "${LOGIN[@]}" RSET QUIT
	assert_success
	assert_line --index 3 "+OK maildrop has 5 messages ($TOTAL_OCTETS octets)"
}

@test "DELE twice, RETR, TOP and LIST of a deleted message get -ERR" {
	load_uidls
	n=${MSGNUM[$UID_LF]}
	pop "${LOGIN[@]}" "DELE $n" "DELE $n" "RETR $n" "TOP $n 0" "LIST $n" "UIDL $n" STAT QUIT
	assert_success
	assert_line --index 3 "+OK message $n deleted"
	for i in 4 5 6 7 8; do
		assert_line --index "$i" --regexp '^-ERR'
	done
	assert_line --index 9 "+OK 4 $((TOTAL_OCTETS - SIZE[$UID_LF]))"
	assert_line --index 10 "+OK goodbye"
	assert_store_without "$UID_LF"
}

@test "message numbers do not shift after DELE" {
	load_uidls
	pop "${LOGIN[@]}" "DELE 1" "LIST 2" "UIDL 2" "RETR 2" QUIT
	assert_success
	assert_line --index 4 "+OK 2 ${SIZE[${MSGUID[2]}]}"
	assert_line --index 5 "+OK 2 ${MSGUID[2]}"
	assert_line --index 6 "+OK ${SIZE[${MSGUID[2]}]} octets"
	assert_block 7 "$WIRE_DIR/${MSGUID[2]}"
}

@test "DELE of every message and QUIT empties the maildrop" {
	pop "${LOGIN[@]}" "DELE 1" "DELE 2" "DELE 3" "DELE 4" "DELE 5" STAT QUIT
	assert_success
	assert_line --index 8 "+OK 0 0"
	assert_line --index 9 "+OK goodbye"
	run snapshot "$MAILDIR"
	assert_output ""

	pop "${LOGIN[@]}" STAT LIST UIDL QUIT
	assert_success
	assert_line --index 2 "+OK 0 messages (0 octets)"
	assert_line --index 3 "+OK 0 0"
	assert_line --index 4 "+OK 0 messages (0 octets)"
	assert_line --index 5 "."
	assert_line --index 6 --regexp '^\+OK'
	assert_line --index 7 "."
	assert_line --index 8 "+OK goodbye"
	assert_equal "${#lines[@]}" 9
}

@test "NOOP in TRANSACTION gets +OK" {
	pop "${LOGIN[@]}" NOOP NOOP QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK'
	assert_line --index 4 --regexp '^\+OK'
	assert_line --index 5 "+OK goodbye"
}

@test "commands after QUIT are not answered" {
	pop "${LOGIN[@]}" QUIT STAT "DELE 1" QUIT
	assert_success
	assert_line --index 3 "+OK goodbye"
	assert_equal "${#lines[@]}" 4
	assert_store_unchanged
}

# ---------------------------------------------------------------- case, LF

@test "commands are case-insensitive" {
	load_uidls
	pop "user alice" "pass secret" "stat" "List 1" "uidl 1" "dele 1" "rset" "noop" "QuIt"
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "+OK 1 ${SIZE[${MSGUID[1]}]}"
	assert_line --index 5 "+OK 1 ${MSGUID[1]}"
	assert_line --index 6 "+OK message 1 deleted"
	assert_line --index 7 "+OK maildrop has 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 8 --regexp '^\+OK'
	assert_line --index 9 "+OK goodbye"
	assert_store_unchanged
}

@test "a bare LF ends a command line too" {
	printf 'USER alice\nPASS secret\nSTAT\nDELE 1\r\nQUIT\n' >"$BATS_TEST_TMPDIR/in"
	load_uidls
	pop_file "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	assert_line --index 4 "+OK message 1 deleted"
	assert_line --index 5 "+OK goodbye"
	# Replies still end in CRLF.
	assert_crlf
	assert_store_without "${MSGUID[1]}"
}

# ---------------------------------------------------------------- pipelining

@test "50 pipelined commands in one write get 50 replies in order" {
	load_uidls
	: >"$BATS_TEST_TMPDIR/expected"
	{
		printf 'USER alice\r\nPASS secret\r\n'
		for k in $(seq 0 49); do
			n=$((k % 5 + 1))
			case $((k % 4)) in
			0) printf 'NOOP\r\n' ;;
			1) printf 'STAT\r\n' ;;
			2) printf 'LIST %d\r\n' "$n" ;;
			3) printf 'UIDL %d\r\n' "$n" ;;
			esac
		done
		printf 'QUIT\r\n'
	} >"$BATS_TEST_TMPDIR/in"
	size=$(stat -c %s "$BATS_TEST_TMPDIR/in")
	[ "$size" -lt 4096 ] || fail "transcript of $size octets is not one pipe write"
	# One write(2): the whole transcript is buffered before the first reply.
	_one_write() { "$PYTHON" -c 'import os,sys; os.write(1, open(sys.argv[1], "rb").read())' "$1"; }
	pop_gen _one_write "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_equal "${#lines[@]}" 54
	for k in $(seq 0 49); do
		n=$((k % 5 + 1))
		i=$((k + 3))
		case $((k % 4)) in
		0) assert_line --index "$i" --regexp '^\+OK' ;;
		1) assert_line --index "$i" "+OK 5 $TOTAL_OCTETS" ;;
		2) assert_line --index "$i" "+OK $n ${SIZE[${MSGUID[$n]}]}" ;;
		3) assert_line --index "$i" "+OK $n ${MSGUID[$n]}" ;;
		esac
	done
	assert_line --index 53 "+OK goodbye"
}

@test "pipelined multi-line replies stay in order with what follows" {
	load_uidls
	pop "${LOGIN[@]}" "RETR 3" "LIST" "TOP 2 1" "UIDL" STAT QUIT
	assert_success
	assert_crlf
	l=4
	assert_block "$l" "$WIRE_DIR/${MSGUID[3]}"
	l=$((l + $(wire_lines "${MSGUID[3]}") + 2))
	assert_line --index $((l - 1)) "+OK 5 messages ($TOTAL_OCTETS octets)"
	l=$((l + 7))
	"$PYTHON" "$POP3UTIL" top "$WIRE_DIR/${MSGUID[2]}" 1 >"$BATS_TEST_TMPDIR/top"
	assert_block "$l" "$BATS_TEST_TMPDIR/top"
	l=$((l + $(wc -l <"$BATS_TEST_TMPDIR/top") + 2))
	assert_line --index $((l - 1)) --regexp '^\+OK'
	assert_line --index "$l" "1 ${MSGUID[1]}"
	l=$((l + 7))
	assert_line --index $((l - 2)) "."
	assert_line --index $((l - 1)) "+OK 5 $TOTAL_OCTETS"
	assert_line --index "$l" "+OK goodbye"
	assert_equal "${#lines[@]}" $((l + 1))
}

@test "600 pipelined commands (several buffers' worth) are all answered in order" {
	load_uidls
	{
		printf 'USER alice\r\nPASS secret\r\n'
		for k in $(seq 0 599); do
			printf 'LIST %d\r\n' $((k % 5 + 1))
		done
		printf 'QUIT\r\n'
	} >"$BATS_TEST_TMPDIR/in"
	pop_file "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_equal "${#lines[@]}" 604
	for k in 0 1 2 3 4 255 256 511 512 598 599; do
		n=$((k % 5 + 1))
		assert_line --index $((k + 3)) "+OK $n ${SIZE[${MSGUID[$n]}]}"
	done
	expected=$(for k in $(seq 0 599); do
		n=$((k % 5 + 1))
		printf '+OK %d %s\n' "$n" "${SIZE[${MSGUID[$n]}]}"
	done)
	assert_equal "$(printf '%s\n' "${lines[@]:3:600}")" "$expected"
}

# make_big_maildir DIR: messages whose dots and line ends fall at every
# offset of whatever buffer onepop streams through, and a 1 MB one.
make_big_maildir() {
	local dir=$1
	mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"
	"$PYTHON" - "$dir/new" <<-'EOF'
		import os, sys
		d = sys.argv[1]
		def put(name, data):
		    with open(os.path.join(d, name), "wb") as f:
		        f.write(data)
		lines = [b"Subject: dots at every offset", b""]
		lines += [b"." * (1 + i % 3) + b"x" * (i % 101) for i in range(6000)]
		put("1700002001.M1P1.big", b"\n".join(lines) + b"\n")
		lines = [b"Subject: CRLF at every offset", b""]
		lines += [b"y" * (i % 103) + (b"." if i % 7 == 0 else b"") for i in range(6000)]
		put("1700002002.M2P2.big", b"\r\n".join(lines) + b"\r\n")
		put("1700002003.M3P3.big", b"Subject: one long line\n\n." + b"z" * 200000 + b"\n")
		put("1700002004.M4P4.big", b"Subject: large\n\n" + b"line of text that repeats\n" * 40000)
	EOF
	fix_owner "$dir"
}

@test "RETR streams big messages with dots and CRLFs at every offset" {
	big=$BATS_TEST_TMPDIR/big
	make_big_maildir "$big"
	MAILBOX=$big
	pop "${LOGIN[@]}" LIST "RETR 1" "RETR 2" "RETR 3" "RETR 4" QUIT
	assert_success
	assert_crlf
	names=(1700002001.M1P1.big 1700002002.M2P2.big 1700002003.M3P3.big 1700002004.M4P4.big)
	line=10 # greeting, USER, PASS and the 6 lines of LIST come first
	total=0
	for i in 0 1 2 3; do
		"$PYTHON" "$POP3UTIL" wire "$big/new/${names[i]}" "$BATS_TEST_TMPDIR/want"
		size=$(stat -c %s "$BATS_TEST_TMPDIR/want")
		total=$((total + size))
		assert_line --index $((4 + i)) "$((i + 1)) $size"
		assert_line --index $((line - 1)) "+OK $size octets"
		assert_block "$line" "$BATS_TEST_TMPDIR/want"
		line=$((line + $(wc -l <"$BATS_TEST_TMPDIR/want") + 2))
	done
	assert_line --index 3 "+OK 4 messages ($total octets)"
	assert_line --index $((line - 1)) "+OK goodbye"
}

@test "TOP of a big message stops after the asked lines" {
	big=$BATS_TEST_TMPDIR/big
	make_big_maildir "$big"
	MAILBOX=$big
	pop "${LOGIN[@]}" "TOP 1 4000" "TOP 2 4999" QUIT
	assert_success
	"$PYTHON" "$POP3UTIL" top "$big/new/1700002001.M1P1.big" 4000 >"$BATS_TEST_TMPDIR/top1"
	"$PYTHON" "$POP3UTIL" top "$big/new/1700002002.M2P2.big" 4999 >"$BATS_TEST_TMPDIR/top2"
	assert_block 4 "$BATS_TEST_TMPDIR/top1"
	assert_block $(($(wc -l <"$BATS_TEST_TMPDIR/top1") + 6)) "$BATS_TEST_TMPDIR/top2"
}
