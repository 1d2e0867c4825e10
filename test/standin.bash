# The stand-in for Mail::Box's t/server/start (examples/mailbox-test-server),
# shared by standin.bats and standin_delete.bats.

# standin_setup MODE: the stand-in and its three messages under t/messages,
# chmod -R MODE (the server must be able to remove files to delete them).
standin_setup() {
	common_setup
	STANDIN=$TESTDIR/../examples/mailbox-test-server
	perl -MMail::Transport::POP3 -e1 2>/dev/null ||
		skip "Mail::Transport::POP3 missing (Debian libmail-box-pop3-perl)"
	MSGS=$BATS_TEST_TMPDIR/t/messages
	mkdir -p "$MSGS"
	printf 'From: a@example.org\nSubject: one\n\nbody one\n.dot line\n' >"$MSGS/1"
	printf 'From: b@example.org\r\nSubject: two\r\n\r\nbody two\r\n' >"$MSGS/2"
	printf 'From: c@example.org\nSubject: ten\n\nno newline at the end' >"$MSGS/10"
	chmod -R "$1" "$BATS_TEST_TMPDIR/t"
	cd "$BATS_TEST_TMPDIR"
}

standin_teardown() {
	if [ -n "${SPID:-}" ]; then
		kill "$SPID" 2>/dev/null || :
		wait "$SPID" 2>/dev/null || :
	fi
	common_teardown
}

# standin_start [KEYWORD...]: start it on t/messages; SPORT is the first line.
standin_start() {
	local i
	SOUT=$BATS_TEST_TMPDIR/standin.out
	# Made here, not by the child's redirection: head must never race it.
	: >"$SOUT"
	"$STANDIN" t/messages "$@" >>"$SOUT" 2>"$SOUT.err" &
	SPID=$!
	for ((i = 0; i < 1200; i++)); do
		SPORT=$(head -n 1 "$SOUT" 2>/dev/null)
		[ -n "$SPORT" ] && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	fail "the stand-in printed no port: $(cat "$SOUT.err")"
}

# client SCRIPT: a Perl client; $port is set, output is in $output.
client() {
	run timeout 20 perl -MMail::Transport::POP3 -MNet::POP3 -e 'my $port = shift; '"$1" "$SPORT"
}

# A Mail::Transport::POP3 login, for client scripts.
MTP='Mail::Transport::POP3->new(hostname => "127.0.0.1", port => $port,
	username => "user", password => "password") or die "login";'
