#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Cluster scenario 6 (issue 4): non-destructive containment. With the
# block action set to HOLD, a blocked account's messages are accepted into
# Postfix's hold queue on both nodes (postqueue -j); none is bounced or
# dropped; after the README unblock recipe, postsuper -H releases them to
# the sinks, each exactly once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use FGCluster;
use FGSmtp;

$> == 0 or BAIL_OUT('t/cluster-hold.t runs Postfix and needs root');
my $limit = 10;
my $c = FGCluster->new(sasl => { mallory => 'stolen' }, limits => <<"EOF");
limit "sasl-hour" {
    subject      = "sasl"
    window       = 1h
    messages     = $limit
    block_after  = 2
    block_action = "HOLD account suspended by floodgate"
}
EOF
ok($c, 'two nodes, block action HOLD');

my @codes;
for my $i (1 .. 20) {
    my $n = $i % 2 ? 'a' : 'b';
    my $s = FGSmtp->new($c->pf($n)->{smtp}, xclient => "ADDR=198.51.100.$i",
        auth => ['mallory', 'stolen']) or BAIL_OUT('no SMTP session');
    push @codes, $s->send("x$i\@forged.example", 'victim@example.net',
        FGSmtp::message("hold$i"));
    $s->quit;
}
is(join(' ', map { substr($_, 0, 3) } @codes),
    join(' ', (250) x $limit, (450) x 2, (250) x (20 - $limit - 2)),
    "$limit accepted, 2 deferred, then accepted into hold")
    or diag(join "\n", @codes);
my @held;
ok(wait_until(20, sub { @held = $c->held; @held == 20 - $limit - 2 }),
    'the blocked account\'s messages sit in the hold queues (postqueue -j)')
    or diag(scalar @held);
my %per = map { $_ => scalar(grep { $_->{queue_name} eq 'hold' } $c->pf($_)->queue) } 'a', 'b';
ok($per{a} > 0 && $per{b} > 0, "on both nodes (a: $per{a}, b: $per{b})");
ok($c->wait_delivered(map { "hold$_" } 1 .. $limit), 'the accepted ones were delivered');
my $d = $c->delivered;
is(scalar(grep { /^hold/ } keys %$d), $limit, 'and only those');
like($c->pf('a')->maillog . $c->pf('b')->maillog,
    qr/hold: RCPT from .*account suspended by floodgate/,
    'Postfix logs the HOLD with the reason');

my $cmd = FGCluster::recipe(qr/unblock, reset counters/,
    'alice@example.com' => 'mallory');
$c->redis_cli($cmd);
for my $n ('a', 'b') {
    my $etc = $c->pf($n)->{etc};
    system("postsuper -c $etc -H ALL >/dev/null 2>&1");
    system("postqueue -c $etc -f");
}
my @all = map { "hold$_" } 1 .. $limit, $limit + 3 .. 20;
ok($c->wait_delivered(@all), 'postsuper -H releases them to the sinks');
sleep 1;
$d = $c->delivered;
is(scalar(grep { @{ $d->{$_} } != 1 } @all), 0, 'each exactly once');
is(scalar($c->held), 0, 'the hold queues are empty');
my @bounces = map { $c->pf($_)->sink_find(qr/^Subject: Undelivered/m) } 'a', 'b';
is(scalar @bounces, 0, 'nothing bounced');
ok($c->stop, 'everything stops cleanly');
done_testing();
