# mpop: delivers to an mbox. mpop(1): with received_header off it adds
# nothing but the mbox format's own From_ line, blank separator line and
# mboxrd ">From " quoting, which split-mbox undoes. only_new uses its
# uidls_file.
CLIENT_EOL=lf
CLIENT_STRIP=()
client_package() { echo mpop; }
client_check() { command -v mpop >/dev/null || { echo "mpop is not installed"; return 1; }; }
client_version() { mpop --version 2>/dev/null | sed -n 's/^mpop version \([0-9.]*\).*/\1/p'; }

client_fetch() {
	local mode=$1 out=$2 rc=0 keep=on
	[ "$mode" = keep ] || keep=off
	printf '%s\n' "account default" "host 127.0.0.1" "port $PORT" "user alice" \
		"password secret" "auth user" "tls off" "received_header off" \
		"keep $keep" "only_new $keep" "uidls_file $CLIENT_DIR/uidls" \
		"delivery mbox $CLIENT_DIR/mbox" |
		put_file "$CLIENT_DIR/mpoprc" 600
	rm -f "$CLIENT_DIR/mbox"
	as_user mpop -C "$CLIENT_DIR/mpoprc" || rc=$?
	"$PYTHON" "$INTEROP_PY" split-mbox "$CLIENT_DIR/mbox" "$out" || return 1
	return "$rc"
}
