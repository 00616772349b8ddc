#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The end-to-end benchmark in miniature (t/bench/e2e, FGBenchE2E): 100
# messages through smtp-source -> Postfix -> smtp-sink, once on bare
# Postfix, once with the trivial milter of t/bench and once with
# floodgate-policyd and floodgate-milter.
# Asserts only correctness, never speed: every message of each run arrived
# exactly once, both systems were measured, policyd counted the messages
# of the ip subject 127.0.0.1 and the milter those of the sending uid, the
# milter stamped every message (and bare Postfix none), and nothing is
# left running afterwards.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use FGBenchE2E;

$> == 0 or BAIL_OUT('t/bench-e2e-smoke.t runs Postfix and needs root');
my $n = 100;
my $r = e2e_bench(n => $n, conc => 10, rounds => 1, warmup => 0,
    settle => 0);
my %run = map { $_->{system} => $_ } @{ $r->{runs} };
for my $sys ('bare', 'nullmilter', 'floodgate') {
    my $x = $run{$sys} or do { fail("$sys was run"); next };
    is($x->{rc}, 0, "$sys: smtp-source got every message accepted");
    is($x->{delivered}, $n, "$sys: all $n messages are in the sink");
    is($x->{dups} + $x->{extra}, 0, "$sys: none twice, nothing else");
    is($x->{queued}, 0, "$sys: nothing left in the queue");
    ok($x->{exact}, "$sys: exact");
    ok($x->{recv_rate} > 0 && $x->{deliv_rate} >= 0
        && $x->{deliv_s} >= $x->{recv_s}, "$sys: received and delivered rates measured");
}
is($run{bare}{stamped} + $run{bare}{nulled}, 0, 'bare Postfix: no milter, no stamp');
is($run{nullmilter}{nulled}, $n, 'the trivial milter saw every message');
is($run{nullmilter}{stamped}, 0, 'and it is not floodgate');
my $f = $run{floodgate} // {};
is($f->{counted_policyd}, $n, "policyd counted $n messages for ip:127.0.0.1");
is($f->{counted_milter}, $n, "the milter counted $n messages for uid:$r->{user}");
is($f->{stamped}, $n, 'every delivered message carries X-Floodgate-Origin');
like($f->{stamp} // '', qr/^v=1; h=node-a; src=smtp-local; uid=\d+; user=\Q$r->{user}\E; .*exe=\/usr\/sbin\/smtp-source/,
    'stamped as a local SMTP client: the uid and the smtp-source process');
# (measured, not judged: at 10 ms a tick 100 messages may cost Redis 0)
ok((grep { defined $f->{cpu}{$_} && $f->{cpu}{$_} >= 0 } qw(policyd milter redis)) == 3,
    'CPU of policyd, milter and Redis measured');
ok(defined $r->{ratio}{recv} && defined $r->{ratio}{deliv}, 'ratios reported');
like(e2e_report($r), qr/^floodgate .*\n/m, 'the report has a floodgate row');

# nothing left behind: the daemons, sinks and Postfix masters are gone,
# and no process works in a Postfix instance directory
ok(@{ $r->{pids} } >= 10, 'every process was recorded');
ok($r->{clean}, 'Postfix, milters and policyds stopped cleanly');
ok(wait_until(10, sub { !grep { kill 0, $_ } @{ $r->{pids} } }),
    'redis, policyds, milters, sinks and Postfix masters have exited')
    or diag(`ps -o pid,args -p @{[ join ',', @{ $r->{pids} } ]}`);
my $roots = join '|', map { quotemeta } @{ $r->{roots} };
my @left;
ok(wait_until(10, sub {
    @left = grep { (readlink("/proc/$_/cwd") // '') =~ /^(?:$roots)/ }
        map { m{/(\d+)$} } glob '/proc/[0-9]*';
    !@left }), 'no Postfix process left in the instance directories')
    or diag(`ps -o pid,args -p @{[ join ',', @left ]}`);
done_testing();
