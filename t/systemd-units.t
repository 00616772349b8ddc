#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# packaging/systemd/*.service: `systemd-analyze verify` passes on both
# units (a copy whose binaries and config point at the build; a broken
# line is caught); `systemd-analyze security --offline=yes` rates the
# shipped units at most 2.5 (policyd) and 2.9 (the milter, whose helper
# keeps CAP_SYS_PTRACE and sees all of /proc). Then each unit's command
# lines, as parsed from the file, run for real under the part of its
# sandbox that needs no systemd (NoNewPrivileges, CapabilityBoundingSet,
# UMask, through setpriv) with NOTIFY_SOCKET set as Type=notify does:
# ExecStartPre's -n passes; ExecStart listens (policyd answers on TCP and
# on a unix socket in a postfix-owned 0700 directory, the milter's socket
# appears), sends READY=1 only once it listens as its user, and the
# milter's helper still holds CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH;
# ExecReload reloads a good file, and with a broken one fails before the
# signal while the daemon keeps running and answering. Needs root.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd qw(abs_path);
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use FG;

$> == 0 or BAIL_OUT('t/systemd-units.t sets capability bounds and needs root');
for my $tool (qw(systemd-analyze setpriv)) {
    system("command -v $tool >/dev/null") == 0
        or plan skip_all => "$tool missing (systemd, util-linux)";
}
my $src = abs_path("$FindBin::Bin/../packaging/systemd");
my $build = abs_path($ENV{FG_BUILD} // 'build');
my $dir = tmpdir();
my %limit = ('floodgate-policyd' => 2.5, 'floodgate-milter' => 2.9);

# unit(PATH): { KEY => [values in order] } of the [Service] and [Unit]
# sections (comments, blank lines and continuations are not used)
sub unit {
    my ($path) = @_;
    open my $f, '<', $path or die "$path: $!";
    my %u;
    while (<$f>) {
        next if /^\s*[#;]/ || /^\s*$/ || /^\[/;
        chomp;
        my ($k, $v) = /^(\w+)=(.*)$/ or die "$path: cannot read: $_";
        push @{ $u{$k} }, $v;
    }
    return \%u;
}

# local_copy(NAME, CONF): the unit with its binaries in the build and its
# config at CONF; returns the copy's path
sub local_copy {
    my ($name, $conf) = @_;
    open my $in, '<', "$src/$name.service" or die "$name: $!";
    local $/;
    my $text = <$in>;
    $text =~ s{/usr/sbin/(floodgate-\w+)}{$build/$1}g;
    $text =~ s{/etc/floodgate/floodgate\.conf}{$conf}g;
    mkdir "$dir/units";
    my $out = "$dir/units/$name.service";
    open my $fh, '>', $out or die "$out: $!";
    print $fh $text;
    close $fh;
    return $out;
}

# verify(PATH): systemd-analyze verify's exit status and what it said
# about PATH (other units installed on this host may have their say)
sub verify {
    my ($path) = @_;
    my $out = `systemd-analyze verify --man=no $path 2>&1`;
    my $rc = $?;
    (my $base = $path) =~ s{.*/}{};
    return ($rc, join '', grep { /\Q$base\E|\Q$path\E/ } split /^/, $out);
}

# 1. systemd-analyze verify, security
for my $name (sort keys %limit) {
    my $u = unit("$src/$name.service");
    my $copy = local_copy($name, abs_path("$FindBin::Bin/../conf/floodgate.conf"));
    my ($rc, $said) = verify($copy);
    is($rc, 0, "$name: systemd-analyze verify passes");
    is($said, '', "$name: with nothing to say about the unit");
    # the check sees a broken line (it exits 0 on it, hence the output)
    open my $fh, '>>', $copy or die;
    print $fh "[Service]\nNoNewPrivileges=maybe\n";
    close $fh;
    ($rc, $said) = verify($copy);
    like($said, qr/Failed to parse boolean value/, "$name: a broken copy is caught");
    my $sec = `systemd-analyze security --offline=yes --no-pager $src/$name.service 2>&1`;
    my ($score) = $sec =~ /Overall exposure level for \Q$name\E\.service: (\d+\.\d+)/;
    ok(defined $score && $score <= $limit{$name},
        "$name: exposure " . ($score // '?') . " <= $limit{$name}") or diag($sec);
    is($u->{Type}[0], 'notify', "$name: Type=notify");
    is($u->{Restart}[0], 'on-failure', "$name: Restart=on-failure");
    is(join(' ', @{ $u->{After} }), 'network.target redis-server.service',
        "$name: after a local Redis");
    is(join(' ', @{ $u->{Wants} }), 'redis-server.service', "$name: which it wants, not requires");
    ok(!exists $u->{Requires}, "$name: a remote Redis needs no local one");
    is(join(' ', @{ $u->{Before} }), 'postfix.service', "$name: before Postfix");
    is($u->{ProtectProc}[0], $name eq 'floodgate-milter' ? 'default' : 'invisible',
        "$name: ProtectProc " . ($u->{ProtectProc}[0] // 'unset'));
}

# the sandbox setpriv can give: no_new_privs and the bounding set
sub sandbox {
    my ($u) = @_;
    my @caps = map { lc s/^CAP_//r } split ' ', join ' ', @{ $u->{CapabilityBoundingSet} };
    my @w = ('setpriv', '--bounding-set', join(',', '-all', map { "+$_" } @caps));
    push @w, '--no-new-privs' if ($u->{NoNewPrivileges}[0] // '') eq 'yes';
    return @w;
}

# cmdline(U, KEY, N, CONF, PID): the N-th KEY line of U as an argv, with
# the build's binaries, CONF and $MAINPID
sub cmdline {
    my ($u, $key, $n, $conf, $pid) = @_;
    my $line = $u->{$key}[$n] // die "no $key #$n";
    $line =~ s{/usr/sbin/(floodgate-\w+)}{$build/$1}g;
    $line =~ s{/etc/floodgate/floodgate\.conf}{$conf}g;
    $line =~ s{\$MAINPID}{$pid // ''}ge;
    return split ' ', $line;
}

# run_unit(U, ARGV): run it as the unit would, under the sandbox; exit status
sub run_unit {
    my ($u, @cmd) = @_;
    # "+": full privileges, no sandbox (systemd.service(5))
    my @box = $cmd[0] =~ s/^\+// ? () : sandbox($u);
    my $umask = oct($u->{UMask}[0] // '0022');
    my $pid = fork // die;
    if (!$pid) {
        umask $umask;
        open STDOUT, '>>', "$dir/exec.log";
        open STDERR, '>&', \*STDOUT;
        exec(@box, @cmd) or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    return $? >> 8;
}

# reload(U, CONF, PID): ExecReload's lines in turn, stopping at the first
# that fails (as systemd does); the exit status of the last one run
sub reload {
    my ($u, $conf, $pid) = @_;
    for my $i (0 .. $#{ $u->{ExecReload} }) {
        my $rc = run_unit($u, cmdline($u, 'ExecReload', $i, $conf, $pid));
        return $rc if $rc != 0;
    }
    return 0;
}

# notify_socket(): a datagram socket as systemd's notify socket
sub notify_socket {
    my $path = "$dir/notify";
    unlink $path;
    my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path)
        or die "notify socket: $!";
    chmod 0777, $path; # as systemd's: the daemon sends as its user
    return ($s, $path);
}

# ready(SOCKET, SECS): the first datagram within SECS, or ''
sub ready {
    my ($s, $secs) = @_;
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    select(my $rout = $rin, undef, undef, $secs) > 0 or return '';
    $s->recv(my $msg, 256);
    return $msg;
}

# start_unit(NAME, U, CONF): ExecStart in the background, as the unit
# says, with NOTIFY_SOCKET; its pid and the notify socket
sub start_unit {
    my ($name, $u, $conf) = @_;
    my ($ns, $npath) = notify_socket();
    local $ENV{NOTIFY_SOCKET} = $npath;
    my $umask = umask(oct($u->{UMask}[0] // '0022'));
    my $pid = FG::spawn($name, sandbox($u), cmdline($u, 'ExecStart', 0, $conf));
    umask $umask;
    return ($pid, $ns);
}

my $rsock = start_redis();
my $nobody = getpwnam('nobody');

# 2. policyd: a TCP socket and a unix one in a postfix-owned 0700
# directory, as Postfix's private/ (the bounding set must allow it)
{
    my $u = unit("$src/floodgate-policyd.service");
    my $port = free_port();
    my $priv = "$dir/private";
    mkdir $priv;
    chown scalar(getpwnam('postfix')), 0, $priv;
    chmod 0700, $priv;
    my $text = <<"EOF2";
redis {
    server = "unix:$rsock"
}
policyd {
    listen = { "inet:127.0.0.1:$port", "unix:$priv/floodgate" }
    user = "nobody"
}
limit "sasl-hour" {
    subject  = "sasl"
    window   = 3600
    messages = 100
}
EOF2
    my $conf = write_conf('policyd.conf', $text);
    is(run_unit($u, cmdline($u, 'ExecStartPre', 0, $conf)), 0,
        'policyd: ExecStartPre (-n) passes');
    my ($pid, $ns) = start_unit('policyd', $u, $conf);
    my $msg = ready($ns, 10);
    is($msg, 'READY=1', 'policyd: ExecStart sends READY=1');
    like(proc_status($pid)->{Uid} // '', qr/^$nobody\s/, 'policyd: once it is its user');
    is(eval { ask(policy_client($port), rcpt_req(sasl_username => 'a@x')) } // "no: $@",
        'DUNNO', 'policyd: and answers on TCP (a local peer: sock_diag)');
    is(eval { ask(policy_client("$priv/floodgate"), rcpt_req(sasl_username => 'a@x')) } // "no: $@",
        'DUNNO', 'policyd: and on its unix socket in private/');
    is((stat "$priv/floodgate")[5], scalar getgrnam('postfix'), 'policyd: socket group postfix');
    my $off = log_size('policyd');
    is(reload($u, $conf, $pid), 0, 'policyd: ExecReload passes on a good file');
    ok(wait_until(5, sub { log_since('policyd', $off) =~ /reloaded / }), 'policyd: and reloads');
    write_conf('policyd.conf', "$text\nlimit {\n");
    $off = log_size('policyd');
    isnt(reload($u, $conf, $pid), 0, 'policyd: ExecReload fails on a broken file');
    sleep 1;
    unlike(log_since('policyd', $off), qr/reload/, 'policyd: the daemon was not signalled');
    ok(kill(0, $pid), 'policyd: and keeps running');
    is(eval { ask(policy_client($port), rcpt_req(sasl_username => 'a@x')) } // "no: $@",
        'DUNNO', 'policyd: and answering');
    ok(stop_policyd('policyd'), 'policyd: stops on TERM');
}

# 3. the milter: its socket, its helper's capabilities under the bounds
{
    my $u = unit("$src/floodgate-milter.service");
    my $msock = "$dir/spool/floodgate/milter.sock";
    mkdir "$dir/spool";
    my $key = "$dir/stamp.key";
    open my $kf, '>', $key or die;
    print $kf "0123456789abcdef0123456789abcdef\n";
    close $kf;
    chmod 0600, $key;
    chown $nobody, -1, $key; # root reads it with CAP_DAC_READ_SEARCH only
    my $text = <<"EOF2";
redis {
    server = "unix:$rsock"
}
milter {
    socket = "unix:$msock"
    user = "nobody"
    queue_directory = "$dir/spool"
    keys = { "k1:$key" }
}
EOF2
    my $conf = write_conf('milter.conf', $text);
    is(run_unit($u, cmdline($u, 'ExecStartPre', 0, $conf)), 0,
        'milter: ExecStartPre (-n) passes');
    my ($pid, $ns) = start_unit('milter', $u, $conf);
    my $msg = ready($ns, 10);
    is($msg, 'READY=1', 'milter: ExecStart sends READY=1');
    ok(-S $msock, 'milter: once its socket is there');
    like(proc_status($pid)->{Uid} // '', qr/^$nobody\s/, 'milter: and it is its user');
    is(proc_status($pid)->{CapEff}, '0000000000000000', 'milter: with no capability');
    my $helper = milter_helper($pid);
    ok($helper, 'milter: its helper runs');
    is(proc_status($helper // 0)->{CapEff}, '0000000000080004',
        'milter: the helper keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH under the bounds');
    is(proc_status($helper // 0)->{NoNewPrivs}, '1', 'milter: with no_new_privs');
    my $off = log_size('milter');
    is(reload($u, $conf, $pid), 0, 'milter: ExecReload passes on a good file');
    ok(wait_until(5, sub { log_since('milter', $off) =~ /reloaded / }), 'milter: and reloads');
    write_conf('milter.conf', "$text\nmilter {\n    privacy = \"some\"\n}\n");
    $off = log_size('milter');
    isnt(reload($u, $conf, $pid), 0, 'milter: ExecReload fails on a broken file');
    sleep 1;
    unlike(log_since('milter', $off), qr/reload/, 'milter: the daemon was not signalled');
    ok(kill(0, $pid), 'milter: and keeps running');
    ok(-S $msock && IO::Socket::UNIX->new(Peer => $msock), 'milter: and accepting');
    ok(stop_milter('milter'), 'milter: stops on TERM');
}

done_testing();
