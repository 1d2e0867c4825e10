# fetchmail: delivers each message to an MDA (a script that writes one file
# a message). fetchmail(1) documents the one addition: a Received: header
# on top; with an MDA it strips CRs (stripcr defaults on). "uidl" makes it
# remember fetched messages in its idfile; exit status 1 means "no mail".
CLIENT_EOL=lf
CLIENT_STRIP=(strip:Received)
client_package() { echo fetchmail; }
client_check() { command -v fetchmail >/dev/null || { echo "fetchmail is not installed"; return 1; }; }
client_version() { fetchmail --version 2>/dev/null | sed -n 's/^This is fetchmail release \([0-9.]*\).*/\1/p'; }

client_fetch() {
	local mode=$1 out=$2 rc=0 keep="keep" f
	[ "$mode" = keep ] || keep="nokeep fetchall"
	mkdir -p "$CLIENT_DIR/inbox"
	fix_owner "$CLIENT_DIR/inbox"
	printf '#!/bin/sh\nf=$(mktemp "$1/msg.XXXXXX") && exec cat >"$f"\n' |
		put_file "$CLIENT_DIR/mda" 755
	# sslproto '': fetchmail 6.4 tries STLS even when CAPA does not offer it.
	printf '%s\n' "set no syslog" \
		"poll 127.0.0.1 service $PORT protocol pop3 uidl auth password" \
		"  user alice password secret $keep sslproto ''" \
		"  mda \"$CLIENT_DIR/mda $CLIENT_DIR/inbox\"" |
		put_file "$CLIENT_DIR/fetchmailrc" 600
	as_user fetchmail -v --nosyslog -f "$CLIENT_DIR/fetchmailrc" \
		-i "$CLIENT_DIR/fetchids" || rc=$?
	for f in "$CLIENT_DIR/inbox/"*; do
		[ -e "$f" ] && mv "$f" "$out/"
	done
	[ "$rc" -ne 1 ] || rc=0
	return "$rc"
}
