#!/usr/bin/env bats
# The Maildir size cache (onepop.cache): written after a scan, used when
# valid, rebuilt when stale, ignored when corrupt; sizes always equal the
# octets RETR sends, whatever the cache or the file names claim.

setup() {
	load ../../helpers
	common_setup
	MDCACHE=$LIBDIR/mdcache.py
	CACHE=$MAILDIR/onepop.cache
}

teardown() {
	common_teardown
}

# Make new/ and cur/ look settled (changed long ago), so a cache made now
# records their state and the next session may take the fast path.
settle() {
	touch -d @1700000100 "$MAILDIR/new" "$MAILDIR/cur"
}

# Every LIST size is the real wire size, and RETR of each message sends
# exactly that (onepop drops the connection otherwise).
assert_true_sizes() {
	local i uid n size
	pop "${LOGIN[@]}" UIDL LIST "RETR 1" "RETR 2" "RETR 3" "RETR 4" "RETR 5" QUIT
	assert_success
	assert_line --index 2 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line --index 10 "+OK 5 messages ($TOTAL_OCTETS octets)"
	assert_line "+OK goodbye"
	for i in 1 2 3 4 5; do
		read -r n uid <<<"${lines[$((3 + i))]}"
		read -r _ size <<<"${lines[$((10 + i))]}"
		[ "$n" = "$i" ] && [ -n "${SIZE[$uid]:-}" ] || fail "bad UIDL line: ${lines[$((3 + i))]}"
		[ "$size" = "${SIZE[$uid]}" ] || fail "message $n ($uid): LIST $size, wire ${SIZE[$uid]}"
	done
}

@test "a session writes the cache, listing every message with its sizes" {
	pop "${LOGIN[@]}" QUIT
	assert_success
	[ -f "$CACHE" ] || fail "no $CACHE"
	run python3 "$MDCACHE" entries "$MAILDIR"
	assert_success
	[ "${#lines[@]}" -eq 5 ] || fail "expected 5 entries: $output"
	for uid in "${ALL_UIDS[@]}"; do
		raw=$(stat -c %s "$(store_path "$MAILDIR" "$uid")")
		assert_line --regexp "^$raw ${SIZE[$uid]} (new|cur)/$uid(:2,S)?\$"
	done
	assert_true_sizes
}

@test "directories changed just now are not recorded as settled" {
	touch "$MAILDIR/new" "$MAILDIR/cur"
	pop "${LOGIN[@]}" QUIT
	assert_success
	run python3 "$MDCACHE" stamps "$MAILDIR"
	assert_output "$(printf 'new 0 0 0 0\ncur 0 0 0 0')"
}

@test "a settled Maildir's cache records both directories and is reused" {
	settle
	pop "${LOGIN[@]}" QUIT
	assert_success
	run python3 "$MDCACHE" stamps "$MAILDIR"
	assert_line --index 0 --regexp '^new [0-9]+ [1-9][0-9]* 1700000100 0$'
	assert_line --index 1 --regexp '^cur [0-9]+ [1-9][0-9]* 1700000100 0$'
	before=$(stat -c %Y.%i "$CACHE")
	assert_true_sizes
	# Nothing changed: the cache was neither rewritten nor replaced.
	assert_equal "$(stat -c %Y.%i "$CACHE")" "$before"
}

@test "a stale cache is rebuilt: mail delivered since is listed with its size" {
	settle
	pop "${LOGIN[@]}" QUIT
	assert_success
	add_message "$MAILDIR" 1700000009.late.fixture
	late=$(python3 "$POP3UTIL" wire "$MAILDIR/new/1700000009.late.fixture" /dev/stdout | wc -c)
	pop "${LOGIN[@]}" "LIST 6" "UIDL 6" "RETR 6" QUIT
	assert_success
	assert_line --index 2 "+OK 6 messages ($((TOTAL_OCTETS + late)) octets)"
	assert_line --index 3 "+OK 6 $late"
	assert_line --index 4 "+OK 6 1700000009.late.fixture"
	assert_line "+OK goodbye"
	run python3 "$MDCACHE" entries "$MAILDIR"
	assert_line --regexp "^[0-9]+ $late new/1700000009.late.fixture\$"
}

@test "a message deleted by another client since the cache was made is gone" {
	settle
	pop "${LOGIN[@]}" QUIT
	rm "$(store_path "$MAILDIR" "$UID_DOTS")"
	pop "${LOGIN[@]}" STAT UIDL QUIT
	assert_success
	assert_line --index 3 "+OK 4 $((TOTAL_OCTETS - SIZE[$UID_DOTS]))"
	refute_output --partial "$UID_DOTS"
}

@test "a fresh-looking cache with wrong sizes is not believed" {
	settle
	# Well formed, right checksum, current stamps, but every size a lie.
	for uid in "${ALL_UIDS[@]}"; do
		p=$(store_path "$MAILDIR" "$uid")
		printf '7 9 %s/%s\n' "$(basename "$(dirname "$p")")" "$(basename "$p")"
	done | python3 "$MDCACHE" forge "$MAILDIR"
	assert_true_sizes
}

