# SPDX-License-Identifier: BSD-2-Clause
# FGBench: the systems of `make bench` (and of t/bench-smoke.t), each a
# policy server on 127.0.0.1 doing the same job: the trivial DUNNO server,
# floodgate-policyd on a real redis-server, postfwd1/postfwd2 and
# policyd-rate-limit (Debian packages) with rate limits by sasl_username and
# client IP; the load generator and the Redis ceiling client; CPU and RSS
# of a server's processes from /proc. The binaries come from FG_BUILD
# ('build'); bench_bin, start_system and redis_cost take another build
# directory as an optional last argument (t/bench/compare: two builds in
# one run).
package FGBench;
use strict;
use warnings;
use Exporter 'import';
use File::Temp ();
use IO::Socket::INET;
use FG;

our @EXPORT = qw(bench_bin start_system stop_system loadgen redisload
    usage_of floodgate_conf redis_cost);

my $build = $ENV{FG_BUILD} // 'build';
# bench_bin(NAME[, BUILD]): a tool of t/bench, built in BUILD or FG_BUILD
sub bench_bin { ($_[1] // $build) . "/t/bench/$_[0]" }

# floodgate_conf(PORT, LIMITS[, SOCK]): a policyd config on the shared
# Redis (or the one at SOCK)
sub floodgate_conf {
    my ($port, $limits, $sock) = @_;
    $sock //= FG::redis_sock();
    return write_conf("bench-$port.conf", <<"EOF");
node = "bench"
redis {
    server = "unix:$sock"
    timeout = 1s
}
policyd {
    listen = { "inet:127.0.0.1:$port" }
    max_connections = 4000
}
$limits
EOF
}

# the job every system does: limits per sasl user and per client IP;
# big: mostly DUNNO with the whole script run; small: the correctness run
my %limits = (
    big => { msgs => 100, rcpts => 500, ip => 300 },
    small => { rcpts => 10 },
);

sub fg_limits {
    my ($kind) = @_;
    return <<'EOF' if $kind eq 'big';
limit "sasl-hour" {
    subject        = "sasl"
    window         = 1h
    messages       = 100
    recipients     = 500
    block_after    = 10
    max_client_ips = 50
    max_senders    = 50
}
limit "ip-hour" {
    subject  = "ip"
    window   = 1h
    messages = 300
}
EOF
    return <<'EOF';
limit "sasl-hour" {
    subject    = "sasl"
    window     = 1h
    recipients = 10
}
EOF
}

sub wait_port {
    my ($port) = @_;
    return wait_until(20, sub {
        IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1) });
}

# start_system(NAME, KIND[, BUILD]): start a system on a free port (the
# floodgate-policyd and DUNNO server of BUILD, default FG_BUILD); a handle
sub start_system {
    my ($name, $kind, $bdir) = @_;
    $bdir //= $build;
    my $port = free_port();
    my $dir = tmpdir();
    my $h = { name => $name, port => $port, pid => 0 };
    if ($name eq 'dunno') {
        $h->{pid} = FG::spawn("sys-$port", bench_bin('dunno', $bdir), $port);
    } elsif ($name eq 'floodgate') {
        my $conf = floodgate_conf($port, fg_limits($kind));
        $h->{pid} = FG::spawn("sys-$port", 'sh', '-c',
            'ulimit -n 8192; exec "$0" -f -c "$1"',
            "$bdir/floodgate-policyd", $conf);
    } elsif ($name =~ /^postfwd([12])$/) {
        my $v = $1;
        my $l = $limits{$kind};
        my $rules = write_conf("postfwd-$port.cf",
            $kind eq 'big'
            ? "id=R_SASL; sasl_username=~/./; action=rate(sasl_username/$l->{rcpts}/3600/450 4.7.1 sasl rate exceeded)\n"
              . "id=R_IP; action=rate(client_address/$l->{ip}/3600/450 4.7.1 ip rate exceeded)\n"
            : "id=R_SASL; sasl_username=~/./; action=rate(sasl_username/$l->{rcpts}/3600/450 4.7.1 sasl rate exceeded)\n");
        chmod 0644, $rules;
        # Debian's defaults (/etc/default/postfwd) as a daemon (postfwd1
        # without -d is a stdin filter), found by its pidfile
        $h->{pidfile} = "$dir/postfwd-$port.pid";
        my @args = ('-f', $rules, '-i', '127.0.0.1', '-p', $port, '-u',
            'nobody', '-g', 'nogroup', '--cache=600', '--cache-rdomain-only',
            '--cache-no-size', '--pidfile', $h->{pidfile});
        push @args, $v == 2 ? '-n' : '-d';
        system("postfwd$v", @args) == 0 or die "postfwd$v did not start";
    } elsif ($name eq 'policyd-rate-limit') {
        my $l = $limits{$kind};
        my $db = "$dir/prl-$port";
        mkdir $db;
        system('chown', 'nobody', $db);
        my $yaml = write_conf("prl-$port.yaml", <<"EOF");
debug: False
user: "nobody"
group: "nogroup"
pidfile: "$db/pid"
sqlite_config:
    database: "$db/db.sqlite3"
backend: 0
SOCKET: ["127.0.0.1", $port]
limits:
    - [@{[ $kind eq 'big' ? $l->{rcpts} : $l->{rcpts} ]}, 3600]
limits_by_id: {}
limit_by_sasl: True
limit_by_sender: False
limit_by_ip: @{[ $kind eq 'big' ? 'True' : 'False' ]}
limited_networks: []
success_action: "dunno"
fail_action: "defer_if_permit Rate limit reached, retry later"
db_error_action: "dunno"
report: False
EOF
        $h->{pid} = FG::spawn("sys-$port", 'policyd-rate-limit', '--file', $yaml);
    } else {
        die "unknown system $name";
    }
    wait_port($port) or die "$name did not listen on $port";
    if (!$h->{pid} && $h->{pidfile}) {
        wait_until(10, sub { -s $h->{pidfile} });
        ($h->{pid}) = `cat $h->{pidfile}` =~ /(\d+)/;
    }
    return $h;
}

sub stop_system {
    my ($h) = @_;
    my @pids = tree($h->{pid});
    FG::reap("sys-$h->{port}", 'TERM', 5);
    kill 'TERM', @pids;
    wait_until(5, sub { !grep { kill 0, $_ } @pids });
    kill 'KILL', grep { kill 0, $_ } @pids;
}

# tree(PID): it and its descendants
sub tree {
    my ($pid) = @_;
    return () unless $pid;
    return ($pid, map { tree($_) } split ' ', `pgrep -P $pid`);
}

# usage_of(H): (cpu seconds, rss kB, peak rss kB) summed over its processes
sub usage_of {
    my ($h) = @_;
    my ($cpu, $rss, $hwm) = (0, 0, 0);
    for my $p (tree($h->{pid})) {
        my @st = split ' ', (`cat /proc/$p/stat 2>/dev/null` =~ s/^.*\) //sr);
        $cpu += (($st[11] // 0) + ($st[12] // 0)) / 100;
        my $s = `cat /proc/$p/status 2>/dev/null`;
        $rss += $1 if $s =~ /^VmRSS:\s+(\d+)/m;
        $hwm += $1 if $s =~ /^VmHWM:\s+(\d+)/m;
    }
    return ($cpu, $rss, $hwm);
}

# parse: a key=value result line into a hash
sub parse {
    my ($line) = @_;
    my %r = $line =~ /(\w+)=(\S+)/g;
    return \%r;
}

# loadgen(H, CONC, N, ARGS...): the result hash (+ cpu, rss, hwm)
sub loadgen {
    my ($h, $c, $n, @args) = @_;
    my ($cpu0) = usage_of($h);
    my $out = `sh -c 'ulimit -n 8192; exec "\$@"' loadgen @{[ bench_bin('loadgen') ]} -s inet:127.0.0.1:$h->{port} -c $c -n $n -l $h->{name} @args 2>&1`;
    my $r = parse((grep { /^system=/ } split /\n/, $out)[0] // "error=$out");
    my ($cpu1, $rss, $hwm) = usage_of($h);
    @$r{qw(cpu rss hwm)} = ($cpu1 - $cpu0, $rss, $hwm);
    $r->{raw} = $out;
    return $r;
}

# redisload(CONF, CONC, N): the Redis ceiling result hash
sub redisload {
    my ($conf, $c, $n) = @_;
    my $out = `@{[ bench_bin('redisload') ]} -f $conf -c $c -n $n 2>&1`;
    my $r = parse((grep { /^system=/ } split /\n/, $out)[0] // "error=$out");
    $r->{raw} = $out;
    return $r;
}

# redis_cost(LIMITS, N[, BUILD[, VIA]]): instructions redis-server spends
# per policy request on floodgate's limiter calls, counted by callgrind:
# unlike seconds, the same on a busy or idle machine. The requests come
# from the Redis ceiling client of BUILD (default FG_BUILD) at c=16, or
# with VIA 'policyd' from BUILD's floodgate-policyd driven by loadgen at
# c=16. Returns (instructions per request, the raw output) or (0, why).
sub redis_cost {
    my ($limits, $n, $bdir, $via) = @_;
    return (0, 'valgrind missing') if system('command -v callgrind_control >/dev/null') != 0;
    my $d = File::Temp::tempdir('callgrind.XXXX', DIR => FG::tmpdir());
    chmod 0755, $d;    # policyd's dropped user reaches the socket
    my $sock = "$d/redis.sock";
    my $pid = FG::spawn('redis-callgrind', 'valgrind', '--tool=callgrind',
        "--callgrind-out-file=$d/cg.out", 'redis-server', '--port', '0',
        '--unixsocket', $sock, '--unixsocketperm', '777', '--save', '', '--appendonly', 'no', '--dir', $d);
    wait_until(60, sub { `redis-cli -s $sock PING 2>/dev/null` =~ /PONG/ })
        or return (0, 'redis-server under callgrind did not start');
    my $port = FG::free_port();
    my $conf = floodgate_conf($port, $limits, $sock);
    my ($h, $run);
    if (($via // 'redisload') eq 'policyd') {
        $h = { name => 'floodgate', port => $port,
            pid => FG::spawn("sys-$port", ($bdir // $build) . '/floodgate-policyd',
                '-f', '-c', $conf) };
        wait_port($port) or return (0, 'policyd did not listen');
        my $lg = bench_bin('loadgen');
        $run = sub { `$lg -s inet:127.0.0.1:$port -c 16 -n $_[0] -w 0 -l floodgate 2>&1` };
    } else {
        my $rl = bench_bin('redisload', $bdir);
        $run = sub { `$rl -f $conf -c 16 -n $_[0] -w 0 2>&1` };
    }
    my $warm = $run->(500);
    system("callgrind_control -z $pid >/dev/null 2>&1") == 0
        or return (0, 'callgrind_control -z failed');
    my $out = $run->($n);
    system("callgrind_control -d $pid >/dev/null 2>&1") == 0 or return (0, 'callgrind_control -d failed');
    stop_system($h) if $h;
    FG::reap('redis-callgrind', 'TERM', 30);
    my ($dump) = sort { -M $a <=> -M $b } glob("$d/cg.out.*");
    return (0, "no callgrind dump\n$out") unless $dump;
    my $text = do { local (@ARGV, $/) = $dump; <> };
    my ($ir) = $text =~ /^(?:summary|totals):\s+(\d+)/m;
    return (0, "no totals in $dump\n$out") unless $ir && $out =~ /requests=$n\b/;
    return ($ir / $n, $out);
}

1;
