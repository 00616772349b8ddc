#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# common/limiter.c against a real redis-server with a pinned clock
# (t/tools/limitctl sends its commands): the sliding-window estimate at
# bucket edges, all-or-nothing counting, denial counting and blocks, stale
# bucket removal, TTLs and refunds.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use POSIX ();

my $sock = start_redis();
my $ctl = ($ENV{FG_BUILD} // 'build') . '/t/tools/limitctl';
ok(-x $ctl, 'limitctl is built');

my @keys = map { "t:{sasl:u}$_" } ('', ':block', ':limits', ':ips', ':senders');
push @keys, 't:events';
my $ctl_failed = 0;
# run(now_ms, msgs, rcpts, bytes, limits...) with limit = [name, window,
# messages, recipients, bytes, ips, senders, block_after, ttl]
sub run {
    my ($flags, $now, $m, $r, $b, $ip, $snd, @limits) = @_;
    open my $fh, '-|', $ctl, $sock, 't:', 'sasl', 'u', $flags, $now, $m, $r,
        $b, 'node1', 'test', $ip, $snd, scalar @limits, map { @$_ } @limits
        or die "limitctl: $!";
    local $/;
    my $out = <$fh>;
    close $fh or $ctl_failed++, diag("limitctl exited $?");
    return [split /\n/, $out, -1];
}
my $W = 100;    # window, seconds
my $lim = ['L', $W, 10, 0, 0, 0, 0, 3, 0];
my $t0 = 1_000_000 * 1000;    # a bucket edge (ms)

# fill the first bucket to the limit
my $ok = 0;
for (1 .. 10) { $ok++ if run('', $t0, 1, 0, 0, '', '', $lim)->[0] == 0 }
is($ok, 10, '10 messages pass in the first bucket');
my $r = run('', $t0 + 1, 1, 0, 0, '', '', $lim);
is_deeply([@$r[0 .. 4]], [1, 'L', 'messages', 11, 10], '11th is over: value 11 limit 10');

# at the next bucket's first millisecond the previous bucket weighs 1.0
$r = run('', $t0 + $W * 1000, 1, 0, 0, '', '', $lim);
is($r->[0], 1, 'at the bucket edge the previous bucket still counts fully');
# half way through the next bucket it weighs 0.5: 5 + 5 more fit
$ok = 0;
for (1 .. 6) { $ok++ if run('', $t0 + $W * 1500, 1, 0, 0, '', '', $lim)->[0] == 0 }
is($ok, 5, 'half way through the next window 5 more fit');
# two windows later everything is forgotten
$ok = 0;
for (1 .. 10) { $ok++ if run('', $t0 + $W * 3000, 1, 0, 0, '', '', $lim)->[0] == 0 }
is($ok, 10, 'two windows later the full limit is available again');
my @fields = sort split /\n/, redis('HKEYS', $keys[0]);
ok(!grep({ /^m:$W:(10000|10001)$/ } @fields), 'stale bucket fields were removed');
my $ttl = redis('PTTL', $keys[0]);
ok($ttl > 0 && $ttl <= 2 * $W * 1000, "usage key expires within two windows ($ttl ms)");

# denials: the 3rd denial within the window writes the block (status 5)
my @st = map { run('', $t0 + $W * 3000 + $_, 1, 0, 0, '', '', $lim)->[0] } 1 .. 3;
is_deeply(\@st, [1, 1, 5], 'denials 1 and 2 are over, the 3rd blocks');
is(run('', $t0 + $W * 3000 + 9, 1, 0, 0, '', '', $lim)->[0], 2, 'then blocked');
like(redis('HGET', $keys[1], 'reason'), qr/messages over limit 10, 3 denials/, 'block reason');
is(redis('TTL', $keys[1]), -1, 'block_ttl 0: no expiry');
redis('DEL', $keys[1]);

# all-or-nothing: a recipients limit refusing leaves messages uncounted
redis('DEL', $keys[0]);
my $two = ['M', $W, 5, 0, 0, 0, 0, 0, 0];
my $rc = ['R', $W, 0, 3, 0, 0, 0, 0, 0];
run('', $t0, 1, 3, 0, '', '', $two, $rc);
is(run('', $t0 + 1, 1, 1, 0, '', '', $two, $rc)->[0], 1, 'recipients over');
is(redis('HGET', $keys[0], "m:$W:" . ($t0 / ($W * 1000))), 1,
    'the refused request counted no message');

# refund takes back exactly what a request added
run('', $t0 + 2, 1, 0, 0, '', '', $two);
is(redis('HGET', $keys[0], "m:$W:" . ($t0 / ($W * 1000))), 2, 'counted');
run('r', $t0 + 2, 1, 0, 0, '', '', $two);
is(redis('HGET', $keys[0], "m:$W:" . ($t0 / ($W * 1000))), 1, 'refunded');

# block TTL is applied
redis('DEL', $keys[0]);
my $ttl_lim = ['T', $W, 1, 0, 0, 0, 0, 1, 600];
run('', $t0, 1, 0, 0, '', '', $ttl_lim);
is(run('', $t0, 1, 0, 0, '', '', $ttl_lim)->[0], 5, 'block_after 1 blocks');
my $bt = redis('TTL', $keys[1]);
ok($bt > 590 && $bt <= 600, "block_ttl 600 applied ($bt)");
redis('DEL', $keys[1], $keys[0]);

# distinct client ips: members older than the window do not count
my $ips = ['I', $W, 0, 0, 0, 2, 0, 0, 0];
is(run('', $t0, 0, 1, 0, '10.0.0.1', '', $ips)->[0], 0, 'ip 1');
is(run('', $t0 + 1, 0, 1, 0, '10.0.0.2', '', $ips)->[0], 0, 'ip 2');
is(run('', $t0 + 2, 0, 1, 0, '10.0.0.1', '', $ips)->[0], 0, 'ip 1 again is not new');
# a window after ip 2 was seen (t0+1) it no longer counts; ip 1 (t0+2) does
is(run('', $t0 + $W * 1000 + 2, 0, 1, 0, '10.0.0.3', '', $ips)->[0], 0,
    'a window later, ip 3 is only the 2nd distinct ip');
is(run('', $t0 + $W * 1000 + 2, 0, 1, 0, '10.0.0.4', '', $ips)->[0], 4,
    'and a 3rd distinct ip within the window blocks');
redis('DEL', $keys[1]);

# exempt and dry-run
redis('HSET', $keys[2], 'exempt', 1);
is(run('', $t0, 100, 0, 0, '', '', $lim)->[0], 3, 'exempt');
redis('DEL', $keys[2], $keys[0]);
my $dry = ['D', $W, 1, 0, 0, 0, 0, 1, 0];
run('d', $t0, 1, 0, 0, '', '', $dry);
is(run('d', $t0, 1, 0, 0, '', '', $dry)->[0], 5, 'dry-run reports the block');
is(redis('EXISTS', $keys[1]), 0, 'dry-run writes none');

# racing requests of one subject (40 at once, limit 20): each sees the
# others' counts, so exactly 20 pass and the count ends at 20
redis('DEL', $keys[0], $keys[1]);
my $race = ['R', $W, 20, 0, 0, 0, 0, 0, 0];
my @kids;
for my $i (1 .. 40) {
    pipe my $rd, my $wr or die;
    my $pid = fork // die;
    if (!$pid) {
        close $rd;
        print $wr run('', $t0 + 5, 1, 0, 0, '', '', $race)->[0];
        close $wr;
        POSIX::_exit(0);    # not Test::More's END in a child
    }
    close $wr;
    push @kids, [$pid, $rd];
}
my %st;
for (@kids) {
    my ($pid, $rd) = @$_;
    local $/;
    $st{<$rd> // 'none'}++;
    waitpid $pid, 0;
}
is($st{0}, 20, '40 racing requests, limit 20: 20 pass')
    or diag(join ' ', map { "$_=$st{$_}" } sort keys %st);
is($st{1}, 20, 'and 20 are over');
is(redis('HGET', $keys[0], "m:$W:" . int(($t0 + 5) / ($W * 1000))), 20,
    'the count is the limit: refused ones were taken back');
is($ctl_failed, 0, 'every limitctl run exited cleanly');
done_testing();
