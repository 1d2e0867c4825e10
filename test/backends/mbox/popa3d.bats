#!/usr/bin/env bats
# --uidl-format=popa3d: the mbox backend gives the UIDLs popa3d 1.0.x gave,
# checked against the real popa3d (Debian's package, downloaded, never
# installed: it conflicts with dovecot-pop3d) run as root on the same
# spool as a temporary system user, and against digests worked out here.

setup_file() {
	# One download for the whole file, kept in the build tree when known.
	PEER_DIR=${BUILD_ROOT:-$BATS_FILE_TMPDIR}/popa3d-peer
	export PEER_DIR
	if [ -n "${POPA3D:-}" ] || [ -x "$PEER_DIR/root/usr/sbin/popa3d" ] || ! command -v apt-get >/dev/null; then
		return 0
	fi
	rm -rf "$PEER_DIR"
	mkdir -p "$PEER_DIR/debs"
	if (cd "$PEER_DIR/debs" && timeout 60 apt-get download popa3d) >"$PEER_DIR/download.log" 2>&1; then
		dpkg -x "$PEER_DIR"/debs/popa3d_*.deb "$PEER_DIR/root" 2>>"$PEER_DIR/download.log" || :
	fi
}

setup() {
	load ../../helpers
	common_setup
	MAILBOX=$BATS_TEST_TMPDIR/spool/alice
	mkdir -p "$BATS_TEST_TMPDIR/spool"
	POP_ARGS=(--backend=mbox --uidl-format=popa3d)
	P3_USER= P3_UNDO=()
}

