#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate-policyd end to end over the policy protocol, with a real
# redis-server: the README's first config, blocks shared by two daemons,
# the admin's redis-cli recipes, and the other limits and signals.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use FG;

my $sock = start_redis();
my ($pa, $pb) = (free_port(), free_port());

# the README's first example, pointed at our private redis
sub readme_conf {
    my ($port, $extra) = @_;
    return <<"EOF2";
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port" }
}
limit "sasl-hour" {
    subject     = "sasl"
    window      = 3600
    messages    = 100
    recipients  = 500
    block_after = 10
}
limit "ip-hour" {
    subject  = "ip"
    window   = 3600
    messages = 300
}
${\($extra // '')}
EOF2
}

start_policyd('pa', write_conf('a.conf', readme_conf($pa)), $pa);
start_policyd('pb', write_conf('b.conf', readme_conf($pb)), $pb);
# started as root, the README's config does not keep root (README)
my $uid = getpwnam('floodgate') // getpwnam('nobody');
like(proc_status(FG::pid('pa'))->{Uid}, qr/^$uid\t$uid\t/,
    "README: policyd drops root (to uid $uid)");
my $a = policy_client($pa);
my $b = policy_client($pb);

sub msg {
    my ($s, $user, $n, %more) = @_;
    return ask($s, rcpt_req(sasl_username => $user, instance => "$user.$n",
        client_address => $more{ip} // '192.0.2.10',
        sender => $more{sender} // "$user\@example.com",
        recipient => "rcpt$n\@example.net"));
}

# 1. 100 messages pass, the 101st is deferred (one persistent connection);
# a second RCPT of an already counted message counts a recipient only
my @dunno = grep { msg($a, 'alice@example.com', $_) eq 'DUNNO' } 1 .. 100;
is(scalar @dunno, 100, 'alice: 100 messages pass');
my $r = ask($a, rcpt_req(sasl_username => 'alice@example.com',
    instance => 'alice@example.com.100', client_address => '192.0.2.10',
    recipient => 'second@example.net'));
is($r, 'DUNNO', 'another recipient of the 100th message passes');
like(msg($a, 'alice@example.com', 101), qr/^DEFER_IF_PERMIT 4\.7\.1 /,
    'alice: the 101st is deferred');

# 2. the 10th denial blocks; both nodes then answer the block action
my @defer = grep { msg($a, 'alice@example.com', $_) =~ /^DEFER/ } 102 .. 110;
is(scalar @defer, 9, 'denials 2..10 are deferred');
like(msg($a, 'alice@example.com', 111), qr/^REJECT 5\.7\.1 /,
    'node A rejects the blocked account');
like(msg($b, 'Alice@Example.COM', 1), qr/^REJECT 5\.7\.1 /,
    'node B rejects it at once (case-insensitive)');
my %blk = split /\n/, redis('HGETALL', 'fg:{sasl:alice@example.com}:block');
is($blk{rule}, 'sasl-hour', 'block names the rule');
like($blk{reason}, qr/messages over limit 100/, 'block says why');
is($blk{by}, 'policyd', 'block says by whom');
ok($blk{node} && $blk{at} && $blk{value} && $blk{limit} == 100,
    'block has node, time, value and limit');
like(redis('XREVRANGE', 'fg:events', '+', '-', 'COUNT', 1), qr/block/,
    'a block event is in fg:events');
like(redis('--scan', '--pattern', 'fg:*:block'),
    qr/^fg:\{sasl:alice\@example\.com\}:block$/m, 'README: list blocked');

# 3. redis-cli DEL lifts it (still over the rate: deferred, not rejected)
redis('DEL', 'fg:{sasl:alice@example.com}:block');
like(msg($b, 'alice@example.com', 200), qr/^DEFER_IF_PERMIT/,
    'README: unblock; only the rate limit applies again');

# 4. counters add up across the two daemons
my $n = 0;
for my $i (1 .. 50) {
    $n++ if msg($a, 'bob@example.com', $i) eq 'DUNNO';
    $n++ if msg($b, 'bob@example.com', 1000 + $i) eq 'DUNNO';
}
is($n, 100, 'bob: 50 via A + 50 via B pass');
like(msg($a, 'bob@example.com', 9999), qr/^DEFER/, 'bob: the 101st is deferred');

# 5. README recipes: exempt and a per-subject override
redis('HSET', 'fg:{sasl:bob@example.com}:limits', 'exempt', 1);
is(msg($a, 'bob@example.com', 5000), 'DUNNO', 'README: exempt user passes');
redis('DEL', 'fg:{sasl:bob@example.com}:limits');
redis('HSET', 'fg:{sasl:bob@example.com}:limits', 'messages:3600', 200);
is(msg($b, 'bob@example.com', 5001), 'DUNNO', 'README: override raises the limit');
redis('HSET', 'fg:{sasl:bob@example.com}:limits', 'messages:3600', 10);
like(msg($b, 'bob@example.com', 5002), qr/^DEFER/, 'override lowers it');

# 6. a refused request counts nothing for the other subject (refund)
my $ipkey = 'fg:{ip:192.0.2.10}';
my $before = join ',', sort split /\n/, redis('HGETALL', $ipkey);
msg($a, 'bob@example.com', 5003);
is(join(',', sort split /\n/, redis('HGETALL', $ipkey)), $before,
    'the ip subject was refunded when the sasl subject refused');

# 7. malformed input closes that connection only; so do empty lines
# without a request (issue 11: 100k of them held one)
for my $bad ("garbage\n\n", "request=other\nprotocol_state=RCPT\n\n",
    "request=smtpd_access_policy\nprotocol_state=RCPT\n" . ('x' x 5000) . "\n",
    "\n" x 200) {
    my $s = policy_client($pa);
    print $s $bad;
    my $got = eval {
        local $SIG{ALRM} = sub { die "open\n" };
        alarm 5;
        my $line = <$s>;
        alarm 0;
        $line;
    };
    ok(!defined $got && !$@, 'malformed request: connection closed');
}
is(msg($a, 'carol@example.com', 1), 'DUNNO', 'the server lives on');
like(log_since('pa', 0), qr/malformed request/, 'malformed request is logged');
# a client repeating it costs no log line each (one per minute, issue 11)
for (1 .. 200) {
    my $s = policy_client($pa);
    print $s "garbage\n\n";
    my $got = <$s>;
}
my $lines = () = log_since('pa', 0) =~ /malformed request|longer than/g;
is($lines, 1, '204 malformed requests: one log line');

# 8. one log line per non-DUNNO decision, key=value
like(log_since('pa', 0),
    qr/action=DEFER_IF_PERMIT decision=over rule=sasl-hour subject="sasl:alice\@example.com" .*value=101 limit=100 client=192\.0\.2\.10 .*instance=alice\@example\.com\.101/,
    'decision log line has rule, subject, value, limit, client, instance');
like(log_since('pa', 0),
    qr/event=block rule=sasl-hour subject="sasl:alice\@example\.com" what="messages" value=101 limit=100 client=192\.0\.2\.10/,
    'the block is logged with its rule, subject and evidence');
like(log_since('pb', 0),
    qr/action=REJECT decision=blocked rule=sasl-hour subject="sasl:alice\@example\.com" what="messages over limit 100, 10 denials" value=\d+ limit=100 /,
    "a refusal of a blocked subject logs what its block hash says");
# a quote in a user name cannot break the key=value log line
msg($a, 'q"x', $_, ip => '192.0.2.99') for 1 .. 110;
like(log_since('pa', 0), qr/decision=over rule=sasl-hour subject="sasl:q\\x22x"/,
    'quotes in logged values are escaped');
like(log_since('pa', 0), qr/event=block rule=sasl-hour subject="sasl:q\\x22x"/,
    'also in the block line');
# a SASL name no key may hold (over 256 bytes) is counted under a
# stand-in, not let through unlimited (issue 11)
my $long = ('l' x 300) . '@example.com';
my @lr = map { msg($a, $long, $_, ip => '192.0.2.97') } 1 .. 101;
is(scalar(grep { $_ eq 'DUNNO' } @lr), 100, 'an overlong SASL name: 100 pass');
like($lr[-1], qr/^DEFER/, 'the 101st is deferred');
like(log_since('pa', 0), qr/not a valid value, counted as sasl:%!/,
    'and the log says under what it is counted');
# nor can a SASL name forge fields for a key=value parser (issue 11)
my $evil = 'evil decision=fake client=203.0.113.66';
msg($a, $evil, $_, ip => '192.0.2.98') for 1 .. 101;
my ($line) = grep { /client=192\.0\.2\.98/ && /decision=/ }
    split /\n/, log_since('pa', 0);
my @kv;    # key=value and key="value with \x escapes", in order
push @kv, [$1, $2 // $3] while ($line // '') =~ /(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g;
my %n;
$n{$_->[0]}++ for @kv;
my %f = map { @$_ } @kv;
is_deeply([@n{qw(decision client sasl subject)}], [1, 1, 1, 1],
    'a hostile SASL name adds no field to the decision line')
    or diag($line);
is($f{client}, '192.0.2.98', 'the client is the true one');
is($f{decision}, 'over', 'and the decision');
is($f{sasl}, 'evil\x20decision\x3dfake\x20client\x3d203.0.113.66',
    'the name is one field, its space and = escaped');

ok(stop_policyd('pa'), 'pa: clean exit on SIGTERM');
ok(stop_policyd('pb'), 'pb: clean exit on SIGTERM');
done_testing();
