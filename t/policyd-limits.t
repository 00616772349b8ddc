#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate-policyd: recipient, ip and END-OF-MESSAGE counting, the
# compromise signals (max_client_ips, max_senders), HOLD, dry-run and
# exemptions from the config, with a real redis-server.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;

my $sock = start_redis();

sub conf {
    my ($port, $global, $limits) = @_;
    return <<"EOF2";
$global
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port" }
}
$limits
EOF2
}

my $p = free_port();
start_policyd('p', write_conf('p.conf', conf($p,
    'exempt_users = { "VIP\@example.com" }
     exempt_networks = { "198.51.100.0/24" }', <<'EOF2')), $p);
limit "rcpt" {
    subject    = "sasl"
    window     = 10m
    recipients = 5
    bytes      = 3000
}
limit "signals" {
    subject        = "sasl"
    window         = 1h
    max_client_ips = 3
    max_senders    = 2
    block_action   = "HOLD floodgate: account held for review"
}
limit "ip" {
    subject  = "ip"
    window   = 1h
    messages = 4
}
EOF2
my $c = policy_client($p);

# recipients: 5 RCPTs of one message pass, the 6th is deferred
my @r = map { ask($c, rcpt_req(sasl_username => 'r@example.com',
    instance => 'r1', client_address => '192.0.2.1', recipient => "x$_\@n"))
} 1 .. 6;
is_deeply([@r[0 .. 4]], [('DUNNO') x 5], 'five recipients pass');
like($r[5], qr/^DEFER_IF_PERMIT/, 'the sixth recipient is deferred');

# bytes at END-OF-MESSAGE (size attribute), no message counted twice
my $eom = sub {
    my ($inst, $size) = @_;
    return ask($c, rcpt_req(sasl_username => 'b@example.com',
        protocol_state => 'END-OF-MESSAGE', instance => $inst,
        client_address => '198.51.100.7', size => $size,
        recipient_count => 1));
};
is(ask($c, rcpt_req(sasl_username => 'b@example.com', instance => 'b1',
    client_address => '198.51.100.7', recipient => 'y@n')), 'DUNNO',
    'RCPT of a message passes');
is($eom->('b1', 2500), 'DUNNO', 'END-OF-MESSAGE with 2500 bytes passes');
is(ask($c, rcpt_req(sasl_username => 'b@example.com', instance => 'b2',
    client_address => '198.51.100.7', recipient => 'y@n')), 'DUNNO',
    'next message RCPT passes');
like($eom->('b2', 1000), qr/^DEFER/, 'bytes over 3000 are deferred');
my %u = split /\n/, redis('HGETALL', 'fg:{sasl:b@example.com}');
is($u{'r:600:' . (grep { /^r:600:/ } keys %u)[0] =~ s/^r:600://r}, 2,
    'END-OF-MESSAGE after RCPT counted no extra recipient');

# ip limit: 4 messages from one address, 5th deferred; exempt network not
my @ip = map { ask($c, rcpt_req(instance => "ip$_",
    client_address => '203.0.113.9', recipient => 'z@n')) } 1 .. 5;
is_deeply([@ip[0 .. 3]], [('DUNNO') x 4], 'four messages from one ip pass');
like($ip[4], qr/^DEFER/, 'the fifth from that ip is deferred');
my @ex = grep { $_ eq 'DUNNO' } map { ask($c, rcpt_req(instance => "ex$_",
    client_address => '198.51.100.9', recipient => 'z@n')) } 1 .. 8;
is(scalar @ex, 8, 'exempt_networks are not limited');
my @vip = grep { $_ eq 'DUNNO' } map { ask($c, rcpt_req(
    sasl_username => 'vip@EXAMPLE.com', instance => "v$_",
    client_address => '198.51.100.9', recipient => "z$_\@n")) } 1 .. 8;
is(scalar @vip, 8, 'exempt_users are not limited (case-insensitive)');

# max_client_ips: a 4th distinct client IP blocks, with the HOLD action
my @ips = map { ask($c, rcpt_req(sasl_username => 'stolen@example.com',
    instance => "s$_", client_address => "198.51.100.$_",
    recipient => 'q@n')) } 1 .. 4;
is_deeply([@ips[0 .. 2]], [('DUNNO') x 3], 'three client ips pass');
like($ips[3], qr/^HOLD floodgate: account held/, 'the fourth ip: HOLD');
my %blk = split /\n/, redis('HGETALL', 'fg:{sasl:stolen@example.com}:block');
is($blk{rule}, 'signals', 'block written by the signals rule');
like($blk{reason}, qr/^client_ips 4 > 3/, 'block reason names client_ips');
like(ask($c, rcpt_req(sasl_username => 'stolen@example.com',
    instance => 's9', client_address => '198.51.100.1', recipient => 'q@n')),
    qr/^HOLD/, 'later requests get HOLD too');

# max_senders: a 3rd distinct envelope sender blocks
my @snd = map { ask($c, rcpt_req(sasl_username => 'forger@example.com',
    instance => "f$_", client_address => '198.51.100.1',
    sender => "boss$_\@bank.example", recipient => 'q@n')) } 1 .. 3;
is_deeply([@snd[0 .. 1]], [('DUNNO') x 2], 'two senders pass');
like($snd[2], qr/^HOLD/, 'the third sender blocks');
like(redis('HGET', 'fg:{sasl:forger@example.com}:block', 'reason'),
    qr/^senders 3 > 2/, 'block reason names senders');

# DATA only (no RCPT hook): recipient_count counts there, once per message;
# END-OF-MESSAGE of the same message counts only its bytes
my $data = sub {
    my ($state, $inst, %a) = @_;
    return ask($c, rcpt_req(sasl_username => 'dt@example.com',
        protocol_state => $state, instance => $inst,
        client_address => '198.51.100.8', recipient_count => 3, %a));
};
is($data->('DATA', 'd1'), 'DUNNO', 'DATA with 3 recipients passes');
is($data->('END-OF-MESSAGE', 'd1', size => 100), 'DUNNO',
    'its END-OF-MESSAGE passes');
my %dt = split /\n/, redis('HGETALL', 'fg:{sasl:dt@example.com}');
my ($rf) = grep { /^r:600:/ } keys %dt;
is($dt{$rf}, 3, 'DATA counted recipient_count, END-OF-MESSAGE no more');
like($data->('DATA', 'd2'), qr/^DEFER/,
    'a second message of 3 recipients is over the 5-recipient limit');

# subject values cannot forge another subject's key
is(ask($c, rcpt_req(sasl_username => 'x}:block{', instance => 'k1',
    client_address => '198.51.100.1', recipient => 'q@n')), 'DUNNO',
    'braces in a user name are harmless');
ok(redis('EXISTS', 'fg:{sasl:x%7D:block%7B}') == 1,
    'braces are percent-encoded in the key');
ok(stop_policyd('p'), 'p: clean exit on SIGTERM');

# dry-run: logs what it would do, answers DUNNO, writes no block
my $d = free_port();
start_policyd('d', write_conf('d.conf', conf($d, 'mode = "dryrun"', <<'EOF2')), $d);
limit "dry" {
    subject     = "sasl"
    window      = 1h
    messages    = 2
    block_after = 1
}
EOF2
my $dc = policy_client($d);
my @dr = map { ask($dc, rcpt_req(sasl_username => 'dry@example.com',
    instance => "d$_", client_address => '192.0.2.5', recipient => 'q@n'))
} 1 .. 5;
is_deeply(\@dr, [('DUNNO') x 5], 'dry-run answers DUNNO');
like(log_since('d', 0), qr/dryrun=1 action=DEFER_IF_PERMIT decision=over rule=dry/,
    'dry-run logs the decision it would have made');
is(redis('EXISTS', 'fg:{sasl:dry@example.com}:block'), 0,
    'dry-run writes no block');
ok(stop_policyd('d'), 'd: clean exit on SIGTERM');
done_testing();
