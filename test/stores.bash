# The fixture store in each backend's format, for suites that run against
# every backend. Load after helpers; call store_setup BACKEND after
# common_setup. The five fixture messages keep their order (message n is
# ${ALL_UIDS[n-1]}) and their wire files in $WIRE_DIR/<uid>.

# A From_ line as MDAs write it.
FROM_LINE='From carol@example.org Tue Nov 14 22:13:21 2023'

# mbox_append FILE < message: add a message the way an MDA does: From_
# line, ">From " quoting (mboxrd), a newline if the last line lacks one,
# and the empty separator line.
mbox_append() {
	python3 -c '
import re, sys
data = sys.stdin.buffer.read()
data = re.sub(rb"(?m)^(>*From )", rb">\1", data)
if not data.endswith(b"\n"):
    data += b"\n"
sys.stdout.buffer.write(sys.argv[1].encode() + b"\n" + data + b"\n")
' "$FROM_LINE" >>"$1"
}

# MH numbers for the fixtures: gaps, and 10 after 8 checks numeric order.
MH_NUMS=(1 3 4 8 10)

# store_setup BACKEND: build the store, set BACKEND, MAILBOX and POP_ARGS.
store_setup() {
	BACKEND=$1
	local i uid
	case $BACKEND in
	maildir) ;;
	mbox)
		MAILBOX=$BATS_TEST_TMPDIR/spool/alice
		mkdir -p "$BATS_TEST_TMPDIR/spool"
		: >"$MAILBOX"
		for uid in "${ALL_UIDS[@]}"; do
			mbox_append "$MAILBOX" <"$(store_path "$MAILDIR" "$uid")"
		done
		fix_owner "$BATS_TEST_TMPDIR/spool"
		;;
	mh)
		MAILBOX=$BATS_TEST_TMPDIR/Mail/inbox
		mkdir -p "$MAILBOX"
		for i in "${!ALL_UIDS[@]}"; do
			cp "$(store_path "$MAILDIR" "${ALL_UIDS[$i]}")" "$MAILBOX/${MH_NUMS[$i]}"
		done
		fix_owner "$BATS_TEST_TMPDIR/Mail"
		;;
	*) fail "unknown backend $BACKEND" ;;
	esac
	POP_ARGS=(--backend="$BACKEND")
	STORE_BEFORE=$(store_digest)
}

# store_digest: a digest of every byte of the store (changes on any loss,
# addition or alteration; onepop's own lock files are left out).
store_digest() {
	case $BACKEND in
	maildir) snapshot "$MAILDIR" ;;
	mbox) sha256sum <"$MAILBOX" ;;
	mh) (cd "$MAILBOX" && find . -type f ! -name '.onepop.lock' -print0 | sort -z |
		xargs -0 -r sha256sum) ;;
	esac
}

# late_message NAME: the text of the small message store_deliver adds to
# an mbox or MH store (the interop suite keeps it to compare with).
late_message() {
	printf 'From: late@example.org\nSubject: %s\nMessage-ID: <%s@example.org>\n\nDelivered later.\n' "$1" "$1"
}

# store_deliver NAME: a new small message arrives, as an MDA would add it.
store_deliver() {
	local name=$1 last
	case $BACKEND in
	maildir) add_message "$MAILDIR" "1800000000.M$RANDOM.$name" ;;
	mbox)
		# Under the dotlock, as procmail and postfix's local(8) append.
		dotlockfile -l -r 20 "$MAILBOX.lock"
		late_message "$name" | mbox_append "$MAILBOX"
		dotlockfile -u "$MAILBOX.lock"
		;;
	mh)
		last=$(ls "$MAILBOX" | grep -E '^[1-9][0-9]*$' | sort -n | tail -n 1)
		late_message "$name" >"$MAILBOX/$((${last:-0} + 1))"
		fix_owner "$MAILBOX"
		;;
	esac
}

# store_empty: make the store an empty mailbox of its kind.
store_empty() {
	case $BACKEND in
	maildir) rm -f "$MAILDIR"/new/* "$MAILDIR"/cur/* ;;
	mbox) rm -f "$MAILBOX" ;;
	mh) rm -f "$MAILBOX"/* ;;
	esac
}
