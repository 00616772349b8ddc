#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Degraded mode under a flood (issue 11): Redis stalls (SIGSTOP) while
# 200,000 requests of distinct users and addresses arrive (t/bench/loadgen,
# 100k users, 65k addresses): a user blocked in Redis before the stall is
# refused on every request throughout, and a spammer active throughout
# is held to its limit by the local counters; the degraded-mode tables
# stay bounded and say so in the stats line. Before: the local table
# emptied itself whole at 50,000 subjects, blocks included.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;

my $build = $ENV{FG_BUILD} // 'build';
my $loadgen = "$build/t/bench/loadgen";
plan skip_all => 'loadgen not built' unless -x $loadgen;

my $sock = start_redis();
my $p = free_port();
my $path = write_conf('d.conf', <<"EOF2");
redis {
    server  = "unix:$sock"
    timeout = 200ms
    block_cache_time = 10m
}
policyd {
    listen = { "inet:127.0.0.1:$p" }
    max_connections = 100
    stats_interval = 2s
}
limit "sasl-hour" {
    subject  = "sasl"
    window   = 1h
    messages = 100
}
limit "ip-hour" {
    subject  = "ip"
    window   = 1h
    messages = 100000
}
EOF2
start_policyd('d', $path, $p);
my $c = policy_client($p);
my $n = 0;
my $req = sub {
    my ($user, $ip) = @_;
    $n++;
    return ask($c, rcpt_req(sasl_username => $user, instance => "d$n",
        client_address => $ip // '198.51.100.1', recipient => 'r@n'));
};

redis('HSET', 'fg:{sasl:victim@example.com}:block', 'rule', 'admin',
    'reason', 'spam run');
like($req->('victim@example.com'), qr/^REJECT/, 'blocked in Redis');

my $rpid = FG::pid('redis');
kill 'STOP', $rpid;
my $gen = open(my $lg, '-|', $loadgen, '-s', "inet:127.0.0.1:$p", '-c', '8',
    '-n', '200000', '-w', '0', '-u', '100000', '-i', '65000')
    or die "loadgen: $!";
my ($refused, $asked, $spam_ok, $spam_n) = (0, 0, 0, 0);
my $alive = 1;
while ($alive) {
    $asked++;
    $refused++ if $req->('victim@example.com') =~ /^REJECT/;
    $spam_n++;
    $spam_ok++ if $req->('spammer@example.com', '198.51.100.9') eq 'DUNNO';
    select(undef, undef, undef, 0.05);
    $alive = kill(0, $gen) && waitpid($gen, 1) == 0;
}
my $out = do { local $/; <$lg> } // '';
close $lg;
kill 'CONT', $rpid;
like($out, qr/requests=200000/, 'the flood: 200,000 requests answered')
    or diag($out);
cmp_ok($asked, '>', 20, "the blocked user asked $asked times during it");
is($refused, $asked, "and was refused every time ($refused of $asked)");
cmp_ok($spam_n, '>', 100, "a spammer sent $spam_n during it");
is($spam_ok, 100, "and got exactly its limit of 100 through ($spam_ok)");
ok(wait_until(5, sub { log_since('d', 0) =~ /stats .*local_counters=(\d+) .*local_evicted=([1-9]\d*)/ }),
    'the stats line counts the counters evicted');
my ($held) = log_since('d', 0) =~ /.*local_counters=(\d+)/s;
cmp_ok($held, '<=', 50000, "the counters stay bounded ($held)");
like(log_since('d', 0), qr/local: \d+ subjects' counters evicted/,
    'and a warning says so per stats interval');
ok(stop_policyd('d'), 'clean exit');
done_testing();
