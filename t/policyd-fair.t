#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Connection fairness of floodgate-policyd (issue 11): 1,100 idle
# connections of another local user do not keep Postfix's uid or root
# out (refused when the user is not allowed, capped per peer when it is);
# a half-written request, or empty lines without one, are closed at
# request_timeout while an idle connection stays; a client that pipelines
# and never reads does not grow policyd's memory; a parse error in
# pipelined input still gets the answer queued before it; the backlog is
# the system's. Nothing here asserts a speed: every bound is generous.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Time::HiRes qw(time sleep);
use FG;

plan skip_all => 'needs root (clients run as nobody and postfix)' if $> != 0;
defined getpwnam('postfix') or plan skip_all => 'no postfix user';
fd_limit(4096);
$SIG{PIPE} = 'IGNORE';

my $sock = start_redis();
my $port = free_port();
my $usock = tmpdir() . '/fair.sock';
sub conf {
    my ($users) = @_;
    return <<"EOF";
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port", "unix:$usock" }
    request_timeout = 2s
    stats_interval = 1s
$users
}
EOF
}
my $conf = write_conf('fair.conf', conf(''));
# make SANITIZE=1: ASan keeps 256 MB of freed memory in quarantine, which
# the RSS bound below would count
$ENV{ASAN_OPTIONS} = join ':', grep { $_ } $ENV{ASAN_OPTIONS},
    'quarantine_size_mb=1', 'thread_local_quarantine_size_kb=64';
start_policyd('f', $conf, $port);
my $pid = FG::pid('f');

# hold(N): as nobody, N connections held open; says how many the server
# closed within a second, then waits to be told to close them
sub hold {
    my ($n) = @_;
    return as_user('nobody', sub {
        my ($from, $to) = @_;
        my @s;
        for (1 .. $n) {
            my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                Timeout => 5) or last;
            push @s, $s;
        }
        my $sel = IO::Select->new(@s);
        my %closed;
        my $end = time + 1.5;
        while (time < $end) {
            for my $r ($sel->can_read(0.2)) {
                my $n = sysread($r, my $buf, 1);
                if (!$n) { $closed{$r} = 1; $sel->remove($r) }
            }
        }
        print $to scalar(@s), ' ', scalar(keys %closed), "\n";
        <$from>;
    });
}

# served(USER): a fresh connection of USER answers
sub served {
    my ($user) = @_;
    return ask_as($user, $port, rcpt_req(sasl_username => "$user\@example.com",
        instance => "$user." . time));
}

# 1. 1,100 idle connections of nobody (not in allow_users): all refused
my $h = hold(1100);
my ($opened, $closed) = split ' ', readline($h->{from}) // '0 0';
is($opened, 1100, 'nobody opened 1,100 connections');
is($closed, 1100, '  policyd closed every one of them')
    or diag("closed $closed");
is(served('postfix'), 'DUNNO', "postfix's uid is served meanwhile");
is(served('root'), 'DUNNO', 'root too');
print { $h->{to} } "done\n";
waitpid($h->{pid}, 0);

# 2. nobody allowed: the per-peer cap (half of max_connections = 500)
# keeps the other half for Postfix
write_conf('fair.conf', conf('    allow_users = { "postfix", "root", "nobody" }'));
my $off = log_size('f');
kill 'HUP', $pid;
ok(wait_until(5, sub { log_since('f', $off) =~ /reloaded/ }), 'reload: nobody allowed');
$h = hold(1100);
($opened, $closed) = split ' ', readline($h->{from}) // '0 0';
is($opened, 1100, 'nobody opened 1,100 connections');
is($opened - $closed, 500, '  500 of them stay: the per-peer cap')
    or diag("closed $closed");
is(served('postfix'), 'DUNNO', "postfix's uid is served meanwhile");
is(served('root'), 'DUNNO', 'root too');
ok(wait_until(5, sub { log_since('f', $off) =~ /stats .* over_peer_limit=600 / }),
    'the stats line counts the 600 over the cap');
my $caplines = () = log_since('f', $off) =~ /max_connections_per_peer/g;
is($caplines, 1, '  with one log line');
print { $h->{to} } "done\n";
waitpid($h->{pid}, 0);
ok(wait_until(10, sub { log_since('f', 0) =~ /stats .* connections=0 / }),
    'their slots are free again');

