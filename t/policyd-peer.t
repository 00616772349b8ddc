#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Who may talk to floodgate-policyd (issue 11): a local user (nobody, as a
# hacked web site would be) forging requests for a victim's SASL name, on
# a unix socket it can reach and on loopback TCP, is refused at once,
# counted and logged once; Postfix's uid and root are served; the default
# unix socket is mode 0660 group postfix; allow_users is reloaded by
# SIGHUP; the README's config (inet:127.0.0.1:10040) serves Postfix's uid.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use FG;

plan skip_all => 'needs root (clients run as nobody and postfix)' if $> != 0;
defined getpwnam('postfix') or plan skip_all => 'no postfix user';

my $sock = start_redis();
my $dir = tmpdir();
my $port = free_port();
my $psock = "$dir/policy.sock";

sub conf {
    my ($users) = @_;
    return <<"EOF";
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$port", "unix:$psock" }
    socket_mode = "0666"
    stats_interval = 1s
$users
}
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = 100
    block_after = 10
}
EOF
}
my $conf = write_conf('peer.conf', conf(''));
start_policyd('p', $conf, $port);

# forge(ADDR, N): as the calling user, N forged requests for the victim,
# each on a new connection after a refusal; answers got and connections
# the server closed
sub forge {
    my ($addr, $n) = @_;
    my ($answers, $closed, $i) = (0, 0, 0);
    while ($i < $n) {
        my $s = eval { policy_client($addr) } or last;
        while ($i < $n) {
            $i++;
            print $s rcpt_req(sasl_username => 'victim@example.com',
                instance => "forged.$i", client_address => '203.0.113.66');
            my $line = <$s>;
            if (!defined $line) {
                $closed++;
                last;
            }
            $answers++;
            <$s>;
        }
        close $s;
    }
    return "$answers $closed";
}

# as nobody: 120 forged requests over the unix socket, 120 over TCP
my $c = as_user('nobody', sub {
    my ($from, $to) = @_;
    print $to forge($psock, 120), ' ', forge($port, 120), "\n";
});
my $got = readline($c->{from}) // '';
my ($ua, $uc, $ta, $tc) = split ' ', $got;
is($ua, 0, 'nobody on the unix socket: no request answered')
    or diag($got);
is($uc, 120, '  every connection closed by policyd (120)');
is($ta, 0, 'nobody over 127.0.0.1: no request answered');
is($tc, 120, '  every connection closed (120)');
is(redis('--scan', '--pattern', 'fg:{sasl:victim@example.com}*'), '',
    'nothing of the victim is counted, let alone blocked');
my @lines = grep { /refused client uid=65534 / } split /\n/, log_since('p', 0);
is(scalar @lines, 1, '240 refusals of one peer: one log line')
    or diag(join "\n", @lines);
like($lines[0] // '', qr/refused client uid=65534 \((unix|127\.0\.0\.1)\): not in policyd\.allow_users$/,
    '  naming the uid and why');
# (start_policyd's probe closes before it is accepted: an owner no longer
# known, refused too)
ok(wait_until(5, sub { log_since('p', 0) =~ /stats .* refused=(\d+) / && $1 >= 240 }),
    'the stats line counts them (refused=240 and more)')
    or diag(log_since('p', 0));

# Postfix's uid and root are served, over both
for my $user ('postfix', 'root') {
    for my $addr ($psock, $port) {
        is(ask_as($user, $addr, rcpt_req(sasl_username => 'alice@example.com',
            instance => "$user.$addr")), 'DUNNO', "$user: served on $addr");
    }
}

# allow_users is applied by a reload
write_conf('peer.conf', conf('    allow_users = { "root", "nobody" }'));
my $off = log_size('p');
kill 'HUP', FG::pid('p');
ok(wait_until(5, sub { log_since('p', $off) =~ /reloaded/ }), 'SIGHUP reloads');
is(ask_as('nobody', $port, rcpt_req(sasl_username => 'carol@example.com',
    instance => 'n.1')), 'DUNNO', 'nobody, now in allow_users, is served');
is(ask_as('postfix', $port, rcpt_req(sasl_username => 'carol@example.com',
    instance => 'n.2')), 'closed', 'postfix, now left out, is refused');
ok(stop_policyd('p'), 'clean exit on SIGTERM');

# the default unix socket: mode 0660, group postfix; nobody cannot connect
my $d = write_conf('default.conf', <<"EOF");
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "unix:$dir/default.sock" }
}
EOF
start_policyd('d', $d, "$dir/default.sock");
my @st = stat "$dir/default.sock";
is(sprintf('%04o', $st[2] & 07777), '0660', 'default socket mode 0660');
is(scalar getgrgid($st[5]), 'postfix', 'default socket group postfix');
$c = as_user('nobody', sub {
    my ($from, $to) = @_;
    my $s = IO::Socket::UNIX->new(Peer => "$dir/default.sock");
    print $to $s ? "connected\n" : "$!\n";
});
like(readline($c->{from}), qr/Permission denied/,
    'nobody cannot even connect to it');
is(ask_as('postfix', "$dir/default.sock", rcpt_req(
    sasl_username => 'dave@example.com', instance => 'd.1')), 'DUNNO',
    'postfix (group postfix) is served');
ok(stop_policyd('d'), 'clean exit');

# the README's config, as written, with Postfix's smtpd uid as the client
my $rport = free_port();
my $readme = write_conf('readme.conf', <<"EOF");
redis {
    server = "unix:$sock"
}
policyd {
    listen = { "inet:127.0.0.1:$rport" }
}
EOF
start_policyd('r', $readme, $rport);
is(ask_as('postfix', $rport, rcpt_req(sasl_username => 'erin@example.com',
    instance => 'r.1')), 'DUNNO',
    "README's listen = inet:127.0.0.1:10040 serves Postfix's uid");
ok(stop_policyd('r'), 'clean exit');
done_testing();
