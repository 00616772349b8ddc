#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate-milter on a real Postfix (smtpd_milters and non_smtpd_milters):
# SMTP over loopback from a test user's process is stamped with its uid,
# pid, executable and directory; sendmail by another user with that uid;
# forged stamps are removed; a PHP-style claim is recorded as claimed; the
# trace stream and the scripts ZSET name the sender; a uid over its limit
# is held (postqueue -j) and released with postsuper -H; a sasl block
# written for policyd is honoured; with Redis down mail still flows and
# local limits apply.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(getcwd);
use FG;
use FGPostfix;

$> == 0 or BAIL_OUT('t/milter.t runs Postfix and needs root');
my ($u1, $u2) = ('fgtest1', 'fgtest2');
my $uid1 = FGPostfix::test_user($u1);
my $uid2 = FGPostfix::test_user($u2);
my $dir = tmpdir();
my $sock = start_redis();
# Postfix through the milter, and a signing key (mode 0600)
my ($pf, $msock, $key) =
    FGPostfix::with_milter('mil', sasl => { carol => 'carolpw' });

my $conf = write_conf('milter.conf', <<"EOF2");
node = "web1"
redis {
    server = "unix:$sock"
    timeout = 300ms
}
milter {
    socket = "unix:$msock"
    user = "nobody"
    queue_directory = "$pf->{spool}"
    privacy = "full"
    keys = { "k1:$key" }
}
limit "uid-hour" {
    subject     = "uid"
    window      = 1h
    messages    = 3
    block_after = 2
}
EOF2
start_milter('milter', $conf, $msock);
ok($pf->start, 'Postfix with the milter starts');

my $n = 0;
# stamp_of(TEXT): the X-Floodgate-Origin header of a delivered message
sub stamps_of {
    my ($text) = @_;
    my ($head) = split /\r?\n\r?\n/, $text, 2;
    $head =~ s/\r?\n[ \t]+/ /g;
    return $head =~ /^X-Floodgate-Origin: (.*)$/mig;
}
sub delivered {
    my ($id) = @_;
    my @m;
    wait_until(15, sub { @m = $pf->sink_find(qr/^X-Test-Id: \Q$id\E$/m); @m });
    return $m[0];
}
sub message {
    my ($id, @hdr) = @_;
    return join('', map { "$_\n" } "From: t\@fg.test", 'To: r@example.net',
        "Subject: $id", "Message-ID: <$id\@fg.test>", "X-Test-Id: $id", @hdr)
        . "\nbody $id\n";
}

