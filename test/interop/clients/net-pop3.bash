# Perl's Net::POP3 (libnet, in perl-modules), driven by perl-fetch.pl:
# get() writes each line un-stuffed with "\n" for CRLF (Net::Cmd).
CLIENT_EOL=lf
CLIENT_STRIP=()
client_package() {
	dpkg -S "$(readlink -f "$(perl -MNet::POP3 -e 'print $INC{"Net/POP3.pm"}')")" 2>/dev/null | cut -d: -f1
}
client_check() { perl -MNet::POP3 -e 1 || { echo "perl has no Net::POP3"; return 1; }; }
client_version() { perl -MNet::POP3 -e 'print "Net::POP3 $Net::POP3::VERSION\n"'; }

client_fetch() {
	as_user perl "$BATS_TEST_DIRNAME/clients/perl-fetch.pl" net-pop3 127.0.0.1 "$PORT" \
		alice secret "$1" "$CLIENT_DIR/seen" "$CLIENT_DIR/out" || return 1
	move_out "$2"
}
