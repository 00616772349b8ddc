#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Redis Sentinel (issue 12 §1, §3, §5): a master, a replica and three
# redis-sentinel on loopback; two policyd nodes and a milter point at the
# sentinels (one listed sentinel is down: no outage) and find the master.
# Under policy load, a SENTINEL FAILOVER and then a kill -9 of the master:
# every request is answered within its timeout, a block written before is
# honoured after on both nodes (its write waited for the replica: WAIT),
# counting goes on on the new master, the old master rejoining as a replica
# changes nothing. A block no replica confirmed (the replica stopped) and
# lost with the master is written again from the node's cache.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use FG;
use FGPostfix;
use FGRedisHA;

$> == 0 or BAIL_OUT('t/redis-sentinel.t runs Postfix and needs root');
my $g = sentinel_group(sentinel_password => 'sentinel-pw');
my $dead = '127.0.0.1:' . free_port();
my $sl = join(', ', map { "\"$_\"" } $dead, $g->sentinel_addrs);
my $redis = <<"EOF2";
redis {
    sentinels = { $sl }
    master_name = "$g->{name}"
    sentinel_password = "sentinel-pw"
    timeout = 300ms
}
EOF2
my $limits = <<'EOF2';
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = 30
    block_after = 1
}
limit "uid-hour" {
    subject  = "uid"
    window   = 1h
    messages = 100
}
EOF2
my %port;
for my $n ('a', 'b') {
    $port{$n} = free_port();
    start_policyd($n, write_conf("$n.conf", <<"EOF2"), $port{$n});
node = "node-$n"
$redis
policyd {
    listen = { "inet:127.0.0.1:$port{$n}" }
}
$limits
EOF2
}
my $m0 = $g->master_addr;
for my $n ('a', 'b') {
    like(log_since($n, 0), qr/redis: the sentinels name \Q$m0\E master $g->{name} \(was unknown\)/,
        "$n finds the master through the sentinels, the dead one skipped");
}

# the milter, under a real Postfix, on the same sentinels
my $dir = tmpdir();
my $u = 'fgtest2';
FGPostfix::test_user($u);
my ($pf, $msock, $key) = FGPostfix::with_milter('sen');
start_milter('milter', write_conf('m.conf', <<"EOF2"), $msock);
node = "node-a"
$redis
milter {
    socket = "unix:$msock"
    user = "nobody"
    queue_directory = "$pf->{spool}"
    keys = { "k1:$key" }
}
$limits
EOF2
ok($pf->start, 'Postfix with the milter starts');
my $mails = 0;
sub mail {
    $mails++;
    $pf->sendmail_as($u, "From: t\@fg.test\nTo: r\@example.net\nSubject: m$mails\n\nbody\n", '-t');
}
sub uid_count {
    my ($m) = @_;
    my %h = split /\n/, $g->cli($m, 'HGETALL', "fg:{uid:$u}");
    my $n = 0;
    $n += $h{$_} for grep { /^m:3600:/ } keys %h;
    return $n;
}

my %c = map { $_ => policy_client($port{$_}) } 'a', 'b';
my $i = 0;
sub req {
    my ($n, $user) = @_;
    $i++;
    return ask($c{$n}, rcpt_req(sasl_username => $user, instance => "i$i",
        recipient => 'r@n'));
}

# load(TAG): both nodes asked for a new user each time until stopped
sub load {
    my ($tag) = @_;
    return policy_load([@port{'a', 'b'}], $tag, sub {
        rcpt_req(sasl_username => "load-$tag-$_[0]\@x",
            instance => "l$tag$_[0]", recipient => 'r@n') });
}

