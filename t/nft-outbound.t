#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# packaging/outbound-smtp.nft, the direct port-25 bypass closed: loaded in a
# network namespace of its own (the host's ruleset is never touched), with a
# second namespace on a veth pair as the remote SMTP server listening on 25,
# 465, 587, 2525 and 80. An unprivileged user (fgtest1, nobody: a hacked web
# site) connecting to the remote 25/465/587, over IPv4 and IPv6, gets a reset
# at once (ECONNREFUSED, no timeout) and is counted per uid, exactly, as
# packaging/smtp-denied shows; postfix and root get through; every user
# still reaches a local Postfix on 127.0.0.1, ::1 and the namespace's own
# address; other ports are untouched, and so is a web user's server
# answering a client whose source port is 25 (only a connection's first
# packet is looked at); the log says who (UID=), rate-limited.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use FG;
use FGPostfix;

$> == 0 or BAIL_OUT('t/nft-outbound.t creates network namespaces and needs root');
for my $bin (qw(nft ip setpriv dmesg)) {
    system("command -v $bin >/dev/null") == 0
        or BAIL_OUT("$bin missing: run packaging/install-deps");
}
defined getpwnam('postfix') or BAIL_OUT('no postfix user: run packaging/install-deps');

my $snippet = "$FindBin::Bin/../packaging/outbound-smtp.nft";
my $denied = "$FindBin::Bin/../packaging/smtp-denied";
my $ns = "fgnft$$";           # the shared host, the snippet loaded
my $peer = "fgnftpeer$$";     # a remote SMTP server
my $remote = '10.231.0.2';
my $remote6 = 'fd31::2';
my $self = '10.231.0.1';
my $other = '10.231.0.3';    # a remote client, in the peer namespace
my @made;                     # namespaces to delete
my $log_all = '/proc/sys/net/netfilter/nf_log_all_netns';
my $log_all_was;

# slurp_cmd(CMD...): what CMD prints
sub slurp_cmd {
    open my $f, '-|', @_ or die "$_[0]: $!";
    local $/;
    my $out = <$f> // '';
    close $f;
    return $out;
}

my $host_rules = slurp_cmd('nft', '-s', 'list', 'ruleset');    # -s: no counter values

END {
    my $rc = $?;
    FG::reap($_, 'KILL') for qw(remote local web);
    system('ip', 'netns', 'del', $_) for @made;
    if (defined $log_all_was && open my $f, '>', $log_all) {
        print $f $log_all_was;
        close $f;
    }
    $? = $rc;
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };    # END still cleans up

sub run { system(@_) == 0 or die "@_: failed\n" }

for my $n ($ns, $peer) {
    system('ip', 'netns', 'add', $n) == 0 or BAIL_OUT("ip netns add $n failed");
    push @made, $n;
    run('ip', '-n', $n, 'link', 'set', 'lo', 'up');
}
my ($va, $vb) = ("fgv${$}a", "fgv${$}b");
run('ip', 'link', 'add', $va, 'netns', $ns, 'type', 'veth', 'peer', 'name', $vb, 'netns', $peer);
run('ip', '-n', $ns, 'addr', 'add', "$self/24", 'dev', $va);
run('ip', '-n', $ns, '-6', 'addr', 'add', 'fd31::1/64', 'dev', $va, 'nodad');
run('ip', '-n', $peer, 'addr', 'add', "$remote/24", 'dev', $vb);
run('ip', '-n', $peer, 'addr', 'add', "$other/24", 'dev', $vb);
run('ip', '-n', $peer, '-6', 'addr', 'add', "$remote6/64", 'dev', $vb, 'nodad');
run('ip', '-n', $_, 'link', 'set', $_ eq $ns ? $va : $vb, 'up') for $ns, $peer;

# a listener on each HOST PORT pair given; greets with "220 PORT"
my $server = <<'EOF';
use IO::Socket::IP; use IO::Select;
my $sel = IO::Select->new;
while (my ($h, $p) = splice @ARGV, 0, 2) {
    $sel->add(IO::Socket::IP->new(LocalHost => $h, LocalPort => $p,
        Listen => 16, ReuseAddr => 1) or die "listen $h $p: $@");
}
while (1) {
    for my $l ($sel->can_read) {
        my $c = $l->accept or next;
        print $c "220 ", $l->sockport, "\r\n";
        close $c;
    }
}
EOF
my @remote_ports = (25, 465, 587, 2525, 80);
FG::spawn('remote', 'ip', 'netns', 'exec', $peer, 'perl', '-e', $server,
    map { ($remote, $_, $remote6, $_) } @remote_ports);
FG::spawn('local', 'ip', 'netns', 'exec', $ns, 'perl', '-e', $server,
    '127.0.0.1', 25, '::1', 25, $self, 25);

# connect HOST PORT [LOCALPORT [LOCALHOST]]: "220 PORT" read from the
# server, or the error and how long it took
my $client = <<'EOF';
use IO::Socket::IP; use Time::HiRes qw(time);
my ($h, $p, $lp, $lh) = @ARGV;
my $t = time;
my $s = IO::Socket::IP->new(PeerHost => $h, PeerPort => $p, Timeout => 5,
    $lp ? (LocalPort => $lp, ReuseAddr => 1) : (), $lh ? (LocalHost => $lh) : ());
