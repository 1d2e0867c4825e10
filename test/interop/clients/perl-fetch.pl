#!/usr/bin/perl
# Fetch a POP3 mailbox with a Perl POP3 library, as a mail fetcher would.
# usage: perl-fetch.pl net-pop3|mail-pop3client HOST PORT USER PASS keep|delete SEENFILE OUTDIR
# keep: retrieve the messages whose UIDL is not in SEENFILE, add them to it.
# delete: retrieve every message and delete it. One file a message in OUTDIR,
# exactly as the library hands it over.
use strict;
use warnings;

# Each library behind the same five calls; each dies with the server's reply.
my %libs = (
	'net-pop3' => sub {
		my ($host, $port, $user, $pass) = @_;
		require Net::POP3;
		my $pop = Net::POP3->new($host, Port => $port, Timeout => 60)
			or die "connect: $@\n";
		# login returns the count from "+OK N messages" ("0E0" for none).
		defined $pop->login($user, $pass) or die "login: " . $pop->message;
		return {
			uidl => sub { %{ $pop->uidl or die "UIDL: " . $pop->message } },
			# get() writes the lines un-stuffed, "\n" for CRLF (Net::Cmd).
			retr => sub { $pop->get($_[0], $_[1]) or die "RETR $_[0]: " . $pop->message },
			dele => sub { $pop->delete($_[0]) or die "DELE $_[0]: " . $pop->message },
			quit => sub { $pop->quit or die "QUIT: " . $pop->message },
		};
	},
	'mail-pop3client' => sub {
		my ($host, $port, $user, $pass) = @_;
		require Mail::POP3Client;
		my $pop = Mail::POP3Client->new(USER => $user, PASSWORD => $pass,
			HOST => $host, PORT => $port, AUTH_MODE => 'PASS', TIMEOUT => 60);
		$pop->State eq 'TRANSACTION' or die "login: " . $pop->Message . "\n";
		$pop->Count >= 0 or die "STAT: " . $pop->Message . "\n";
		return {
			uidl => sub {
				return () if $pop->Count == 0;
				my @u = $pop->Uidl or die "UIDL: " . $pop->Message . "\n";
				return map { defined $u[$_] ? ($_ => $u[$_]) : () } 1 .. $#u;
			},
			# HeadAndBodyToFile writes the lines as received, CRLF kept,
			# a leading ".." turned back into ".".
			retr => sub { $pop->HeadAndBodyToFile($_[1], $_[0]) or die "RETR $_[0]: " . $pop->Message . "\n" },
			dele => sub { $pop->Delete($_[0]) or die "DELE $_[0]: " . $pop->Message . "\n" },
			quit => sub { $pop->Close or die "QUIT: " . $pop->Message . "\n" },
		};
	},
);

@ARGV == 8 && $libs{ $ARGV[0] } && $ARGV[5] =~ /^(keep|delete)$/
	or die "usage: see the comment at the top\n";
my ($lib, $host, $port, $user, $pass, $mode, $seenfile, $outdir) = @ARGV;
mkdir $outdir;
my %seen;
if (open my $s, '<', $seenfile) {
	chomp(my @l = <$s>);
	%seen = map { $_ => 1 } @l;
}
my $pop = $libs{$lib}->($host, $port, $user, $pass);
my %uidl = $pop->{uidl}->();
my @fetched;
for my $n (sort { $a <=> $b } keys %uidl) {
	next if $mode eq 'keep' && $seen{ $uidl{$n} };
	my $file = sprintf '%s/%04d', $outdir, $n;
	open my $fh, '>:raw', $file or die "$file: $!\n";
	$pop->{retr}->($n, $fh);
	close $fh or die "$file: $!\n";
	$pop->{dele}->($n) if $mode eq 'delete';
	push @fetched, $uidl{$n};
}
$pop->{quit}->();
open my $s, '>>', $seenfile or die "$seenfile: $!\n";
print $s "$_\n" for @fetched;
close $s or die "$seenfile: $!\n";
printf "%d fetched\n", scalar @fetched;
