#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Redis Cluster (issue 12 §2, §5): three masters with a replica each,
# created with redis-cli --cluster create on loopback; two policyd nodes
# point at its seeds (the first one down: no outage). The contract of
# issue 2 holds on it: 100 pass, the 101st is deferred, the 10th denial
# blocks, the other node rejects at once, the README recipe (redis-cli
# -c) unblocks. The slot of a subject under load is moved to another
# master (MIGRATING/IMPORTING: -ASK, then -MOVED), by hand and with
# redis-cli --cluster reshard: every request is answered and counted
# exactly once, also by the milter's driver. A master is killed: its replica
# takes over and counting goes on there.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use FG;
use FGCluster;
use FGRedisHA;

my $rc = redis_cluster(masters => 3, replicas => 1);
my $dead = '127.0.0.1:' . free_port();
my $seeds = join(', ', map { "\"$_\"" } $dead, $rc->seeds);
my %port;
for my $n ('a', 'b') {
    $port{$n} = free_port();
    start_policyd($n, write_conf("$n.conf", <<"EOF2"), $port{$n});
node = "node-$n"
redis {
    cluster = { $seeds }
    timeout = 300ms
}
policyd {
    listen = { "inet:127.0.0.1:$port{$n}" }
}
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = 100
    block_after = 10
}
limit "ip-hour" {
    subject  = "ip"
    window   = 1h
    messages = 1000000
}
EOF2
    ok(wait_until(10, sub { log_since($n, 0) =~ /redis: cluster: 3 masters serve the slots/ }),
        "node $n reads the slot map, the dead seed skipped");
}
my %c = map { $_ => policy_client($port{$_}) } 'a', 'b';
my $i = 0;
sub req {
    my ($n, %a) = @_;
    $i++;
    return ask($c{$n}, rcpt_req(instance => "i$i", recipient => 'r@n',
        client_address => '192.0.2.1', %a));
}

# 1. the contract, on the cluster
my @a = map { req($_ % 2 ? 'a' : 'b', sasl_username => 'alice@example.com') } 1 .. 100;
is(scalar(grep { $_ eq 'DUNNO' } @a), 100, '100 messages of alice pass, through both nodes');
like(req('a', sasl_username => 'alice@example.com'), qr/^DEFER_IF_PERMIT/, 'the 101st is deferred');
req('a', sasl_username => 'alice@example.com') for 2 .. 10;
like(req('b', sasl_username => 'alice@example.com'), qr/^REJECT/,
    'after the 10th denial node b rejects at once');
my %blk = split /\n/, $rc->cli_c('HGETALL', 'fg:{sasl:alice@example.com}:block');
is($blk{rule}, 'sasl-hour', "the block is on its slot's master");
like($rc->cli_c('XREVRANGE', 'fg:events', '+', '-', 'COUNT', '1'), qr/alice\@example\.com/,
    "and its event on the events stream's master");
