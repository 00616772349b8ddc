#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# t/lib/FGRedisHA.pm itself, with real processes on 127.0.0.1: a Sentinel
# group with passwords fails over by command and by kill -9, and the
# killed master comes back as a replica; a Redis Cluster with passwords
# and replicas moves one slot by hand (ASK while it is half migrated),
# reshards, loses a master to kill -9 (its replica takes over, keys stay
# readable) and takes it back as a replica; a master without replica
# takes the cluster down until it returns. Timings are noted (prove -v).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use FG;
use FGRedisHA;

for my $bin ('redis-server', 'redis-sentinel', 'redis-cli') {
    system("command -v $bin >/dev/null") == 0 or plan skip_all => "no $bin";
}

my $t;
sub timed {
    my ($what, $code) = @_;
    my $t0 = time;
    my @r = $code->();
    note(sprintf '%-34s %5.2f s', $what, time - $t0);
    return wantarray ? @r : $r[0];
}
my $loop = qr/^127\.0\.0\.1:\d+$/;

# ---------------------------------------------------------------- Sentinel

my $g = timed('sentinel group start', sub {
    sentinel_group(password => 'pw-redis', sentinel_password => 'pw-sent') });
my @sent = $g->sentinel_addrs;
is(scalar @sent, 3, 'three sentinels');
is(scalar(grep { /$loop/ } @sent, $g->server_addrs), 5, 'every process on 127.0.0.1');
my $m0 = $g->master_addr;
like($m0, $loop, 'a sentinel names the master');
is($g->master_addr($_), $m0, "sentinel $_ names it too") for @sent[1, 2];
is($g->role($m0), 'master', 'which says ROLE master');
my ($r0) = grep { $_ ne $m0 } $g->server_addrs;
like($g->cli($m0, 'INFO', 'replication'), qr/^connected_slaves:1\r?$/m, 'with its replica');
like(FGRedisHA::rcli(undef, [], $m0, 'GET', 'x'), qr/NOAUTH/, 'the servers require a password');
like(FGRedisHA::rcli(undef, [], $sent[0], 'PING'), qr/NOAUTH/, 'the sentinels too');
my $mi = FGRedisHA::flat($g->cli($sent[0], 'SENTINEL', 'MASTER', 'fgmaster'));
is($mi->{'num-other-sentinels'}, 2, 'a sentinel knows the other two');
is($mi->{'down-after-milliseconds'}, 1000, 'down-after 1 s');
is(join(' ', map { "$_->{ip}:$_->{port}" } $g->replicas($sent[1])), $r0,
    'and the replica');

is($g->cli($m0, 'SET', 'before', 'b'), 'OK', 'the master accepts SET');
is($g->cli($m0, 'WAIT', 1, 2000), 1, 'the replica has it');

my $m1 = timed('sentinel failover', sub { $g->failover });
is($m1, $r0, 'failover: the replica is the master');
is($g->master_addr($_), $m1, "sentinel $_ names it") for @sent;
is($g->role($m1), 'master', 'it says ROLE master');
is($g->cli($m1, 'SET', 'after', 'a'), 'OK', 'and accepts SET');
is($g->cli($m1, 'GET', 'before'), 'b', 'with the data of the old master');
is($g->role($m0), 'slave', 'the old master is a replica');
ok($g->linked($m0, $m1), 'of the new master, link up');
like($g->cli($m0, 'SET', 'x', 'y'), qr/^READONLY/, 'and refuses writes');
is($g->cli($m1, 'WAIT', 1, 2000), 1, 'it has the new write');

my $m2 = timed('sentinel kill_master', sub { $g->kill_master });
is($m2, $m0, 'kill -9 of the master: the sentinels promote the replica');
like($g->cli($m1, 'PING'), qr/Could not connect/, 'the killed master is gone');
is($g->master_addr($_), $m2, "sentinel $_ names the promoted one") for @sent;
is($g->cli($m2, 'SET', 'promoted', 'p'), 'OK', 'it accepts SET');
is($g->cli($m2, 'GET', 'after'), 'a', 'and has what the killed one had');

my $back = timed('sentinel restart_old_master', sub { $g->restart_old_master });
is($back, $m1, 'the killed master runs again on its port');
is($g->role($back), 'slave', 'the sentinels made it a replica');
ok($g->linked($back, $m2), 'of the promoted master, link up');
ok(wait_until(5, sub { $g->cli($back, 'GET', 'promoted') eq 'p' }),
    'it synced the data written while it was down');
