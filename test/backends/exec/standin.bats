#!/usr/bin/env bats
# examples/mailbox-test-server, the stand-in for Mail::Box's t/server/start
# (seed 003), driven by Mail::Transport::POP3 and Net::POP3 as a Mail::Box
# test suite would: port on the first line, keywords, BREAK, EXIT, statistics.

load ../../helpers
load ../../standin

setup() { standin_setup a+rX; }
teardown() { standin_teardown; }

# standin_exit: EXIT then QUIT; the server must end; $output is its output.
standin_exit() {
	local i
	client 'my $p = Net::POP3->new("127.0.0.1", Port => $port) or die;
		$p->command("EXIT")->response; $p->quit;'
	assert_success
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	wait "$SPID"
	SPID=
	run cat "$SOUT"
}

@test "stand-in: Mail::Transport::POP3 lists and fetches; UIDL is the path, size the bytes on disk" {
	standin_start
	client 'my $pop = '"$MTP"'
		my @ids = $pop->ids; print "ids @ids\n";
		print "size $_ ", $pop->messageSize($_), "\n" for @ids;
		my $m = $pop->message($ids[0]); print "msg ", join("", @$m);
		$pop->disconnect;'
	assert_success
	assert_line "ids t/messages/1 t/messages/2 t/messages/10"
	assert_line "size t/messages/1 $(stat -c %s "$MSGS/1")"
	assert_line "size t/messages/2 $(stat -c %s "$MSGS/2")"
	assert_line "size t/messages/10 $(stat -c %s "$MSGS/10")"
	assert_line ".dot line"
	standin_exit
	assert_line --index 0 "$SPORT"
	assert_line "RETR 1"
	assert_line "EXIT 1"
	assert_line "QUIT 2"
	assert_line --index 1 "1"
}

@test "stand-in: bytes go out as on disk, dot-stuffed; noextra drops the extra CRLF" {
	local kw
	for kw in "" noextra; do
		standin_start $kw
		run timeout 20 python3 - "$SPORT" <<-'EOF'
		import socket, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
		f = s.makefile("rb")
		def cmd(line, multi=False):
		    s.sendall(line.encode() + b"\r\n")
		    first = f.readline()
		    if not multi:
		        return first
		    data = b""
		    while not data.endswith(b"\r\n.\r\n"):
		        data += f.readline()
		    return data
		f.readline(); cmd("USER user"); cmd("PASS password")
		print(repr(cmd("RETR 1", True)))
		print(repr(cmd("RETR 2", True)))
		cmd("QUIT")
		EOF
		assert_success
		if [ -z "$kw" ]; then
			assert_line --index 0 "b'From: a@example.org\\nSubject: one\\n\\nbody one\\n..dot line\\n\\r\\n.\\r\\n'"
			assert_line --index 1 "b'From: b@example.org\\r\\nSubject: two\\r\\n\\r\\nbody two\\r\\n\\r\\n.\\r\\n'"
		else
			assert_line --index 1 "b'From: b@example.org\\r\\nSubject: two\\r\\n\\r\\nbody two\\r\\n.\\r\\n'"
		fi
		standin_exit
	done
}

@test "stand-in keepfiles: DELE and QUIT hide the message from later connections; the file stays" {
	standin_start keepfiles
	client 'my $pop = '"$MTP"' my @ids = $pop->ids; $pop->deleted(1, $ids[0]); $pop->disconnect;'
	assert_success
	client 'my $pop = '"$MTP"' print "ids ", join(" ", $pop->ids), "\n"; $pop->disconnect;'
	assert_line "ids t/messages/2 t/messages/10"
	[ -e "$MSGS/1" ]
	standin_exit
	assert_line "DELE 1"
	assert_line --index 1 "2"
}

@test "stand-in: BREAK drops the connection without committing" {
	standin_start
	client 'my $p = Net::POP3->new("127.0.0.1", Port => $port) or die;
		$p->login("user", "password") or die; $p->delete(1) or die;
		$p->command("BREAK"); my $r = $p->response; print "after BREAK: ", ($r // "none"), "\n";'
	assert_line "after BREAK: none"
	client 'my $p = Net::POP3->new("127.0.0.1", Port => $port) or die;
		print "count ", $p->login("user", "password"), "\n"; $p->quit;'
	assert_line "count 3"
	standin_exit
	assert_line "BREAK 1"
	assert_line "DELE 1"
}

@test "stand-in minimal: no UIDL, TOP, APOP, CAPA; Mail::Transport::POP3 still fetches" {
	standin_start minimal
	client 'my $pop = '"$MTP"' my @ids = $pop->ids; print scalar(@ids), " ids\n";
		my $m = $pop->message($ids[1]); print "msg ", join("", @$m); $pop->disconnect;
		my $p = Net::POP3->new("127.0.0.1", Port => $port) or die;
		print "uidl: ", ($p->command("UIDL")->response == 2 ? "ok" : "refused"), "\n"; $p->quit;'
	assert_success
	assert_line "3 ids"
	assert_line --regexp "^body two.?$"
	assert_line "uidl: refused"
	standin_exit
	refute_line --regexp '^APOP [1-9]'
}

@test "stand-in apoponly: USER is refused, APOP logs in" {
	standin_start apoponly
	client 'my $p = Net::POP3->new("127.0.0.1", Port => $port) or die;
		print "user: ", (defined $p->login("user", "password") ? "ok" : "refused"), "\n"; $p->quit;
		my $pop = Mail::Transport::POP3->new(hostname => "127.0.0.1", port => $port,
			username => "user", password => "password", authenticate => "APOP") or die "apop";
		my @i = $pop->ids; print scalar(@i), " ids\n"; $pop->disconnect;'
	assert_success
	assert_line "user: refused"
	assert_line "3 ids"
	standin_exit
	assert_line --index 1 "1"
	assert_line "APOP 1"
}

@test "stand-in autodelete: a fully retrieved message is gone after QUIT" {
	standin_start autodelete
	client 'my $pop = '"$MTP"' my @ids = $pop->ids; $pop->message($ids[2]); $pop->header($ids[0], 0);
		$pop->disconnect;
		$pop = '"$MTP"' print "ids ", join(" ", $pop->ids), "\n"; $pop->disconnect;'
	assert_success
	assert_line "ids t/messages/1 t/messages/2"
	standin_exit
}

@test "stand-in standardport: listens on 110" {
	require_root
	[ -z "$(ss -Hltn 'sport = :110')" ] || skip "port 110 is in use"
	standin_start standardport
	assert_equal "$SPORT" 110
	standin_exit
}

@test "stand-in: an unknown keyword or a missing directory is a usage error" {
	run "$STANDIN" t/messages bogus
	assert_failure 2
	run "$STANDIN" t/nothing
	assert_failure 2
}
