# s-nail (mailx) opened on a pop3:// URL in batch mode: "copy *" saves every
# message to an mbox (the From_ line and blank separator are the mbox
# format's, undone by split-mbox), "delete *" then "quit" deletes. An MUA
# keeps no record of fetched messages, so the UIDL check does not apply.
CLIENT_EOL=lf
CLIENT_STRIP=()
CLIENT_TRACKS_UIDL=0
client_package() { echo s-nail; }
client_check() {
	command -v s-nail >/dev/null || { echo "s-nail is not installed"; return 1; }
	s-nail -Xversion -Xx 2>/dev/null | grep -q '+pop3' || { echo "s-nail built without POP3"; return 1; }
}
client_version() { s-nail -V 2>/dev/null | sed -n 's/^s-nail v\([0-9.]*\).*/\1/p'; }

client_fetch() {
	local mode=$1 out=$2 rc=0
	local -a cmds=("copy * $CLIENT_DIR/mbox")
	[ "$mode" = keep ] || cmds+=("delete *")
	cmds+=(quit)
	rm -f "$CLIENT_DIR/mbox"
	printf '%s\n' "${cmds[@]}" |
		as_user env MAILRC=/dev/null s-nail -n -N -# -S v15-compat -S verbose \
			-S password=secret -f "pop3://alice@127.0.0.1:$PORT" || rc=$?
	"$PYTHON" "$INTEROP_PY" split-mbox "$CLIENT_DIR/mbox" "$out" || return 1
	return "$rc"
}