like($g->cli($back, 'SET', 'x', 'y'), qr/^READONLY/, 'and refuses writes');
ok(wait_until(10, sub {
    my @r = $g->replicas($sent[2]);
    @r == 1 && "$r[0]{ip}:$r[0]{port}" eq $back && $r[0]{flags} eq 'slave' }),
    'a sentinel lists it as a healthy replica');
$g->stop;
like($g->cli($m2, 'PING'), qr/Could not connect/, 'stop: the group is gone');

# ----------------------------------------------------------------- Cluster

my $c = timed('cluster create 3+3', sub {
    redis_cluster(masters => 3, replicas => 1, password => 'pw-cluster') });
my @seeds = $c->seeds;
is(scalar(grep { /$loop/ } @seeds), 6, 'six nodes on 127.0.0.1');
my @masters = $c->masters;
is(scalar @masters, 3, 'three masters');
my $info = $c->call('CLUSTER', 'INFO');
is(join(' ', sort keys %$info), join(' ', sort @seeds), 'call: every node answers');
is(scalar(grep { /^cluster_state:ok\r?$/m } values %$info), 6, 'cluster_state:ok on all');
is(scalar(grep { /^cluster_slots_ok:16384\r?$/m } values %$info), 6, 'all slots ok on all');
like(FGRedisHA::rcli(undef, [], $seeds[0], 'GET', 'x'), qr/NOAUTH/, 'the nodes require a password');

