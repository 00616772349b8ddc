#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# common/cslot.c against real Redis Cluster nodes (t/tools/cslotctl runs
# it): the slot of some 2000 keys (hash tags, empty and nested braces,
# any bytes, long keys, floodgate's own) as CLUSTER KEYSLOT says; then
# two nodes on 127.0.0.1 sharing the slots: their CLUSTER SLOTS read
# into a map, the MOVED and the ASK each one answers read back.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use FG;

`redis-server --version` =~ /v=(\d+)/ && $1 >= 7
    or plan skip_all => 'needs redis-server 7 (ADDSLOTSRANGE, cluster-port)';
my $ctl = ($ENV{FG_BUILD} // 'build') . '/t/tools/cslotctl';
ok(-x $ctl, 'cslotctl is built') or BAIL_OUT("no $ctl");

# node(NAME): a cluster-enabled redis-server on free loopback ports;
# its port and its cluster bus port
sub node {
    my ($name) = @_;
    my ($port, $bus) = (free_port(), free_port());
    $bus = free_port() while $bus == $port;
    my $dir = tmpdir();
    FG::spawn("redis-$name", 'redis-server', '--cluster-enabled', 'yes',
        '--bind', '127.0.0.1', '--port', $port, '--cluster-port', $bus,
        '--cluster-config-file', "$dir/nodes-$name.conf", '--save', '',
        '--appendonly', 'no', '--dir', $dir);
    wait_until(10, sub {
        IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
            && redis_at($port, 'PING') eq 'PONG'
    })
        or BAIL_OUT("redis-$name did not start: "
            . FG::log_since("redis-$name", 0));
    return ($port, $bus);
}

# keyslots(PORT, KEYS...): CLUSTER KEYSLOT of each key (any bytes),
# pipelined over one connection
sub keyslots {
    my ($port, @keys) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
        Timeout => 5) or die "connect $port: $!";
    binmode $s;
    print $s join '', map {
        "*3\r\n\$7\r\nCLUSTER\r\n\$7\r\nKEYSLOT\r\n\$" . length($_)
            . "\r\n$_\r\n"
    } @keys;
    my @slots;
    for (@keys) {
        my $line = <$s> // die 'no reply';
        $line =~ /^:(\d+)\r\n\z/ or die "not a slot: $line";
        push @slots, $1;
    }
    return @slots;
}

# run(INPUT, ARGS...): cslotctl's output lines and exit status, INPUT on
# its stdin
sub run {
    my ($in, @args) = @_;
    my $tmp = tmpdir() . '/cslotctl.in';
    open my $fh, '>', $tmp or die;
    print $fh $in;
    close $fh;
    open my $saved, '<&', \*STDIN or die;
    open STDIN, '<', $tmp or die;
    open my $out, '-|', $ctl, @args or die "$ctl: $!";
    open STDIN, '<&', $saved or die;
    my @out = <$out>;
    close $out;
    chomp @out;
    return (\@out, $?);
}

