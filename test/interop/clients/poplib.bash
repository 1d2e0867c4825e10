# Python's poplib (the standard library), driven by poplib-fetch.py: RETR
# hands back lines without their CRLF and already un-stuffed; the driver
# joins them with CRLF again. Its own limit: lines up to 2048 octets.
CLIENT_EOL=crlf
CLIENT_STRIP=()
client_package() {
	dpkg -S "$(python3 -c 'import poplib; print(poplib.__file__)')" 2>/dev/null | cut -d: -f1
}
client_check() { python3 -c 'import poplib' || { echo "python3 has no poplib"; return 1; }; }
client_version() { python3 -c 'import sys; print("Python " + sys.version.split()[0])'; }

client_fetch() {
	as_user python3 "$BATS_TEST_DIRNAME/clients/poplib-fetch.py" 127.0.0.1 "$PORT" \
		alice secret "$1" "$CLIENT_DIR/seen" "$CLIENT_DIR/out" || return 1
	move_out "$2"
}
