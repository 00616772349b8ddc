#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate(8), the admin command, against a real redis-server and two
# floodgate-policyd nodes: blocked, why, top and events show what the
# daemons wrote (text and -j JSON lines, exit 0/1/2); unblock, exempt and
# limit leave Redis exactly as the README's redis-cli recipes do (each
# recipe is read from the README and run by bash, the Redis state compared
# byte for byte with DUMP); bad input and a Redis that is down get one
# line on stderr, exit 2 and no write.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use JSON::PP;
use Time::HiRes qw(time sleep);
use FG;

my $build = $ENV{FG_BUILD} // 'build';
my $fg = "$build/floodgate";
my $sock = start_redis();
my ($pa, $pb) = (free_port(), free_port());

sub conf {
    my ($port, $node) = @_;
    return <<"EOF2";
node = "$node"
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port" }
}
limit "sasl-hour" {
    subject        = "sasl"
    window         = 3600
    messages       = 30
    recipients     = 500
    block_after    = 3
    max_client_ips = 10
}
limit "ip-hour" {
    subject  = "ip"
    window   = 3600
    messages = 1000
}
limit "uid-hour" {
    subject     = "uid"
    window      = 3600
    messages    = 4
    block_after = 2
}
EOF2
}
my $ca = write_conf('a.conf', conf($pa, 'mx-a'));
my $cb = write_conf('b.conf', conf($pb, 'mx-b'));
start_policyd('pa', $ca, $pa);
start_policyd('pb', $cb, $pb);
my $a = policy_client($pa);
my $b = policy_client($pb);

# fg(ARGS...): floodgate -c a.conf ARGS: (exit status, stdout, stderr)
sub fg {
    my $d = tmpdir();
    my $rc = system("'$fg' -c '$ca' " . join(' ', map { "'$_'" } @_)
        . " >$d/fg.out 2>$d/fg.err");
    local $/;
    open my $o, '<', "$d/fg.out" or die;
    open my $e, '<', "$d/fg.err" or die;
    return ($rc == -1 ? -1 : $rc >> 8, scalar <$o>, scalar <$e>);
}
sub jsonl { [map { decode_json($_) } grep { /\S/ } split /\n/, $_[0]] }

sub msg {
    my ($s, $user, $n, $ip) = @_;
    return ask($s, rcpt_req(sasl_username => $user, instance => "$user.$n",
        client_address => $ip // '192.0.2.10', sender => "$user\@example.com",
        recipient => "rcpt$n\@example.net"));
}

# 1. a flood through both nodes: alice from 5 addresses, 36 messages; bob 7
my %seen;
for my $i (1 .. 36) {
    my $r = msg($i % 2 ? $a : $b, 'alice@example.com', $i, '198.51.100.' . ($i % 5 + 1));
    $seen{$r =~ /^(\w+)/ ? $1 : $r}++;
}
msg($a, 'bob@example.com', $_, '192.0.2.20') for 1 .. 7;
is($seen{DUNNO}, 30, 'alice: 30 pass');
ok($seen{REJECT}, 'alice: blocked after the 3rd denial');

my ($rc, $out, $err) = fg('blocked');
is($rc, 0, 'blocked: exit 0');
like($out, qr/^SUBJECT\s+RULE\s+REASON\s+SINCE\s+NODE\s+BY\s+EXPIRES\n/, 'blocked: a header');
like($out, qr/^sasl:alice\@example\.com\s+sasl-hour\s+messages over limit 30, 3 denials\s+\d+s ago\s+mx-[ab]\s+policyd\s+until lifted$/m,
    'blocked: subject, rule, reason, since, node, by, expiry');
unlike($out, qr/bob/, 'bob is not listed');
($rc, $out) = fg('-j', 'blocked');
my $j = jsonl($out);
is(scalar @$j, 1, 'blocked -j: one JSON line');
is($j->[0]{subject}, 'sasl:alice@example.com', '-j: subject');
is($j->[0]{by}, 'policyd', '-j: by');
like($j->[0]{at}, qr/^\d{10}$/, '-j: at is a unix time (a number)');
my %blk = split /\n/, redis('HGETALL', 'fg:{sasl:alice@example.com}:block');
is($j->[0]{at}, $blk{at}, '-j: at is the block hash\'s');
is($j->[0]{node}, $blk{node}, '-j: node is the block hash\'s');

