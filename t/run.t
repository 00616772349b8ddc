#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# `make run` (packaging/run-dev): Redis, policyd and the milter start with
# conf/ defaults, policyd answers a request over inet:127.0.0.1:10040, the
# milter listens on its socket, both drop root (to floodgate or nobody)
# and still reach the private Redis, which local users cannot use without
# the password only the config holds, and Ctrl-C (SIGINT) stops
# all three and removes the temp dir.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use FG;

my $build = $ENV{FG_BUILD} // 'build';
my $log = tmpdir() . '/run.log';
chdir "$FindBin::Bin/.." or die;
my $pid = fork // die;
if (!$pid) {
    open STDOUT, '>', $log;
    open STDERR, '>&', \*STDOUT;
    setpgrp(0, 0);
    exec 'packaging/run-dev', $build;
    exit 127;
}
my ($dir, $msock);
ok(wait_until(15, sub {
    ($dir) = `cat $log` =~ m{milter on unix:(/tmp/floodgate-run\.\w+)/milter\.sock};
    $dir && -S "$dir/milter.sock" }), 'the milter listens on its socket')
    or diag(`cat $log`);
my $s;
ok(wait_until(15, sub {
    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:10040', Timeout => 2) }),
    'policyd listens on 127.0.0.1:10040');
if ($s) {
    print $s "request=smtpd_access_policy\nprotocol_state=RCPT\n"
        . "client_address=192.0.2.1\nsasl_username=dev\@fg.test\n"
        . "recipient=r\@example.net\ninstance=run.1\n\n";
    my $reply = '';
    while (my $l = <$s>) { $reply .= $l; last if $l eq "\n" }
    like($reply, qr/^action=\S+/, 'and answers a policy request');
}
ok(wait_until(5, sub { `cat $log` =~ /redis: up/ }), 'policyd reaches the private Redis');
my $who = defined getpwnam('floodgate') ? 'floodgate' : 'nobody';
like(`cat $log`, qr/^floodgate-policyd: dropping to user $who /m,
    "policyd drops root to $who");
like(`cat $log`, qr/^floodgate-milter: dropping to user $who /m,
    "the milter too");
# the milter connects to Redis after the drop (policyd before it), with
# the password only the config holds: another local user can reach the
# socket but not lift a block (issue 11)
my ($uid, $gid) = (getpwnam($who))[2, 3];
my ($pw) = `cat $dir/floodgate.conf` =~ /^    password = "([^"]+)"/m;
ok($pw, 'the config holds a Redis password');
my @st = stat "$dir/floodgate.conf";
is(sprintf('%o %d', $st[2] & 0777, $st[4]), "600 $uid",
    "the config is readable by $who alone");
is(`REDISCLI_AUTH=$pw setpriv --reuid=$uid --regid=$gid --clear-groups redis-cli -s $dir/redis.sock PING 2>&1`,
    "PONG\n", "$who reaches the private Redis with it");
my $nuid = getpwnam('nobody');
like(`setpriv --reuid=$nuid --regid=$nuid --clear-groups redis-cli -s $dir/redis.sock DEL 'fg:{sasl:dev\@fg.test}:block' 2>&1`,
    qr/NOAUTH/, 'a local user without it cannot lift a block');
# the admin command as run-dev prints it reaches the same Redis
my ($admin) = `cat $log` =~ /^floodgate: admin command: (\S+ -c \S+) blocked /m;
ok($admin, 'run-dev prints the admin command line');
my $top = '';
ok(wait_until(12, sub { $top = `$admin -j top --subject sasl 2>&1`; $? >> 8 == 0 }),
    'the admin command reaches the private Redis') or diag($top);
like($top, qr/"subject":"sasl:dev\@fg\.test","messages":1,/, 'and sees the request sent');
my @kids = split ' ', `pgrep -g $pid`;
ok(@kids >= 4, 'run-dev, redis, policyd and milter run') or diag("@kids");
kill 'INT', -$pid;
my $gone = wait_until(15, sub { waitpid($pid, WNOHANG) == $pid });
ok($gone, 'Ctrl-C stops run-dev');
ok(wait_until(15, sub { !grep { kill 0, $_ } @kids }), 'and every process it started')
    or kill 'KILL', -$pid;
ok(!-e $dir, 'the temp dir is removed');
done_testing();
