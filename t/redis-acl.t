#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Least privilege in Redis (issue 12 §3): both daemons run as the Redis 6
# ACL user of conf/redis-acl.conf (redis { user password }: AUTH user
# password), which may touch only fg:* and run only floodgate's commands:
# policyd counts, refuses and writes a block, the milter counts a uid,
# holds and blocks it and writes the trace, and nothing is refused. The
# same user without +xadd: the refused command is logged (NOPERM), not
# ignored. A user without its password is a config error.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use FGPostfix;

$> == 0 or BAIL_OUT('t/redis-acl.t runs Postfix and needs root');
my $build = $ENV{FG_BUILD} // 'build';

# the ACL line as shipped, with a password of ours
open my $af, '<', "$FindBin::Bin/../conf/redis-acl.conf" or die $!;
my ($line) = grep { /^user / } <$af>;
chomp $line;
my (undef, $name, @rules) = split ' ', $line;
is($name, 'floodgate', 'conf/redis-acl.conf names the user floodgate');
s/^>CHANGE-ME$/>acl-secret/ for @rules;
ok((grep { $_ eq '>acl-secret' } @rules), 'its password placeholder is replaced');
open my $rf, '<', "$FindBin::Bin/../README" or die $!;
my $readme = do { local $/; <$rf> };
ok(index($readme, $line) >= 0, 'the README shows the same line');

my $sock = start_redis();
is(redis('ACL', 'SETUSER', 'floodgate', @rules), 'OK', 'the ACL user exists');
is(redis('ACL', 'SETUSER', 'narrow', map { $_ eq '+xadd' ? () : $_ } @rules),
    'OK', 'and one without +xadd');
my $dir = tmpdir();

# 1. policyd as the ACL user: counts, refuses, blocks
my $p = free_port();
sub pconf {
    my ($user, $port) = @_;
    return write_conf("p-$user.conf", <<"EOF2");
node = "acl1"
redis {
    server   = "unix:$sock"
    user     = "$user"
    password = "acl-secret"
}
policyd {
    listen = { "inet:127.0.0.1:$port" }
}
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = 2
    block_after = 1
}
EOF2
}
start_policyd('p', pconf('floodgate', $p), $p);
my $c = policy_client($p);
my @a = map { ask($c, rcpt_req(sasl_username => 'eve@x', instance => "i$_",
    recipient => 'r@n')) } 1 .. 4;
is_deeply([map { (split ' ', $_)[0] } @a],
    ['DUNNO', 'DUNNO', 'DEFER_IF_PERMIT', 'REJECT'],
    'policyd as the ACL user: 2 pass, the 3rd is over and blocks, the 4th is refused');
my %blk = split /\n/, redis('HGETALL', 'fg:{sasl:eve@x}:block');
is($blk{rule}, 'sasl-hour', 'the block hash is written');
like(redis('XREVRANGE', 'fg:events', '+', '-', 'COUNT', '1'), qr/eve\@x/,
    'and its event');
ok(wait_until(3, sub { redis('ZSCORE', 'fg:nodes:policyd', 'acl1') =~ /^\d+$/ }),
    'the heartbeat is written');
unlike(log_since('p', 0), qr/NOPERM|failing|down/, 'nothing refused');
ok(stop_policyd('p'), 'policyd exits cleanly');

# 2. without +xadd: the block's event is refused, and that is logged
my $p2 = free_port();
start_policyd('n', pconf('narrow', $p2), $p2);
$c = policy_client($p2);
ask($c, rcpt_req(sasl_username => 'mallory@x', instance => "m$_",
    recipient => 'r@n')) for 1 .. 3;
ok(wait_until(5, sub { log_since('n', 0) =~ /NOPERM[^\n]*xadd/ }),
    'a command the ACL refuses is logged with what Redis said')
    or diag(log_since('n', 0));
stop_policyd('n');

# 3. the milter as the ACL user, under a real Postfix
my $u = 'fgtest2';
my $uid = FGPostfix::test_user($u);
my ($pf, $msock, $key) = FGPostfix::with_milter('acl');
my $mconf = write_conf('m.conf', <<"EOF2");
node = "acl1"
redis {
    server   = "unix:$sock"
    user     = "floodgate"
    password = "acl-secret"
}
milter {
    socket = "unix:$msock"
    user = "nobody"
    queue_directory = "$pf->{spool}"
    keys = { "k1:$key" }
}
limit "uid-hour" {
    subject     = "uid"
    window      = 1h
    messages    = 1
    block_after = 1
}
EOF2
start_milter('milter', $mconf, $msock);
ok($pf->start, 'Postfix with the milter starts');
for my $i (1 .. 3) {
    $pf->sendmail_as($u, "From: t\@fg.test\nTo: r\@example.net\nSubject: a$i\n\nbody\n", '-t');
}
ok(wait_until(20, sub { my @q = grep { $_->{queue_name} eq 'hold' } $pf->queue; @q == 2 }),
    'the milter as the ACL user holds the uid past its limit');
%blk = split /\n/, redis('HGETALL', "fg:{uid:$u}:block");
is($blk{by}, 'milter', 'and writes its block');
ok(redis('XLEN', 'fg:trace') >= 3, 'and the trace');
ok(wait_until(8, sub { redis('ZCARD', 'fg:nodes:milter') == 1 }),
    'and its heartbeat');
unlike(log_since('milter', 0), qr/NOPERM|failing|redis: down/, 'nothing refused');
$pf->stop;
ok(stop_milter('milter'), 'the milter exits cleanly');

# 4. the admin command with the same config: reads, lists, unblocks
my $fg = "$build/floodgate -c " . tmpdir() . "/p-floodgate.conf";
for my $cmd ('blocked', "why uid:$u", 'why alice@example.com', 'top', 'events -n 5') {
    my $o = `$fg $cmd 2>&1`;
    ok($? >> 8 <= 1, "floodgate $cmd as the ACL user") or diag($o);
    unlike($o, qr/NOPERM/, '  nothing refused');
}
like(`$fg unblock uid:$u --reset 2>&1`, qr/unblocked, counters reset/, 'floodgate unblock as the ACL user');

# 5. a user without its password is refused at load, with the line
my $bad = write_conf('bad.conf', "redis {\n    user = \"floodgate\"\n}\n");
my $out = `$build/floodgate-policyd -n -c $bad 2>&1`;
like($out, qr/bad\.conf:\d+: .*user: needs a password/, 'redis.user without a password: a config error');

done_testing();
