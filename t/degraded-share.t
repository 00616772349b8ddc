#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Fair degraded mode (issue 12 §4): every policyd records that it is alive
# in Redis (fg:nodes:policyd, a heartbeat every 5 s); when Redis is gone,
# each node enforces ceil(limit / live nodes last seen), so two nodes with
# a limit of 20 let about 20 through together, not 40; degraded_share =
# full keeps the whole limit per node. The share is logged once, at the
# change. Before: each node allowed the whole limit (40 in all).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;

my $sock = start_redis();

# run(SHARE): two nodes on one Redis, then Redis stopped; the requests of
# one user, alternating between the nodes, that were let through
sub run {
    my ($share) = @_;
    my (@port, @c);
    for my $n (0, 1) {
        $port[$n] = free_port();
        my $path = write_conf("$share$n.conf", <<"EOF2");
node = "node$n-$share"
redis {
    server  = "unix:$sock"
    timeout = 200ms
    degraded_share = $share
}
policyd {
    listen = { "inet:127.0.0.1:$port[$n]" }
}
limit "sasl-hour" {
    subject  = "sasl"
    window   = 1h
    messages = 20
}
EOF2
        start_policyd("$share$n", $path, $port[$n]);
    }
    # both beat; the first to start learns of the second at its next beat
    ok(wait_until(8, sub {
        redis('ZCARD', 'fg:nodes:policyd') == 2 && (time - $^T) > 0 }),
        "$share: both nodes beat (fg:nodes:policyd)");
    sleep 6;
    my $rpid = FG::pid('redis');
    kill 'STOP', $rpid;
    @c = map { policy_client($_) } @port;
    my $ok = 0;
    for my $i (1 .. 60) {
        my $a = ask($c[$i % 2], rcpt_req(sasl_username => "u-$share\@x",
            instance => "$share-$i", recipient => 'r@n'));
        $ok++ if $a eq 'DUNNO';
    }
    kill 'CONT', $rpid;
    my @logs = map { log_since("$share$_", 0) } 0, 1;
    stop_policyd("$share$_") for 0, 1;
    return ($ok, @logs);
}

my ($ok, @logs) = run('auto');
cmp_ok($ok, '<=', 22, "auto: the two nodes let $ok of 60 through (<= 20 + 1 per node)");
cmp_ok($ok, '>=', 18, "auto: and about the limit ($ok)");
for my $n (0, 1) {
    my @lines = $logs[$n] =~ /(redis: degraded: [^\n]*)/g;
    is(scalar @lines, 1, "auto: node $n logs its share once");
    like($lines[0] // '', qr{enforces 1/2 of every limit, rounded up \(2 policyd nodes},
        "auto: node $n: 1/2 of every limit");
}
redis('DEL', 'fg:nodes:policyd');

($ok, @logs) = run('full');
cmp_ok($ok, '>=', 38, "full: each node enforces the whole limit ($ok of 60)");
cmp_ok($ok, '<=', 42, "full: about twice the limit ($ok)");
like($logs[0], qr/redis: degraded: this policyd enforces every limit in full \(2 policyd nodes seen alive, degraded_share = full\)/,
    'full: the line says so');

done_testing();
