# getmail6: SimplePOP3Retriever into a Maildir. With delivered_to and
# received off, getmail's Maildir destination still writes a Return-Path:
# on top, after removing the message's own (the envelope sender it derives
# from it); it stores LF line ends and remembers fetched messages in its
# oldmail file.
CLIENT_EOL=lf
CLIENT_STRIP=(replace:Return-Path)
client_package() { echo getmail6; }
client_check() { command -v getmail >/dev/null || { echo "getmail6 is not installed"; return 1; }; }
client_version() { getmail --version 2>/dev/null | sed -n 's/^getmail \([0-9.]*\).*/\1/p'; }

client_fetch() {
	local mode=$1 out=$2 rc=0 delete=false read_all=false f
	[ "$mode" = keep ] || delete=true read_all=true
	mkdir -p "$CLIENT_DIR/Maildir/new" "$CLIENT_DIR/Maildir/cur" "$CLIENT_DIR/Maildir/tmp"
	fix_owner "$CLIENT_DIR/Maildir"
	printf '%s\n' "[retriever]" "type = SimplePOP3Retriever" "server = 127.0.0.1" \
		"port = $PORT" "username = alice" "password = secret" "" \
		"[destination]" "type = Maildir" "path = $CLIENT_DIR/Maildir/" "" \
		"[options]" "verbose = 2" "read_all = $read_all" "delete = $delete" \
		"delivered_to = false" "received = false" |
		put_file "$CLIENT_DIR/getmailrc" 600
	as_user getmail --getmaildir="$CLIENT_DIR" --rcfile="$CLIENT_DIR/getmailrc" || rc=$?
	for f in "$CLIENT_DIR/Maildir/new/"* "$CLIENT_DIR/Maildir/cur/"*; do
		[ -e "$f" ] && mv "$f" "$out/"
	done
	return "$rc"
}
