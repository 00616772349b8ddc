#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Cluster scenarios 2, 3, 4 and 5 (issue 4) on two real Postfix nodes
# sharing one Redis:
# 2. a hacked PHP site: a test user's script calls sendmail in a loop with
#    X-PHP-Originating-Script; each delivered message is stamped with the
#    uid and the claimed script; the uid is limited, then blocked (held,
#    nothing bounced); ZREVRANGE of its scripts names the script; another
#    local user's mail is unaffected;
# 3. a process of a hosted user talks SMTP to localhost without AUTH: the
#    stamp carries its uid, pid, executable and directory; the uid limit
#    applies;
# 4. a message with a forged stamp for another uid is delivered with only
#    the genuine stamp;
# 5. the README's uid unblock recipe: the uid sends again on both nodes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use FGCluster;
use FGPostfix;
use FGSmtp;

$> == 0 or BAIL_OUT('t/cluster-local.t runs Postfix and needs root');
my ($web1, $web2, $web3) = ('fgweb1', 'fgweb2', 'fgweb3');
my %uid = map { $_ => FGPostfix::test_user($_) } $web1, $web2, $web3;
my $limit = 10;
my $c = FGCluster->new(limits => <<"EOF");
limit "uid-hour" {
    subject     = "uid"
    window      = 1h
    messages    = $limit
    block_after = 2
}
limit "ip-hour" {
    subject  = "ip"
    window   = 1h
    messages = 1000
}
EOF
ok($c, 'two nodes with policyd and milter on one Redis');
my $dir = tmpdir();

