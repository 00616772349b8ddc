#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# One notification per block (floodgate.conf notify { }), with a real
# Postfix (its sink receives the mail), a real milter and two policyd
# nodes on one redis-server:
#  - a storm on one node: notify.max mails in the window, then one
#    summary naming the rest when the window ends (exec run for each);
#  - two nodes racing to block the same accounts: exactly one mail and
#    one exec per block, from the node whose HSETNX won;
#  - the mail's facts (subject, rule, reason, count and limit, first and
#    last seen, client ips, senders, node, the commands) and exec's
#    FLOODGATE_* environment, exec run as the daemon's user;
#  - the milter notifies a uid it blocks (user, scripts), and the
#    notification mails themselves go through the milter uncounted;
#  - an exec that hangs is killed at notify.timeout while policy answers
#    keep coming.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();
use FG;
use FGPostfix;

$> == 0 or BAIL_OUT('t/notify.t runs Postfix and needs root');
my $u1 = 'fgtest1';
my $uid1 = FGPostfix::test_user($u1);
my $nobody = getpwnam('nobody');
my $dir = tmpdir();
my $sock = start_redis();
my ($pf, $msock, $key) = FGPostfix::with_milter('ntf');
mkdir "$dir/exec";
chmod 0777, "$dir/exec";
open my $sh, '>', "$dir/on-block" or die;
print $sh <<"EOF";
#!/bin/sh
# notify.exec of the test: its environment into a file, or hang
case "\$FLOODGATE_VALUE" in slow*) sleep 30 ;; esac
f=$dir/exec/\$FLOODGATE_EVENT.\$\$
{ id -u; env | grep '^FLOODGATE_' | grep -v '^FLOODGATE_MAIL='; } > \$f.tmp
mv \$f.tmp \$f
EOF
close $sh;
chmod 0755, "$dir/on-block";

my $notify = <<"EOF";
notify {
    mail     = "postmaster\@example.com"
    from     = "floodgate-alerts\@example.com"
    sendmail = "/usr/sbin/sendmail -C $pf->{etc}"
    exec     = "$dir/on-block"
    timeout  = 2s
    max      = 3
    window   = 8s
}
EOF
my %port;
for my $n ('a', 'b') {
    $port{$n} = free_port();
    start_policyd($n, write_conf("$n.conf", <<"EOF"), $port{$n});
node = "node-$n"
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port{$n}" }
    user   = "nobody"
}
$notify
limit "sasl-hour" {
    subject        = "sasl"
    window         = 1h
    messages       = 3
    block_after    = 1
    max_client_ips = 50
    max_senders    = 50
}
EOF
}
my $mconf = write_conf('milter.conf', <<"EOF");
node = "web1"
redis {
    server = "unix:$sock"
}
policyd {
    user = "nobody"
}
milter {
    socket = "unix:$msock"
    user = "nobody"
    queue_directory = "$pf->{spool}"
    privacy = "full"
    keys = { "k1:$key" }
}
$notify
limit "uid-min" {
    subject     = "uid"
    window      = 1m
    messages    = 2
    block_after = 1
}
EOF
start_milter('milter', $mconf, $msock);
ok($pf->start, 'Postfix with the milter starts');

my $i = 0;
sub req {
    my ($n, $user, $ip) = @_;
    my $c = policy_client($port{$n});
    $i++;
    my $r = ask($c, rcpt_req(sasl_username => $user, instance => "i$i",
        client_address => $ip // '192.0.2.1', sender => "s$i\@$user",
        recipient => "r$i\@example.net"));
    close $c;
    return $r;
}
sub mails { $pf->sink_find($_[0]) }
sub execs { my @f = grep { !/\.tmp$/ } glob("$dir/exec/$_[0].*"); return map { scalar `cat $_` } @f }

# 1. a storm on node a: 5 accounts blocked; 3 mails, the rest in one summary
for my $k (1 .. 5) {
    req('a', "storm$k\@example.com", "198.51.100.$_") for 1 .. 4;
}
ok(wait_until(20, sub { mails(qr/^Subject: floodgate: sasl:storm\d\@/m) == 3 }),
    'storm: notify.max = 3 mails in the window');
ok(wait_until(20, sub { mails(qr/^Subject: floodgate: 2 more blocks not notified/m) == 1 }),
    'then one summary of the 2 others when the window ends')
    or diag(log_since('a', 0));
