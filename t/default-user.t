#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The default user (common/priv.c): started as root with no `user` set,
# floodgate-policyd, floodgate-milter and the milter's helper become
# floodgate when that user exists, else nobody, and log one line saying
# which and why; `user = "root"` keeps root and says so. Both cases of
# floodgate: when it is missing, the test creates it as a system user for
# the second round and removes it afterwards (only the one it created,
# marked by its GECOS field; one left by a killed run is removed at start).
# The daemons must still work as that user: policyd reaches Redis and
# answers, the milter opens its socket (directory created, mode, group
# postfix) and negotiates.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Fcntl qw(:flock);
use IO::Socket::UNIX;
use FG;

plan skip_all => 'needs root' if $> != 0;

my $MARK = 'floodgate test user (t/default-user.t)';
my $created = 0;

# other checkouts running this test create and remove the same user
open my $lock, '>', '/run/lock/floodgate-default-user.lock' or die $!;
flock($lock, LOCK_EX) or die "flock: $!";

sub gecos { my @pw = getpwnam($_[0]); return @pw ? $pw[6] // '' : undef }

# del_user: only ever the user this test made (marked): a daemon or helper
# of it still exiting (slow under ASan or valgrind) is killed first
sub del_user {
    for (1 .. 300) {
        system('pkill -KILL -u floodgate >/dev/null 2>&1');
        return 1 if system('userdel floodgate >/dev/null 2>&1') == 0;
        select(undef, undef, undef, 0.1);
    }
    return 0;
}

if ((gecos('floodgate') // '') eq $MARK) {
    del_user() or die 'cannot remove the floodgate user a killed run left';
}

my @names;    # daemons started, stopped at END before userdel
END {
    my $rc = $?;
    FG::reap($_, 'KILL') for @names;
    if ($created) {
        del_user() or warn "# could not remove the floodgate test user\n";
    }
    $? = $rc;
}

# uid_is(PID, UID, NAME): real, effective, saved and fs uid are all UID
sub uid_is {
    my ($pid, $uid, $name) = @_;
    my $got = proc_status($pid)->{Uid} // 'gone';
    return is($got, join("\t", ($uid) x 4), $name);
}

my $sock = start_redis();
my $dir = tmpdir();
my $round = 0;

# round(LABEL, USER_LINE, WANT_USER, POLICYD_LOG_RE, MILTER_LOG_RE)
sub round {
    my ($label, $line, $want, $plog, $mlog) = @_;
    my $uid = getpwnam($want) // die "no user $want";
    $round++;
    my $port = free_port();
    my $msock = "$dir/r$round-floodgate/milter.sock";
    my $conf = write_conf("r$round.conf", <<"EOF");
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port" }
    $line
}
milter {
    socket = "unix:$msock"
    socket_group = "postfix"
    queue_directory = "$dir"
    $line
}
EOF
    my ($p, $m) = ("policyd-r$round", "milter-r$round");
    push @names, $p, $m;

    my $ppid = start_policyd($p, $conf, $port);
    uid_is($ppid, $uid, "$label: policyd runs as $want");
    my @lines = grep { /dropping to user|running as root/ }
        split /\n/, log_since($p, 0);
    is(scalar @lines, 1, "$label: policyd logs one line about its user");
    like($lines[0] // '', $plog, "$label: naming $want and why");
    like(log_since($p, 0), qr/redis: up/, "$label: policyd reaches Redis");
    my $s = policy_client($port);
    is(ask($s, rcpt_req(sasl_username => 'u', instance => "r$round")),
        'DUNNO', "$label: and answers");
    close $s;

    my $mpid = start_milter($m, $conf, $msock);
    ok(wait_until(5, sub { (proc_status($mpid)->{Uid} // '') =~ /^$uid\t/ }),
        "$label: the milter is past its privilege drop");
    uid_is($mpid, $uid, "$label: the milter runs as $want");
    my $helper = milter_helper($mpid);
    ok($helper, "$label: the helper runs");
    uid_is($helper // 0, $uid, "$label: the helper runs as $want too");
    is(proc_status($helper // 0)->{CapEff}, '0000000000080004',
        "$label: keeping CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH");
    @lines = grep { /dropping to user|running as root/ }
        split /\n/, log_since($m, 0);
    is(scalar @lines, 1, "$label: the milter logs one line about its user");
    like($lines[0] // '', $mlog, "$label: naming $want and why");
    my @st = stat $msock;
    is(sprintf('%04o', ($st[2] // 0) & 07777), '0660',
        "$label: milter socket mode 0660");
    is($st[5], scalar getgrnam('postfix'), "$label: group postfix");
    my $c = IO::Socket::UNIX->new(Peer => $msock);
    my $got = '';
    if ($c) {
        my $body = 'O' . pack('NNN', 6, 0x1ff, 0x1fffff);
        print $c pack('N', length $body), $body;
        $c->read($got, 17 - length $got, length $got) or last
            while length $got < 17;
        close $c;
    }
    is(substr($got, 4, 1), 'O', "$label: the milter negotiates");

    ok(stop_milter($m), "$label: the milter stops cleanly");
    ok(stop_policyd($p), "$label: policyd stops cleanly");
}

my $nobody_re = sub {
    my ($d) = @_;
    qr/^floodgate-$d: dropping to user nobody \($d\.user not set, no user floodgate\)$/;
};
my $fg_re = sub {
    my ($d) = @_;
    qr/^floodgate-$d: dropping to user floodgate \($d\.user not set\)$/;
};

if (!defined getpwnam('floodgate')) {
    round('no floodgate user', '', 'nobody', $nobody_re->('policyd'),
        $nobody_re->('milter'));
    system('useradd', '--system', '--no-create-home', '--shell',
        '/usr/sbin/nologin', '--comment', $MARK, 'floodgate') == 0
        or BAIL_OUT('useradd floodgate failed');
    $created = 1;
} else {
    diag('a floodgate user exists (not ours): the nobody case is not run');
}
round('floodgate user', '', 'floodgate', $fg_re->('policyd'),
    $fg_re->('milter'));
round('user = "root"', 'user = "root"', 'root',
    qr/^floodgate-policyd: running as root by request \(policyd\.user = "root"\)$/,
    qr/^floodgate-milter: running as root by request \(milter\.user = "root"\)$/);

if ($created) {
    ok(del_user(), 'the floodgate test user is removed');
    $created = 0;
    ok(!defined getpwnam('floodgate'), 'and gone');
}
done_testing();
