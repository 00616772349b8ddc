#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate-policyd and its file descriptor limit (issue 11): started with
# max_connections above RLIMIT_NOFILE it raises the soft limit, or lowers
# max_connections with one warning when the hard limit is in the way;
# when accept() fails with EMFILE anyway (the limit lowered under it) it
# pauses accepting instead of spinning: CPU stays idle, the log gets a
# line when it starts and one when it is over. Bounds are generous: the
# machine is shared.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use FG;

plan skip_all => 'needs root' if $> != 0;
system('command -v prlimit >/dev/null') == 0 or plan skip_all => 'no prlimit';
fd_limit(4096);
$SIG{PIPE} = 'IGNORE';

my $build = $ENV{FG_BUILD} // 'build';
my $sock = start_redis();

# cpu(PID): utime + stime in seconds
sub cpu {
    open my $f, '<', "/proc/$_[0]/stat" or return 0;
    my @f = split ' ', (split /\) /, scalar <$f>)[1];
    return ($f[11] + $f[12]) / 100;
}

# soft_limit(PID): its soft RLIMIT_NOFILE
sub soft_limit {
    open my $f, '<', "/proc/$_[0]/limits" or return 0;
    my ($l) = grep { /^Max open files/ } <$f>;
    return (split ' ', $l)[3];
}

# start(NAME, SOFT:HARD): policyd under that fd limit, max_connections 1000
sub start {
    my ($name, $limit) = @_;
    my $port = free_port();
    my $conf = write_conf("$name.conf", <<"EOF");
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port" }
    max_connections = 1000
    stats_interval = 1s
}
EOF
    FG::spawn($name, 'prlimit', "--nofile=$limit", '--',
        "$build/floodgate-policyd", '-f', '-c', $conf);
    wait_until(10, sub { log_since($name, 0) =~ /redis: up/ })
        or die "$name did not start: " . log_since($name, 0);
    return $port;
}

# hold(PORT, N): N connections kept open
sub hold {
    my ($port, $n) = @_;
    return grep { $_ } map { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
        Timeout => 2) } 1 .. $n;
}

# idle_cpu(PID, SECONDS): CPU seconds it used over that time
sub idle_cpu {
    my ($pid, $secs) = @_;
    my $c0 = cpu($pid);
    sleep $secs;
    return cpu($pid) - $c0;
}

# 1. soft limit 64, hard 4096: raised to what 1000 connections need
my $port = start('raise', '64:4096');
my $pid = FG::pid('raise');
ok(soft_limit($pid) >= 1000, 'soft RLIMIT_NOFILE 64 raised to '
    . soft_limit($pid) . ' for max_connections 1000');
unlike(log_since('raise', 0), qr/RLIMIT_NOFILE/, '  without a warning');

# 2. the running process's limit lowered under it to 40: accept() fails
# with EMFILE; it pauses instead of spinning
# (without CAP_SYS_RESOURCE only its own user may: run prlimit as that)
my ($uid, $gid) = map { (split ' ', proc_status($pid)->{$_})[0] } 'Uid', 'Gid';
system('setpriv', "--reuid=$uid", "--regid=$gid", '--clear-groups',
    'prlimit', "--pid=$pid", '--nofile=40:40') == 0 or die 'prlimit';
my $off = log_size('raise');
my @held = hold($port, 100);
my $used = idle_cpu($pid, 3);
ok($used < 0.5, sprintf('EMFILE: %.2f CPU seconds in 3 s (idle)', $used));
my @pausing = log_since('raise', $off) =~ /^.*accept: Too many open files; pausing.*$/mg;
is(scalar @pausing, 1, 'one log line says it pauses') or diag(@pausing[0 .. 2]);
my $lines = () = log_since('raise', $off) =~ /^(?!.*stats )/mg;
ok($lines <= 3, "at most a few log lines ($lines, stats lines aside)");
ok(wait_until(5, sub { log_since('raise', $off) =~ /stats .* accept_paused=[1-9]/ }),
    'the stats line counts the pauses');
close $_ for @held;
my $s;
ok(wait_until(10, sub { $s = eval { policy_client($port, 2) } and
    defined(my $r = ask($s, rcpt_req(sasl_username => 'a@example.com',
        instance => 'fd.' . time))) }), 'once descriptors are free it serves again');
ok(wait_until(5, sub { log_since('raise', $off) =~ /accepting connections again/ }),
    '  and says so, once');
ok(stop_policyd('raise'), 'clean exit');

# 3. hard limit 64: max_connections is lowered to fit, with one warning;
# 200 clients get served or refused, no spin, no flood
$port = start('low', '64:64');
$pid = FG::pid('low');
my @warn = log_since('low', 0) =~ /^.*RLIMIT_NOFILE.*$/mg;
is(scalar @warn, 1, 'hard limit 64: one warning') or diag(log_since('low', 0));
like($warn[0] // '', qr/max_connections 1000 needs \d+ file descriptors, the limit \(RLIMIT_NOFILE\) is 64: serving (\d+) connections at most/,
    '  saying what it serves instead');
$off = log_size('low');
@held = hold($port, 200);
$used = idle_cpu($pid, 3);
ok($used < 0.5, sprintf('200 clients on 64 descriptors: %.2f CPU seconds in 3 s', $used));
$lines = () = log_since('low', $off) =~ /^(?!.*stats )/mg;
ok($lines <= 3, "at most a few log lines ($lines, stats lines aside)")
    or diag(log_since('low', $off) =~ s/^/# /mgr);
my $full = () = log_since('low', $off) =~
    /connection limit \(\d+\) reached|holds \d+ connections/g;
is($full, 1, '  the refusals are logged once');
close $_ for @held;
ok(wait_until(10, sub { $s = eval { policy_client($port, 2) } and
    defined(ask($s, rcpt_req(sasl_username => 'b@example.com',
        instance => 'fd.' . time))) }), 'then it serves');
ok(stop_policyd('low'), 'clean exit');
done_testing();
