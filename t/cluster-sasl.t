#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Cluster scenarios 1 and 5 (issue 4) on two real Postfix nodes sharing one
# Redis: a stolen SASL password used through both nodes alternately, from a
# new client IP each time, with random forged senders, is accepted up to
# the limit, deferred, then blocked, and node B rejects it on its very next
# request; the sinks hold no more than the limit; the block record names
# the rule and the evidence; another account keeps sending. Then the
# README's unblock recipe lets the account send again on both nodes at once.
# The same scenario runs twice: on one redis-server, then on a Redis
# Cluster of three masters with a replica each (issue 12: redis {
# cluster = ... }; the README's recipes with redis-cli -c).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use FGCluster;
use FGRedisHA;
use FGSmtp;

$> == 0 or BAIL_OUT('t/cluster-sasl.t runs Postfix and needs root');
my $limit = 20;
my $limits = <<"EOF";
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = $limit
    block_after = 3
}
limit "ip-hour" {
    subject  = "ip"
    window   = 1h
    messages = 1000
}
EOF
my $c;

# scenario(WHAT): the whole scenario on the nodes of $c
sub scenario {
my ($what) = @_;
ok($c, "two nodes with policyd and milter on $what");
# the harness runs conf/postfix-main.cf; README shows the same lines
my $readme = do { local $/; open my $f, '<', "$FindBin::Bin/../README" or die; <$f> };
my @lines = grep { /\S/ && !/^#/ } split /\n/, FGCluster::main_cf();
is(scalar(grep { index($readme, "    $_\n") < 0 } @lines), 0,
    'README documents main.cf exactly as the cluster runs it');

# one message per session, alternating nodes, a new client IP each time
sub send_as {
    my ($user, $pw, $node, $ip, $from, $id) = @_;
    my $s = FGSmtp->new($c->pf($node)->{smtp},
        xclient => "ADDR=$ip", auth => [$user, $pw])
        or return 'no session';
    my $r = $s->send($from, 'victim@example.net', FGSmtp::message($id));
    $s->quit;
    return $r;
}

my (@codes, @alice);
srand(4);
for my $i (1 .. 40) {
    my $node = $i % 2 ? 'a' : 'b';
    my $from = sprintf('%s@forged%d.example', join('', map { ('a' .. 'z')[rand 26] } 1 .. 8), $i);
    push @codes, send_as('mallory', 'stolen', $node, "198.51.100.$i",
        $from, "flood$i");
    push @alice, send_as('alice', 'alicepw', $node, '192.0.2.10',
        'alice@fg.test', "alice$i") if $i % 5 == 0;
}
my @want = ((250) x $limit, (450) x 3, (554) x (40 - $limit - 3));
is(join(' ', map { /^(\d{3})/ ? $1 : 'none' } @codes), join(' ', @want),
    "$limit accepted, 3 deferred (4.7.1), then rejected as blocked")
    or diag(join "\n", @codes);
like($codes[$limit], qr/^450 4\.7\.1 /, 'the first refusal is a 4xx deferral');
like($codes[$limit + 3], qr/^554 5\.7\.1 .*suspended/,
    'node B rejects the account on its very next request after the block');

my %blk = split /\n/, $c->rcmd('HGETALL', 'fg:{sasl:mallory}:block');
is($blk{rule}, 'sasl-hour', 'the block record names the rule');
like($blk{reason} // '', qr/messages/, 'and the evidence') or diag(explain \%blk);
is($blk{limit}, $limit, 'with the limit');
is($blk{by}, 'policyd', 'written by policyd');
like($blk{node} // '', qr/^node-[ab]$/, 'on one of the nodes');

ok($c->wait_delivered(map { "flood$_" } 1 .. $limit), 'the accepted flood messages were delivered');
sleep 1;
my $d = $c->delivered;
my @flood = grep { /^flood/ } keys %$d;
ok(@flood <= $limit + 2, 'the sinks hold no more than the limit + one in flight per node')
    or diag(scalar @flood);
is(scalar(grep { /^flood/ && @{ $d->{$_} } > 1 } keys %$d), 0, 'none twice');
is(join(' ', map { /^(\d{3})/ ? $1 : 'none' } @alice), '250 250 250 250 250 250 250 250',
    'the other account kept sending through both nodes');
my ($m) = $c->message_of('alice40');
like((FGCluster::stamps_of($m))[0] // '', qr/src=auth; .*auth=alice;/,
    'and its mail is stamped with the SASL user');

# 5. the README recipe lifts the block and resets the counters
my $cmd = FGCluster::recipe(qr/unblock, reset counters/,
    'alice@example.com' => 'mallory');
like($cmd, qr/^redis-cli DEL 'fg:\{sasl:mallory\}'/, "README recipe: $cmd");
$c->redis_cli($cmd);
is($c->rcmd('EXISTS', 'fg:{sasl:mallory}:block'), '0', 'the block is gone');
is(join(' ', map { substr(send_as('mallory', 'stolen', $_, '198.51.100.99',
    'm@fg.test', "again-$_"), 0, 3) } 'a', 'b'), '250 250',
    'the account sends again on both nodes at once');
ok($c->wait_delivered('again-a', 'again-b'), 'and is delivered');
ok(wait_until(8, sub { $c->rcmd('ZCARD', 'fg:nodes:milter') == 2 &&
    $c->rcmd('ZCARD', 'fg:nodes:policyd') == 2 }),
    'both nodes\' policyd and milter beat');
ok($c->stop, 'everything stops cleanly');
}

$c = FGCluster->new(sasl => { mallory => 'stolen', alice => 'alicepw' },
    limits => $limits);
scenario('one Redis');
$c = FGCluster->new(sasl => { mallory => 'stolen', alice => 'alicepw' },
    limits => $limits, rcluster => redis_cluster(masters => 3, replicas => 1));
scenario('a Redis Cluster');
done_testing();
