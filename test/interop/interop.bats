#!/usr/bin/env bats
# One real POP3 client ($INTEROP_CLIENT, see clients/) against onepop over
# TCP (systemd-socket-activate --inetd), one backend ($INTEROP_BACKEND).
# test/interop/meson.build runs this file once per client and backend. The
# [word] that starts each test's name is its column in tools/interop-table.

setup_file() {
	load interop
	interop_results_start
}

setup() {
	load interop
	interop_setup
}

teardown() {
	interop_record
	interop_teardown
}

@test "[keep] every message arrives byte for byte and stays on the server" {
	store make
	tcp_server_start
	fetch keep
	assert_fetched $(all_uids)
	assert_store_kept
}

@test "[uidl] keep: a second run fetches nothing, a new message alone is fetched" {
	[ "$CLIENT_TRACKS_UIDL" = 1 ] || skip "$INTEROP_CLIENT keeps no record of fetched messages"
	store make --small
	tcp_server_start
	fetch keep
	assert_fetched $(all_uids)
	fetch keep
	assert_fetched_nothing
	store deliver 1800000000.M300001P3001.late
	fetch keep
	assert_fetched 1800000000.M300001P3001.late
	assert_store_kept
}

@test "[delete] every message arrives byte for byte and the mailbox is empty" {
	store make
	tcp_server_start
	fetch delete
	assert_fetched $(all_uids)
	[ "$(store count)" -eq 0 ] || fail "$(store count) messages left on the server"
}

@test "[empty] mailbox: the client succeeds and stores nothing" {
	store empty
	tcp_server_start
	fetch keep
	assert_fetched_nothing
	fetch delete
	assert_fetched_nothing
}
