# SPDX-License-Identifier: BSD-2-Clause
# FGBenchE2E: the end-to-end part of `make bench` (and of
# t/bench-e2e-smoke.t): smtp-source -> real Postfix -> smtp-sink, N
# messages per run, on the two nodes FGCluster builds from
# conf/postfix-main.cf: node a as documented (floodgate-policyd in
# smtpd_recipient_restrictions, floodgate-milter in smtpd_milters and
# non_smtpd_milters, one redis-server), node b the same Postfix with the
# floodgate lines taken out ("bare"). Runs alternate (ab, ba, ab, ...) so
# noise hits both alike. Every run is checked after its clock stops: each
# message in the sink exactly once, and on node a counted by policyd (ip
# subject) and by the milter (uid subject) and stamped. Nothing here
# asserts a speed; the caller judges.
#
#   my $r = e2e_bench(n => 2000, conc => 20, rounds => 3);
#   print e2e_report($r);
package FGBenchE2E;
use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use FindBin;
use FG;
use FGBench ();
use FGCluster;
use FGPostfix;

our @EXPORT = qw(e2e_bench e2e_report);

my $tdir = dirname(__FILE__) . '/..';    # t/: FGCluster finds conf/ there
# bare: no policy service, no milter; nullmilter: the trivial milter of
# t/bench (what any milter costs), on the same node; floodgate: node a
my @systems = ('bare', 'nullmilter', 'floodgate');
my %node = (bare => 'b', nullmilter => 'b', floodgate => 'a');

# e2e_limits(BIG): FGBench's 'big' sasl/ip limits with every count
# raised to BIG, and a uid limit for the milter: the whole limiter script
# runs, nothing is refused
sub e2e_limits {
    my ($big) = @_;
    my $l = FGBench::fg_limits('big');
    $l =~ s/^(\s*(?:messages|recipients)\s*=\s*)\d+/$1$big/mg or die;
    return $l . <<"EOF";
limit "uid-hour" {
    subject     = "uid"
    window      = 1h
    messages    = $big
    block_after = 10
}
EOF
}

# proc_table(): { pid => [ppid, own cpu, reaped children's cpu] } from
# one pass over /proc (ticks)
sub proc_table {
    my %t;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $l = <$fh> // next;
        my @f = split ' ', $l =~ s/^.*\) //sr;
        $t{ $1 } = [$f[1], $f[11] + $f[12], $f[13] + $f[14]]
            if $stat =~ m{/(\d+)/stat$};
    }
    return \%t;
}

