#!/usr/bin/perl
# Fetch a POP3 mailbox with Net::POP3, as a mail fetcher would.
# usage: net-pop3-fetch.pl HOST PORT USER PASS keep|delete SEENFILE OUTDIR
# keep: retrieve the messages whose UIDL is not in SEENFILE, add them to it.
# delete: retrieve every message and delete it. One file a message in OUTDIR.
use strict;
use warnings;
use Net::POP3;

@ARGV == 7 && $ARGV[4] =~ /^(keep|delete)$/ or die "usage: see the comment\n";
my ($host, $port, $user, $pass, $mode, $seenfile, $outdir) = @ARGV;
mkdir $outdir;
my %seen;
if (open my $s, '<', $seenfile) {
	chomp(my @l = <$s>);
	%seen = map { $_ => 1 } @l;
}
my $pop = Net::POP3->new($host, Port => $port, Timeout => 60)
	or die "connect: $@\n";
# login returns the message count from "+OK N messages", or "0E0" for none.
defined $pop->login($user, $pass) or die "login: " . $pop->message;
my $uidl = $pop->uidl or die "UIDL: " . $pop->message;
my @fetched;
for my $n (sort { $a <=> $b } keys %$uidl) {
	next if $mode eq 'keep' && $seen{$uidl->{$n}};
	my $file = sprintf '%s/%04d', $outdir, $n;
	open my $fh, '>:raw', $file or die "$file: $!\n";
	$pop->get($n, $fh) or die "RETR $n: " . $pop->message;
	close $fh or die "$file: $!\n";
	if ($mode eq 'delete') {
		$pop->delete($n) or die "DELE $n: " . $pop->message;
	}
	push @fetched, $uidl->{$n};
}
$pop->quit or die "QUIT: " . $pop->message;
open my $s, '>>', $seenfile or die "$seenfile: $!\n";
print $s "$_\n" for @fetched;
close $s or die "$seenfile: $!\n";
printf "%d fetched\n", scalar @fetched;
