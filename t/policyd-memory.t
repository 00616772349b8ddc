#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# policyd gives memory back after a burst of connections (issue 11):
# 3,000 connections each send a request and read its answer, then all
# close; policyd's RSS then falls well below what it held while they were
# open (glibc kept the freed heap: cycles of 10k connections left it at
# 150+ MB). Not judged under ASan or valgrind, whose allocators are theirs.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use FG;

my $build = $ENV{FG_BUILD} // 'build';
my $own_malloc = !$ENV{FG_VALGRIND} &&
    `ldd $build/floodgate-policyd 2>/dev/null` !~ /libasan/;
FG::fd_limit(8000);
my $sock = start_redis();
my $p = free_port();
my $conf = write_conf('m.conf', <<"EOF2");
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$p" }
    max_connections = 4000
    max_connections_per_peer = 4000
}
limit "m" {
    subject  = "sasl"
    window   = 1h
    messages = 1000000
}
EOF2
start_policyd('m', $conf, $p);
my $pid = FG::pid('m');
sub rss { (proc_status($pid)->{VmRSS} // '0') =~ /(\d+)/; $1 }

my ($open, $closed);
for my $round (1 .. 3) {
    my @s;
    for (1 .. 3000) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p") or last;
        push @s, $s;
    }
    print $_ rcpt_req(sasl_username => "u$round\@example.com",
        instance => "i$round", client_address => '192.0.2.1',
        recipient => 'r@n') for @s;
    my $answered = 0;
    for my $s (@s) {
        while (defined(my $l = <$s>)) { $answered++, last if $l eq "\n" }
    }
    is($answered, 3000, "round $round: 3000 connections answered");
    $open = rss();
    close $_ for @s;
    sleep 1;
    $closed = rss();
    note("round $round: RSS $open kB with them open, $closed kB after");
}
SKIP: {
    skip 'ASan or valgrind allocate for policyd', 1 unless $own_malloc;
    cmp_ok($closed, '<', 0.85 * $open,
        "memory is given back after the burst ($open -> $closed kB)");
}
ok(stop_policyd('m'), 'clean exit');
done_testing();
