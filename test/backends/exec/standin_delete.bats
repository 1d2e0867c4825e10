#!/usr/bin/env bats
# examples/mailbox-test-server removes the files of the messages deleted at
# QUIT, as Mail::Box's t/server/start does (issue 16.5): a Mail::Box client
# suite that retrieves and deletes everything then finds the message
# directory empty. A session cut off (BREAK) removes nothing.

load ../../helpers
load ../../standin

setup() { standin_setup a+rwX; }
teardown() { standin_teardown; }

@test "stand-in: Mail::Transport::POP3 retrieves and deletes everything; the directory is empty" {
	standin_start
	client 'my $pop = '"$MTP"' my @ids = $pop->ids; my $n = 0;
		for my $id (@ids) { my $m = $pop->message($id) or die "RETR $id"; $n++ if @$m }
		$pop->deleted(1, @ids); $pop->disconnect; print "retrieved $n\n";
		$pop = '"$MTP"' my @left = $pop->ids; print "left ", scalar(@left), "\n"; $pop->disconnect;'
	assert_success
	assert_line "retrieved 3"
	assert_line "left 0"
	run ls -A "$MSGS"
	assert_output ""
}

@test "stand-in: only the messages deleted go; a session cut off by BREAK removes nothing" {
	standin_start
	client 'my $p = Net::POP3->new("127.0.0.1", Port => $port) or die;
		$p->login("user", "password") or die; $p->delete(1) or die;
		$p->command("BREAK"); $p->response;'
	[ -e "$MSGS/1" ] || fail "BREAK removed a file"
	client 'my $pop = '"$MTP"' my @ids = $pop->ids; $pop->deleted(1, $ids[1]); $pop->disconnect;'
	assert_success
	run ls "$MSGS"
	assert_output $'1\n10'
}
