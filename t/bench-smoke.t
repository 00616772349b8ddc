#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The benchmark harness in miniature (make bench itself takes minutes):
# the load generator against the DUNNO server and against floodgate-policyd
# on a real redis-server and on a 3-master Redis Cluster (a few hundred
# requests: every one answered, Redis' work counted on each master), the
# Redis ceiling client, and the correctness run (20 users, 10 recipients
# an hour each, 2000 one-recipient requests: exactly 200 pass). Only
# correct replies are asserted, never speed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use FGBench;

start_redis();
my $d = start_system('dunno', 'big');
my $r = loadgen($d, 4, 2000);
is($r->{requests}, 2000, 'loadgen against the DUNNO server: 2000 timed requests')
    or diag($r->{raw});
is($r->{dunno}, 2000, 'all DUNNO');
is($r->{malformed} + $r->{errors}, 0, 'no malformed reply, no error');
stop_system($d);

my $f = start_system('floodgate', 'big');
$r = loadgen($f, 16, 5000);
is($r->{requests}, 5000, 'loadgen against floodgate-policyd: 5000 requests')
    or diag($r->{raw});
is($r->{malformed} + $r->{errors} + $r->{other}, 0, 'every reply a known action');
is($r->{dunno}, 5000, 'all below the limits: DUNNO');
ok($r->{p99_us} > 0 && $r->{rps} > 0, 'latency and rate reported');
stop_system($f);
my $one = redis_work($r);
ok($one && $one->{total}{calls} > 0, "Redis' work per request counted on the one Redis");

# make bench's floodgate-cluster: the same job on a 3-master Redis Cluster
my $fc = start_system('floodgate-cluster', 'big');
flush_redis($fc);
$r = loadgen($fc, 16, 300, '-w', 0);
is($r->{requests}, 300, 'floodgate-policyd on a 3-master Redis Cluster: 300 requests')
    or diag($r->{raw});
is($r->{dunno}, 300, 'every one answered: DUNNO');
is($r->{malformed} + $r->{errors} + $r->{other}, 0, 'no malformed reply, no error');
is($r->{served}, 16, 'on every connection');
stop_system($fc);
my $w = redis_work($r);
is(scalar @{ $w ? $w->{nodes} : [] }, 3, "Redis' work counted on each of the 3 masters");
is(scalar(grep { $_->{calls} > 0 } @{ $w->{nodes} }), 3, 'every master served commands');
ok(abs($w->{total}{calls} - $one->{total}{calls}) < 0.1 * $one->{total}{calls},
    'the same commands per request as on one Redis')
    or diag("cluster $w->{total}{calls}, one Redis $one->{total}{calls} calls per request");

$f = start_system('floodgate', 'small');
redis('FLUSHALL');
$r = loadgen($f, 4, 2000, '-u', 20, '-r', 1, '-w', 0);
is($r->{dunno}, 200, 'correctness run: 20 users x 10 pass');
is($r->{defer}, 1800, 'and the other 1800 are deferred');
stop_system($f);

my $conf = FGBench::floodgate_conf(free_port(), FGBench::fg_limits('big'));
redis('FLUSHALL');
$r = redisload($conf, 4, 2000);
is($r->{requests}, 2000, 'the Redis ceiling client: 2000 requests')
    or diag($r->{raw});
is($r->{errors}, 0, 'no error');
is($r->{pass}, 4000, 'two limiter calls per request, all counted');

# the callgrind count of Redis' work per request (make bench's cost line)
my ($ir, $why) = redis_cost(FGBench::fg_limits('big'), 200);
ok($ir > 1000, 'callgrind counts the instructions redis-server spends per request')
    or diag($why);
done_testing();
