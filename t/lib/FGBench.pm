# SPDX-License-Identifier: BSD-2-Clause
# FGBench: the systems of `make bench` (and of t/bench-smoke.t), each a
# policy server on 127.0.0.1 doing the same job: the trivial DUNNO server,
# floodgate-policyd on a real redis-server (its unix socket; floodgate-tcp:
# a loopback port, the cluster's transport), floodgate-policyd on a
# 3-master Redis Cluster (floodgate-cluster), postfwd1/postfwd2 and
# policyd-rate-limit (Debian packages) with rate limits by sasl_username and
# client IP; the load generator and the Redis ceiling client; CPU and RSS
# of a server's processes from /proc; the work of floodgate's Redis per
# request, per redis-server (its CPU, INFO commandstats; callgrind in
# redis_cost and cluster_cost). The binaries come from FG_BUILD
# ('build'); bench_bin, start_system and redis_cost take another build
# directory as an optional last argument (t/bench/compare: two builds in
# one run).
package FGBench;
use strict;
use warnings;
use Exporter 'import';
use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use FG;
use FGRedisHA ();

our @EXPORT = qw(bench_bin start_system stop_system loadgen redisload
    usage_of floodgate_conf redis_cost flush_redis redis_work cluster_cost);

my $build = $ENV{FG_BUILD} // 'build';
# bench_bin(NAME[, BUILD]): a tool of t/bench, built in BUILD or FG_BUILD
sub bench_bin { ($_[1] // $build) . "/t/bench/$_[0]" }

# floodgate_conf(PORT, LIMITS[, REDIS]): a policyd config on the shared
# Redis, or REDIS: the unix socket path of another one, its "HOST:PORT",
# or an FGRedisHA cluster (its nodes as seeds)
sub floodgate_conf {
    my ($port, $limits, $where) = @_;
    $where //= FG::redis_sock();
    my $redis = ref $where
        ? 'cluster = { ' . join(', ', map { "\"$_\"" } $where->seeds) . ' }'
        : $where =~ m{^/} ? "server = \"unix:$where\"" : "server = \"$where\"";
    return write_conf("bench-$port.conf", <<"EOF");
node = "bench"
redis {
    $redis
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

# the Redis Cluster of floodgate-cluster: 3 masters on loopback, Redis'
# default node timeout (gossip as in production), started on first use
my $cluster;
sub bench_cluster {
    return $cluster //= FGRedisHA::redis_cluster(masters => 3, node_timeout => 15000);
}

# the redis-server of floodgate-tcp, on a loopback port like the
# cluster's nodes (the shared one has only a unix socket): its port,
# started on first use
my $tcp_port;
sub bench_tcp_redis {
    return $tcp_port if $tcp_port;
    my $p = free_port();
    FG::spawn('redis-tcp', 'redis-server', '--port', $p, '--bind', '127.0.0.1',
        '--save', '', '--appendonly', 'no', '--dir', FG::tmpdir());
    wait_port($p) && wait_until(10, sub { FG::redis_at($p, 'PING') eq 'PONG' })
        or die "redis-server on port $p did not start";
    return $tcp_port = $p;
}

# machine(): this machine in one line, for a report: CPU model, cores,
# RAM, kernel, date
sub machine {
    my $cpu = `grep -m1 'model name' /proc/cpuinfo` =~ s/.*:\s*//r;
    chomp $cpu;
    return sprintf '%s, %d cores, %s, kernel %s, %s', $cpu, `nproc` + 0,
        (`grep MemTotal /proc/meminfo` =~ /(\d+)/ ? sprintf('%.0f GB RAM', $1 / 1048576) : '?'),
        (split ' ', `uname -r`)[0], POSIX::strftime('%Y-%m-%d', gmtime);
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
    } elsif ($name =~ /^floodgate(?:-(tcp|cluster))?$/) {
        # its Redis: the shared one (unix socket), one on a loopback
        # port, or the 3-master cluster
        my $where;
        if (($1 // '') eq 'cluster') {
            $where = $h->{cluster} = bench_cluster();
        } elsif ($1) {
            my $rp = bench_tcp_redis();
            $where = "127.0.0.1:$rp";
            $h->{redis} = { name => $where, pid => FG::pid('redis-tcp'), at => $rp };
        } else {
            $h->{redis} = { name => 'redis (unix)', pid => FG::pid('redis'), at => FG::redis_sock() };
        }
        my $conf = floodgate_conf($port, fg_limits($kind), $where);
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

# proc_cpu(PID): its user + system CPU seconds (all threads), from
# /proc/PID/stat; 0 when it is gone
sub proc_cpu {
    my ($p) = @_;
    open my $fh, '<', "/proc/$p/stat" or return 0;
    my @st = split ' ', (scalar(<$fh>) // '') =~ s/^.*\) //sr;
    return (($st[11] // 0) + ($st[12] // 0)) / 100;
}

# usage_of(H): (cpu seconds, rss kB, peak rss kB) summed over its processes
sub usage_of {
    my ($h) = @_;
    my ($cpu, $rss, $hwm) = (0, 0, 0);
    for my $p (tree($h->{pid})) {
        $cpu += proc_cpu($p);
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

# redis_nodes(H): the redis-servers floodgate system H works on, as
# ({ name, pid, at (for FG::redis_at) }, ...): its one server, or the
# masters of its cluster; none for the other systems
sub redis_nodes {
    my ($h) = @_;
    if (my $rc = $h->{cluster}) {
        return map { +{ name => $_, pid => $rc->pid($_), at => (split /:/)[1] } }
            $rc->masters;
    }
    return $h->{redis} // ();
}

# redis_snap(NODES): each node's counters now, as [ { cpu (seconds, from
# /proc), calls, usec (summed over INFO commandstats; INFO itself left
# out: the snapshots' own) } ]
sub redis_snap {
    return [ map {
        my ($calls, $usec) = (0, 0);
        for (split /\n/, FG::redis_at($_->{at}, 'INFO', 'commandstats')) {
            next unless /^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/ && $1 ne 'info';
            $calls += $2;
            $usec += $3;
        }
        +{ cpu => proc_cpu($_->{pid}), calls => $calls, usec => $usec };
    } @_ ];
}

# flush_redis(H): FLUSHALL on the Redis of floodgate system H (every
# master of a cluster)
sub flush_redis { FG::redis_at($_->{at}, 'FLUSHALL') for redis_nodes($_[0]) }

# loadgen(H, CONC, N, ARGS...): the result hash (+ cpu, rss, hwm of H's
# processes; for a floodgate system + redis: [ { node, cpu, calls, usec }
# ], what each of its redis-servers did meanwhile)
sub loadgen {
    my ($h, $c, $n, @args) = @_;
    my @rn = redis_nodes($h);
    my $s0 = redis_snap(@rn);
    my ($cpu0) = usage_of($h);
    my $out = `sh -c 'ulimit -n 8192; exec "\$@"' loadgen @{[ bench_bin('loadgen') ]} -s inet:127.0.0.1:$h->{port} -c $c -n $n -l $h->{name} @args 2>&1`;
    my $r = parse((grep { /^system=/ } split /\n/, $out)[0] // "error=$out");
    my ($cpu1, $rss, $hwm) = usage_of($h);
    my $s1 = redis_snap(@rn);
    @$r{qw(cpu rss hwm)} = ($cpu1 - $cpu0, $rss, $hwm);
    $r->{redis} = [ map { my $i = $_;
        +{ node => $rn[$i]{name}, map { $_ => $s1->[$i]{$_} - $s0->[$i]{$_} } qw(cpu calls usec) }
    } 0 .. $#rn ] if @rn;
    $r->{raw} = $out;
    return $r;
}

# redis_work(R): the Redis work per request of loadgen result R (per
# request sent, warm-up included) as { nodes => [ { node, cpu_us, calls,
# usec, share (of the CPU of all nodes) } ], total => { cpu_us, calls,
# usec }, ceiling }: ceiling is the request rate at which the busiest
# redis-server would use one core, the Redis-bound ceiling when each one
# has a core of its own. undef without Redis nodes or requests.
sub redis_work {
    my ($r) = @_;
    my $n = $r->{issued} // 0;
    return undef unless $r->{redis} && $n > 0;
    my (@nodes, %t);
    for my $x (@{ $r->{redis} }) {
        my %w = (node => $x->{node}, cpu_us => $x->{cpu} * 1e6 / $n,
            calls => $x->{calls} / $n, usec => $x->{usec} / $n);
        $t{$_} += $w{$_} for qw(cpu_us calls usec);
        push @nodes, \%w;
    }
    my $max = 0;
    for (@nodes) {
        $_->{share} = $t{cpu_us} ? $_->{cpu_us} / $t{cpu_us} : 0;
        $max = $_->{cpu_us} if $_->{cpu_us} > $max;
    }
    return { nodes => \@nodes, total => \%t, ceiling => $max ? 1e6 / $max : 0 };
}

# redisload(CONF, CONC, N): the Redis ceiling result hash
sub redisload {
    my ($conf, $c, $n) = @_;
    my $out = `@{[ bench_bin('redisload') ]} -f $conf -c $c -n $n 2>&1`;
    my $r = parse((grep { /^system=/ } split /\n/, $out)[0] // "error=$out");
    $r->{raw} = $out;
    return $r;
}

# cg_policyd(CONF, PORT[, BUILD]): BUILD's floodgate-policyd on CONF,
# listening on PORT, and how make bench counts Redis' work through it: a
# handle for stop_system (undef if it did not listen) and a sub running
# N requests of loadgen at c=16, no warm-up (its output)
sub cg_policyd {
    my ($conf, $port, $bdir) = @_;
    my $h = { name => 'floodgate', port => $port,
        pid => FG::spawn("sys-$port", ($bdir // $build) . '/floodgate-policyd',
            '-f', '-c', $conf) };
    wait_port($port) or return undef;
    my $lg = bench_bin('loadgen');
    return ($h, sub { `$lg -s inet:127.0.0.1:$port -c 16 -n $_[0] -w 0 -l floodgate 2>&1` });
}

# cg_count(PIDS, RUN, N): RUN->(500) to warm up, then the callgrind
# counters of the processes PIDS zeroed, RUN->(N), the counters dumped;
# (RUN's output) or (undef, why)
sub cg_count {
    my ($pids, $run, $n) = @_;
    $run->(500);
    for (@$pids) {
        system("callgrind_control -z $_ >/dev/null 2>&1") == 0
            or return (undef, 'callgrind_control -z failed');
    }
    my $out = $run->($n);
    for (@$pids) {
        system("callgrind_control -d $_ >/dev/null 2>&1") == 0
            or return (undef, 'callgrind_control -d failed');
    }
    return ($out);
}

# cg_total(GLOB): the newest callgrind dump matching GLOB: its
# instructions and those under serverCron (inclusive, from
# callgrind_annotate; 0 if it is missing): Redis' timer work, which
# callgrind's slowdown stretches over fewer requests per second, so that
# its share per request depends on the slowdown and the machine's load.
# ({ ir, timer }) or (undef, why)
sub cg_total {
    my ($glob) = @_;
    my ($dump) = sort { -M $a <=> -M $b } glob($glob);
    return (undef, "no callgrind dump $glob") unless $dump;
    my $text = do { local (@ARGV, $/) = $dump; <> };
    my ($ir) = $text =~ /^(?:summary|totals):\s+(\d+)/m;
    return (undef, "no totals in $dump") unless $ir;
    my ($timer) = `callgrind_annotate --inclusive=yes --threshold=100 $dump 2>/dev/null`
        =~ /^\s*([\d,]+)\s+\([^)]*\)\s+\S*:serverCron\s/m;
    return { ir => $ir, timer => ($timer // 0) =~ tr/,//dr };
}

# redis_cost(LIMITS, N[, BUILD[, VIA]]): instructions redis-server spends
# per policy request on floodgate's limiter calls, counted by callgrind:
# unlike seconds, the same on a busy or idle machine. The requests come
# from the Redis ceiling client of BUILD (default FG_BUILD) at c=16, or
# with VIA 'policyd' from BUILD's floodgate-policyd driven by loadgen at
# c=16. Returns (instructions per request, the raw output, those of them
# under serverCron) or (0, why).
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
        ($h, $run) = cg_policyd($conf, $port, $bdir);
        $h or return (0, 'policyd did not listen');
    } else {
        my $rl = bench_bin('redisload', $bdir);
        $run = sub { `$rl -f $conf -c 16 -n $_[0] -w 0 2>&1` };
    }
    my ($out, $why) = cg_count([$pid], $run, $n);
    return (0, $why) unless defined $out;
    stop_system($h) if $h;
    FG::reap('redis-callgrind', 'TERM', 30);
    my ($cg, $no) = cg_total("$d/cg.out.*");
    return (0, "$no\n$out") unless $cg;
    return (0, "not all requests answered\n$out") unless $out =~ /requests=$n\b/;
    return ($cg->{ir} / $n, $out, $cg->{timer} / $n);
}

# cluster_cost(LIMITS, N[, BUILD]): redis_cost on a 3-master Redis
# Cluster (as floodgate-cluster's), VIA 'policyd': the instructions each
# master spends per policy request. Returns ({ "127.0.0.1:port" =>
# instructions per request }, the raw output, { "127.0.0.1:port" => those
# under serverCron }) or (undef, why).
sub cluster_cost {
    my ($limits, $n, $bdir) = @_;
    return (undef, 'valgrind missing') if system('command -v callgrind_control >/dev/null') != 0;
    my $d = File::Temp::tempdir('callgrind.XXXX', DIR => FG::tmpdir());
    my $rc = eval {
        FGRedisHA::redis_cluster(masters => 3, node_timeout => 15000, start_wait => 60,
            wrap => ['valgrind', '--tool=callgrind', "--callgrind-out-file=$d/cg.out.%p"]);
    } or return (undef, "the cluster under callgrind did not start: $@");
    my $port = FG::free_port();
    my ($h, $run) = cg_policyd(floodgate_conf($port, $limits, $rc), $port, $bdir);
    my %pid = map { $_ => $rc->pid($_) } $rc->masters;
    my ($out, $why) = $h ? cg_count([values %pid], $run, $n) : (undef, 'policyd did not listen');
    stop_system($h) if $h;
    $rc->stop;
    return (undef, $why) unless defined $out;
    my (%ir, %timer);
    for (keys %pid) {
        my ($cg, $no) = cg_total("$d/cg.out.$pid{$_}.*");
        return (undef, "$no\n$out") unless $cg;
        $ir{$_} = $cg->{ir} / $n;
        $timer{$_} = $cg->{timer} / $n;
    }
    return (undef, "not all requests answered\n$out") unless $out =~ /requests=$n\b/;
    return (\%ir, $out, \%timer);
}

1;