teardown() {
	local i
	common_teardown
	if [ -n "$P3_USER" ]; then
		rm -f "/var/mail/$P3_USER" "/var/mail/$P3_USER.lock"
		retry_lock userdel "$P3_USER" 2>/dev/null || :
	fi
	# What popa3d_setup made, in reverse.
	for ((i = ${#P3_UNDO[@]} - 1; i >= 0; i--)); do
		eval "${P3_UNDO[$i]}" || :
	done
}

# The popa3d binary, or skip saying why there is none.
popa3d_bin() {
	local bin=${POPA3D:-$PEER_DIR/root/usr/sbin/popa3d}
	if [ ! -x "$bin" ]; then
		skip "no popa3d: apt-get download popa3d failed or no apt ($(tail -c 200 "$PEER_DIR/download.log" 2>/dev/null))"
	fi
	echo "$bin"
}

# popa3d_setup: what popa3d needs (compiled in): the PAM service popa3d,
# the account popa3d and its empty chroot /var/lib/popa3d, and a user
# P3_USER with password p3-secret whose spool /var/mail/P3_USER is $1.
# Only what was missing is made, and undone in teardown.
popa3d_setup() {
	require_root
	command -v useradd >/dev/null || skip "no useradd"
	if [ ! -e /etc/pam.d/popa3d ]; then
		cp "$(dirname "$P3_BIN")/../../etc/pam.d/popa3d" /etc/pam.d/popa3d 2>/dev/null ||
			printf '@include common-auth\n@include common-account\n' >/etc/pam.d/popa3d
		P3_UNDO+=("rm -f /etc/pam.d/popa3d")
	fi
	if [ ! -d /var/lib/popa3d ]; then
		mkdir -p /var/lib/popa3d
		P3_UNDO+=("rmdir /var/lib/popa3d")
	fi
	if ! getent passwd popa3d >/dev/null; then
		retry_lock useradd -r -M -d /var/lib/popa3d -s /usr/sbin/nologin popa3d
		P3_UNDO+=("retry_lock userdel popa3d")
	fi
	P3_USER=onepop-p3-$BASHPID
	retry_lock useradd -M -d /nonexistent -s /usr/sbin/nologin \
		-p "$(openssl passwd -6 p3-secret)" "$P3_USER"
	install -o "$P3_USER" -g mail -m 660 "$1" "/var/mail/$P3_USER"
	# popa3d waits a second for a spool modified within the current one.
	touch -d '2 minutes ago' "/var/mail/$P3_USER"
}

# popa3d_uidls: "N UIDL" lines of the real popa3d for P3_USER.
popa3d_uidls() {
	local out
	out=$(printf 'USER %s\r\nPASS p3-secret\r\nUIDL\r\nQUIT\r\n' "$P3_USER" |
		timeout -k 2 "$POP_LIMIT" "$P3_BIN" | tr -d '\r') || { echo "$out" >&2; return 1; }
	[ "$(sed -n 3p <<<"$out")" = "+OK" ] || { echo "popa3d: $out" >&2; return 1; }
	sed -n '5,/^\.$/p' <<<"$out" | sed '$d'
}

# popa3d_digest TEXT: the UIDL popa3d gives a header whose chosen lines
# are exactly TEXT (printf %b): octets 3 2 1 0 7 6 5 4 of its MD5.
popa3d_digest() {
	local h
	h=$(printf '%b' "$1" | md5sum)
	echo "${h:6:2}${h:4:2}${h:2:2}${h:0:2}${h:14:2}${h:12:2}${h:10:2}${h:8:2}"
}

F='From sender@example.org Mon Jan  1 00:00:00 2024'

# The varied mailbox both servers read.
write_varied_mbox() {
	local long
	long=$(printf 'x%.0s' {1..3000})
	{
		# Everything popa3d chooses, and what it leaves out after Received:.
		printf '%s\n' "$F" 'Return-Path: <a@example.org>' 'Delivered-To: alice@example.org' \
			'Date: Mon, 1 Jan 2024 00:00:00 +0000' 'Message-ID: <1@example.org>' \
			'Received: from mx by here; Mon, 1 Jan 2024 00:00:00 +0000' \
			'	(folded, with a tab)' 'Received: from elsewhere' \
			'Delivered-To: alias@example.org' 'Date: after the Received line' \
			'Message-ID: <after@example.org>' 'X-Delivery-ID: abc123' \
			'  continued with spaces' 'Status: RO' 'X-Status: A' 'Subject: first' '' 'body one' ''
		# The same chosen lines, another Subject, Status and body: a duplicate.
		printf '%s\n' "$F" 'Return-Path: <a@example.org>' 'Delivered-To: alice@example.org' \
			'Date: Mon, 1 Jan 2024 00:00:00 +0000' 'Message-ID: <1@example.org>' \
			'Received: from mx by here; Mon, 1 Jan 2024 00:00:00 +0000' \
			'	(folded, with a tab)' 'Received: from other' \
			'Delivered-To: alias@example.org' 'X-Delivery-ID: abc123' \
			'  continued with spaces' 'Status: O' 'Subject: second copy' '' 'body two' ''
		# Case: lower-case names count, but not x-delivery-id.
		printf '%s\n' "$F" 'message-id: <lower@example.org>' 'DATE: Tue, 2 Jan 2024' \
			'x-delivery-id: lower' 'delivered-to: bob@example.org' 'received: from low' \
			'Received: second, left out' 'Subject: cases' '' 'x' ''
		# Long lines, past any line buffer, and a long folded one.
		printf '%s\n' "$F" "Received: from long $long" "	$long" "Message-Id: <$long>" \
			"X-Delivery-ID: $long" "Subject: $long" '' 'long' ''
		# From_ quoting in the body; a From line with no blank before it.
		printf '%s\n' "$F" 'Date: Wed, 3 Jan 2024' 'Subject: quoting' '' '>From the start' \
			'>>From twice' 'From here, no blank line before' '' 
		# No body at all; no chosen header at all (twice: another duplicate).
		printf '%s\n' "$F" 'Message-ID: <nobody@example.org>' 'Subject: no body' ''
		printf '%s\n' "$F" 'Subject: nothing chosen' '' 'a' ''
		printf '%s\n' "$F" 'Subject: nothing chosen either' '' 'b' ''
		# An empty header.
		printf '%s\n' "$F" '' 'only a body' ''
		# A CRLF header: popa3d's header ends only at a line starting LF.
		printf '%s\r\n' "${F}" 'Date: Thu, 4 Jan 2024' 'Subject: crlf' '' 'Date: in the body' 'Received: body'
		printf '\n'
		# Last: header to the end of the file, no blank line, no newline.
		printf '%s\n' "$F" 'Received: last one'
		printf 'Subject: no newline at the end'
	} >"$1"
}

# expected_from_popa3d: popa3d's list with onepop's uniqueness rule: the
# n-th message (n >= 2) with an already used UIDL gets "-n".
unique_like_onepop() {
	awk '{ n = ++seen[$2]; print $1, (n > 1 ? $2 "-" n : $2) }'
}

@test "the real popa3d and onepop --uidl-format=popa3d give the same UIDLs (session and --scan)" {
	P3_BIN=$(popa3d_bin)
	write_varied_mbox "$BATS_TEST_TMPDIR/varied.mbox"
	popa3d_setup "$BATS_TEST_TMPDIR/varied.mbox"
	run popa3d_uidls
	assert_success
	local p3=$output
	# The fixture is what it claims: 11 messages, two sets of duplicates.
	assert_equal "$(wc -l <<<"$p3")" 11
	assert_equal "$(awk '{print $2}' <<<"$p3" | sort | uniq -d | wc -l)" 2
	cp "$BATS_TEST_TMPDIR/varied.mbox" "$MAILBOX"
	fix_owner "$BATS_TEST_TMPDIR/spool"
	run uidl_list
	assert_success
	assert_equal "$output" "$(unique_like_onepop <<<"$p3")"
	# --scan (N SIZE UIDL) lists the same, and so does it on the spool
	# popa3d read, as that user through PAM.
	run_onepop --backend=mbox --uidl-format=popa3d --auth=passwd-file:"$PASSWD" \
		--mailbox="$MAILBOX" --scan=alice
	assert_success
	assert_equal "$(awk '{print $1, $3}' <<<"$output")" "$(unique_like_onepop <<<"$p3")"
	run_onepop --backend=mbox --uidl-format=popa3d --auth=pam:popa3d --scan="$P3_USER"
	assert_success
	assert_equal "$(awk '{print $1, $3}' <<<"$output")" "$(unique_like_onepop <<<"$p3")"
	# --scan changed nothing: no dotlock left, the spool as it was.
	[ ! -e "/var/mail/$P3_USER.lock" ]
	cmp "/var/mail/$P3_USER" "$BATS_TEST_TMPDIR/varied.mbox"
}

@test "popa3d digests worked out by hand: which lines, in which order, how printed" {
	{
		printf '%s\n' "$F" 'Date: d1' 'Received: r1' 'Received: r2' 'Date: d2' \
			'Delivered-To: t1' 'X-Delivery-ID: x1' '  x2' 'x-delivery-id: no' 'Subject: s' '' 'body' ''
		printf '%s\n' "$F" 'Subject: none' '' 'Received: in the body' ''
		printf '%s\n' "$F" 'Subject: none either' '' ''
	} >"$MAILBOX"
	fix_owner "$BATS_TEST_TMPDIR/spool"
	run uidl_list
	assert_success
	assert_line --index 0 "1 $(popa3d_digest 'Date: d1\nReceived: r1\nDelivered-To: t1\nX-Delivery-ID: x1\n  x2\n')"
	# MD5 of nothing: d41d8cd98f00b204..., and unique for the second.
	assert_line --index 1 "2 d98c1dd404b2008f"
	assert_line --index 2 "3 d98c1dd404b2008f-2"
}

@test "--uidl-format=popa3d ignores X-UIDL; without it mbox keeps X-UIDL" {
	printf '%s\n' "$F" 'X-UIDL: kept-by-qpopper' 'Received: r' '' 'b' '' >"$MAILBOX"
	fix_owner "$BATS_TEST_TMPDIR/spool"
	run uidl_list
	assert_success
	assert_output "1 $(popa3d_digest 'Received: r\n')"
	POP_ARGS=(--backend=mbox)
	run uidl_list
	assert_output "1 kept-by-qpopper"
	POP_ARGS=(--backend=mbox --uidl-format=x-uidl)
	run uidl_list
	assert_output "1 kept-by-qpopper"
}

@test "--uidl-format=popa3d is for mbox; Maildir schemes are refused for mbox" {
	run_onepop --backend=maildir --uidl-format=popa3d --auth=passwd-file:"$PASSWD" --scan=alice
	assert_failure 2
	assert_equal "$(cat "$POP_ERR" | head -1)" \
		"onepop: --uidl-format=popa3d is for --backend=mbox (popa3d serves mbox spools)"
	for fmt in dovecot courier maildir map:old.map; do
		run_onepop --backend=mbox --uidl-format="$fmt" --auth=passwd-file:"$PASSWD" --scan=alice
		assert_failure 2
		grep -q "is for maildir" "$POP_ERR"
	done
	# MH and exec have no other server's UIDLs to take: refused, not ignored.
	for fmt in popa3d dovecot map:old.map; do
		run_onepop --backend=mh --uidl-format="$fmt" --auth=passwd-file:"$PASSWD" --scan=alice
		assert_failure 2
		grep -q "mh knows only x-uidl" "$POP_ERR"
	done
	run_onepop --backend=mh --uidl-format=x-uidl --auth=passwd-file:"$PASSWD" --scan=nosuchuser
	[[ $status -ne 2 ]] || fail "x-uidl refused for mh: $(cat "$POP_ERR")"
	if grep -q "uidl-format" "$POP_ERR"; then fail "x-uidl complained: $(cat "$POP_ERR")"; fi
	run_onepop --backend=exec --exec=/bin/true --uidl-format=x-uidl --auth=passwd-file:"$PASSWD" --scan=alice
	assert_failure 2
	grep -q "exec backend's program gives the UIDLs" "$POP_ERR"
}