# 3. request_timeout: a request must be whole 2 s after its first byte
sub closed_after {
    my ($text, $max) = @_;
    my $s = policy_client($port);
    my $t0 = time;
    print $s $text;
    my $sel = IO::Select->new($s);
    while (time - $t0 < $max) {
        next unless $sel->can_read(0.2);
        my $n = sysread($s, my $buf, 4096);
        return time - $t0 if !$n;
    }
    return undef;
}
my $t = closed_after("request=smtpd_access_policy\nprotocol_state=RCPT\n", 20);
ok(defined $t && $t >= 1.5 && $t < 15,
    'a request without its closing empty line is closed at request_timeout ('
    . (defined $t ? sprintf('%.1f s', $t) : 'still open after 20 s') . ')');
$t = closed_after("request=smtpd_acc", 20);
ok(defined $t && $t >= 1.5 && $t < 15,
    'so is half a line (' . (defined $t ? sprintf('%.1f s', $t) : 'open') . ')');
$t = closed_after("\n" x 100000, 20);
ok(defined $t && $t < 15, '100,000 empty lines and no request: closed ('
    . (defined $t ? sprintf('%.1f s', $t) : 'open') . ')');
like(log_since('f', 0), qr/more than 16 empty lines before a request/,
    '  as malformed');
like(log_since('f', 0), qr/request not complete 2 s after its first byte/,
    'the timeout is logged');
# an idle connection is not a slow request
my $idle = policy_client($port);
is(ask($idle, rcpt_req(sasl_username => 'idle@example.com', instance => 'i.1')),
    'DUNNO', 'a connection answers');
sleep 5;
is(ask($idle, rcpt_req(sasl_username => 'idle@example.com', instance => 'i.2')),
    'DUNNO', 'and still answers after 5 s idle (2.5 x request_timeout)');

# 4. a parse error after a valid pipelined request: its answer comes first
my $p = policy_client($port);
print $p rcpt_req(sasl_username => 'pipe@example.com', instance => 'p.1')
    . "garbage\n\n";
my @got = <$p>;
is($got[0] // 'EOF', "action=DUNNO\n",
    'pipelined: the valid request is answered before the bad one closes');
is(scalar @got, 2, '  then the connection is closed');

# 5. 50 clients pipeline requests and never read an answer: memory stays
# bounded (reading stops while answers pile up), and they are closed. On
# a unix socket the kernel holds ~200 kB of a connection's answers (TCP
# on loopback grows its buffers to MBs first): the rest would pile up in
# policyd
sub rss_kb { (proc_status($pid)->{VmRSS} // '0') =~ /(\d+)/ ? $1 : 0 }
my $rss0 = rss_kb();
my $req = "request=smtpd_access_policy\nprotocol_state=RCPT\n\n" x 200;
my $pl = as_user('postfix', sub {
    my ($from, $to) = @_;
    my @s = grep { $_ } map { IO::Socket::UNIX->new(Peer => $usock) } 1 .. 50;
    $_->blocking(0) for @s;
    my ($sent, $end) = (0, time + 15);
    my $sel = IO::Select->new(@s);
    while (time < $end && $sel->count) {
        for my $w ($sel->can_write(0.1)) {
            my $n = syswrite($w, $req);
            if (defined $n) { $sent += $n }
            elsif (!$!{EAGAIN}) { $sel->remove($w) }
        }
    }
    print $to "$sent ", scalar(@s) - $sel->count, "\n";
    <$from>;
});
my $peak = $rss0;
my $line;
my $rsel = IO::Select->new($pl->{from});
until ($rsel->can_read(0.2)) {
    my $r = rss_kb();
    $peak = $r if $r > $peak;
}
my ($sent, $gone) = split ' ', readline($pl->{from}) // '0 0';
print { $pl->{to} } "done\n";
waitpid($pl->{pid}, 0);
my $grew = ($peak - $rss0) / 1024;
$grew = 0 if $ENV{FG_VALGRIND};    # valgrind's own memory: not ours
ok($grew < 24, sprintf('50 pipeliners that never read (%.0f MB sent): RSS '
    . 'grew %.1f MB (from %.1f MB), bounded', $sent / 1e6, $grew, $rss0 / 1024));
is($gone, 50, '  policyd closed all 50');
ok(wait_until(10, sub { log_since('f', 0) =~ /takes no answers for 2 s, closing/ }),
    'a client that takes no answers is closed after request_timeout');
is(served('root'), 'DUNNO', 'the server still serves');

# 6. the backlog is the system's maximum, not 128
my $max = `cat /proc/sys/net/core/somaxconn` + 0;
my ($ss) = grep { /:$port\b/ } `ss -ltnH`;
my $backlog = (split ' ', $ss // '')[2] // 'none';
is($backlog, $max, "listen backlog $max (net.core.somaxconn)");

ok(stop_policyd('f'), 'clean exit on SIGTERM');
done_testing();