# run_as(USER, DIR, CMD...): run CMD as USER in DIR; (exit code, stdout)
sub run_as {
    my ($user, $cwd, @cmd) = @_;
    my $pid = open(my $fh, '-|') // die;
    if (!$pid) {
        chdir $cwd or die;
        exec 'setpriv', "--reuid=$user", "--regid=$user", '--init-groups', @cmd;
        exit 127;
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($? >> 8, $out);
}

# 2. the hacked site: 15 messages from a loop around sendmail
my $site = "$dir/site-web1";
mkdir $site;
chmod 0755, $site;
my $etc_a = $c->pf('a')->{etc};
open my $sh, '>', "$site/mailer.sh" or die;
print $sh <<"EOF";
#!/bin/sh
i=1
while [ \$i -le 15 ]; do
    printf 'From: shop\@fg.test\\nTo: r\@example.net\\nSubject: cheap\\nMessage-ID: <php%d\@fg.test>\\nX-Test-Id: php%d\\nX-PHP-Originating-Script: $uid{$web1}:mailer.php\\n\\nspam\\n' \$i \$i |
        /usr/sbin/sendmail -C $etc_a -t || exit 1
    i=\$((i + 1))
done
EOF
close $sh;
chmod 0755, "$site/mailer.sh";
my ($rc) = run_as($web1, $site, '/bin/sh', "$site/mailer.sh");
is($rc, 0, 'the script submitted 15 messages with sendmail');
for my $i (1 .. 2) {
    my ($r) = run_as($web2, $dir, '/bin/sh', '-c',
        "printf 'Subject: ok\\nMessage-ID: <other$i\@fg.test>\\nX-Test-Id: other$i\\n\\nhi\\n' | /usr/sbin/sendmail -C $etc_a r\@example.net");
}
ok(wait_until(30, sub { scalar($c->held) == 15 - $limit }),
    'the 5 messages over the uid limit are held on node A')
    or diag(scalar $c->held);
ok($c->wait_delivered('other1', 'other2'), "another local user's mail is delivered");
sleep 1;
my $d = $c->delivered;
my @php = grep { /^php\d+$/ } keys %$d;
is(scalar @php, $limit, "exactly $limit of them were delivered");
my $bad = 0;
for my $id (@php) {
    my @st = FGCluster::stamps_of($c->message_of($id));
    $bad++ unless @st == 1 && $st[0] =~ /^v=1; h=node-a; src=sendmail; uid=$uid{$web1}; user=$web1; claimed=$uid{$web1}:mailer\.php; q=\w+; t=\d+; k=k1; b=\S{44}$/;
}
ok(@php && !$bad, 'each carries one stamp with the uid and the claimed script');
my %blk = split /\n/, redis('HGETALL', "fg:{uid:$web1}:block");
is($blk{rule}, 'uid-hour', 'the uid is blocked by the uid limit');
is($blk{by}, 'milter', 'by the milter');
is(redis('ZREVRANGE', "fg:{uid:$web1}:scripts", '0', '0'), 'mailer.php',
    "ZREVRANGE 'fg:{uid:$web1}:scripts' 0 0 names the script");
like(redis('XREVRANGE', 'fg:trace', '+', '-', 'COUNT', '40'),
    qr/\nuser\n$web1\n.*\naction\nhold\n/s, 'the trace shows the held ones');
my @bounces = map { $c->pf($_)->sink_find(qr/^Subject: Undelivered/m) } 'a', 'b';
is(scalar @bounces, 0, 'nothing bounced');

# 3. a hosted user's program talks SMTP to localhost, no AUTH
my $app = "$dir/app-web3";
mkdir $app;
chmod 0755, $app;
open my $pl, '>', "$app/notify.pl" or die;
print $pl <<'EOF';
use IO::Socket::INET;
my ($port, $n) = @ARGV;
my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "connect: $!";
my $r = sub { my $l; do { $l = <$s> } while $l =~ /^\d{3}-/; $l };
my $c = sub { print $s "$_[0]\r\n"; $r->() };
$r->();
$c->('EHLO app.fg.test');
for my $i (1 .. $n) {
    $c->('MAIL FROM:<app@fg.test>');
    $c->('RCPT TO:<r@example.net>');
    $c->('DATA');
    print $s "Subject: n$i\r\nMessage-ID: <app$i\@fg.test>\r\nX-Test-Id: app$i\r\n\r\nhello\r\n";
    print "$$ ", $c->('.');
}
$c->('QUIT');
EOF
close $pl;
my $out;
($rc, $out) = run_as($web3, $app, '/usr/bin/perl', "$app/notify.pl",
    $c->pf('a')->{smtp}, 12);
my @lines = split /\n/, $out;
is(scalar(grep { /^\d+ 250 / } @lines), 12, 'the program sent 12 messages over loopback');
my ($pid) = ($lines[0] // '') =~ /^(\d+) /;
ok(wait_until(30, sub { scalar($c->held) == 15 - $limit + 2 }),
    'the 11th and 12th are held: the uid limit applies to SMTP too');
ok($c->wait_delivered(map { "app$_" } 1 .. $limit), "the first $limit were delivered");
my @st = FGCluster::stamps_of($c->message_of('app1'));
like($st[0] // '', qr/^v=1; h=node-a; src=smtp-local; uid=$uid{$web3}; user=$web3; pid=$pid; exe=\/usr\/bin\/perl; cwd=\Q$app\E; script=\Q$app\E\/notify\.pl;/,
    'stamped with the uid, pid, executable, directory and script');

# 4. a forged stamp for another uid
($rc) = run_as($web2, $dir, '/bin/sh', '-c',
    "printf 'Subject: f\\nX-Floodgate-Origin: v=1; h=node-a; src=sendmail; uid=0; user=root; k=k1; b=AAAA\\nMessage-ID: <forged\@fg.test>\\nX-Test-Id: forged\\n\\nhi\\n' | /usr/sbin/sendmail -C $etc_a r\@example.net");
ok($c->wait_delivered('forged'), 'a message with a forged stamp is delivered');
@st = FGCluster::stamps_of($c->message_of('forged'));
is(scalar @st, 1, 'with one stamp');
like($st[0] // '', qr/^v=1; h=node-a; src=sendmail; uid=$uid{$web2}; user=$web2;/,
    'the genuine one, naming the real uid');

# 5. the README's recipe unblocks the uid on both nodes at once
my $cmd = FGCluster::recipe(qr/unblock a uid, reset counters/, web42 => $web1);
$c->redis_cli($cmd);
is(redis('EXISTS', "fg:{uid:$web1}:block"), '0', "README recipe: $cmd");
for my $n ('a', 'b') {
    my $etc = $c->pf($n)->{etc};
    run_as($web1, $site, '/bin/sh', '-c',
        "printf 'Subject: back\\nX-Test-Id: back-$n\\n\\nhi\\n' | /usr/sbin/sendmail -C $etc r\@example.net");
}
ok($c->wait_delivered('back-a', 'back-b'), 'the uid sends again through both nodes');
is(scalar($c->held), 15 - $limit + 2, 'nothing new was held');
ok($c->stop, 'everything stops cleanly');
done_testing();
