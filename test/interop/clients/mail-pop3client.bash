# Perl's Mail::POP3Client (libmail-pop3client-perl), driven by
# perl-fetch.pl: HeadAndBodyToFile writes the lines as received,
# CRLF kept, leading ".." turned back into ".".
CLIENT_EOL=crlf
CLIENT_STRIP=()
client_package() { echo libmail-pop3client-perl; }
client_check() { perl -MMail::POP3Client -e 1 2>/dev/null || { echo "libmail-pop3client-perl is not installed"; return 1; }; }
client_version() { perl -MMail::POP3Client -e 'print "Mail::POP3Client $Mail::POP3Client::VERSION\n"'; }

client_fetch() {
	as_user perl "$BATS_TEST_DIRNAME/clients/perl-fetch.pl" mail-pop3client 127.0.0.1 "$PORT" \
		alice secret "$1" "$CLIENT_DIR/seen" "$CLIENT_DIR/out" || return 1
	move_out "$2"
}