my ($sum) = mails(qr/^Subject: floodgate: 2 more blocks/m);
my @named = ($sum // '') =~ /^  (sasl:storm\d\@example\.com) rule sasl-hour$/mg;
is(scalar @named, 2, 'the summary names both');
my %mailed = map { /^Subject: floodgate: (sasl:storm\d\@example\.com) blocked/m ? ($1 => 1) : () }
    mails(qr/^Subject: floodgate: sasl:storm/m);
ok(!grep({ $mailed{$_} } @named), 'the ones not mailed');
ok(wait_until(5, sub { execs('summary') == 1 }), 'exec runs for the summary too');
like((execs('summary'))[0] // '', qr/^FLOODGATE_SUPPRESSED=2$/m, 'with the count');
is(scalar(execs('block')), 3, 'and for each of the 3 notifications');
is(mails(qr/^Subject: floodgate: sasl:storm/m), 3, 'no more mails later');

# 2. two nodes race to block the same accounts: one mail, one exec each.
# 16 clients a node, each with its connection open, ask at one signal: the
# 4th and later requests are refused at once on both nodes, and each
# refusal writes the block (block_after = 1)
for my $k (1 .. 3) {
    pipe(my $go_r, my $go_w) or die;
    my @kids;
    for my $n ('a', 'b') {
        for my $c (1 .. 16) {
            my $pid = fork // die;
            if (!$pid) {
                close $go_w;
                my $s = policy_client($port{$n});
                my $ip = '203.0.113.' . ($n eq 'a' ? $c : 10 + $c);
                my $req = rcpt_req(sasl_username => "race$k\@example.com",
                    instance => "r$k$n$c", client_address => $ip,
                    sender => "s$c$n\@race$k\@example.com", recipient => 'x@example.net');
                my $dummy = <$go_r>;    # EOF: go
                ask($s, $req);
                POSIX::_exit(0);    # not FG's END: it would stop everything
            }
            push @kids, $pid;
        }
    }
    close $go_r;
    sleep 0.3;    # every client connected
    close $go_w;
    waitpid $_, 0 for @kids;
}
ok(wait_until(20, sub { mails(qr/^Subject: floodgate: sasl:race\d\@/m) == 3 }),
    'race: a mail for each of the 3 accounts');
# each block write adds its event: more than one an account = a race
my %writes;
$writes{$_}++ for redis('XRANGE', 'fg:events', '-', '+') =~ /^sasl:(race\d)\@example\.com$/mg;
my $w = 0;
$w += $_ for values %writes;
cmp_ok($w, '>', 3, 'the nodes raced: ' . join(' ', map { "$_=" . ($writes{$_} // 0) } sort keys %writes)
    . ' block writes (each one a candidate notifier)');
sleep 2;    # a second notification would be on its way by now
for my $k (1 .. 3) {
    is(scalar(mails(qr/^Subject: floodgate: sasl:race$k\@example\.com blocked/m)), 1,
        "race$k: exactly one mail");
    is(scalar(grep { /^FLOODGATE_SUBJECT=sasl:race$k\@example\.com$/m } execs('block')), 1,
        "race$k: exactly one exec");
    my %blk = split /\n/, redis('HGETALL', "fg:{sasl:race$k\@example.com}:block");
    my ($m) = mails(qr/^Subject: floodgate: sasl:race$k\@/m);
    like($m // '', qr/ on \Q$blk{notified}\E$/m, "race$k: sent by the node named in the block ($blk{notified})");
}
my $nlines = () = (log_since('a', 0) . log_since('b', 0)) =~ /notify: event=block subject=sasl:race1\@/g;
is($nlines, 1, 'one notify line in the two nodes\' logs');

# 3. what the mail and exec say
my ($m) = mails(qr/^Subject: floodgate: sasl:race1\@/m);
$m //= '';
like($m, qr/^From: floodgate <floodgate-alerts\@example\.com>$/m, 'From: notify.from');
like($m, qr/^To: postmaster\@example\.com$/m, 'To: notify.mail');
like($m, qr/^Auto-Submitted: auto-generated$/m, 'auto-generated');
like($m, qr/^Rule:\s+sasl-hour$/m, 'the rule');
like($m, qr/^Reason:\s+messages over limit 3, 1 denials$/m, 'the reason');
my ($count) = $m =~ /^Count:\s+(\d+) against a limit of 3$/m;
cmp_ok($count // 0, '>=', 4, 'count and limit');
like($m, qr/^First seen: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m, 'first seen');
like($m, qr/^Last seen:  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m, 'last seen');
my @ips = $m =~ /^  (203\.0\.113\.\d+)$/mg;
ok(@ips >= 3, 'the client ips seen until the block (' . scalar(@ips) . ')');
like($m, qr/^Senders:\s+\d+ distinct/m, 'the senders');
like($m, qr/^  floodgate why sasl:race1\@example\.com /m, 'the command to inspect');
like($m, qr/^  floodgate unblock sasl:race1\@example\.com --reset /m, 'to unblock');
like($m, qr/^  floodgate queue sasl:race1\@example\.com --hold /m, 'to hold its queued mail');
my ($e) = grep { /^FLOODGATE_SUBJECT=sasl:race1\@/m } execs('block');
$e //= '';
like($e, qr/^$nobody$/m, 'exec runs as the daemon\'s user (nobody)');
like($e, qr/^FLOODGATE_RULE=sasl-hour$/m, 'FLOODGATE_RULE');
like($e, qr/^FLOODGATE_COUNT=\Q${\($count \/\/ '')}\E$/m, 'FLOODGATE_COUNT, as the mail');
like($e, qr/^FLOODGATE_LIMIT=3$/m, 'FLOODGATE_LIMIT');
like($e, qr/^FLOODGATE_IPS=(203\.0\.113\.\d+ ?){3,}$/m, 'FLOODGATE_IPS');
like($e, qr/^FLOODGATE_SENDERS=(s\d+[ab]\@race1\@example\.com ?){3,}$/m, 'FLOODGATE_SENDERS');
like($e, qr/^FLOODGATE_NODE=node-[ab]$/m, 'FLOODGATE_NODE');
like(log_since('a', 0) . log_since('b', 0),
    qr/notify: event=block subject=sasl:race1\@example\.com rule=sasl-hour suppressed=0 mail="exit 0" exec="exit 0"/,
    'the outcome logged, one line');

# 4. the milter blocks a uid and notifies it; no notification is counted
for my $k (1 .. 4) {
    $pf->sendmail_as($u1, "From: $u1\@fg.test\nTo: x$k\@example.net\nSubject: n$k\n\nbody\n", '-t');
}
ok(wait_until(30, sub { mails(qr/^Subject: floodgate: uid:$u1 blocked \(uid-min\) on web1$/m) == 1 }),
    'the milter notifies the uid it blocked');
($m) = mails(qr/^Subject: floodgate: uid:$u1 blocked/m);
like($m // '', qr/^User:\s+$u1 \(uid $uid1\)$/m, 'with the user and its uid');
like($m // '', qr/^Top scripts/m, 'and its top scripts');
is(redis('EXISTS', "fg:{uid:nobody}"), 0, 'the notifications (uid nobody) were not counted');
my @held = grep { $_->{queue_name} eq 'hold' && $_->{sender} =~ /floodgate-alerts/ } $pf->queue;
is(scalar @held, 0, 'none of them held');
like(log_since('milter', 0), qr/src=sendmail uid=$nobody .*action=accept/,
    'the milter saw them and let them through');

# 5. an exec that hangs is killed at its timeout; answers keep coming
sleep 8.5;    # node a's window (8 s) of notifications is over
my $t0 = time;
req('a', 'slow1@example.com') for 1 .. 4;    # blocks slow1: exec sleeps
my ($n, $slowest) = (0, 0);
for my $k (1 .. 20) {
    my $t = time;
    $n++ if req('a', "fast$k\@example.com") eq 'DUNNO';
    $slowest = time - $t if time - $t > $slowest;
}
is($n, 20, 'policyd answers while the notifier waits for a hanging exec');
cmp_ok($slowest, '<', 1, 'each at once');
ok(wait_until(10, sub { log_since('a', 0) =~ /subject=sasl:slow1\@example\.com .*exec="killed after 2s"/ }),
    'the hanging exec is killed after notify.timeout, and that is logged');

# 6. a daemon that keeps root never runs exec (the mail still goes)
my $pc = free_port();
start_policyd('c', write_conf('c.conf', <<"EOF"), $pc);
node = "node-c"
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$pc" }
    user   = "root"
}
$notify
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = 3
    block_after = 1
}
EOF
$port{c} = $pc;
my $before = execs('block');
req('c', 'rooted@example.com') for 1 .. 4;
ok(wait_until(20, sub { log_since('c', 0) =~ /subject=sasl:rooted\@example\.com .*mail="exit 0" exec="not run as root"/ }),
    'as root: exec not run, said in the log; the mail sent');
is(scalar(execs('block')), $before, 'and no exec ran');
ok(stop_policyd('c'), 'node c stops cleanly');

ok(stop_policyd('a') && stop_policyd('b'), 'both nodes stop cleanly');
ok(stop_milter('milter'), 'the milter stops cleanly');
done_testing();