my $slot = $c->keyslot('k1');
is($c->keyslot('{k1}x'), $slot, 'keyslot: a hash tag keeps a key in the slot');
my @keys = ('k1', map { "{k1}$_" } 1 .. 150);    # more than one MIGRATE batch
is($c->cli_c('SET', 'k1', 'v-k1'), 'OK', 'cli_c SET k1');
is($c->cli_c('MSET', map { ($_, "v-$_") } @keys[1 .. $#keys]), 'OK', 'cli_c MSET in its slot');
my @other = map { "other$_" } 1 .. 20;
$c->cli_c('SET', $_, "v-$_") for @other;
# unread(): the keys a GET through cli_c does not find as written
my $unread = sub {
    my @in = @keys[1 .. $#keys];
    my @got = split /\n/, $c->cli_c('MGET', @in);
    return (grep({ $c->cli_c('GET', $_) ne "v-$_" } @other),
        grep { ($got[$_] // '') ne "v-$in[$_]" } 0 .. $#in);
};
my $dbsize = $c->call('DBSIZE');
my $sum = 0;
$sum += $dbsize->{$_} for @masters;
is($sum, @keys + @other, 'the masters hold every key once');
my $from = $c->slot_owner($slot);
ok((grep { $_ eq $from } @masters), "slot_owner: slot $slot is on a master");
is($c->cli($from, 'CLUSTER', 'COUNTKEYSINSLOT', $slot), scalar @keys, 'with its keys');
like($c->cli($from, 'GET', 'k1'), qr/^v-k1$/, 'served there directly');
my ($to) = grep { $_ ne $from } @masters;
like($c->cli($to, 'GET', 'k1'), qr/^MOVED $slot \Q$from\E$/, 'elsewhere: MOVED');

my (%half, %done);
my $moved = timed('cluster move_slot', sub { $c->move_slot($slot, $to,
    migrating => sub {
        $half{ask_missing} = $c->cli($from, 'GET', '{k1}missing');
        $half{src_has} = $c->cli($from, 'GET', 'k1');
        $half{set_new} = $c->cli_c('SET', '{k1}new', 'n');
        $half{new_on_to} = $c->cli($to, 'GET', '{k1}new');
    },
    migrated => sub {
        $half{ask_moved} = $c->cli($from, 'GET', 'k1');
        $half{follow} = $c->cli_c('GET', 'k1');
        $half{to_direct} = $c->cli($to, 'GET', 'k1');
        $half{owner} = $c->slot_owner($slot);
    }) });
like($half{ask_missing}, qr/^ASK $slot \Q$to\E$/,
    'migrating: a missing key on the source: ASK to the target');
is($half{src_has}, 'v-k1', 'a key not yet moved: served by the source');
is($half{set_new}, 'OK', 'cli_c SET of a new key follows the ASK');
like($half{new_on_to}, qr/^MOVED $slot/, 'the target serves it only after ASKING');
like($half{ask_moved}, qr/^ASK $slot \Q$to\E$/, 'migrated: a moved key on the source: ASK');
is($half{follow}, 'v-k1', 'cli_c follows it');
like($half{to_direct}, qr/^MOVED $slot \Q$from\E$/, 'the target without ASKING: MOVED');
is($half{owner}, $from, 'the source still owns the slot');
is($moved, scalar @keys, 'move_slot moved the keys the source held');
is($c->slot_owner($slot), $to, 'now the target owns it');
is($c->slot_owner($slot, $_), $to, "as $_ sees it") for @seeds;
is($c->cli_c('GET', 'k1'), 'v-k1', 'a key written before is readable through cli_c');
is($c->cli($to, 'GET', '{k1}150'), 'v-{k1}150', 'and directly on the target');
is($c->cli($to, 'GET', '{k1}new'), 'n', 'the key written half way too');
like($c->cli($from, 'GET', 'k1'), qr/^MOVED $slot \Q$to\E$/, 'the source: MOVED');
is($c->cli($from, 'CLUSTER', 'COUNTKEYSINSLOT', $slot), 0, 'and holds none');

my $slots = sub {
    my ($addr) = @_;
    my ($n) = grep { $_->{addr} eq $addr } $c->nodes;
    my $k = 0;
    $k += $_->[1] - $_->[0] + 1 for @{ $n->{slots} };
    return $k;
};
my ($ra, $rb) = ($masters[0], $masters[1]);
my ($sa, $sb) = ($slots->($ra), $slots->($rb));
timed('cluster reshard 100', sub { $c->reshard(100, $ra, $rb) });
is($slots->($ra), $sa - 100, 'reshard: the source has 100 slots less');
is($slots->($rb), $sb + 100, 'the target 100 more');
is(join(' ', $unread->()), '', 'every key still readable');

is($c->cli($to, 'WAIT', 1, 2000), 1, "${to}'s replica has its keys");
my $victim = $to;
my ($rep) = map { $_->{addr} } grep { $_->{master} eq $c->id($victim) } $c->nodes;
my $promoted = timed('cluster kill_master', sub { $c->kill_master($victim) });
is($promoted, $rep, "kill_master: the victim's replica is promoted");
my @now = $c->masters;
ok(!(grep { $_ eq $victim } @now) && (grep { $_ eq $rep } @now), 'masters: it, not the victim');
ok(!(grep { $_ eq $victim } $c->seeds), 'seeds: the victim is not among them');
my $st = $c->call('CLUSTER', 'INFO');
is(scalar(grep { /^cluster_state:ok\r?$/m } values %$st), 5, 'cluster_state:ok on the other five');
is($c->slot_owner($slot), $rep, "slot $slot is on the promoted replica");
is(join(' ', $unread->()), '',
    "keys of the surviving masters and of the victim's slots readable");
is($c->cli_c('SET', 'k1', 'w'), 'OK', 'and writable');

timed('cluster restart_node', sub { $c->restart_node($victim) });
is($c->role($victim), 'slave', 'restart_node: the old master comes back as a replica');
ok((grep { $_->{addr} eq $victim && $_->{master} eq $c->id($rep) } $c->nodes),
    'of its promoted replica');
$c->stop;
like($c->cli($rep, 'PING'), qr/Could not connect/, 'stop: the cluster is gone');

my $bare = timed('cluster create 3, no replicas', sub { redis_cluster(masters => 3) });
is($bare->cli_c('SET', 'k1', 'bare'), 'OK', 'a cluster without password or replicas');
my $lone = $bare->slot_owner($bare->keyslot('k1'));
my $none = timed('cluster kill_master, no replica', sub { $bare->kill_master($lone) });
is($none, undef, 'kill_master of a master without replica: none promoted');
like($bare->cli_c('GET', 'k1'), qr/^CLUSTERDOWN/, 'the cluster is down');
my @left = $bare->masters;
is(scalar @left, 2, 'two masters left');
timed('cluster restart_node, own slots', sub { $bare->restart_node($lone) });
is($bare->role($lone), 'master', 'restart_node: it comes back a master');
is($bare->slot_owner($bare->keyslot('k1')), $lone, 'of its slots');
is($bare->cli_c('GET', 'k1'), '', 'the cluster serves again (the key is lost: no persistence)');
done_testing();
