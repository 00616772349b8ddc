#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Redis that answers but cannot serve (issue 11; issue 12: a server
# turned into a replica, seen by the heartbeat's ROLE): out of memory (maxmemory
# reached, noeviction) is a state of Redis, not a line per request: one
# "redis: failing" line, the stats line says so, every request is decided
# locally (limits still enforced); when Redis can write again, counting
# returns to it by itself with one "redis: up" line. A wrong-type key is
# one subject's trouble: that subject is decided locally, logged once a
# minute with its key, and the others stay on Redis. A Redis on TCP
# without a password is warned of once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;

my $sock = start_redis();
my $p = free_port();
my $path = write_conf('o.conf', <<"EOF2");
redis {
    server  = "unix:$sock"
    timeout = 300ms
}
policyd {
    listen = { "inet:127.0.0.1:$p" }
    stats_interval = 1s
}
limit "m" {
    subject  = "sasl"
    window   = 1h
    messages = 50
}
EOF2
start_policyd('o', $path, $p);
my $c = policy_client($p);
my $n = 0;
my $req = sub {
    my ($user) = @_;
    $n++;
    return ask($c, rcpt_req(sasl_username => $user, instance => "i$n",
        client_address => '192.0.2.1', recipient => 'r@n'));
};
is($req->('warm@example.com'), 'DUNNO', 'Redis up: a request passes');

# out of memory: every write is refused with -OOM
redis('CONFIG', 'SET', 'maxmemory', '1');
my @r = map { $req->('oom@example.com') } 1 .. 300;
is(scalar(grep { $_ eq 'DUNNO' } @r), 50, 'OOM: 300 requests answered, '
    . 'the limit of 50 enforced with local counters');
like($r[-1], qr/^DEFER/, 'the rest deferred');
my $log = log_since('o', 0);
my $lines = () = $log =~ /redis: failing: OOM/g;
is($lines, 1, 'one "redis: failing" line for 300 requests');
unlike($log, qr/unexpected limiter reply|decided locally/,
    'no line per request');
ok(wait_until(3, sub { log_since('o', 0) =~ /stats .*redis=failing/ }),
    'the stats line says redis=failing');
is(redis('HGET', 'fg:{sasl:oom@example.com}', 'L:m') // '', '',
    'nothing was counted in Redis');

# memory again: after the backoff counting returns to Redis by itself
redis('CONFIG', 'SET', 'maxmemory', '0');
ok(wait_until(10, sub {
    $req->('back@example.com');
    log_since('o', 0) =~ /redis: up/;
}), 'Redis writable again: back to it, "redis: up" logged');
like(redis('HGETALL', 'fg:{sasl:back@example.com}'), qr/^m:3600:/m,
    'and counting in Redis');
$lines = () = log_since('o', 0) =~ /redis: failing/g;
is($lines, 1, 'still one failing line');

# a key of the wrong type: that subject alone is decided locally
redis('SET', 'fg:{sasl:broken@example.com}:block', 'x');
@r = map { $req->('broken@example.com') } 1 .. 100;
is(scalar(grep { $_ eq 'DUNNO' } @r), 50,
    'a wrong-type key: its subject is limited locally');
$log = log_since('o', 0);
$lines = () = $log =~ /redis: sasl:broken\@example\.com decided locally: HGETALL fg:\{sasl:broken\@example\.com\}:block \(WRONGTYPE/g;
is($lines, 1, 'logged once, naming the subject and the key');
is($req->('fine@example.com'), 'DUNNO', 'another subject');
like(redis('HGETALL', 'fg:{sasl:fine@example.com}'), qr/^m:3600:/m,
    'is still counted in Redis');
unlike(log_since('o', 0), qr/redis: (down|failing).*WRONGTYPE/,
    'and Redis is not declared down or failing for it');
ok(stop_policyd('o'), 'clean exit');

# Redis on TCP without a password: anyone on the host can lift blocks;
# policyd says so once at start (README: Protecting Redis)
my $rp = free_port();
FG::spawn('redis-tcp', 'redis-server', '--port', $rp, '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--dir', tmpdir());
ok(wait_until(10, sub { `redis-cli -p $rp PING 2>/dev/null` =~ /PONG/ }),
    'a Redis on 127.0.0.1 TCP');
my $tp = free_port();
my $tpath = write_conf('t.conf', <<"EOF2");
redis {
    server = "127.0.0.1:$rp"
}
policyd {
    listen = { "inet:127.0.0.1:$tp" }
}
limit "m" {
    subject  = "sasl"
    window   = 1h
    messages = 50
}
EOF2
start_policyd('t', $tpath, $tp);
ok(wait_until(5, sub { log_since('t', 0) =~ /redis: up/ }), 'policyd on it');
my $tc = policy_client($tp);
ask($tc, rcpt_req(sasl_username => "u$_\@example.com", instance => "t$_",
    client_address => '192.0.2.1', recipient => 'r@n')) for 1 .. 20;
$lines = () = log_since('t', 0) =~ /answers without a password: any local user can lift its own block/g;
is($lines, 1, 'warns once that any local user can lift blocks');
unlike(log_since('o', 0), qr/without a password/,
    'on a unix socket no such warning');

# the server stops being a master (an admin or a failover made it a
# replica) while no request comes: the heartbeat's ROLE notices it
my $rp2 = free_port();
FG::spawn('redis-other', 'redis-server', '--port', $rp2, '--bind',
    '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir());
ok(wait_until(10, sub { `redis-cli -p $rp2 PING 2>/dev/null` =~ /PONG/ }),
    'another Redis');
my $off = log_size('t');
# a writable replica: only ROLE can tell
`redis-cli -p $rp CONFIG SET replica-read-only no`;
`redis-cli -p $rp REPLICAOF 127.0.0.1 $rp2`;
ok(wait_until(8, sub { log_since('t', $off) =~
    /redis: failing: a replica of 127\.0\.0\.1:$rp2, not a master/ }),
    'made a (writable) replica, with no request: the heartbeat says so')
    or diag(log_since('t', $off));
ok(stop_policyd('t'), 'clean exit');
FG::reap('redis-tcp', 'KILL');
FG::reap('redis-other', 'KILL');
done_testing();
