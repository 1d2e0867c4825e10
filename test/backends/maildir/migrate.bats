#!/usr/bin/env bats
# --uidl-format: the UIDLs of the server a Maildir comes from, from that
# server's own files, made here in each server's format.

setup() {
	load ../../helpers
	common_setup
}
teardown() { common_teardown; }

# uidls [ONEPOP_ARGS...]: "N UIDL" of a session (messages in delivery
# order: message n is ${ALL_UIDS[n-1]}).
uidls() {
	local out
	local -a POP_ARGS=("$@")
	out=$(_pop_exec _gen_lines "${LOGIN[@]}" UIDL QUIT) || { echo "$out" >&2; return 1; }
	printf '%s\n' "$out" | sed -n '5,/^\.$/p' | sed '$d'
}

put() { cat >"$MAILDIR/$1"; fix_owner "$MAILDIR/$1"; }

@test "dovecot: %08Xu%08Xv from a version 3 dovecot-uidlist" {
	put dovecot-uidlist <<EOF2
3 V1700000000 N5 G3085f01b7f11094c501100008c4a11c1
1 :$UID_LF
2 W219 S219 :$UID_CRLF
3 :$UID_DOTS
4 :$UID_SEEN:2,S
EOF2
	run uidls --uidl-format=dovecot
	assert_success
	assert_line --index 0 "1 00000001$(printf '%08X' 1700000000)"
	assert_line --index 1 "2 000000026553F100"
	assert_line --index 2 "3 000000036553F100"
	# Not in the list (delivered after the old server stopped): its name.
	assert_line --index 3 "4 $UID_NOEOL"
	assert_line --index 4 "5 000000046553F100"
}

@test "dovecot: a version 1 dovecot-uidlist" {
	put dovecot-uidlist <<EOF2
1 1234 6
5 $UID_LF
EOF2
	run uidls --uidl-format=dovecot
	assert_success
	assert_line --index 0 "1 00000005000004D2"
	assert_line --index 1 "2 $UID_CRLF"
}

@test "courier: UID<n>-<uidvalidity> from courierimapuiddb" {
	put courierimapuiddb <<EOF2
1 1699999999 9
3 $UID_LF
7 $UID_SEEN
8 $UID_NOEOL:2,
EOF2
	run uidls --uidl-format=courier
	assert_success
	assert_line --index 0 "1 UID3-1699999999"
	assert_line --index 3 "4 UID8-1699999999"
	assert_line --index 4 "5 UID7-1699999999"
	assert_line --index 1 "2 $UID_CRLF"
}

@test "x-uidl: the X-UIDL header qpopper wrote; a copied duplicate gets its name" {
	local f
	f=$(store_path "$MAILDIR" "$UID_LF")
	{ echo 'X-UIDL: 4f2e9c1a8b7d6e5f4a3b2c1d0e9f8a7b'; cat "$f"; } >"$f.new" && mv "$f.new" "$f"
	f=$(store_path "$MAILDIR" "$UID_DOTS")
	{ echo 'Received: from x'; echo 'x-uidl:   DUPLICATE1'; cat "$f"; } >"$f.new" && mv "$f.new" "$f"
	f=$(store_path "$MAILDIR" "$UID_SEEN")
	{ echo 'X-UIDL: DUPLICATE1'; cat "$f"; } >"$f.new" && mv "$f.new" "$f"
	# In a body, X-UIDL is not a header.
	f=$(store_path "$MAILDIR" "$UID_CRLF")
	printf 'X-UIDL: body-not-header\r\n' >>"$f"
	fix_owner "$MAILDIR"
	run uidls --uidl-format=x-uidl
	assert_success
	assert_line --index 0 "1 4f2e9c1a8b7d6e5f4a3b2c1d0e9f8a7b"
	assert_line --index 1 "2 $UID_CRLF"
	assert_line --index 2 "3 DUPLICATE1"
	assert_line --index 4 "5 $UID_SEEN"
}

@test "map:FILE imports any old server's list (name and UIDL a line)" {
	put old-uidls.map <<EOF2
$UID_LF AAA-old-1
$UID_DOTS:2,S BBB-old-3
nosuchmessage CCC
$UID_SEEN bad uidl with spaces
EOF2
	run uidls --uidl-format=map:old-uidls.map
	assert_success
	assert_line --index 0 "1 AAA-old-1"
	assert_line --index 2 "3 BBB-old-3"
	assert_line --index 4 "5 $UID_SEEN"
}

@test "after the first login the ledger keeps the old UIDLs: the old list can go" {
	put dovecot-uidlist <<EOF2
3 V42 N3
1 :$UID_LF
2 :$UID_CRLF
EOF2
	run uidls --uidl-format=dovecot
	assert_success
	local first=$output
	rm "$MAILDIR/dovecot-uidlist"
	run uidls
	assert_success
	assert_equal "$output" "$first"
	assert_line --index 0 "1 000000010000002A"
}

@test "an unreadable old list refuses the login rather than guess" {
	put dovecot-uidlist <<<'this is not a dovecot-uidlist'
	pop "${LOGIN[@]}" QUIT
	assert_success
	POP_ARGS=(--uidl-format=dovecot)
	pop "${LOGIN[@]}" UIDL QUIT
	assert_line --index 2 --regexp '^-ERR \[SYS/TEMP\] '
}

@test "--uidl-format rejects unknown schemes and map paths outside the Maildir" {
	local bad
	for bad in qpopper map: map:/etc/passwd map:../x map:.hidden; do
		run_onepop --uidl-format="$bad" --auth=passwd-file:"$PASSWD"
		assert_failure 2
	done
}

@test "a worked migration: the old server's UIDL list equals --scan's" {
	# What the old Dovecot answered to UIDL (taken before the move).
	put dovecot-uidlist <<EOF2
3 V1700000500 N6
1 :$UID_LF
2 :$UID_CRLF
3 :$UID_DOTS
4 :$UID_NOEOL
5 :$UID_SEEN
EOF2
	local n
	for n in 1 2 3 4 5; do
		printf '%s %08X%08X\n' "$n" "$n" 1700000500
	done >"$BATS_TEST_TMPDIR/old-server.uidl"
	run_onepop --auth=passwd-file:"$PASSWD" --mailbox="$MAILBOX" --uidl-format=dovecot --scan=alice
	assert_success
	diff <(awk '{ print $1, $3 }' <<<"$output") "$BATS_TEST_TMPDIR/old-server.uidl"
}