# run(TAG, HOW): a block and some counts before, HOW fails the master over
# under load; the block and the counts after, on both nodes
sub run {
    my ($tag, $how) = @_;
    my ($alice, $mallory) = ("alice-$tag\@x", "mallory-$tag\@x");
    my $m = $g->master_addr;
    is(req($_ % 2 ? 'b' : 'a', $alice), 'DUNNO', "$tag: alice $_ passes")
        for 1 .. 10;
    req('a', $mallory) for 1 .. 31;
    like(req('b', $mallory), qr/^REJECT/, "$tag: mallory is blocked before");
    my %b = split /\n/, $g->cli($m, 'HGETALL', "fg:{sasl:$mallory}:block");
    is($b{rule}, 'sasl-hour', "$tag: its block is on the master $m");
    mail() for 1 .. 2;
    ok(wait_until(20, sub { uid_count($m) == $mails }),
        "$tag: the milter counts the uid on $m");
    my $offa = log_size('a');
    my $offb = log_size('b');
    my $offm = log_size('milter');
    my $stop = load($tag);
    my $new = $how->();
    isnt($new, $m, "$tag: the sentinels promoted $new");
    for my $n (['a', $offa], ['b', $offb], ['milter', $offm]) {
        ok(wait_until(20, sub { log_since($n->[0], $n->[1]) =~
            /redis: the sentinels name \Q$new\E master/ }),
            "$tag: $n->[0] follows to the new master");
    }
    ok(wait_until(20, sub { log_since($_, $offa) =~ /redis: up \(server=\Q$new\E/ }),
        "$tag: node $_ counts on it") for 'a';
    ok(wait_until(20, sub { log_since('b', $offb) =~ /redis: up \(server=\Q$new\E/ }),
        "$tag: node b counts on it");
    sleep 0.5;
    my ($n, $bad, $max) = $stop->();
    cmp_ok($n, '>', 20, "$tag: $n requests of load during the failover");
    is($bad, 0, "$tag: every one answered DUNNO");
    cmp_ok($max, '<', 1.0, "$tag: the slowest in ${max}s (redis.timeout 300ms)");
    like(req('a', $mallory), qr/^REJECT/, "$tag: the block holds after on node a");
    like(req('b', $mallory), qr/^REJECT/, "$tag: and on node b");
    my $ok = 0;
    for (1 .. 25) {
        my $a = req($_ % 2 ? 'a' : 'b', $alice);
        $ok++ if $a eq 'DUNNO';
    }
    is($ok, 20, "$tag: alice's count went on: 20 more of 30 pass");
    mail();
    ok(wait_until(20, sub { uid_count($new) == $mails }),
        "$tag: the milter's count went on on the new master ($mails)")
        or diag('uid count on the new master: ' . uid_count($new));
    return $new;
}

run('fo', sub { $g->failover });
run('kill', sub { $g->kill_master });

# the old master rejoins as a replica: nothing changes
my $offa = log_size('a');
my $old = $g->restart_old_master;
like(req('a', 'mallory-kill@x'), qr/^REJECT/, "the old master $old rejoined: the block holds");
is(req('b', 'zed@x'), 'DUNNO', 'and others pass');
unlike(log_since('a', $offa), qr/sentinels name|redis: down/, 'and node a did not notice');

# a block no replica confirmed, lost with its master: written again. The
# replica is stopped while the block is written (WAIT times out), then
# loses it (a replica-local DEL stands for the write it missed), then the
# master dies and the replica takes over
my $m = $g->master_addr;
my $rport = (split /:/, $old)[1];
my $rep = FG::pid("redis-$rport");
ok($rep, "the replica's process ($old)");
sleep 6; # the nodes' heartbeat (ROLE) sees the replica
kill 'STOP', $rep;
req('a', 'trudy@x') for 1 .. 31;
ok(wait_until(5, sub { log_since('a', $offa) =~ /event=block_unconfirmed rule=sasl-hour subject="sasl:trudy\@x"/ }),
    'with the replica stopped, the block is unconfirmed (WAIT) and said so');
kill 'CONT', $rep;
ok(wait_until(5, sub { $g->cli($old, 'EXISTS', 'fg:{sasl:trudy@x}:block') eq '1' }),
    'the replica catches up');
$g->cli($old, 'CONFIG', 'SET', 'replica-read-only', 'no');
$g->cli($old, 'DEL', 'fg:{sasl:trudy@x}:block');
FG::reap("redis-" . (split /:/, $m)[1], 'KILL');
my $new = $g->promoted($m, 20);
is($g->cli($new, 'EXISTS', 'fg:{sasl:trudy@x}:block'), '0', "the new master $new lost trudy's block");
ok(wait_until(20, sub { log_since('a', $offa) =~ /redis: up \(server=\Q$new\E/ }), 'node a on it');
like(req('a', 'trudy@x'), qr/^REJECT/, 'node a still refuses trudy');
like(log_since('a', $offa), qr/event=block_rewritten rule=sasl-hour subject="sasl:trudy\@x"/,
    'and writes the block again from its cache');
my %b = split /\n/, $g->cli($new, 'HGETALL', 'fg:{sasl:trudy@x}:block');
is($b{rule}, 'sasl-hour', 'the new master has it');
ok(wait_until(20, sub { log_since('b', 0) =~ /redis: up \(server=\Q$new\E/ }), 'node b on it');
like(req('b', 'trudy@x'), qr/^REJECT/, 'node b, which never saw it, refuses trudy too');

$pf->stop;
ok(stop_policyd($_), "$_ exits cleanly") for 'a', 'b';
ok(stop_milter('milter'), 'the milter exits cleanly');
done_testing();