@test "corrupt caches are ignored" {
	local good
	pop "${LOGIN[@]}" QUIT
	good=$(cat "$CACHE")
	corrupt() {
		printf '%s' "$1" >"$CACHE"
		assert_true_sizes
	}
	corrupt "garbage"
	corrupt ""
	corrupt "${good%end*}"                                        # truncated
	corrupt "$(printf '%s\n' "$good" | sed 's/^end 5 /end 4 /')"  # wrong count
	corrupt "$(printf '%s\n' "$good" | sed '4s/^\([0-9]*\) [0-9]*/\1 1/')"  # checksum
	# Well formed and checksummed, but invalid values: each is refused.
	for bad in "1 1 new/../../etc/passwd" "1 1 tmp/x" "1 99 new/x" "-1 1 new/x" \
		"1 1 new/.hidden" "99999999999999999999 1 new/x" "1 1 new/a/b"; do
		printf '%s\n' "$bad" | python3 "$MDCACHE" forge "$MAILDIR"
		assert_true_sizes
	done
}

@test "a cache listing the same message twice or out of order is refused" {
	settle
	pop "${LOGIN[@]}" QUIT
	entries=$(python3 "$MDCACHE" entries "$MAILDIR")
	{ printf '%s\n' "$entries"; printf '%s\n' "$entries" | tail -n 1; } |
		python3 "$MDCACHE" forge "$MAILDIR"
	assert_true_sizes
	printf '%s\n' "$entries" | tac | python3 "$MDCACHE" forge "$MAILDIR"
	assert_true_sizes
}

@test "a cache that is a FIFO or a symlink is ignored, not waited on" {
	mkfifo "$CACHE"
	assert_true_sizes
	rm -f "$CACHE"
	ln -s /etc/passwd "$CACHE"
	assert_true_sizes
	[ -L "$CACHE" ] || [ -f "$CACHE" ]
}

@test "honest ,S= and ,W= are taken as given, warm and cold" {
	local p=$(store_path "$MAILDIR" "$UID_DOTS") q raw
	raw=$(stat -c %s "$p")
	q="$MAILDIR/new/1700000003.M100003P1003.fixture,S=$raw,W=${SIZE[$UID_DOTS]}"
	mv "$p" "$q"
	settle
	for run in cold warm; do
		pop "${LOGIN[@]}" "LIST 3" "RETR 3" QUIT
		assert_success
		assert_line --index 3 "+OK 3 ${SIZE[$UID_DOTS]}"
		assert_line "+OK goodbye"
	done
	# The cache records the name's sizes and the inode (no stat needed).
	grep -q "^$raw ${SIZE[$UID_DOTS]} $(stat -c %i "$q") new/${q##*/}\$" "$CACHE" ||
		fail "cache line: $(grep fixture,S= "$CACHE")"
}

# Rename message 3 to carry S=$1 and W=$2.
name_sizes() {
	local p=$(store_path "$MAILDIR" "$UID_DOTS")
	mv "$p" "$MAILDIR/new/1700000003.M100003P1003.fixture,S=$1,W=$2"
	rm -f "$CACHE"
	settle
}

# Message 3 is listed with its true size and sent whole, twice over (the
# second session takes the cache's fast path).
assert_healed() {
	for run in 1 2; do
		pop "${LOGIN[@]}" "LIST 3" "RETR 3" QUIT
		assert_success
		assert_line --index 3 "+OK 3 ${SIZE[$UID_DOTS]}"
		assert_line --index 4 "+OK ${SIZE[$UID_DOTS]} octets"
		assert_line "+OK goodbye"
	done
}

@test "a ,S= that lies: RETR refuses it (no drop), the next session lists it right" {
	name_sizes 1 2
	# Listed as the name says (not stat'ed), caught by the open's fstat.
	pop "${LOGIN[@]}" "LIST 3" "RETR 3" "RETR 3" "RETR 1" QUIT
	assert_success
	assert_line --index 3 "+OK 3 2"
	assert_line --index 4 "-ERR [SYS/TEMP] cannot read this message"
	assert_line --index 5 "-ERR [SYS/TEMP] cannot read this message"
	assert_line "+OK goodbye"
	assert_healed
}

@test "a ,W= that lies (S= true): RETR drops once, the next session lists it right" {
	local raw=$(stat -c %s "$(store_path "$MAILDIR" "$UID_DOTS")")
	name_sizes "$raw" "$raw"
	[ "$raw" != "${SIZE[$UID_DOTS]}" ] || skip "fixture has CRLF lines"
	pop "${LOGIN[@]}" "LIST 3" "RETR 3" QUIT
	assert_line --index 3 "+OK 3 $raw"
	assert_line --index 4 "+OK $raw octets"
	refute_line "+OK goodbye"
	assert_healed
	# Found again (and healed again) when the cache is lost in between.
	rm -f "$CACHE"
	pop "${LOGIN[@]}" "LIST 3" "RETR 3" QUIT
	refute_line "+OK goodbye"
	assert_healed
}

@test "a ,W= that lies is also healed in a Maildir whose cache is stale" {
	local raw=$(stat -c %s "$(store_path "$MAILDIR" "$UID_DOTS")")
	name_sizes "$raw" "$raw"
	touch "$MAILDIR/new"   # changed just now: the cache is written untrusted
	pop "${LOGIN[@]}" "RETR 3" QUIT
	refute_line "+OK goodbye"
	assert_healed
}

@test "a FIFO among the messages does not hang the session" {
	mkfifo "$MAILDIR/cur/1700000006.fifo.fixture"
	rm -f "$CACHE"
	pop "${LOGIN[@]}" STAT QUIT
	assert_success
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
}

@test "an unwritable Maildir is served without a cache" {
	pop "${LOGIN[@]}" QUIT   # creates the lock file, which must exist
	rm "$CACHE"
	chmod 555 "$MAILDIR"
	pop "${LOGIN[@]}" STAT QUIT
	chmod 755 "$MAILDIR"
	assert_line --index 3 "+OK 5 $TOTAL_OCTETS"
	[ ! -e "$CACHE" ]
}