# 2. why: the block, the count against each limit, the ips, exempt or not
($rc, $out) = fg('why', 'Alice@Example.COM');
is($rc, 0, 'why: exit 0');
like($out, qr/^subject: sasl:alice\@example\.com$/m, 'why: the subject normalised');
like($out, qr/^sasl-hour\s+messages over limit 30, 3 denials\s+31\s+30\s/m,
    'why: the block with value and limit');
like($out, qr/^sasl-hour\s+3600\s+messages\s+30\s+30\s+-\s+3\s+3$/m,
    'why: 30 messages counted of 30, 3 denials of 3');
like($out, qr/^EXEMPT\s+BY\nno\s+-$/m, 'why: not exempt');
my @ips = $out =~ /^(198\.51\.100\.\d)\s+\d+s ago$/mg;
is(scalar @ips, 5, 'why: the 5 client ips seen');
($rc, $out) = fg('-j', 'why', 'alice@example.com');
$j = jsonl($out);
my ($lim) = grep { $_->{kind} eq 'limit' && $_->{metric} eq 'messages' } @$j;
is($lim->{count}, 30, 'why -j: count');
is($lim->{limit}, 30, 'why -j: limit');
is(scalar(grep { $_->{kind} eq 'ip' } @$j), 5, 'why -j: 5 ip lines');
my ($bl) = grep { $_->{kind} eq 'block' } @$j;
is($bl->{ttl}, -1, 'why -j: the block does not expire');
($rc, $out) = fg('why', '192.0.2.20');
like($out, qr/^ip-hour\s+3600\s+messages\s+7\s+1000\s/m, 'why IP: its count (bob\'s 7)');
($rc, $out) = fg('why', 'nobody@example.com');
is($rc, 1, 'why of a subject with nothing: exit 1');

# 3. top: alice's 36 messages (refused ones included) before bob's 7,
# counted on both nodes (each writes its counts every 5 s)
ok(wait_until(12, sub { (fg('top', '--subject', 'sasl'))[1] =~ /^sasl:alice\S+\s+36\s/m }),
    'top: both nodes\' counts written within seconds');
($rc, $out) = fg('top', '--subject', 'sasl');
is($rc, 0, 'top: exit 0');
like($out, qr/^SUBJECT\s+MESSAGES\/MIN\s+BLOCKED\nsasl:alice\@example\.com\s+36\s+yes\nsasl:bob\@example\.com\s+7\s+no$/m,
    'top: alice 36 (blocked), then bob 7');
($rc, $out) = fg('-j', 'top', '-n', '1');
$j = jsonl($out);
my @sasl = grep { $_->{kind} eq 'sasl' } @$j;
is(scalar @sasl, 1, 'top -n 1: one sasl line');
is($sasl[0]{messages}, 36, 'top -j: 36');
my ($ip) = grep { $_->{kind} eq 'ip' } @$j;
is($ip->{subject}, 'ip:198.51.100.2', 'top: the busiest ip too (by default every counted type)')
    or diag $out;