if ($s) { my $l = <$s> // 'closed'; $l =~ s/\r?\n//; print "$l\n"; exit 0 }
printf "%s after %.3fs\n", $!{ECONNREFUSED} ? 'refused' : $!{ETIMEDOUT} ? 'timeout' : "error $!", time - $t;
EOF

# as(USER, CMD...): CMD in the namespace as USER (uid, gid, no other
# groups); its output, chomped
sub as {
    my ($user, @cmd) = @_;
    my ($uid, $gid) = (getpwnam($user))[2, 3];
    defined $uid or die "no user $user";
    my @who = $user eq 'root' ? ()
        : ('setpriv', "--reuid=$uid", "--regid=$gid", '--clear-groups');
    my $out = slurp_cmd('ip', 'netns', 'exec', $ns, @who, @cmd);
    chomp $out;
    return $out;
}

sub connect_as { my ($user, @to) = @_; as($user, 'perl', '-e', $client, @to) }

# denied(): smtp-denied's lines as { uid => attempts }, and its output
sub denied {
    my $out = as('root', $denied);
    my %n = map { /^(\d+) \S+ (\d+)$/ ? ($1 => $2) : () } split /\n/, $out;
    return (\%n, $out);
}

my $user = 'fgtest1';
my $uid = FGPostfix::test_user($user);
my $nobody = getpwnam('nobody');
FG::spawn('web', 'ip', 'netns', 'exec', $ns, 'setpriv', "--reuid=$uid",
    '--regid=' . (getpwnam($user))[3], '--clear-groups', 'perl', '-e', $server, $self, 8025);

ok(wait_until(10, sub { connect_as('root', $remote, 2525) eq '220 2525'
            && connect_as('root', '127.0.0.1', 25) eq '220 25'
            && connect_as('root', $self, 8025) eq '220 8025' }), 'listeners up')
    or BAIL_OUT('the test listeners did not start');

# without the snippet the bypass is open: what follows is the snippet's doing
is(connect_as($user, $remote, 25), '220 25', "without the snippet $user reaches the remote port 25");

is(system('ip', 'netns', 'exec', $ns, 'nft', '-f', $snippet), 0, 'the snippet loads (nft -f)');
is(as('root', 'nft', 'list', 'tables'), 'table inet floodgate', 'in a table of its own');

my %tried;
for my $port (25, 465, 587) {
    like(connect_as($user, $remote, $port), qr/^refused after 0\.\d+s$/,
        "$user to the remote port $port: reset at once");
    $tried{$uid}++;
}
like(connect_as($user, $remote6, 25), qr/^refused after 0\.\d+s$/, "$user to the remote port 25 over IPv6: reset");
$tried{$uid}++;
for (1 .. 5) {
    like(connect_as('nobody', $remote, 25), qr/^refused after 0\.\d+s$/, 'nobody to the remote port 25: reset');
    $tried{$nobody}++;
}
my ($n, $out) = denied();
is_deeply($n, \%tried, 'smtp-denied: each uid with its attempts') or diag($out);
like($out, qr/^UID USER ATTEMPTS\n$nobody nobody 5\n$uid $user 4$/, 'smtp-denied: header, users, most attempts first');

for my $who ('postfix', 'root') {
    for my $port (25, 465, 587) {
        is(connect_as($who, $remote, $port), "220 $port", "$who reaches the remote port $port");
    }
    is(connect_as($who, $remote6, 587), '220 587', "$who reaches the remote port 587 over IPv6");
}
for my $who ($user, 'nobody', 'postfix', 'root') {
    for my $to ('127.0.0.1', '::1', $self) {
        is(connect_as($who, $to, 25), '220 25', "$who reaches the local Postfix on $to port 25");
    }
}
for my $port (2525, 80) {
    is(connect_as($user, $remote, $port), "220 $port", "$user reaches the remote port $port (not SMTP)");
}
is(slurp_cmd('ip', 'netns', 'exec', $peer, 'perl', '-e', $client, $self, 8025, 25, $other),
    "220 8025\n", "${user}'s server answers a remote client whose source port is 25");
($n, $out) = denied();
is_deeply($n, \%tried, 'allowed users, loopback, other ports and answers are not counted') or diag($out);

# the log: per namespace only when the host lets it (nf_log_all_netns);
# switched on for the test, restored at END
SKIP: {
    skip "no $log_all", 4 unless -e $log_all;
    open my $f, '<', $log_all or die "$log_all: $!";
    $log_all_was = <$f>;
    close $f;
    open $f, '>', $log_all or die "$log_all: $!";
    print $f "1\n";
    close $f;
    my %before = map { $_ => 1 } split /\n/, slurp_cmd('dmesg');

    is(system('ip', 'netns', 'exec', $ns, 'nft', '-f', $snippet), 0, 'the snippet loads again over itself');
    is_deeply((denied())[0], {}, 'a reload starts the counters again');
    my $base = 20000 + int(rand 20000);
    my @ports = map { $base + $_ } 1 .. 12;
    my $t = time;
    connect_as($user, $remote, 25, $_) for @ports;
    my $took = time - $t;
    my %mine = map { $_ => 1 } @ports;
    my @lines = grep {
        !$before{$_} && /floodgate-smtp-deny: .* SRC=$self DST=$remote .* SPT=(\d+) DPT=25 .* UID=$uid GID=/
            && $mine{$1}
    } split /\n/, slurp_cmd('dmesg');
    # limit rate 10/minute burst 5: 5 lines, one more each 6s it took
    ok(@lines >= 5 && @lines <= 6 + int($took / 6) && @lines < 12,
        sprintf('12 attempts in %.1fs, logged with the uid, rate-limited: %d lines', $took, scalar @lines))
        or diag(join "\n", @lines);
    is_deeply((denied())[0], { $uid => 12 }, 'every attempt counted, logged or not');
}

is(slurp_cmd('nft', '-s', 'list', 'ruleset'), $host_rules, "the host's own ruleset is untouched");

done_testing();