# the README's cluster forms, as shown, the example address replaced
open my $rf, '<', "$FindBin::Bin/../README" or die $!;
my @readme = <$rf>;
my ($list) = grep { /# who is blocked, a cluster/ } @readme;
my ($why) = grep { /^\s+redis-cli -c -h 10\.0\.0\.5 -p 7000 HGETALL/ } @readme;
my $seed = ($rc->seeds)[0];
my ($sh, $sp) = split /:/, $seed;
for ($list, $why) {
    s/^\s+//;
    s/\s+#.*$//s;
    s/10\.0\.0\.5:7000/$seed/g;
    s/-h 10\.0\.0\.5 -p 7000/-h $sh -p $sp/g;
    s/alice\@example\.com/alice\@example.com/;
}
is(scalar `bash -c '$list'`, "sasl:alice\@example.com\n",
    "README: the listing shows the block, from the index fg:blocked");
like(scalar `$why`, qr/sasl-hour/, "README: $why shows it");
my $cmd = FGCluster::recipe(qr/unblock, reset counters/);
my ($h, $p) = split /:/, ($rc->seeds)[0];
$cmd =~ s/^redis-cli /redis-cli -c -h $h -p $p /;
system('bash', '-c', "$cmd >/dev/null");
is(req('b', sasl_username => 'alice@example.com'), 'DUNNO',
    'the README recipe with redis-cli -c unblocks');
is(scalar `bash -c '$list'`, '', 'and the listing shows it no more');
ok(wait_until(8, sub { $rc->cli_c('ZCARD', 'fg:nodes:policyd') == 2 }),
    'both nodes beat on the cluster');

# load(IP): both nodes asked for IP until stopped
sub load {
    my ($ip, $tag) = @_;
    return policy_load([@port{'a', 'b'}], $tag, sub {
        rcpt_req(instance => "l$tag$_[0]", recipient => 'r@n',
            client_address => $ip) });
}

# count(IP): what the cluster counted for IP in the hour
sub count {
    my ($ip) = @_;
    my %u = split /\n/, $rc->cli_c('HGETALL', "fg:{ip:$ip}");
    my $n = 0;
    $n += $u{$_} for grep { /^m:3600:/ } keys %u;
    return $n;
}

# 2. a subject's slot moves under load: -ASK while it migrates, -MOVED after
my $ip = '198.51.100.77';
my $slot = $rc->keyslot("fg:{ip:$ip}");
my $from = $rc->slot_owner($slot);
my ($to) = grep { $_ ne $from } $rc->masters;
my $offa = log_size('a');
my $stop = load($ip, 'mv');
sleep 1;
my $moved = $rc->move_slot($slot, $to,
    migrating => sub { sleep 1 }, migrated => sub { sleep 1 });
sleep 1;
my ($n, $bad, $max) = $stop->();
ok($moved >= 1, "slot $slot of ip:$ip moved from $from to $to with its keys ($moved)");
cmp_ok($n, '>', 100, "$n requests of load while it moved");
is($bad, 0, 'every one answered DUNNO');
cmp_ok($max, '<', 1.0, "the slowest in ${max}s");
is(count($ip), $n, 'and each counted exactly once on the cluster');
is($rc->slot_owner($slot), $to, 'the slot is on its new master');
unlike(log_since('a', $offa), qr/degraded|decided locally|redis: down/,
    'no request fell back to local counting');

# the milter's driver (common/sconn.c, as t/tools/limitctl runs it): one
# connection counts a uid 60 times while its slot moves
my $ctl = ($ENV{FG_BUILD} // 'build') . '/t/tools/limitctl';
sub ctl {
    my ($repeat) = @_;
    local $ENV{LIMITCTL_REPEAT} = $repeat;
    local $ENV{LIMITCTL_PAUSE_MS} = 50;
    my @args = ("cluster:" . ($rc->seeds)[0], 'fg:', 'uid', 'web7', '',
        int(time * 1000), 1, 1, 100, 'n1', 'milter', '', '', 1,
        'uid-hour', 3600, 100000, 0, 0, 0, 0, 0, 0);
    open(my $fh, '-|', $ctl, @args) or die "limitctl: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return $out;
}
sub ucount {
    my %u = split /\n/, $rc->cli_c('HGETALL', 'fg:{uid:web7}');
    my $n = 0;
    $n += $u{$_} for grep { /^m:3600:/ } keys %u;
    return $n;
}
like(ctl(1), qr/^0\n/, 'limitctl counts a uid on the cluster');
my $uslot = $rc->keyslot('fg:{uid:web7}');
my $ufrom = $rc->slot_owner($uslot);
my ($uto) = grep { $_ ne $ufrom } $rc->masters;
my $cpid = open(my $cout, '-|') // die;
if (!$cpid) {
    print ctl(60);
    POSIX::_exit(0);
}
sleep 0.3;
$rc->move_slot($uslot, $uto, migrating => sub { sleep 1 }, migrated => sub { sleep 1 });
my $cres = do { local $/; <$cout> };
close $cout;
like($cres, qr/^0\n/, "a connection counting through the move of slot $uslot passes")
    or diag($cres);
is(ucount(), 61, 'and counts each of its 60 verdicts exactly once (ASK, MOVED followed)');

# 3. the master of a subject under load dies: its replica takes over
my $ip2 = '198.51.100.78';
my $m = $rc->slot_owner($rc->keyslot("fg:{ip:$ip2}"));
req('a', client_address => $ip2) for 1 .. 20;
is(count($ip2), 20, "20 requests of ip:$ip2 counted on $m");
$offa = log_size('a');
$stop = load($ip2, 'kill');
sleep 0.5;
my $new = $rc->kill_master($m);
ok($new, "the master $m is killed, its replica $new promoted");
ok(wait_until(20, sub { log_since('a', $offa) =~ /cluster: 3 masters serve the slots \(map from/ }),
    'node a reads the new map');
sleep 1;
($n, $bad, $max) = $stop->();
cmp_ok($n, '>', 20, "$n requests of load through the failover");
is($bad, 0, 'every one answered DUNNO');
cmp_ok($max, '<', 1.0, "the slowest in ${max}s (redis.timeout 300ms)");
my $before = count($ip2);
cmp_ok($before, '>=', 20, "the count survived on the promoted replica ($before)");
req('b', client_address => $ip2) for 1 .. 5;
is(count($ip2), $before + 5, 'and counting goes on on it');

# 4. last (an empty master leaves too few voters for another failover):
# redis-cli --cluster reshard, the subject's master hands all its slots to
# another master under load
my $ip3 = '198.51.100.79';
my $rfrom = $rc->slot_owner($rc->keyslot("fg:{ip:$ip3}"));
my ($rto) = grep { $_ ne $rfrom } $rc->masters;
my ($fnode) = grep { $_->{addr} eq $rfrom } $rc->nodes;
my $nslots = 0;
$nslots += $_->[1] - $_->[0] + 1 for @{ $fnode->{slots} };
req('a', client_address => $ip3) for 1 .. 10;
$offa = log_size('a');
$stop = load($ip3, 'rs');
sleep 0.5;
$rc->reshard($nslots, $rfrom, $rto);
sleep 1;
($n, $bad, $max) = $stop->();
is($rc->slot_owner($rc->keyslot("fg:{ip:$ip3}")), $rto,
    "redis-cli --cluster reshard moved all $nslots slots of $rfrom to $rto");
cmp_ok($n, '>', 20, "$n requests of load while it ran");
is($bad, 0, 'every one answered DUNNO');
is(count($ip3), $n + 10, 'and counted exactly once');
unlike(log_since('a', $offa), qr/degraded|decided locally|redis: down/,
    'none decided locally');

ok(stop_policyd($_), "$_ exits cleanly") for 'a', 'b';
done_testing();
