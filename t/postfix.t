#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# One real Postfix instance (recipe: ../shared/postfix-e2e) with
# check_policy_service pointing at floodgate-policyd and Cyrus SASL logins
# through swaks: the over-limit message gets Postfix's 4xx, the blocked
# account 5xx at RCPT, both in Postfix's log; nothing goes off loopback.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use FG;

$> == 0 or BAIL_OUT('t/postfix.t runs Postfix and needs root');
for my $bin (qw(postfix smtp-sink saslpasswd2 swaks)) {
    system("command -v $bin >/dev/null") == 0
        or BAIL_OUT("$bin missing: run packaging/install-deps");
}
my $root = tempdir('fgpf.XXXXXX', DIR => '/var/tmp', CLEANUP => !$ENV{FG_KEEP});
chmod 0755, $root;
my ($smtp, $sinkp, $pol) = (free_port(), free_port(), free_port());
my $etc = "$root/etc";
mkdir $_ for "$root/spool", $etc, "$etc/sasl", "$root/log", "$root/sink";
system('chown', 'nobody:', "$root/sink");

# SASL users in sasldb (realm = myhostname)
for my $u (qw(alice bob)) {
    open my $sp, '|-', 'saslpasswd2', '-p', '-c', '-f', "$root/sasldb2",
        '-u', 'mx.fg.test', $u or die;
    print $sp "${u}pw";
    close $sp or die "saslpasswd2 $u failed";
}
system('chown', 'root:postfix', "$root/sasldb2");
chmod 0640, "$root/sasldb2";

my $sock = start_redis();
my $pconf = write_conf('pf.conf', <<"EOF2");
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$pol" }
}
limit "sasl-hour" {
    subject     = "sasl"
    window      = 3600
    messages    = 2
    block_after = 1
}
EOF2
start_policyd('policyd', $pconf, $pol);
FG::spawn('sink', 'smtp-sink', '-u', 'nobody', '-d', "$root/sink/msg.",
    "127.0.0.1:$sinkp", '64');

open my $mc, '>', "$etc/main.cf" or die;
print $mc <<"EOF2";
compatibility_level = 3.6
queue_directory = $root/spool
data_directory = $root/data
myhostname = mx.fg.test
mydomain = fg.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
relayhost = [127.0.0.1]:$sinkp
default_transport = smtp:[127.0.0.1]:$sinkp
relay_transport = smtp:[127.0.0.1]:$sinkp
maillog_file = $root/log/maillog
maillog_file_prefixes = /var, $root
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $etc/sasl
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_policy_service { inet:127.0.0.1:$pol, default_action=DUNNO }
smtpd_error_sleep_time = 0
in_flow_delay = 0
EOF2
close $mc;
open my $sc, '>', "$etc/sasl/smtpd.conf" or die;
print $sc "pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
    . "mech_list: PLAIN LOGIN\nsasldb_path: $root/sasldb2\n";
close $sc;
open my $ms, '>', "$etc/master.cf" or die;
print $ms <<"EOF2";
127.0.0.1:$smtp inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF2
close $ms;

# the postfix command prints errors only to a tty: script(1) gives it one
sub pfx { system('script', '-qec', "postfix -c $etc @_", '/dev/null') == 0 }
ok(pfx('check'), 'postfix check');
ok(pfx('start'), 'postfix start');
END { local $?; system('postfix', '-c', $etc, 'abort') if $etc && -e "$root/spool/pid/master.pid" }
ok(wait_until(15, sub { IO::Socket::INET->new("127.0.0.1:$smtp") }),
    'smtpd listens');

sub send_as {
    my ($user, $n) = @_;
    my $out = `swaks --server 127.0.0.1:$smtp --helo client.fg.test --auth PLAIN --auth-user $user --auth-password ${user}pw --from $user\@fg.test --to rcpt$n\@example.net --header 'X-Test: $n' 2>&1`;
    return ($? >> 8, $out);
}
sub maillog { local $/; open my $f, '<', "$root/log/maillog" or return ''; <$f> }
sub sink_count { my @f = glob("$root/sink/msg.*"); scalar @f }

my ($rc) = send_as('alice', 1);
is($rc, 0, 'alice: first message accepted');
($rc) = send_as('alice', 2);
is($rc, 0, 'alice: second message accepted');
my $out;
($rc, $out) = send_as('alice', 3);
is($rc, 24, 'alice: third message refused at RCPT');
like($out, qr/<\*\* 450 4\.7\.1 .*Sending rate limit exceeded/,
    'swaks sees the 4xx');
ok(wait_until(5, sub { maillog() =~ /NOQUEUE: reject: RCPT from .*: 450 4\.7\.1 <rcpt3\@example\.net>: Recipient address rejected: Sending rate limit exceeded/ }),
    'Postfix logs the 4xx');
($rc, $out) = send_as('alice', 4);
is($rc, 24, 'alice: blocked account refused at RCPT');
like($out, qr/<\*\* 554 5\.7\.1 .*Sending suspended/, 'swaks sees the 5xx');
ok(wait_until(5, sub { maillog() =~ /NOQUEUE: reject: RCPT from .*: 5\d\d 5\.7\.1 <rcpt4\@example\.net>: Recipient address rejected: Sending suspended/ }),
    'Postfix logs the 5xx');
($rc) = send_as('bob', 1);
is($rc, 0, 'another account is not affected');
ok(wait_until(10, sub { sink_count() == 3 }), 'three messages reached the sink');
unlike(maillog(), qr/(fatal|panic):/, 'no fatal or panic in the Postfix log');

ok(pfx('abort'), 'postfix abort');
ok(wait_until(10, sub { !-e "$root/spool/pid/master.pid" || !kill(0,
    do { open my $f, '<', "$root/spool/pid/master.pid"; my $p = <$f> // 0; $p =~ s/\s//g; $p } ) }),
    'the Postfix master is gone');
ok(stop_policyd('policyd'), 'policyd: clean exit on SIGTERM');
done_testing();