# ctl(INPUT, ARGS...): cslotctl's output lines; it must exit 0
sub ctl {
    my ($out, $rc) = run(@_);
    my @args = @_[1 .. $#_];
    is($rc, 0, "cslotctl @args exited 0");
    return @$out;
}

# the keys: varied, reproducible
srand(20240611);
sub bytes { join '', map { chr int rand 256 } 1 .. $_[0] }
sub word {
    join '', map { ('a' .. 'z', 0 .. 9, ':', '@', '.')[rand 39] } 1 .. $_[0];
}
my @keys = ('', 'foo', 'bar', '{', '}', '{}', '}{', '{{}}', "\0", "{\0}",
    '123456789', 'fg:events', 'fg:trace');
for my $i (1 .. 200) {
    my $w = word(1 + int rand 30);
    push @keys, $w, "{$w}.following", "pre{$w}post", "a{}b{$w}", "{}$w",
        "{{$w}}", "x{{y}$w}", "}{$w}", "{a{$w}c}", "$w\{", "{$w";
    push @keys, map { "fg:{sasl:$w\@example.com}$_" }
        ('', ':block', ':limits', ':ips', ':senders') if $i <= 40;
    push @keys, bytes(1 + int rand 64), bytes(1 + int rand 8) . '{'
        . bytes(int rand 8) . '}' . bytes(int rand 8);
    push @keys, bytes(500 + int rand 4500), word(3000) . "{$w}"
        if $i % 10 == 0;
    push @keys, "\x{43a}\x{43b}\x{44e}\x{447}$i", "{\x{65e5}\x{672c}}$i"
        if $i % 20 == 0;
}
utf8::encode($_) for @keys;

my ($pa, $busa) = node('a');
my @want = keyslots($pa, @keys);
my @got = ctl(join('', map { unpack('H*', $_) . "\n" } @keys), 'keyslot');
my @diff = grep { ($got[$_] // -1) != $want[$_] } 0 .. $#keys;
ok(@keys >= 2000 && @got == @keys && !@diff,
    scalar(@keys) . ' keys: cslot_keyslot agrees with CLUSTER KEYSLOT');
diag(sprintf 'key %s: ours %s, Redis %d', unpack('H*', $keys[$_]),
    $got[$_] // 'none', $want[$_]) for grep { defined } @diff[0 .. 4];

# one node, half the slots: not yet knowing its own address, it lists
# itself as "" (Redis 7.0), which is the host asked
is(redis_at($pa, 'CLUSTER', 'ADDSLOTSRANGE', 0, 8191), 'OK',
    'a: slots 0-8191');
is_deeply([ctl('', 'slots', '127.0.0.1', $pa)],
    ['nodes 1', "0 8191 127.0.0.1 $pa"], 'one node: its map');

# two: b holds the rest and meets a
my ($pb, $busb) = node('b');
is(redis_at($pb, 'CLUSTER', 'ADDSLOTSRANGE', 8192, 16383), 'OK',
    'b: slots 8192-16383');
is(redis_at($pa, 'CLUSTER', 'MEET', '127.0.0.1', $pb, $busb), 'OK',
    'a meets b');
my @map = ('nodes 2', "0 8191 127.0.0.1 $pa", "8192 16383 127.0.0.1 $pb");
for my $p ($pa, $pb) {
    ok(wait_until(20, sub {
        redis_at($p, 'CLUSTER', 'INFO') =~ /cluster_state:ok/
            && "@{(run('', 'slots', '127.0.0.1', $p))[0]}" eq "@map"
    }), "node $p: the cluster is up");
    is_deeply([ctl('', 'slots', '127.0.0.1', $p)], \@map,
        "node $p: the map of both");
}

# a key of b's asked of a: MOVED; the slot migrating from a to b: ASK
my ($bkey) = grep { (keyslots($pa, $_))[0] >= 8192 }
    map { "fg:{sasl:user$_\@example.com}:block" } 1 .. 50;
my ($bslot) = keyslots($pa, $bkey);
is_deeply([ctl('', 'send', '127.0.0.1', $pa, 'HGETALL', $bkey)],
    ["slot $bslot", "MOVED $bslot 127.0.0.1 $pb"], "a: MOVED $bslot to b");
is_deeply([ctl('', 'send', '127.0.0.1', $pb, 'HGETALL', $bkey)],
    ["slot $bslot", 'reply array'], 'b: the answer itself');
my ($akey) = grep { (keyslots($pa, $_))[0] < 8192 }
    map { "fg:{sasl:user$_\@example.com}" } 1 .. 50;
my ($aslot) = keyslots($pa, $akey);
my ($ida, $idb) = map { redis_at($_, 'CLUSTER', 'MYID') } $pa, $pb;
is(redis_at($pb, 'CLUSTER', 'SETSLOT', $aslot, 'IMPORTING', $ida), 'OK',
    "b imports slot $aslot");
is(redis_at($pa, 'CLUSTER', 'SETSLOT', $aslot, 'MIGRATING', $idb), 'OK',
    "a migrates slot $aslot");
is_deeply([ctl('', 'send', '127.0.0.1', $pa, 'HGETALL', $akey)],
    ["slot $aslot", "ASK $aslot 127.0.0.1 $pb"],
    "a: a missing key of a migrating slot: ASK $aslot to b");
is_deeply([ctl('', 'send', '127.0.0.1', $pa, 'PING')],
    ['slot -1', 'reply status'], 'PING: keyless, answered');

done_testing;
