#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A real Postfix whose smtpd runs chrooted to the queue directory, as
# Debian's master.cf has it, with conf/postfix-main.cf's policy lines as
# documented (check_policy_service unix:private/floodgate) and policyd on
# its default socket there (mode 0660, group postfix, allow_users
# postfix and root): smtpd's requests are answered and enforced; the
# socket is out of other local users' reach.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use FG;
use FGCluster;
use FGPostfix;

$> == 0 or BAIL_OUT('t/postfix-private.t runs Postfix and needs root');
for my $bin (qw(postfix smtp-sink swaks)) {
    system("command -v $bin >/dev/null") == 0
        or BAIL_OUT("$bin missing: run packaging/install-deps");
}

# the documented smtpd_recipient_restrictions, exactly (the milter lines
# are the cluster tests' business)
my ($policy) = FGCluster::main_cf() =~ /^(smtpd_recipient_restrictions =\n(?:[ \t]+.*\n)+)/m;
like($policy // '', qr/check_policy_service \{ unix:private\/floodgate, default_action=DUNNO \}/,
    'conf/postfix-main.cf asks unix:private/floodgate');
my $pf = FGPostfix->new('priv', chroot => 1, main => $policy);
ok($pf->postfix('check'), 'postfix check makes the queue directory');
my $psock = "$pf->{spool}/private/floodgate";

my $sock = start_redis();
# the default listen is /var/spool/postfix/private/floodgate: this
# instance's queue directory is elsewhere; nothing else is set
my $conf = write_conf('private.conf', <<"EOF");
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "unix:$psock" }
    stats_interval = 1s
}
limit "ip-hour" {
    subject  = "ip"
    window   = 1h
    messages = 2
}
EOF
start_policyd('policyd', $conf, $psock);
my @st = stat $psock;
is(sprintf('%04o', $st[2] & 07777), '0660', 'the socket is mode 0660');
is(scalar getgrgid($st[5]), 'postfix', '  group postfix');
my $c = as_user('nobody', sub {
    my ($from, $to) = @_;
    my $s = IO::Socket::UNIX->new(Peer => $psock);
    print $to $s ? "connected\n" : "$!\n";
});
like(readline($c->{from}), qr/Permission denied/,
    'another local user cannot reach it');

ok($pf->start, 'postfix with a chrooted smtpd starts');
sub send_one {
    my ($n) = @_;
    return $pf->swaks('--from', "sender$n\@fg.test",
        '--to', "rcpt$n\@example.net", '--header', "X-Test: $n");
}
my ($rc, $out) = send_one(1);
is($rc, 0, 'first message accepted');
# the smtpd that served it is chrooted to the queue directory
my $master = $pf->master_pid;
my @smtpd = grep { (proc_status($_)->{PPid} // 0) == $master
        && (proc_status($_)->{Name} // '') eq 'smtpd' }
    map { m{/proc/(\d+)$} ? $1 : () } glob('/proc/[0-9]*');
ok(@smtpd, 'an smtpd process runs');
is(readlink("/proc/$smtpd[0]/root") // '', $pf->{spool},
    '  chrooted to the queue directory') if @smtpd;
($rc) = send_one(2);
is($rc, 0, 'second message accepted');
($rc, $out) = send_one(3);
is($rc, 24, 'the third is refused at RCPT: policyd answered smtpd');
like($out, qr/<\*\* 450 4\.7\.1 .*Sending rate limit exceeded/,
    'with the limit action');
ok(wait_until(5, sub { log_since('policyd', 0) =~ /action=DEFER_IF_PERMIT decision=over rule=ip-hour .*client=127\.0\.0\.1/ }),
    'policyd logs the decision');
unlike(log_since('policyd', 0), qr/refused client/,
    "smtpd's uid (postfix) is never refused");
unlike($pf->maillog, qr/warning: .*policy|(fatal|panic):/,
    'no policy warning, fatal or panic in the Postfix log');

ok($pf->stop, 'postfix stops');
ok(stop_policyd('policyd'), 'policyd: clean exit');
done_testing();
