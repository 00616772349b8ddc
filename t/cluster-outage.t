#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Cluster scenario 8 (issue 4): Redis stops in the middle of a flood and
# comes back. Postfix never sees a timeout (every reply well within a
# second, no policy or milter trouble in its log); during the outage each
# node still enforces the limit with its own counters (degraded mode);
# once Redis is back the shared limit and block work again across nodes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use FG;
use FGCluster;
use FGSmtp;

$> == 0 or BAIL_OUT('t/cluster-outage.t runs Postfix and needs root');
my $limit = 20;
my $c = FGCluster->new(sasl => { mallory => 'stolen' }, limits => <<"EOF");
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = $limit
    block_after = 3
}
EOF
ok($c, 'two nodes on one Redis');

my ($n, $slowest) = (0, 0);
# flood(COUNT): COUNT messages alternating a, b; { node => [codes] }, all
sub flood {
    my ($count) = @_;
    my (%per, @all);
    for (1 .. $count) {
        $n++;
        my $node = $n % 2 ? 'a' : 'b';
        my $t0 = time;
        my $s = FGSmtp->new($c->pf($node)->{smtp},
            xclient => 'ADDR=198.51.100.' . ($n % 250 + 1),
            auth => ['mallory', 'stolen']);
        my $r = $s ? $s->send("f$n\@forged.example", 'victim@example.net',
            FGSmtp::message("out$n")) : 'none';
        $s->quit if $s;
        my $dt = time - $t0;
        $slowest = $dt if $dt > $slowest;
        my $code = substr($r, 0, 3);
        push @{ $per{$node} }, $code;
        push @all, $code;
    }
    return (\%per, \@all);
}

my (undef, $before) = flood(10);
is("@$before", join(' ', (250) x 10), '10 messages pass with Redis up');

stop_redis();
my ($per) = flood(50);
for my $node ('a', 'b') {
    my @codes = @{ $per->{$node} };
    my $ok = grep { $_ eq '250' } @codes;
    ok($ok <= $limit, "Redis down: node $node accepts at most $limit ($ok of 25)");
    ok((grep { /^[45]/ } @codes) >= 1, "and refuses the rest (" . join(' ', @codes) . ')');
}
like(log_since('policyd-a', 0), qr/redis: down/, 'policyd logs the outage');
like(log_since('policyd-a', 0), qr/action=DEFER_IF_PERMIT decision=over rule=sasl-hour .* degraded=1$/m,
    'and marks the decisions it took alone');

my %up = map { $_ => scalar(() = log_since("policyd-$_", 0) =~ /redis: up/g) } 'a', 'b';
start_redis();
ok(wait_until(15, sub {
    !grep { (() = log_since("policyd-$_", 0) =~ /redis: up/g) <= $up{$_} } 'a', 'b' }),
    'both policyds reconnect by themselves');
my (undef, $after) = flood(30);
is("@$after", join(' ', (250) x $limit, (450) x 3, (554) x 7),
    'Redis back (empty): the shared limit, then a block both nodes enforce');
my %blk = split /\n/, redis('HGETALL', 'fg:{sasl:mallory}:block');
is($blk{rule}, 'sasl-hour', 'the shared block is in Redis again');

ok($slowest < 1.5, sprintf('no SMTP transaction waited (slowest %.2f s)', $slowest));
my $log = $c->pf('a')->maillog . $c->pf('b')->maillog;
unlike($log, qr/(timeout|problem talking to|milter .* (error|unavailable))/i,
    'Postfix saw no timeout and no policy or milter trouble')
    or diag(join "\n", grep { /timeout|problem|milter/i } split /\n/, $log);
ok($c->stop, 'everything stops cleanly');
done_testing();
