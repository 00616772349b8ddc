#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Prometheus metrics of the milter (issue 13 §3): with
# milter.metrics_listen, under a real Postfix, each scrape passes
# promtool check metrics and moves by exactly the mail sent: three
# sendmail submissions of a test user (one with a forged stamp; its uid
# limit of 2 holds the third): messages{src="sendmail"} 3, stamped 3,
# stamps removed 1, actions accept 2 / hold 1, three Redis decisions
# timed, origins timed; Redis up, then down.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use FGPostfix;

$> == 0 or BAIL_OUT('t/milter-metrics.t runs Postfix and needs root');
my $u = 'fgtest2';
FGPostfix::test_user($u);
my $dir = tmpdir();
my $sock = start_redis();
my ($pf, $msock, $key) = FGPostfix::with_milter('mm');
my $mp = free_port();
start_milter('milter', write_conf('m.conf', <<"EOF2"), $msock);
redis {
    server = "unix:$sock"
    timeout = 300ms
}
milter {
    socket = "unix:$msock"
    user = "nobody"
    queue_directory = "$pf->{spool}"
    keys = { "k1:$key" }
    metrics_listen = "inet:127.0.0.1:$mp"
}
limit "uid-hour" {
    subject  = "uid"
    window   = 1h
    messages = 2
}
EOF2
ok($pf->start, 'Postfix with the milter starts');

sub scrape {
    my $text = `curl -s --max-time 5 http://127.0.0.1:$mp/metrics`;
    open my $pt, '|-', 'promtool check metrics >/dev/null 2>&1' or die;
    print $pt $text;
    close $pt;
    ok($? == 0, 'promtool check metrics passes on the scrape') or diag($text);
    return { map { /^(\S+) (\S+)$/ ? ($1, $2) : () } grep { !/^#/ } split /\n/, $text };
}
my $m = scrape();
is($m->{'floodgate_milter_messages_total{src="sendmail"}'}, 0, 'no message yet');
is($m->{floodgate_milter_redis_up}, 1, 'redis_up 1');

for my $i (1 .. 3) {
    $pf->sendmail_as($u, "From: t\@fg.test\nTo: r\@example.net\nSubject: m$i\n"
        . ($i == 1 ? "X-Floodgate-Origin: v=1; h=forged; src=sendmail; uid=0; k=k1; b=AAAA\n" : '')
        . "\nbody\n", '-t');
}
sub scrape_quiet {
    my $text = `curl -s --max-time 5 http://127.0.0.1:$mp/metrics`;
    return { map { /^(\S+) (\S+)$/ ? ($1, $2) : () } grep { !/^#/ } split /\n/, $text };
}
ok(wait_until(20, sub { (scrape_quiet()->{'floodgate_milter_messages_total{src="sendmail"}'} // 0) == 3 }),
    'three sendmail messages seen');
$m = scrape();
is($m->{'floodgate_milter_messages_total{src="sendmail"}'}, 3, 'messages{src="sendmail"} 3');
is($m->{'floodgate_milter_messages_total{src="remote"}'}, 0, 'no remote one');
is($m->{floodgate_milter_stamped_total}, 3, 'three stamped');
is($m->{floodgate_milter_stamps_removed_total}, 1, 'one forged stamp removed');
is($m->{'floodgate_milter_actions_total{action="accept"}'}, 2, 'two accepted');
is($m->{'floodgate_milter_actions_total{action="hold"}'}, 1, 'the third held (uid limit 2)');
is($m->{floodgate_milter_redis_seconds_count}, 3, 'three Redis decisions timed');
cmp_ok($m->{floodgate_milter_origin_seconds_count}, '>=', 3, 'origins timed');
is($m->{floodgate_milter_unattributed_total}, 0, 'all attributed');

stop_redis();
$pf->sendmail_as($u, "From: t\@fg.test\nTo: r\@example.net\nSubject: m4\n\nbody\n", '-t');
ok(wait_until(20, sub { (scrape_quiet()->{floodgate_milter_redis_up} // 1) == 0 }),
    'Redis stopped: redis_up 0');
scrape();
$pf->stop;
ok(stop_milter('milter'), 'the milter exits cleanly');
done_testing();