# tree_cpu(TABLE, PID): CPU seconds of PID and its descendants, live or
# already reaped (a reaped child's time moves into its parent's cutime)
sub tree_cpu {
    my ($t, $root) = @_;
    my %kids;
    push @{ $kids{ $t->{$_}[0] } }, $_ for keys %$t;
    my ($sum, @todo) = (0, $root // return 0);
    while (defined(my $p = shift @todo)) {
        next unless $t->{$p};
        $sum += $t->{$p}[1] + $t->{$p}[2];
        push @todo, @{ $kids{$p} // [] };
    }
    return $sum / 100;
}

sub box_busy {
    open my $fh, '<', '/proc/stat' or return 0;
    my (undef, @v) = split ' ', scalar <$fh>;
    return ($v[0] + $v[1] + $v[2] + $v[5] + $v[6] + $v[7]) / 100;
}

# usage(ST, SYSTEM): CPU seconds so far of each part, by name
sub usage {
    my ($st, $sys) = @_;
    my $t = proc_table();
    my $nd = $node{$sys};
    my %u = (postfix => tree_cpu($t, $st->{c}->pf($nd)->master_pid),
        sink => tree_cpu($t, FG::pid("sink-$nd")),
        source => (times)[2] + (times)[3], self => (times)[0] + (times)[1],
        box => box_busy());
    if ($sys eq 'floodgate') {
        $u{$_} = tree_cpu($t, FG::pid("$_-a")) for 'policyd', 'milter';
        $u{redis} = tree_cpu($t, FG::pid('redis'));
    }
    $u{milter} = tree_cpu($t, FG::pid('nullmilter')) if $sys eq 'nullmilter';
    return \%u;
}

sub sink_dir { $_[0]{c}->pf($node{ $_[1] })->{sink} }
# sink_n(DIR): files in a sink directory (readdir, no stat: polled)
sub sink_n {
    opendir my $d, $_[0] or return 0;
    return scalar grep { /^msg\./ } readdir $d;
}

# check(ST, SYSTEM, RUN): what arrived: each sequence number once, stamps;
# then empties the sink
sub check {
    my ($st, $sys, $r) = @_;
    my (%seen, $extra);
    @$r{qw(stamped nulled dups)} = (0, 0, 0);
    for my $f (glob(sink_dir($st, $sys) . '/msg.*')) {
        open my $fh, '<', $f or next;
        my $text = do { local $/; <$fh> } // '';
        if ($text =~ /^X-Rcpt-Args: <(\d+)r\@example\.net>/m) {
            $seen{$1}++;
        } else {
            $extra++;
        }
        $r->{nulled}++ if $text =~ /^X-Null-Milter: seen$/m;
        if (my ($s) = FGCluster::stamps_of($text)) {
            $r->{stamped}++;
            $r->{stamp} //= $s;
        }
        unlink $f;
    }
    $r->{delivered} = grep { $_ >= 1 && $_ <= $st->{n} } keys %seen;
    $r->{dups} += $_ - 1 for values %seen;
    $r->{extra} = ($extra // 0) + grep { $_ < 1 || $_ > $st->{n} } keys %seen;
    $r->{exact} = $r->{delivered} == $st->{n} && !$r->{dups} && !$r->{extra}
        && $r->{rc} == 0 ? 1 : 0;
}

# counted(SUBJECT): messages in a subject's usage hash (the m: fields of
# its one limit, every bucket)
sub counted {
    my %h = split /\n/, redis('HGETALL', "fg:{$_[0]}");
    my $m = 0;
    $m += $h{$_} for grep { /^m:\d+:\d+$/ } keys %h;
    return $m;
}

# run_once(ST, SYSTEM, N): one timed run; its result hash
sub run_once {
    my ($st, $sys, $n) = @_;
    my $pf = $st->{c}->pf($node{$sys});
    my $dir = sink_dir($st, $sys);
    my $milters = $sys eq 'nullmilter' ? 'unix:floodgate/null.sock' : '';
    if ($node{$sys} eq 'b' && ($st->{milters} // '') ne $milters) {
        $pf->postconf(smtpd_milters => $milters) or die 'postconf failed';
        $st->{milters} = $milters;
        sleep 1;    # the reload reaches every smtpd
    }
    unlink glob("$dir/msg.*");
    redis('FLUSHALL') if $sys eq 'floodgate';
    my $u0 = usage($st, $sys);
    my $log = tmpdir() . '/smtp-source.log';
    my @cmd = ('smtp-source', '-N', '-s', $st->{conc}, '-m', $n, '-M',
        'client.fg.test', '-f', 'bench@fg.test', '-t', 'r@example.net',
        ($st->{size} ? ('-l', $st->{size}) : ()), "127.0.0.1:$pf->{smtp}");
    unshift @cmd, 'setpriv', "--reuid=$st->{user}", "--regid=$st->{user}",
        '--init-groups' if $st->{user} ne 'root';
    my $t0 = time;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        exec @cmd or exit 127;
    }
    waitpid $pid, 0;
    my %r = (system => $sys, rc => $? >> 8, recv_s => time - $t0);
    # delivered: poll the sink until N are in or it stalls for 30 s
    my ($last, $since) = (-1, time);
    while ((my $k = sink_n($dir)) < $n) {
        ($last, $since) = ($k, time) if $k != $last;
        last if time - $since > 30;
        sleep 0.01;
    }
    $r{deliv_s} = time - $t0;
    my $u1 = usage($st, $sys);
    $r{cpu}{$_} = $u1->{$_} - $u0->{$_} for keys %$u1;
    $r{recv_rate} = $n / $r{recv_s};
    $r{deliv_rate} = $n / $r{deliv_s};
    wait_until(10, sub { !$pf->queue });
    $r{queued} = () = $pf->queue;
    if ($sys eq 'floodgate') {
        $r{counted_policyd} = counted('ip:127.0.0.1');
        $r{counted_milter} = counted("uid:$st->{user}");
    }
    check($st, $sys, \%r) if $n == $st->{n};
    sleep $st->{settle};
    return \%r;
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return @v ? ($v[$#v / 2] + $v[@v / 2]) / 2 : 0;
}

# use_build(ST, DIR): node a's floodgate-policyd and floodgate-milter
# restarted from the build directory DIR, same config
sub use_build {
    my ($st, $dir) = @_;
    my $nd = $st->{c}->node('a');
    stop_milter('milter-a');
    stop_policyd('policyd-a');
    unlink $nd->{msock};
    FG::spawn('policyd-a', "$dir/floodgate-policyd", '-f', '-c', $nd->{conf});
    FG::spawn('milter-a', "$dir/floodgate-milter", '-f', '-c', $nd->{conf});
    wait_until(10, sub { -S $nd->{msock} }) or die "milter of $dir did not start";
    wait_until(10, sub { eval { FG::policy_client($nd->{paddr}, 1) } })
        or die "policyd of $dir did not listen";
}

# e2e_bench(%opts): n (messages per run, 2000), conc (smtp-source
# sessions, 20), rounds (runs per system, 3), size (payload bytes, 0: the
# tool's own short body), user (who runs smtp-source, fgtest1: a local
# web user as the milter sees it), warmup (untimed messages first, 200),
# settle (s between runs, 1), systems (which of bare, nullmilter and
# floodgate, default all), build (the build directory of node a's
# floodgate-policyd and floodgate-milter, default FG_BUILD), milter (more
# lines for the milter { } section). Starts and stops everything; a
# running FG Redis is replaced by a fresh one on the same socket (left
# running).
sub e2e_bench {
    my (%o) = @_;
    my @sys = @{ $o{systems} // \@systems };
    my $st = { n => $o{n} // 2000, conc => $o{conc} // 20,
        rounds => $o{rounds} // 3, size => $o{size} // 0,
        user => $o{user} // 'fgtest1', settle => $o{settle} // 1 };
    my $warm = $o{warmup} // 200;
    FGPostfix::test_user($st->{user}) if $st->{user} ne 'root';
    my $had_redis = FG::pid('redis');
    stop_redis() if $had_redis;
    my $big = 100 * ($st->{n} * ($st->{rounds} + 1) + $warm);
    my %res = (n => $st->{n}, conc => $st->{conc}, rounds => $st->{rounds},
        size => $st->{size}, user => $st->{user}, target => 0.9, runs => [],
        systems => \@sys);
    my $ok = eval {
        local $FindBin::Bin = $tdir;
        $st->{c} = FGCluster->new(limits => e2e_limits($big),
            milter => $o{milter} // '');
        use_build($st, $o{build}) if $o{build};
        my $b = $st->{c}->pf('b');
        $b->postconf(smtpd_recipient_restrictions => '',
            smtpd_milters => '', non_smtpd_milters => '')
            or die 'postconf on the bare node failed';
        my $nsock = "$b->{spool}/floodgate/null.sock";
        FG::spawn('nullmilter', FGBench::bench_bin('nullmilter'), "unix:$nsock");
        wait_until(10, sub { -S $nsock }) or die 'nullmilter did not start';
        $res{pids} = [grep { $_ } map { FG::pid($_) } 'redis', 'nullmilter',
            map { ("policyd-$_", "milter-$_", "sink-$_") } 'a', 'b'];
        $res{roots} = [map { $st->{c}->pf($_)->{root} } 'a', 'b'];
        push @{ $res{pids} }, map { $st->{c}->pf($_)->master_pid } 'a', 'b';
        $warm and run_once($st, $_, $warm) for @sys;
        for my $i (1 .. $st->{rounds}) {
            for my $sys ($i % 2 ? @sys : reverse @sys) {
                my $r = run_once($st, $sys, $st->{n});
                $r->{round} = $i;
                push @{ $res{runs} }, $r;
            }
        }
        1;
    };
    my $err = $@;
    $res{clean} = teardown($st);
    stop_redis();    # the cluster's (a new one for the caller below)
    start_redis() if $had_redis;
    die $err unless $ok;
    summarize(\%res);
    return \%res;
}

# teardown: stop Postfix, milters, policyds (the milters told together:
# each takes up to 5 s to notice) and sinks; true when all stopped cleanly
sub teardown {
    my ($st) = @_;
    my $c = $st->{c} or return 0;
    kill 'TERM', grep { $_ } map { FG::pid("milter-$_") } 'a', 'b';
    my $clean = $c->stop;
    FG::reap("sink-$_", 'TERM') for 'a', 'b';
    FG::reap('nullmilter', 'TERM') if FG::pid('nullmilter');
    return $clean;
}

sub summarize {
    my ($res) = @_;
    for my $sys (@{ $res->{systems} }) {
        my @r = grep { $_->{system} eq $sys } @{ $res->{runs} };
        my %s = (recv => [map { $_->{recv_rate} } @r],
            deliv => [map { $_->{deliv_rate} } @r]);
        $s{"${_}_median"} = median(@{ $s{$_} }) for 'recv', 'deliv';
        for my $k (keys %{ $r[0]{cpu} // {} }) {
            $s{cpu}{$k} = median(map { $_->{cpu}{$k} } @r);
        }
        $res->{$sys} = \%s;
    }
    for my $k ('recv', 'deliv') {
        my ($b, $n, $f) = map { $res->{$_}{"${k}_median"} // 0 } @systems;
        $res->{ratio}{$k} = $b ? $f / $b : 0;
        $res->{met}{$k} = $res->{ratio}{$k} >= $res->{target} ? 1 : 0;
        $res->{null_ratio}{$k} = $b ? $n / $b : 0;
        $res->{vs_null}{$k} = $n ? $f / $n : 0;
    }
    $res->{exact} = (grep { !$_->{exact} } @{ $res->{runs} }) ? 0 : 1;
}

# e2e_report(RESULT): the table as text
sub e2e_report {
    my ($r) = @_;
    my $s = sprintf "end to end: smtp-source (%d sessions, %s, as %s) -> Postfix -> smtp-sink\n"
        . "%d messages a run, %d rounds alternated, medians; rates in messages/s\n\n"
        . "%-10s %9s %9s   %-23s %-23s %s\n", $r->{conc},
        $r->{size} ? "$r->{size} byte payload" : 'short messages', $r->{user},
        $r->{n}, $r->{rounds}, 'system', 'received', 'delivered',
        'received, each run', 'delivered, each run', 'exact';
    my $each = sub { join ' ', map { sprintf '%.0f', $_ } @{ $_[0] } };
    for my $sys (@{ $r->{systems} }) {
        $s .= sprintf "%-10s %9.0f %9.0f   %-23s %-23s %s\n", $sys,
            @{ $r->{$sys} }{qw(recv_median deliv_median)},
            $each->($r->{$sys}{recv}), $each->($r->{$sys}{deliv}),
            (grep { $_->{system} eq $sys && !$_->{exact} } @{ $r->{runs} }) ? 'NO' : 'yes';
    }
    $s .= sprintf "\nratios              received  delivered\n";
    $s .= sprintf "  %-28s %5.2f  %5.2f  %s\n", @$_ for
        ["floodgate / bare (>= $r->{target})", @{ $r->{ratio} }{qw(recv deliv)},
            $r->{met}{deliv} ? 'met' : 'MISSED'],
        ['nullmilter / bare', @{ $r->{null_ratio} }{qw(recv deliv)}, '(any milter)'],
        ['floodgate / nullmilter', @{ $r->{vs_null} }{qw(recv deliv)}, ''];
    my @parts = qw(policyd milter redis postfix sink source);
    $s .= "\nCPU seconds a run (median; other: the rest of the machine and the\n"
        . "kernel, this script included; box: all of it)\n"
        . sprintf("  %-10s" . (' %8s' x 8) . "\n", 'system', @parts, 'other', 'box');
    for my $sys (@{ $r->{systems} }) {
        my $c = $r->{$sys}{cpu};
        my $other = $c->{box} // 0;
        $other -= $c->{$_} // 0 for @parts;
        $s .= sprintf "  %-10s" . (' %8s' x 8) . "\n", $sys, map {
            defined $_ ? sprintf('%.2f', $_) : '-' } @$c{@parts}, $other, $c->{box};
    }
    my $f = $r->{floodgate}{cpu};
    $s .= sprintf "floodgate's CPU per message: policyd %.3f ms, milter %.3f ms, "
        . "redis %.3f ms\n", map { ($f->{$_} // 0) * 1000 / $r->{n} } qw(policyd milter redis);
    return $s;
}

1;
