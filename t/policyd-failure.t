#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate-policyd when things break: Redis killed and restarted during a
# run (answers within the timeout, per-node limits, known blocks honoured,
# counting back in Redis), and SIGHUP with broken (a bad value, a comment
# never closed) then a good config.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use FG;

my $sock = start_redis();
my $p = free_port();
my $conf = sub {
    my ($messages) = @_;
    return <<"EOF2";
redis {
    server  = "unix:$sock"
    timeout = 300ms
}
policyd {
    listen = { "inet:127.0.0.1:$p" }
}
limit "m" {
    subject     = "sasl"
    window      = 1h
    messages    = $messages
    block_after = 2
}
EOF2
};
my $path = write_conf('f.conf', $conf->(5));
start_policyd('f', $path, $p);
my $c = policy_client($p);
my $n = 0;
my $req = sub {
    my ($user) = @_;
    $n++;
    return ask($c, rcpt_req(sasl_username => $user, instance => "i$n",
        client_address => '192.0.2.1', recipient => 'r@n'));
};

# a blocked account, known to this node before Redis goes away
redis('HSET', 'fg:{sasl:known@example.com}:block', 'rule', 'm', 'reason',
    'test');
like($req->('known@example.com'), qr/^REJECT/, 'blocked while Redis is up');

stop_redis();
my $t0 = time;
my $first = $req->('out@example.com');
my $dt = time - $t0;
is($first, 'DUNNO', 'Redis down: a request under the limit passes');
cmp_ok($dt, '<', 1.0, "answered within the timeout (${\sprintf '%.3f', $dt} s)");
my @r = map { $req->('out@example.com') } 1 .. 6;
is_deeply([@r[0 .. 3]], [('DUNNO') x 4], 'local counters: 5 messages pass');
like($r[4], qr/^DEFER/, 'local counters: the 6th is deferred');
like($r[5], qr/^DEFER/, 'the 2nd local denial is deferred and blocks locally');
like($req->('out@example.com'), qr/^REJECT/, 'local block applies');
like($req->('known@example.com'), qr/^REJECT/, 'a known block is still honoured');
like(log_since('f', 0), qr/redis: down/, 'the outage is logged');

start_redis();
ok(wait_until(10, sub { my @up = log_since('f', 0) =~ /redis: up/g;
    @up >= 2 }), 'reconnected, and the recovery is logged');
ok(wait_until(10, sub {
    $req->('back@example.com');
    redis('EXISTS', 'fg:{sasl:back@example.com}') == 1 }),
    'counting resumes in Redis');

# a hung Redis (SIGSTOP): answered after the 300 ms timeout, not later
kill 'STOP', FG::pid('redis');
$t0 = time;
my $hung = $req->('hung@example.com');
$dt = time - $t0;
kill 'CONT', FG::pid('redis');
is($hung, 'DUNNO', 'Redis hung: the request is answered');
cmp_ok($dt, '<', 1.0, "within the timeout (${\sprintf '%.3f', $dt} s)");
like(log_since('f', 0), qr/redis: down: command timeout/, 'slow Redis logged');
ok(wait_until(10, sub { my @up = log_since('f', 0) =~ /redis: up/g;
    @up >= 3 }), 'reconnected after the hang');

# SIGHUP with a broken config keeps the old one
my $off = log_size('f');
open my $fh, '>', $path or die;
print $fh "limit \"m\" {\n    subject = \"sasl\"\n    window = bogus\n}\n";
close $fh;
kill 'HUP', FG::pid('f');
ok(wait_until(5, sub { log_since('f', $off) =~ /reload failed/ }),
    'a broken config is refused on reload');
like(log_since('f', $off), qr/f\.conf:3: window: invalid value 'bogus'/,
    'with file:line');
# and one whose comment is never closed: the limit after it would be gone
$off = log_size('f');
(my $open = $conf->(5)) =~ s{^limit}{/* a note\nlimit}m;
write_conf('f.conf', $open);
kill 'HUP', FG::pid('f');
ok(wait_until(5, sub { log_since('f', $off) =~ /reload failed/ }),
    'a comment never closed is refused on reload');
like(log_since('f', $off), qr{f\.conf:8: /\* comment is never closed},
    'at the line it opens on');
my @k = map { $req->('keep@example.com') } 1 .. 6;
like($k[5], qr/^DEFER/, 'the old limits still apply');

# a good config is taken
$off = log_size('f');
write_conf('f.conf', $conf->(50));
kill 'HUP', FG::pid('f');
ok(wait_until(5, sub { log_since('f', $off) =~ /reloaded/ }), 'reloaded');
is($req->('keep@example.com'), 'DUNNO', 'the new limit applies');

# SIGTERM with a request in flight (Redis hung): the request is answered,
# then every connection is closed and the daemon exits 0
my $idle = policy_client($p);
my $busy = policy_client($p);
is(ask($busy, rcpt_req(sasl_username => 'warm@example.com', instance => 'w0',
    client_address => '192.0.2.1', recipient => 'x@n')), 'DUNNO',
    'a connection in use');
kill 'STOP', FG::pid('redis');
print $busy rcpt_req(sasl_username => 'late@example.com', instance => 'w1',
    client_address => '192.0.2.1', recipient => 'x@n');
$off = log_size('f');
select undef, undef, undef, 0.05;
kill 'TERM', FG::pid('f');
local $SIG{ALRM} = sub { die "no answer after SIGTERM\n" };
alarm 5;
my $late = <$busy>;
my $blank = <$busy>;
my $eof = <$busy>;
my $ieof = <$idle>;
alarm 0;
kill 'CONT', FG::pid('redis');
is($late, "action=DUNNO\n", 'the request in flight at SIGTERM is answered');
ok(!defined $eof && !defined $ieof, 'then busy and idle connections close');
like(log_since('f', $off), qr/stopping: 3 connections open/,
    'the stop is logged with the open connections');
ok(stop_policyd('f', 0), 'f: exits 0 by itself after the drain');
done_testing();
