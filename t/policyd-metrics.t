#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Prometheus metrics (issue 13 §3, policyd): with policyd.metrics_listen,
# a scrape (curl) is valid for promtool check metrics and its counters
# move by exactly the traffic sent: answers by state and action, refusals
# by rule and decision, blocks written, the latency histogram's count;
# Redis up, then down with the degraded decisions counted. Another path
# is 404; a unix metrics_listen is a config error. The README's scrape
# config and alert rules pass promtool check config / check rules.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;

my $build = $ENV{FG_BUILD} // 'build';
my $sock = start_redis();
my ($p, $mp) = (free_port(), free_port());
my $conf = write_conf('m.conf', <<"EOF2");
redis {
    server = "unix:$sock"
    timeout = 200ms
}
policyd {
    listen = { "inet:127.0.0.1:$p" }
    metrics_listen = "inet:127.0.0.1:$mp"
}
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = 3
    block_after = 2
}
EOF2
start_policyd('m', $conf, $p);

# scrape(): the text, checked by promtool; { "name{labels}" => value }
sub scrape {
    my $text = `curl -s --max-time 5 http://127.0.0.1:$mp/metrics`;
    open my $pt, '|-', 'promtool check metrics >/dev/null 2>&1' or die;
    print $pt $text;
    close $pt;
    ok($? == 0, 'promtool check metrics passes on the scrape')
        or diag($text);
    my %m = map { /^(\S+) (\S+)$/ ? ($1, $2) : () } grep { !/^#/ } split /\n/, $text;
    return \%m;
}

my $m0 = scrape();
is($m0->{floodgate_policyd_redis_up}, 1, 'redis_up 1');
is($m0->{floodgate_policyd_requests_total}, 0, 'no request yet');

my $c = policy_client($p);
my @a = map { ask($c, rcpt_req(sasl_username => 'eve@x', instance => "i$_",
    recipient => 'r@n', client_address => '192.0.2.1')) } 1 .. 6;
ask($c, rcpt_req(protocol_state => 'DATA', sasl_username => 'bob@x',
    instance => 'd1', client_address => '192.0.2.1'));
my $m = scrape();
is($m->{'floodgate_policyd_answers_total{state="RCPT",action="DUNNO"}'}, 3,
    '3 DUNNO answers to RCPT');
is($m->{'floodgate_policyd_answers_total{state="RCPT",action="DEFER_IF_PERMIT"}'}, 2,
    '2 deferrals');
is($m->{'floodgate_policyd_answers_total{state="RCPT",action="REJECT"}'}, 1,
    '1 rejection (blocked)');
is($m->{'floodgate_policyd_answers_total{state="DATA",action="DUNNO"}'}, 1,
    'and the DATA request');
is($m->{'floodgate_policyd_decisions_total{rule="sasl-hour",decision="over"}'}, 2,
    'two refusals over the limit');
is($m->{'floodgate_policyd_decisions_total{rule="sasl-hour",decision="blocked"}'}, 1,
    'one of a blocked subject');
is($m->{'floodgate_policyd_blocks_written_total{rule="sasl-hour"}'}, 1,
    'one block written');
is($m->{floodgate_policyd_answer_seconds_count}, 7, 'seven answers timed');
is($m->{'floodgate_policyd_answer_seconds_bucket{le="+Inf"}'}, 7,
    'the histogram holds them all');
is($m->{floodgate_policyd_requests_total}, 7, 'seven requests');
is($m->{floodgate_policyd_connections}, 1, 'one connection open');

stop_redis();
ask($c, rcpt_req(sasl_username => "new$_\@x", instance => "n$_",
    recipient => 'r@n', client_address => '192.0.2.1')) for 1 .. 2;
$m = scrape();
is($m->{floodgate_policyd_redis_up}, 0, 'Redis stopped: redis_up 0');
is($m->{floodgate_policyd_degraded_total}, 2, 'two degraded decisions');

like(`curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$mp/other`, qr/^404$/,
    'another path is 404');
my $bad = write_conf('bad.conf', "policyd {\n    metrics_listen = \"unix:/tmp/m.sock\"\n}\n");
like(`$build/floodgate-policyd -n -c $bad 2>&1`, qr/bad\.conf:2: .*metrics_listen.*is not inet:HOST:PORT/,
    'a unix metrics_listen is a config error at its line');
ok(stop_policyd('m'), 'clean exit');

# the README's scrape config and alert rules, as shown
open my $rf, '<', "$FindBin::Bin/../README" or die $!;
my $readme = do { local $/; <$rf> };
my ($scrape) = $readme =~ /\n(    scrape_configs:\n(?:    .*\n)+)/;
my ($rules) = $readme =~ /\n(    groups:\n(?:    .*\n)+)/;
ok($scrape && $rules, 'README shows a scrape config and alert rules');
s/^    //mg for $scrape, $rules;
my $dir = tmpdir();
write_conf('rules.yml', $rules);
write_conf('prometheus.yml', "rule_files:\n  - $dir/rules.yml\n$scrape");
like(`promtool check rules $dir/rules.yml 2>&1`, qr/SUCCESS: 3 rules found/,
    'promtool check rules: the three alert rules');
like(`promtool check config $dir/prometheus.yml 2>&1`, qr/SUCCESS/,
    'promtool check config: the scrape config');
done_testing();
