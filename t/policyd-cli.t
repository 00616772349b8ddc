#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate-policyd's command line: -V, -n on good and bad files (file:line),
# unknown flags; unix listen sockets with mode and owner, user drop.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use FG;

my $bin = ($ENV{FG_BUILD} // 'build') . '/floodgate-policyd';
like(`$bin -V`, qr/^floodgate-policyd \d+\.\d+/, '-V prints the version');
my $out = `$bin -n -c $FindBin::Bin/../conf/floodgate.conf 2>&1`;
is($?, 0, '-n accepts conf/floodgate.conf');
like($out, qr/ok \(2 limits\)/, 'and says so');
my $bad = write_conf('bad.conf', "redis {\n    server = \"x:1\"\n    colour = 1\n}\n");
$out = `$bin -n -c $bad 2>&1`;
isnt($?, 0, '-n refuses an unknown option');
like($out, qr/bad\.conf:3: .*colour/, 'naming file:line and the option');
# a comment never closed dropped the rest: "ok (1 limits)" (issue 11)
my $cut = write_conf('cut.conf', <<'EOF2');
limit "a" {
    subject  = "sasl"
    window   = 1h
    messages = 100
}
/* b is off for now
limit "b" {
    subject  = "ip"
    window   = 1h
    messages = 300
}
EOF2
$out = `$bin -n -c $cut 2>&1`;
isnt($?, 0, '-n refuses a comment never closed');
like($out, qr{cut\.conf:6: /\* comment is never closed}, 'at its line');
$out = `$bin -n -c /nonexistent/floodgate.conf 2>&1`;
like($out, qr{/nonexistent/floodgate\.conf: No such file}, 'a missing file is named');
$out = `$bin -x 2>&1`;
is($? >> 8, 2, 'an unknown flag exits 2');
like($out, qr/usage:/, 'with usage');

# unix socket with mode and owner, then privileges dropped to nobody
my $sock = start_redis();
my $dir = tmpdir();
my $port = free_port();
my $conf = write_conf('u.conf', <<"EOF2");
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port", "unix:$dir/policy.sock" }
    socket_mode = "0660"
    socket_owner = "nobody"
    socket_group = "nogroup"
    user = "nobody"
    stats_interval = 1s
    max_connections = 3
    max_connections_per_peer = 3
}
limit "x" {
    subject  = "sasl"
    window   = 1h
    messages = 1
}
EOF2
start_policyd('u', $conf, $port);
my @st = stat("$dir/policy.sock");
is(sprintf('%04o', $st[2] & 07777), '0660', 'unix socket mode 0660');
is(scalar getpwuid($st[4]), 'nobody', 'unix socket owner');
is(scalar getgrgid($st[5]), 'nogroup', 'unix socket group');
my $s = IO::Socket::UNIX->new(Peer => "$dir/policy.sock") or die $!;
is(ask($s, rcpt_req(sasl_username => 'u', instance => 1)), 'DUNNO', 'unix socket answers');
like(ask($s, rcpt_req(sasl_username => 'u', instance => 2)), qr/^DEFER/,
    'and enforces');
my $uid = (split ' ', `ps -o uid= -p ${\FG::pid('u')}`)[0];
is($uid, scalar getpwnam('nobody'), 'runs as the configured user');
ok(wait_until(3, sub { log_since('u', 0) =~ /stats requests=2 dunno=1 over=1/ }),
    'periodic stats line');

# max_connections = 3: a 4th client is refused and logged, the others live
my @open = map { policy_client($port) } 1 .. 2;
my $extra = policy_client($port);
ok(!defined <$extra>, 'a connection over max_connections is closed');
like(log_since('u', 0), qr/connection limit \(3\) reached/, 'and logged');
is(ask($open[0], rcpt_req(sasl_username => 'v', instance => 1)), 'DUNNO',
    'connections within the limit still work');
close $_ for @open, $extra;
ok(wait_until(3, sub { my $n = policy_client($port); print $n
    rcpt_req(sasl_username => 'w', instance => 1); my $l = <$n>;
    defined $l }), 'closed connections free their slots');
ok(stop_policyd('u'), 'u: clean exit on SIGTERM');
done_testing();