is($ip->{messages}, 8, 'top: its 8 messages');
my @tk = grep { /^fg:\{top:sasl\}:\d+$/ } split /\n/, redis('KEYS', 'fg:{top:*');
ok(@tk && !grep({ redis('TTL', $_) <= 0 } @tk), 'every top set has a TTL');
# no command per message: 60 messages of 60 new users while MONITOR
# watches; the top keys see a few writes of each node, not 60
my $mon = IO::Socket::UNIX->new(Peer => $sock) or die "monitor: $!";
print $mon "MONITOR\r\n";
sleep 0.3;
msg($_ % 2 ? $a : $b, "u$_\@example.com", $_, '192.0.2.30') for 1 .. 60;
sleep 6;    # one write of each node at least
my ($buf, @mon) = ('');
my $rin = '';
vec($rin, fileno($mon), 1) = 1;
while (select(my $r = $rin, undef, undef, 0.5) > 0) {    # until quiet
    sysread($mon, $buf, 65536, length $buf) or last;
}
@mon = split /\n/, $buf;
close $mon;
my $topw = grep { /"\{top:/ || /"fg:\{top:/ } @mon;
my $zadd = grep { /"ZADD" "fg:\{top:sasl\}:\d+:mx-[ab]"/ && /"u\d+\@example\.com"/ } @mon;
ok($zadd >= 1, "the nodes wrote the new users' counts ($zadd ZADD)");
cmp_ok($topw, '<', 30, "$topw commands on top keys for 60 messages: not one a message");

# 4. events, and -f following a new block
($rc, $out) = fg('events');
like($out, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+block\s+sasl:alice\@example\.com\s+sasl-hour\s/m,
    'events: the block');
my $d = tmpdir();
my $fpid = fork // die;
if ($fpid == 0) {
    open STDOUT, '>', "$d/follow.out";
    exec $fg, '-c', $ca, '-j', 'events', '-f', '-n', '1' or exit 99;
}
ok(wait_until(5, sub { -s "$d/follow.out" }), 'events -f prints the last event first');
msg($b, 'carol@example.com', $_) for 1 .. 34;
ok(wait_until(5, sub { `cat $d/follow.out` =~ /"subject":"sasl:carol\@example.com"/ }),
    'events -f: a new block on node b appears');
kill 'TERM', $fpid;
waitpid $fpid, 0;

# 5. the writes are the README's recipes, exactly: the same Redis state,
# DUMP for DUMP, from the same state before. Nothing else may write
# meanwhile: the daemons stop (their heartbeat writes every 5 s).
ok(stop_policyd('pa') && stop_policyd('pb'), 'both nodes stop cleanly');
my $ctl = "$build/t/tools/limitctl";
my $now = int(time * 1000);
for my $i (1 .. 7) {    # uid:web42 over its limit twice: blocked (milter's path)
    system("$ctl $sock fg: uid web42 '' $now 1 1 100 web1 milter '' '' 1 "
        . "uid-hour 3600 4 0 0 0 0 2 0 >/dev/null") == 0 or die "limitctl";
}
ok(redis('EXISTS', 'fg:{uid:web42}:block'), 'uid:web42 blocked (limitctl, the milter\'s driver)');
redis('HSET', 'fg:{sasl:alice@example.com}:limits', 'messages:3600', '40');

sub resp {
    my $s = IO::Socket::UNIX->new(Peer => $sock) or die "redis: $!";
    print $s '*' . scalar(@_) . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @_);
    return resp_read($s);
}
sub resp_read {
    my ($s) = @_;
    my $l = <$s> // die 'redis: no reply';
    $l =~ s/\r\n\z//;
    my $t = substr($l, 0, 1, '');
    return $l if $t eq '+' || $t eq ':';
    die "redis: $l" if $t eq '-';
    if ($t eq '$') {
        return undef if $l < 0;
        my $buf = '';
        read($s, $buf, $l + 2 - length($buf), length($buf)) while length($buf) < $l + 2;
        return substr($buf, 0, $l);
    }
    return [map { resp_read($s) } 1 .. $l];
}
sub snapshot {
    my %s;
    for my $k (@{ resp('KEYS', '*') }) {
        my $ttl = resp('PTTL', $k);
        # a set's DUMP follows its hash table's order, which a RESTORE
        # may change: its members, sorted, instead (still restored by DUMP)
        my $cmp = resp('TYPE', $k) eq 'set'
            ? 'set:' . join(',', sort @{ resp('SMEMBERS', $k) }) : undef;
        $s{$k} = [resp('DUMP', $k), $ttl > 0 ? 'expires' : 'persists', $cmp];
    }
    return \%s;
}
# canon(SNAPSHOT): what is compared: a set's sorted members, else DUMP
sub canon {
    my ($s) = @_;
    return { map { $_ => [$s->{$_}[2] // $s->{$_}[0], $s->{$_}[1]] } keys %$s };
}
sub restore {
    my ($s) = @_;
    resp('FLUSHALL');
    resp('RESTORE', $_, $s->{$_}[1] eq 'expires' ? 3600000 : 0, $s->{$_}[0]) for keys %$s;
}

# the recipes, as the README has them
open my $rf, '<', "$FindBin::Bin/../README" or die;
my %recipe;
while (<$rf>) {
    next unless /^    (redis-cli (?:DEL|HSET|HDEL) \S.*?)\s*(?:#\s*(.*))?$/;
    $recipe{$2 // $1} = $1;
}
my @cases = (
    [qr/^unblock \(limits still count\)$/, ['unblock', 'alice@example.com']],
    [qr/^unblock, reset counters$/, ['unblock', 'alice@example.com', '--reset']],
    [qr/^exempt$/, ['exempt', 'alice@example.com']],
    [qr/^exempt no more$/, ['exempt', 'alice@example.com', '--off'],
        ['HSET', 'fg:{sasl:alice@example.com}:limits', 'exempt', '1']],
    [qr/^override a limit$/, ['limit', 'alice@example.com', 'messages:3600', '500']],
    [qr/^back to the config's limit$/, ['limit', 'alice@example.com', 'messages:3600', '--off']],
    [qr/^unblock a uid, reset counters$/, ['unblock', 'uid:web42', '--reset']],
);
my $before = snapshot();
ok(keys %$before > 5, 'a state to start from: ' . scalar(keys %$before) . ' keys');
for my $c (@cases) {
    my ($pat, $args, $setup) = @$c;
    my @hits = grep { $_ =~ $pat } keys %recipe;
    is(scalar @hits, 1, "README has the recipe '$pat'") or next;
    my $line = $recipe{$hits[0]};
    (my $cmd = $line) =~ s/^redis-cli /redis-cli -s '$sock' /;
    restore($before);
    resp(@$setup) if $setup;
    my $start = snapshot();
    system('bash', '-c', "$cmd >/dev/null") == 0 or diag "failed: $cmd";
    my $by_recipe = snapshot();
    restore($start);
    my ($rc2, undef, $e2) = fg(@$args);
    is($rc2, 0, "floodgate @$args: exit 0") or diag $e2;
    my $by_fg = snapshot();
    is_deeply(canon($by_fg), canon($by_recipe), "floodgate @$args == $line");
    isnt(join(';', map { "$_=@{canon($by_fg)->{$_}}" } sort keys %$by_fg),
        join(';', map { "$_=@{canon($start)->{$_}}" } sort keys %$start),
        "  and it changed something");
}
restore($before);

# 6. exit 1 when nothing is there; bad input: one line, exit 2, no write
($rc, $out) = fg('unblock', 'nobody@example.com');
is($rc, 1, 'unblock of a subject not blocked: exit 1');
like($out, qr/^sasl:nobody\@example\.com: was not blocked$/, 'and it says so');
my $keys = redis('DBSIZE');
for my $bad (
    [['why', 'host:x'], qr/^floodgate: host:x: unknown subject type/],
    [['why', 'x' x 300], qr/^floodgate: subject too long/],
    [['unblock', "a\tb"], qr/^floodgate: .*not a valid sasl subject/],
    [['why', 'ip:example.com'], qr/^floodgate: example\.com: not an IP address/],
    [['limit', 'alice@example.com', 'messages:60', '5'], qr/^floodgate: no limit of type sasl has a window of 60 s/],
    [['limit', 'alice@example.com', 'bananas:3600', '5'], qr/^floodgate: bananas:3600: not METRIC:WINDOW/],
    [['limit', 'alice@example.com', 'messages:3600', '-5'], qr/^floodgate: -5: not a number/],
    [['top', '-n', '0'], qr/^floodgate: -n 0: not 1\.\.1000/],
    [['frobnicate'], qr/^floodgate: frobnicate: unknown command/],
    [['exempt'], qr/^floodgate: usage: floodgate exempt SUBJECT/],
) {
    my ($args, $want) = @$bad;
    my ($rc2, $o2, $e2) = fg(@$args);
    my $name = join ' ', map { length > 20 ? substr($_, 0, 20) . '...' : $_ } @$args;
    is($rc2, 2, "floodgate $name: exit 2");
    like($e2, $want, '  one clear line on stderr');
}
is(redis('DBSIZE'), $keys, 'nothing was written');
my $hh = `'$fg' -c /nonexistent/floodgate.conf blocked 2>&1`;
is($? >> 8, 2, 'a missing config: exit 2');
like($hh, qr/^floodgate: .*nonexistent/, 'naming the file');

stop_redis();
for my $cmd (['blocked'], ['why', 'alice@example.com'], ['unblock', 'alice@example.com'],
    ['events']) {
    my ($rc2, $o2, $e2) = fg(@$cmd);
    is($rc2, 2, "Redis down: $cmd->[0] exits 2");
    like($e2, qr/^floodgate: redis: .*\n\z/, '  with one line naming Redis');
}

done_testing();
