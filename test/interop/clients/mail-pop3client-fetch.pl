#!/usr/bin/perl
# Fetch a POP3 mailbox with Mail::POP3Client, as a mail fetcher would.
# usage: mail-pop3client-fetch.pl HOST PORT USER PASS keep|delete SEENFILE OUTDIR
# keep: retrieve the messages whose UIDL is not in SEENFILE, add them to it.
# delete: retrieve every message and delete it. One file a message in OUTDIR.
use strict;
use warnings;
use Mail::POP3Client;

@ARGV == 7 && $ARGV[4] =~ /^(keep|delete)$/ or die "usage: see the comment\n";
my ($host, $port, $user, $pass, $mode, $seenfile, $outdir) = @ARGV;
mkdir $outdir;
my %seen;
if (open my $s, '<', $seenfile) {
	chomp(my @l = <$s>);
	%seen = map { $_ => 1 } @l;
}
my $pop = Mail::POP3Client->new(USER => $user, PASSWORD => $pass, HOST => $host,
	PORT => $port, AUTH_MODE => 'PASS', TIMEOUT => 60);
$pop->State eq 'TRANSACTION' or die "login: " . $pop->Message . "\n";
my $count = $pop->Count;
$count >= 0 or die "STAT: " . $pop->Message . "\n";
my @fetched;
if ($count > 0) {
	my @uidl = $pop->Uidl or die "UIDL: " . $pop->Message . "\n";
	for my $n (1 .. $#uidl) {
		next unless defined $uidl[$n];
		next if $mode eq 'keep' && $seen{$uidl[$n]};
		my $file = sprintf '%s/%04d', $outdir, $n;
		open my $fh, '>:raw', $file or die "$file: $!\n";
		$pop->HeadAndBodyToFile($fh, $n) or die "RETR $n: " . $pop->Message . "\n";
		close $fh or die "$file: $!\n";
		if ($mode eq 'delete') {
			$pop->Delete($n) or die "DELE $n: " . $pop->Message . "\n";
		}
		push @fetched, $uidl[$n];
	}
}
$pop->Close or die "QUIT: " . $pop->Message . "\n";
open my $s, '>>', $seenfile or die "$seenfile: $!\n";
print $s "$_\n" for @fetched;
close $s or die "$seenfile: $!\n";
printf "%d fetched\n", scalar @fetched;
