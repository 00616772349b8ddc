#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate(8) on a Redis Cluster (three masters, redis-cli --cluster
# create, the first listed seed a dead port): blocked lists blocks whose
# keys sit on different masters (the fg:blocked index), why reads a
# subject's keys on its slot's master and the trace on another, top sums
# two policyd nodes' written counts, unblock lifts a block and the other
# node lets the subject through again, and a stale index entry (an
# admin's redis-cli -c DEL) is not listed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use FG;
use FGRedisHA;

my $build = $ENV{FG_BUILD} // 'build';
my $rc = redis_cluster(masters => 3);
my $seeds = join(', ', map { "\"$_\"" } '127.0.0.1:' . free_port(), $rc->seeds);
my (%port, %conf);
for my $n ('a', 'b') {
    $port{$n} = free_port();
    $conf{$n} = write_conf("$n.conf", <<"EOF2");
node = "node-$n"
redis {
    cluster = { $seeds }
    timeout = 500ms
}
policyd {
    listen = { "inet:127.0.0.1:$port{$n}" }
}
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = 10
    block_after = 2
}
EOF2
    start_policyd($n, $conf{$n}, $port{$n});
    ok(wait_until(10, sub { log_since($n, 0) =~ /redis: cluster: 3 masters serve the slots/ }),
        "node $n reads the slot map");
}
my %c = map { $_ => policy_client($port{$_}) } 'a', 'b';
my $i = 0;
sub req {
    my ($n, $user) = @_;
    $i++;
    return ask($c{$n}, rcpt_req(instance => "i$i", recipient => 'r@example.net',
        client_address => '192.0.2.1', sasl_username => $user));
}
sub fg {
    my $out = `'$build/floodgate' -c '$conf{a}' @_ 2>&1`;
    return ($? >> 8, $out);
}

# subjects on every master: 4 users whose hash tag's slot each master serves
my (@users, %on);
for my $k (1 .. 500) {
    my $u = "user$k\@example.com";
    my $m = $rc->slot_owner($rc->keyslot("{sasl:$u}"));
    next if ($on{$m} // 0) == 4;
    $on{$m}++;
    push @users, $u;
    last if @users == 12;
}
is(scalar keys %on, 3, 'the flooding users\' keys are spread over the 3 masters');
is(scalar @users, 12, '4 users a master');
for my $u (@users) {
    req($_ % 2 ? 'a' : 'b', $u) for 1 .. 13;    # 10 pass, 3 refused: blocked
}
req('a', 'quiet@example.com') for 1 .. 2;

my ($st, $out) = fg('-j', 'blocked');
is($st, 0, 'blocked: exit 0');
my @rows = map { decode_json($_) } grep { /^\{/ } split /\n/, $out;
is_deeply([sort map { $_->{subject} } @rows], [sort map { "sasl:$_" } @users],
    'blocked: every blocked user of every master, no other');
ok(!grep({ $_->{rule} ne 'sasl-hour' || $_->{by} ne 'policyd' } @rows), 'with rule and by');

($st, $out) = fg('why', 'user1@example.com');
is($st, 0, 'why: exit 0');
like($out, qr/^sasl-hour\s+messages over limit 10, 2 denials\s+11\s+10\s/m, 'why: the block from its master');
like($out, qr/^sasl-hour\s+3600\s+messages\s+10\s+10\s+-\s+2\s+2$/m, 'why: the count, from the same slot');

ok(wait_until(12, sub { (fg('top', '-n', '3'))[1] =~ /^sasl:user\d+\@example\.com\s+13\s+yes$/m }),
    'top: 13 messages a user, counted on both nodes');
($st, $out) = fg('-j', 'top', '-n', '100');
my @top = map { decode_json($_) } grep { /^\{/ } split /\n/, $out;
is(scalar @top, 13, 'top: the 12 users and quiet');
is((grep { $_->{subject} eq 'sasl:quiet@example.com' } @top)[0]{messages}, 2, 'top: quiet with 2');

like(req('b', 'user1@example.com'), qr/^REJECT/, 'user1 is refused on node b');
($st, $out) = fg('unblock', 'user1@example.com', '--reset');
is($st, 0, 'unblock --reset: exit 0');
is(req('b', 'user1@example.com'), 'DUNNO', 'node b lets user1 through again');
$rc->cli_c('DEL', 'fg:{sasl:user2@example.com}:block');
($st, $out) = fg('-j', 'blocked');
my %now = map { decode_json($_)->{subject} => 1 } grep { /^\{/ } split /\n/, $out;
ok(!$now{'sasl:user1@example.com'} && !$now{'sasl:user2@example.com'} && keys %now == 10,
    'blocked: neither the unblocked user nor one lifted with redis-cli -c DEL');
done_testing();