# 1. SMTP over loopback from a process of fgtest1, in its own directory
my $work = "$dir/site1";
mkdir $work;
chmod 0755, $work;
my $client = "$work/send.pl";
open my $cf, '>', $client or die;
print $cf <<'EOF2';
use IO::Socket::INET;
my ($port, $id) = @ARGV;
my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "connect: $!";
my $r = sub { my $l; do { $l = <$s> } while $l =~ /^\d{3}-/; $l };
my $c = sub { print $s "$_[0]\r\n"; $r->() };
$r->();
$c->('EHLO client.fg.test');
$c->('MAIL FROM:<site@fg.test>');
$c->('RCPT TO:<r@example.net>');
$c->('DATA');
print $s "Subject: $id\r\nMessage-ID: <$id\@fg.test>\r\nX-Test-Id: $id\r\n\r\nhello\r\n";
my $end = $c->('.');
$c->('QUIT');
print $end;
EOF2
close $cf;
chmod 0755, $client;
my $pid = open(my $ch, '-|') // die;
if (!$pid) {
    chdir $work or die;
    exec 'setpriv', "--reuid=$u1", "--regid=$u1", '--init-groups',
        '/usr/bin/perl', $client, $pf->{smtp}, 'tcp1';
    exit 127;
}
my $reply = do { local $/; <$ch> };
close $ch;
like($reply, qr/^250 /, 'the local SMTP client sent its message');
my $m = delivered('tcp1');
ok($m, 'delivered to the sink');
my @st = stamps_of($m // '');
is(scalar @st, 1, 'one stamp');
like($st[0] // '', qr/^v=1; h=web1; src=smtp-local; uid=$uid1; user=$u1; pid=$pid; exe=\/usr\/bin\/perl[^;]*; cwd=\Q$work\E; script=\Q$client\E;/,
    'stamped with the uid, pid, exe, cwd and script of the client');
like($st[0] // '', qr/; k=k1; b=[A-Za-z0-9+\/=]{44}$/, 'and signed with key k1');

# 2. sendmail by fgtest2, with a PHP-style claimed script
is($pf->sendmail_as($u2, message('sm1',
    'X-PHP-Originating-Script: 4242:contact.php'), '-t'), 0,
    'sendmail as fgtest2 succeeds');
$m = delivered('sm1');
@st = stamps_of($m // '');
is(scalar @st, 1, 'one stamp on the sendmail message');
like($st[0] // '', qr/^v=1; h=web1; src=sendmail; uid=$uid2; user=$u2; claimed=4242:contact\.php;/,
    'sendmail: uid from the queue file, the PHP header only as a claim');
my $trace = redis('XREVRANGE', 'fg:trace', '+', '-', 'COUNT', '1');
like($trace, qr/\nuser\n$u2\n/, 'the trace entry names the user');
like($trace, qr/\nclaimed\n4242:contact\.php\n/, 'and the claim as a claim');
is(redis('ZREVRANGE', "fg:{uid:$u2}:scripts", '0', '0'), 'contact.php',
    'the scripts ZSET names the claimed script');
is(redis('ZREVRANGE', "fg:{uid:$u1}:scripts", '0', '0'), $client,
    'and the script of the SMTP client');

# 3. a forged stamp is removed, only the genuine one is delivered
my ($rc, $out) = $pf->swaks('--from', 'x@fg.test', '--to', 'r@example.net',
    '--header', 'X-Test-Id: forged', '--add-header',
    'X-Floodgate-Origin: v=1; h=web1; src=sendmail; uid=0; user=root; k=k1; b=AAAA',
    '--add-header', 'x-floodgate-origin: v=1; uid=0');
is($rc, 0, 'a message with two forged stamps is accepted');
$m = delivered('forged');
@st = stamps_of($m // '');
is(scalar @st, 1, 'only one stamp is delivered');
unlike($st[0] // '', qr/src=sendmail|b=AAAA/, 'the forged ones are gone');
like($st[0] // '', qr/^v=1; h=web1; src=smtp-local;/, 'the genuine one is there');
like(log_since('milter', 0), qr/qid=\w+ src=smtp-local .*stamps_removed=2/,
    'the removal is logged');

# 4. per-uid limit: fgtest2 has sent 1 of 3; the 4th and later are held
for my $i (2 .. 5) {
    $pf->sendmail_as($u2, message("lim$i"), '-t');
}
ok(wait_until(20, sub { my @q = grep { $_->{queue_name} eq 'hold' } $pf->queue; @q == 2 }),
    'two messages over the uid limit sit in the hold queue');
ok(wait_until(15, sub { delivered('lim3') }), 'the 3rd message was delivered');
like(log_since('milter', 0), qr/qid=\w+ src=sendmail uid=$uid2 .*action=hold rule=uid-hour why="uid:$u2 over limit/,
    'the hold is logged with the rule');
my %blk = split /\n/, redis('HGETALL', "fg:{uid:$u2}:block");
is($blk{rule}, 'uid-hour', 'the second denial blocked the uid');
is($blk{by}, 'milter', 'written by the milter');
# floodgate(8) on what the milter wrote: blocked, why (the block, the
# count, the script, the trace), top (written every 5 s)
my $fg = ($ENV{FG_BUILD} // 'build') . '/floodgate';
my $fo = `$fg -c $conf blocked`;
like($fo, qr/^uid:$u2\s+uid-hour\s+.*\s+web1\s+milter\s+until lifted$/m,
    'floodgate blocked: the uid, by the milter on web1');
$fo = `$fg -c $conf why uid:$uid2`;
is($? >> 8, 0, 'floodgate why uid:N: exit 0');
like($fo, qr/^subject: uid:$u2$/m, 'why: the uid number as its user name');
like($fo, qr/^uid-hour\s+3600\s+messages\s+3\s+3\s/m, 'why: 3 of 3 messages counted');
like($fo, qr/^\d+\s+contact\.php$/m, 'why: the top script');
like($fo, qr/^\d+s ago\s+\w+\s+web1\s+sendmail\s+$u2\s+/m, 'why: its trace entries');
ok(wait_until(12, sub { `$fg -c $conf top --subject uid` =~ /^uid:$u2\s+5\s+yes$/m }),
    'floodgate top: the uid with its 5 messages, blocked');
redis('DEL', "fg:{uid:$u2}:block", "fg:{uid:$u2}");
system("postsuper -c $pf->{etc} -H ALL >/dev/null 2>&1");
system('postqueue', '-c', $pf->{etc}, '-f');
ok(wait_until(20, sub { delivered('lim4') && delivered('lim5') }),
    'postsuper -H released them to the sink');

# 5. a sasl block written by policyd is honoured (held)
redis('HSET', 'fg:{sasl:carol}:block', 'rule', 'sasl-hour', 'reason',
    'messages 101 > 100', 'by', 'policyd');
($rc) = $pf->swaks('--auth', 'PLAIN', '--auth-user', 'carol',
    '--auth-password', 'carolpw', '--from', 'carol@fg.test',
    '--to', 'r@example.net', '--header', 'X-Test-Id: carol1');
is($rc, 0, 'the blocked account\'s message is accepted by SMTP');
ok(wait_until(10, sub { grep { $_->{queue_name} eq 'hold' } $pf->queue }),
    'and held');
like(log_since('milter', 0), qr/src=smtp-local .*auth="carol".*action=hold rule=sasl-hour why="sasl:carol blocked/,
    'because of the sasl block');
system("postsuper -c $pf->{etc} -d ALL hold >/dev/null 2>&1");

# 6. reload: opaque stamps, verify keeps a genuine upstream stamp, and
#    on_block = reject refuses SMTP but still only holds a sendmail message
my $tcp1 = delivered('tcp1');
my ($genuine) = stamps_of($tcp1);
my $off = log_size('milter');
write_conf('milter.conf', <<"EOF2");
node = "web1"
redis {
    server = "unix:$sock"
    timeout = 300ms
}
milter {
    socket = "unix:$msock"
    user = "nobody"
    queue_directory = "$pf->{spool}"
    privacy = "opaque"
    keys = { "k1:$key" }
    verify = true
    on_block = "reject"
    on_unattributed = "hold"
}
limit "uid-hour" {
    subject     = "uid"
    window      = 1h
    messages    = 3
    block_after = 2
}
EOF2
chown scalar(getpwnam('nobody')), -1, $key; # read again after the drop
kill 'USR1', FG::pid('milter');
ok(wait_until(10, sub { log_since('milter', $off) =~ /reloaded .*\(1 limits, 1 keys\)/ }),
    'SIGUSR1 takes the new config');
($rc, $out) = $pf->swaks('--from', 'site@fg.test', '--to', 'r@example.net',
    '--header', 'X-Test-Id: relay1', '--header', 'Message-Id: <tcp1@fg.test>',
    '--add-header', "X-Floodgate-Origin: $genuine",
    '--add-header', 'X-Floodgate-Origin: v=1; h=web1; src=sendmail; uid=0; k=k1; b=CvMjgyuJ80hSlse/oVNCF7JUyd4Gdkyoe4Y1SYYNpig=');
is($rc, 0, 'a relayed message with a genuine and a forged stamp is accepted');
@st = stamps_of(delivered('relay1') // '');
is(scalar @st, 2, 'verify: two stamps delivered');
like($st[0] // '', qr/^v=1; h=web1; src=smtp-local; u=[0-9a-f]{16}; q=\w+; t=\d+; k=k1; b=\S{44}$/,
    'the new one on top, opaque: a keyed uid hash, no names');
is($st[1] // '', $genuine, 'the genuine upstream stamp is kept as it was');
like(log_since('milter', $off), qr/src=smtp-local .*stamps_removed=1 /,
    'only the forged one is removed');
($rc, $out) = $pf->swaks('--auth', 'PLAIN', '--auth-user', 'carol',
    '--auth-password', 'carolpw', '--from', 'carol@fg.test',
    '--to', 'r@example.net', '--header', 'X-Test-Id: carol2');
like($out, qr/<\*\*\s+550 5\.7\.1 Sending suspended for abuse/,
    'on_block = reject: the blocked SMTP account gets 550 5.7.1');
redis('HSET', "fg:{uid:$u2}:block", 'rule', 'admin', 'by', 'admin');
is($pf->sendmail_as($u2, message('smblk'), '-t'), 0, 'sendmail by a blocked uid');
ok(wait_until(10, sub { grep { $_->{queue_name} eq 'hold' } $pf->queue }),
    'is held, not rejected (a non-SMTP reject would bounce)');
like(log_since('milter', $off), qr/src=sendmail uid=$uid2 .*action=hold rule=admin/,
    'and logged as held');
my @bounces = $pf->sink_find(qr/smblk|Undelivered Mail/);
is(scalar @bounces, 0, 'nothing bounced');
system("postsuper -c $pf->{etc} -d ALL hold >/dev/null 2>&1");
redis('DEL', "fg:{uid:$u2}:block", 'fg:{sasl:carol}:block');
# a local address the kernel knows no socket for (XCLIENT stands in for
# a client that vanished or lives elsewhere): on_unattributed applies
($rc, $out) = $pf->swaks('--xclient', 'ADDR=127.0.0.5 PORT=5555',
    '--from', 'x@fg.test', '--to', 'r@example.net',
    '--header', 'X-Test-Id: unattr');
is($rc, 0, 'an unattributed local client is accepted by SMTP');
ok(wait_until(10, sub { grep { $_->{queue_name} eq 'hold' } $pf->queue }),
    'on_unattributed = hold: and held');
like(log_since('milter', $off), qr/client=127\.0\.0\.5 .*action=hold rule=- why="unattributed: sock_diag: /,
    'logged as unattributed, with the reason');
system("postsuper -c $pf->{etc} -d ALL hold >/dev/null 2>&1");

# 6b. a key of the wrong type is one subject's trouble (issue 11): that
#     uid is decided locally, named once in the log, and Redis stays up
#     for everyone else
$off = log_size('milter');
redis('SET', "fg:{uid:$u2}:block", 'not a hash');
is($pf->sendmail_as($u2, message('wt1'), '-t'), 0, 'sendmail by a uid whose block key is a string');
ok(wait_until(20, sub { log_since('milter', $off) =~ /src=sendmail uid=$uid2 .*action=\w+ degraded=1/ }),
    'is decided locally (degraded=1; the block it had is still cached)');
like(log_since('milter', $off), qr/redis: uid:$u2 decided locally: HGETALL fg:\{uid:$u2\}:block \(WRONGTYPE/,
    'the log names the subject and the key');
is($pf->sendmail_as($u1, message('wt2'), '-t'), 0, 'another uid sends');
ok(wait_until(20, sub { log_since('milter', $off) =~ /src=sendmail uid=$uid1 .*action=\w+ rule=/ }),
    'and is decided');
unlike(log_since('milter', $off), qr/src=sendmail uid=$uid1 .*degraded=1|redis: (down|failing)/,
    'by Redis: not declared down for everyone');
system("postsuper -c $pf->{etc} -d ALL hold >/dev/null 2>&1");
redis('DEL', "fg:{uid:$u2}:block");

# 7. Redis down: mail flows within the timeout, the local uid limit holds
stop_redis();
my $t0 = time;
for my $i (1 .. 5) {
    $pf->sendmail_as($u1, message("down$i"), '-t');
}
ok(wait_until(20, sub { delivered('down3') }), 'mail flows with Redis down');
ok(wait_until(20, sub { my @q = grep { $_->{queue_name} eq 'hold' } $pf->queue; @q == 2 }),
    'the local uid limit holds the 4th and 5th');
like(log_since('milter', 0), qr/redis: down/, 'the outage is logged');
like(log_since('milter', 0), qr/src=sendmail uid=$uid1 .*action=hold degraded=1/,
    'held in degraded mode');
unlike($pf->maillog, qr/(fatal|panic):/, 'no fatal or panic in the Postfix log');

ok($pf->stop, 'Postfix stops');
ok(stop_milter('milter'), 'the milter exits cleanly on SIGTERM');
done_testing();
