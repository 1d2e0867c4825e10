# Shared steps for the network-edge suites (tls, sasl, proxy, scaleout),
# loaded after helpers.bash.

EDGE=$LIBDIR/edgeclient.py

# make_cert: a self-signed certificate and key in $CERT and $KEY.
make_cert() {
	CERT=$BATS_TEST_TMPDIR/cert.pem KEY=$BATS_TEST_TMPDIR/key.pem
	command -v openssl >/dev/null || skip "openssl is not installed"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$KEY" -out "$CERT" -days 2 -subj /CN=localhost \
		>/dev/null 2>&1 || fail "openssl req failed"
}

EDGE_PIDS=()

# edge_server_start VAR ONEPOP_ARGS...: systemd-socket-activate --accept on
# a free loopback port (one onepop per connection, as systemd's Accept=yes);
# the port goes into VAR, onepop's stderr (with --debug, its log) into
# $BATS_TEST_TMPDIR/VAR.log.
edge_server_start() {
	local var=$1 port try i pid log=$BATS_TEST_TMPDIR/$1.log
	shift
	local -a std
	mapfile -t std < <(pop_std_args)
	command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
	for try in 1 2 3; do
		port=$(python3 "$POP3UTIL" freeport)
		systemd-socket-activate --accept --inetd -l "127.0.0.1:$port" \
			"$ONEPOP" "${std[@]}" "${POP_ARGS[@]}" "$@" </dev/null >>"$log" 2>&1 3>&- &
		pid=$!
		for ((i = 0; i < 100; i++)); do
			if [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
				EDGE_PIDS+=("$pid")
				printf -v "$var" '%s' "$port"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
	done
	fail "systemd-socket-activate did not listen: $(cat "$log")"
}

edge_teardown() {
	local pid
	for pid in "${EDGE_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
	done
	EDGE_PIDS=()
	common_teardown
}

# wait_log FILE REGEX: wait (at most 10 s) for a line in FILE.
wait_log() {
	wait_for grep -qE "$2" "$1" 2>/dev/null ||
		fail "no line matching $2 in $1: $(cat "$1")"
}

# b64 STRING: base64 of STRING, printf escapes (\0) interpreted.
b64() { printf "$1" | base64 -w0; }
