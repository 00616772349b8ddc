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
use FG;
use FGPostfix;

$> == 0 or BAIL_OUT('t/postfix.t runs Postfix and needs root');
for my $bin (qw(postfix smtp-sink saslpasswd2 swaks)) {
    system("command -v $bin >/dev/null") == 0
        or BAIL_OUT("$bin missing: run packaging/install-deps");
}
my $pol = free_port();
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
limit "sasl-bytes" {
    subject = "sasl"
    window  = 3600
    bytes   = 3000
}
EOF2
start_policyd('policyd', $pconf, $pol);
my $pf = FGPostfix->new('pol', host => 'mx.fg.test',
    sasl => { alice => 'alicepw', bob => 'bobpw', carol => 'carolpw' },
    main => <<"EOF2");
smtpd_recipient_restrictions = check_policy_service { inet:127.0.0.1:$pol, default_action=DUNNO }
smtpd_end_of_data_restrictions = check_policy_service { inet:127.0.0.1:$pol, default_action=DUNNO }
EOF2
ok($pf->start, 'postfix check and start; smtpd listens');

sub send_as {
    my ($user, $n, @more) = @_;
    return $pf->swaks('--auth', 'PLAIN', '--auth-user', $user,
        '--auth-password', "${user}pw", '--from', "$user\@fg.test",
        '--to', "rcpt$n\@example.net", '--header', "X-Test: $n", @more);
}
sub maillog { $pf->maillog }
sub sink_count { $pf->sink_count }

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

# bytes are counted at END-OF-MESSAGE (smtpd_end_of_data_restrictions)
my $body = ('x' x 70 . "\n") x 28;  # about 2000 bytes
($rc) = send_as('carol', 1, '--body', $body);
is($rc, 0, 'carol: a 2 kB message is accepted');
($rc, $out) = send_as('carol', 2, '--body', $body);
is($rc, 26, 'carol: the next 2 kB message is refused after DATA');
like($out, qr/<\*\* 450 4\.7\.1 .*Sending rate limit exceeded/,
    'swaks sees the 4xx at end of data');
ok(wait_until(5, sub { maillog() =~ /reject: END-OF-MESSAGE from .*: 450 4\.7\.1 .*Sending rate limit exceeded/ }),
    'Postfix logs the END-OF-MESSAGE 4xx');
my %u = split /\n/, redis('HGETALL', 'fg:{sasl:carol}');
my ($bf) = grep { /^B:3600:/ } keys %u;
ok($bf && $u{$bf} > 1900 && $u{$bf} < 3000,
    "only the accepted message's bytes are counted (${\($bf ? $u{$bf} : 'none')})");
ok(wait_until(10, sub { sink_count() == 4 }), 'four messages reached the sink');
unlike(maillog(), qr/(fatal|panic):/, 'no fatal or panic in the Postfix log');

ok($pf->stop, 'postfix abort: the master is gone');
ok(stop_policyd('policyd'), 'policyd: clean exit on SIGTERM');
done_testing();
