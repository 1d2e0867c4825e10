# curl's pop3:// URLs: "-X UIDL" lists, pop3://HOST/N retrieves (curl
# un-stuffs and keeps CRLF: what it writes is RFC 1939's message), and
# "-X DELE -I" deletes. curl keeps no state, so this driver does what a
# script around it would: remember the UIDLs it fetched.
CLIENT_EOL=crlf
CLIENT_STRIP=()
client_package() { echo curl; }
client_check() {
	command -v curl >/dev/null || { echo "curl is not installed"; return 1; }
	curl --version | grep -qw pop3 || { echo "curl built without pop3"; return 1; }
}
client_version() { curl --version 2>/dev/null | sed -n '1s/^curl \([0-9.]*\).*/\1/p'; }

client_fetch() {
	local mode=$1 out=$2 url="pop3://127.0.0.1:$PORT" n uid
	local -a retr=() dele=() nums=()
	touch "$CLIENT_DIR/seen"
	as_user curl -sS -u alice:secret -X UIDL "$url/" >"$CLIENT_DIR/uidl" || return 1
	while read -r n uid; do
		uid=${uid%$'\r'}
		[[ $n =~ ^[0-9]+$ ]] || continue
		if [ "$mode" = keep ] && grep -qxF "$uid" "$CLIENT_DIR/seen"; then
			continue
		fi
		nums+=("$n")
		printf '%s\n' "$uid" >>"$CLIENT_DIR/seen"
	done <"$CLIENT_DIR/uidl"
	[ "${#nums[@]}" -gt 0 ] || return 0
	# One curl, one connection: RETR each, then (--next) DELE each.
	for n in "${nums[@]}"; do
		retr+=("$url/$n" -o "$CLIENT_DIR/msg.$n")
		dele+=("$url/$n")
	done
	[ "$mode" = keep ] || dele=(--next -sS -u alice:secret -X DELE -I "${dele[@]}")
	[ "$mode" != keep ] || dele=()
	fix_owner "$CLIENT_DIR"
	as_user curl -sS -u alice:secret "${retr[@]}" "${dele[@]}" || return 1
	mv "$CLIENT_DIR"/msg.* "$out/"
}
