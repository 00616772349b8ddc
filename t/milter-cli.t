#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate-milter's command line and process model: -V, -n on good and
# bad files and keys, the socket's mode and group, privileges dropped to
# `user` while the helper keeps exactly CAP_SYS_PTRACE and
# CAP_DAC_READ_SEARCH, SIGUSR1 reload (a broken file keeps the old one).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;

my $bin = ($ENV{FG_BUILD} // 'build') . '/floodgate-milter';
like(`$bin -V`, qr/^floodgate-milter \d+\.\d+/, '-V prints the version');
my $out = `$bin -n -c $FindBin::Bin/../conf/floodgate.conf 2>&1`;
is($?, 0, '-n accepts conf/floodgate.conf') or diag($out);
my $dir = tmpdir();
my $bad = write_conf('bad.conf', "milter {\n    privacy = \"some\"\n}\n");
$out = `$bin -n -c $bad 2>&1`;
isnt($?, 0, '-n refuses a bad privacy word');
like($out, qr/bad\.conf:2: privacy: 'some'/, 'naming file:line');
$out = `$bin -x 2>&1`;
is($? >> 8, 2, 'an unknown flag exits 2');

# keys: a world-readable key file is refused, a 0600 one accepted
my $key = "$dir/k.key";
open my $kf, '>', $key or die;
print $kf "0123456789abcdef0123456789abcdef\n";
close $kf;
chmod 0644, $key;
my $kc = write_conf('k.conf', "milter {\n    keys = { \"k1:$key\" }\n}\n");
$out = `$bin -n -c $kc 2>&1`;
isnt($?, 0, 'a key readable by others is refused');
like($out, qr/milter\.keys: .*k\.key/, 'and named');
chmod 0600, $key;
chown scalar(getpwnam('nobody')), -1, $key; # reread after the drop
$out = `$bin -n -c $kc 2>&1`;
is($?, 0, 'a 0600 key is accepted') or diag($out);
like($out, qr/ok \(0 limits, 1 keys\)/, 'and counted');

# the daemon: socket mode/group, user, helper capabilities
my $sock = start_redis();
my $msock = "$dir/m.sock";
my $conf = write_conf('m.conf', <<"EOF2");
redis {
    server = "unix:$sock"
}
milter {
    socket = "unix:$msock"
    socket_mode = "0660"
    socket_group = "postfix"
    user = "nobody"
    keys = { "k1:$key" }
}
EOF2
my $pid = start_milter('m', $conf, $msock);
my @st = stat $msock;
is($st[2] & 07777, 0660, 'socket mode 0660');
is($st[5], scalar getgrnam('postfix'), 'socket group postfix');

# option negotiation as an MTA offering everything (milter protocol 6):
# the milter skips the events it has no use for and answers no MAIL, RCPT
# or header (each answer is a round trip per header of every message)
{
    use IO::Socket::UNIX;
    my $s = IO::Socket::UNIX->new(Peer => $msock) or die "connect: $!";
    my $body = 'O' . pack('NNN', 6, 0x1ff, 0x1fffff);
    print $s pack('N', length $body), $body;
    my $got = '';
    $s->read($got, 17 - length $got, length $got) or last while length $got < 17;
    my ($len, $cmd, $ver, $acts, $steps) = unpack('NaNNN', $got);
    is($cmd, 'O', 'the milter answers the option negotiation');
    my %want = (NOHELO => 0x2, NOEOH => 0x40, NR_HDR => 0x80, NOUNKNOWN => 0x100,
        NODATA => 0x200, NR_MAIL => 0x4000, NR_RCPT => 0x8000);
    is(join(' ', grep { ($steps & $want{$_}) == 0 } sort keys %want), '',
        sprintf('it asks for no answers to MAIL, RCPT, headers and no unused events (0x%x)', $steps // 0));
    is($steps & (0x1 | 0x10 | 0x20 | 0x1000), 0,
        'but keeps connect, the body and the headers, and answers connect');
    close $s;
}

my $nobody = getpwnam('nobody');
ok(wait_until(5, sub { (proc_status($pid)->{Uid} // '') =~ /^$nobody\s/ }),
    'the milter runs as nobody');
is(proc_status($pid)->{CapEff}, '0000000000000000', 'with no capabilities');
my $helper = milter_helper($pid);
ok($helper, 'the helper process runs');
is(proc_status($helper)->{CapEff}, '0000000000080004',
    'the helper keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only');
like(proc_status($helper)->{Uid} // '', qr/^$nobody\s/, 'as nobody too');
is(proc_status($helper)->{NoNewPrivs}, '1', 'with no_new_privs');

# SIGUSR1: a broken file is refused, a good one taken
my $off = log_size('m');
write_conf('m.conf', "milter {\n    on_limit = \"drop\"\n}\n");
kill 'USR1', $pid;
ok(wait_until(5, sub { log_since('m', $off) =~ /reload failed, keeping the old config: .*m\.conf:2: on_limit/ }),
    'a broken config is refused on SIGUSR1, with file:line');
ok(kill(0, $pid), 'and the milter lives on');
$off = log_size('m');
write_conf('m.conf', <<"EOF2");
redis {
    server = "unix:$sock"
}
milter {
    socket = "unix:$msock"
    user = "nobody"
    keys = { "k1:$key", "k0:$key" }
}
limit "u" {
    subject  = "uid"
    window   = 1h
    messages = 5
}
EOF2
kill 'USR1', $pid;
ok(wait_until(5, sub { log_since('m', $off) =~ /reloaded .*m\.conf \(1 limits, 2 keys\)/ }),
    'a good config is taken');
ok(stop_milter('m'), 'clean exit on SIGTERM');
ok(!kill(0, $helper), 'the helper is gone too');

# milter.timeout: a session whose MTA stops in the middle of a command is
# closed (libmilter's own default holds a worker thread for 7210 s)
{
    use IO::Select;
    my $tsock = "$dir/t.sock";
    my $tconf = write_conf('t.conf', <<"EOF2");
redis {
    server = "unix:$sock"
}
milter {
    socket = "unix:$tsock"
    timeout = 2s
}
EOF2
    start_milter('t', $tconf, $tsock);
    my $s = IO::Socket::UNIX->new(Peer => $tsock) or die "connect: $!";
    my $body = 'O' . pack('NNN', 6, 0x1ff, 0x1fffff);
    print $s pack('N', length $body), $body;
    my $got = '';
    $s->read($got, 17 - length $got, length $got) or last while length $got < 17;
    is(substr($got, 4, 1), 'O', 'a session is negotiated');
    print $s pack('N', 5), 'H';    # a command's head, never its rest
    my $t0 = time;
    my $sel = IO::Select->new($s);
    ok(!$sel->can_read(1), 'and kept while the MTA is silent for a second');
    my $eof = $sel->can_read(10) && !sysread($s, my $buf, 1);
    ok($eof, 'then closed by the milter');
    my $took = time - $t0;
    ok($took <= 6, "after about milter.timeout (2 s), not 7210 s ($took s)");
    ok(stop_milter('t'), 'clean exit');
}
done_testing();
