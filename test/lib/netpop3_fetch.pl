#!/usr/bin/perl
# Fetch every message with Perl's Net::POP3 and compare it with the expected
# wire forms.
#
# usage: netpop3_fetch.pl PORT USER PASSWORD WIRE_DIR [--apop] [--delete N]
#
# WIRE_DIR holds one file per UIDL with the message's wire form. Net::POP3
# un-stuffs dots and turns CRLF into "\n". Prints "ok N UIDL" per message and
# exits 0 when every message matched, else 1.
use strict;
use warnings;
use Net::POP3;

my ($port, $user, $password, $wire_dir, @opts) = @ARGV;
my $pop = Net::POP3->new('127.0.0.1', Port => $port, Timeout => 10)
    or die "cannot connect: $@\n";
print 'banner ', $pop->banner, "\n";

my $count;
if (grep { $_ eq '--apop' } @opts) {
    $count = $pop->apop($user, $password);
} else {
    $count = $pop->login($user, $password);
}
defined $count or die 'login failed: ' . $pop->message;
$count = 0 if $count eq '0E0';

my $uidl = $pop->uidl or die "UIDL failed\n";
my $list = $pop->list or die "LIST failed\n";
my $bad = 0;
if (keys %$uidl != $count or keys %$list != $count) {
    printf "login says %d, UIDL lists %d, LIST %d\n", $count, scalar keys %$uidl,
        scalar keys %$list;
    $bad++;
}
for my $n (1 .. $count) {
    my $uid = $uidl->{$n};
    open my $fh, '<:raw', "$wire_dir/$uid" or die "$wire_dir/$uid: $!\n";
    my $want = do { local $/; <$fh> };
    close $fh;
    my $size = length $want;
    (my $want_lf = $want) =~ s/\r\n/\n/g;
    my $lines = $pop->get($n) or die "RETR $n failed\n";
    my $got = join '', @$lines;
    if ($got ne $want_lf) {
        print "message $n ($uid) differs:\n--- want\n$want_lf--- got\n$got---\n";
        $bad++;
    }
    if ($list->{$n} != $size) {
        print "message $n: LIST $list->{$n}, expected $size\n";
        $bad++;
    }
    print "ok $n $uid\n";
}
for my $i (0 .. $#opts) {
    next unless $opts[$i] eq '--delete';
    my $n = $opts[$i + 1];
    $pop->delete($n) or die "DELE $n failed\n";
    print "deleted $n $uidl->{$n}\n";
}
$pop->quit or die "QUIT failed\n";
exit($bad ? 1 : 0);
