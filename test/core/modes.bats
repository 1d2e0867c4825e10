#!/usr/bin/env bats
# Modes usable with every backend (shown here on maildir): --commands=minimal,
# --apop-only, --autodelete, --test-commands (BREAK, EXIT), and the
# per-command statistics of the summary log line.

setup() {
	load ../helpers
	common_setup
}

teardown() { common_teardown; }

@test "minimal: only USER PASS STAT LIST RETR DELE RSET NOOP QUIT; CAPA is refused" {
	load_uidls
	POP_ARGS=(--commands=minimal)
	pop CAPA "${LOGIN[@]}" STAT LIST "RETR 1" "DELE 1" RSET NOOP UIDL "TOP 1 0" CAPA QUIT
	assert_success
	assert_line --index 0 --regexp '^\+OK onepop ready$'
	assert_line --index 1 "-ERR CAPA is not available on this server"
	assert_line "-ERR UIDL is not available on this server"
	assert_line "-ERR TOP is not available on this server"
	assert_equal "$(count_lines '^-ERR')" 4
	assert_equal "$(count_lines '^\+OK')" 10
	assert_store_unchanged
}

@test "minimal: APOP is refused and the greeting offers no timestamp" {
	POP_ARGS=(--commands=minimal)
	pop "APOP alice 0123456789abcdef0123456789abcdef" QUIT
	assert_success
	refute_line --index 0 --partial "<"
	assert_line --index 1 "-ERR APOP is not available on this server"
}

@test "apop-only: USER and PASS get -ERR, CAPA does not offer USER" {
	POP_ARGS=(--apop-only)
	pop CAPA "USER alice" "PASS secret" STAT QUIT
	assert_success
	refute_line "USER"
	assert_line "TOP"
	assert_line "-ERR USER is not available on this server"
	assert_line "-ERR PASS is not available on this server"
	assert_line "-ERR STAT is not valid in this state"
}

@test "apop-only: Net::POP3's apop logs in over TCP, its login does not" {
	POP_ARGS=(--apop-only)
	tcp_server_start
	run timeout 20 perl -MNet::POP3 -e '
		my $p = Net::POP3->new("127.0.0.1", Port => $ARGV[0], Timeout => 10) or die "connect";
		my $n = $p->login("alice", "secret"); print "login ", defined $n ? "ok" : "refused", "\n";
		$p->quit;
		$p = Net::POP3->new("127.0.0.1", Port => $ARGV[0], Timeout => 10) or die "connect";
		$n = $p->apop("alice", "secret"); print "apop ", ($n // "refused"), "\n";
		my $l = $p->list; print "listed ", scalar(keys %$l), "\n";
		$p->quit;
	' "$PORT"
	assert_success
	assert_line "login refused"
	assert_line "apop 5"
	assert_line "listed 5"
}

@test "minimal: Net::POP3 lists, fetches and deletes" {
	load_uidls
	POP_ARGS=(--commands=minimal)
	tcp_server_start
	run timeout 20 perl -MNet::POP3 -e '
		my $p = Net::POP3->new("127.0.0.1", Port => $ARGV[0], Timeout => 10) or die "connect";
		my $n = $p->login("alice", "secret"); print "count $n\n";
		my $m = $p->get(1) or die "get"; print "lines ", scalar(@$m), "\n";
		print "uidl ", (defined $p->uidl ? "yes" : "no"), "\n";
		$p->delete(1) or die "dele"; $p->quit or die "quit";
	' "$PORT"
	assert_success
	assert_line "count 5"
	assert_line "uidl no"
	assert_store_without "${MSGUID[1]}"
}

@test "autodelete: RETR marks the message; QUIT removes it" {
	POP_ARGS=(--autodelete)
	load_uidls
	pop "${LOGIN[@]}" "RETR 1" "RETR 1" STAT QUIT
	assert_success
	assert_line "-ERR message 1 already deleted"
	assert_line "+OK 4 $((TOTAL_OCTETS - SIZE[${MSGUID[1]}]))"
	assert_store_without "${MSGUID[1]}"
}

@test "autodelete: TOP that sends the whole message marks it, a partial TOP does not" {
	POP_ARGS=(--autodelete)
	load_uidls
	pop "${LOGIN[@]}" "TOP 1 0" "TOP 2 1000" QUIT
	assert_success
	assert_store_without "${MSGUID[2]}"
}

@test "autodelete: nothing is deleted without QUIT, and RSET unmarks" {
	POP_ARGS=(--autodelete)
	pop "${LOGIN[@]}" "RETR 1" "RETR 2"
	assert_failure 1
	assert_store_unchanged
	pop "${LOGIN[@]}" "RETR 1" RSET QUIT
	assert_success
	assert_store_unchanged
}

@test "statistics: the summary line counts logins and each command, alphabetically" {
	POP_ARGS=(--debug)
	pop "USER alice" "PASS wrong" "${LOGIN[@]}" NOOP NOOP "RETR 1" BOGUS QUIT
	assert_success
	run grep -o 'logins=.*' "$POP_ERR"
	assert_output "logins=1 cmd_counts=NOOP:2,PASS:2,QUIT:1,RETR:1,USER:2"
}

@test "statistics: a session that never logs in has logins=0" {
	POP_ARGS=(--debug)
	pop CAPA QUIT
	run grep -o 'logins=.*' "$POP_ERR"
	assert_output "logins=0 cmd_counts=CAPA:1,QUIT:1"
}

@test "test commands: BREAK and EXIT are unknown unless --test-commands" {
	pop BREAK EXIT QUIT
	assert_success
	assert_equal "$(count_lines '^-ERR unknown command')" 2
}

@test "test commands: BREAK drops the connection with no reply and no UPDATE" {
	POP_ARGS=(--test-commands --debug)
	pop "${LOGIN[@]}" "DELE 1" BREAK NOOP QUIT
	assert_failure 1
	assert_line --index 3 "+OK message 1 deleted"
	assert_equal "${#lines[@]}" 4
	assert_store_unchanged
	grep -q 'end=dropped' "$POP_ERR"
}

@test "test commands: EXIT is answered and recorded in the summary line" {
	POP_ARGS=(--test-commands --debug)
	pop "${LOGIN[@]}" EXIT QUIT
	assert_success
	assert_line --index 3 --regexp '^\+OK '
	grep -q 'end=quit .* exit=requested$' "$POP_ERR"
}
