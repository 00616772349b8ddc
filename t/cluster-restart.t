#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Cluster scenario 9 (issue 4): the milter and then policyd of node A are
# restarted while an SMTP client and a local sendmail loop keep sending.
# No message is lost or doubled: every message the client had accepted and
# every sendmail submission reaches a sink exactly once; Postfix tempfails
# while the milter is away and accepts again after; nothing is left in the
# maildrop or any queue.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep);
use FG;
use FGCluster;
use FGPostfix;
use FGSmtp;

$> == 0 or BAIL_OUT('t/cluster-restart.t runs Postfix and needs root');
my $local = 'fgrst1';
FGPostfix::test_user($local);
my $c = FGCluster->new(sasl => { alice => 'alicepw' }, limits => <<'EOF');
limit "sasl-hour" {
    subject  = "sasl"
    window   = 1h
    messages = 10000
}
limit "uid-hour" {
    subject  = "uid"
    window   = 1h
    messages = 10000
}
EOF
ok($c, 'two nodes on one Redis');
my $dir = tmpdir();
my $stop = "$dir/traffic.stop";
my $pa = $c->pf('a');

# the SMTP client: one session per message, a 4xx is retried (as an MTA
# would); writes "id reply" for every attempt
my $smtp = fork // die;
if (!$smtp) {
    open my $log, '>', "$dir/smtp.log" or die;
    $log->autoflush(1);
    my $i = 0;
    while (!-e $stop) {
        my $id = 'rst' . ++$i;
        for (1 .. 200) {
            my $s = FGSmtp->new($pa->{smtp}, auth => ['alice', 'alicepw']);
            my $r = $s ? $s->send('alice@fg.test', 'r@example.net',
                FGSmtp::message($id)) : "session $FGSmtp::error";
            $s->quit if $s;
            print $log "$id $r\n";
            last if $r =~ /^250 /;
            sleep 0.1;
        }
    }
    POSIX::_exit(0); # not exit: END would tear the cluster down
}
# the local sendmail loop
my $sm = fork // die;
if (!$sm) {
    open my $log, '>', "$dir/sendmail.log" or die;
    $log->autoflush(1);
    my $i = 0;
    while (!-e $stop) {
        my $id = 'loc' . ++$i;
        my $rc = $pa->sendmail_as($local, FGSmtp::message($id), '-t');
        print $log "$id $rc\n";
        sleep 0.05;
    }
    POSIX::_exit(0); # not exit: END would tear the cluster down
}

sleep 1;
ok(stop_milter('milter-a'), 'milter A stops cleanly under traffic');
sleep 1;
start_milter('milter-a', $c->node('a')->{conf}, $c->node('a')->{msock});
sleep 1.5;
ok(stop_policyd('policyd-a'), 'policyd A stops cleanly under traffic');
sleep 0.5;
start_policyd('policyd-a', $c->node('a')->{conf}, $c->node('a')->{paddr});
sleep 1.5;
open my $sf, '>', $stop or die;
close $sf;
waitpid($_, 0) for $smtp, $sm;

my @smtp = map { [split / /, $_, 2] } split /\n/, `cat $dir/smtp.log`;
my @ok = map { $_->[0] } grep { $_->[1] =~ /^250 / } @smtp;
my @local = map { (split / /)[0] } grep { / 0$/ } split /\n/, `cat $dir/sendmail.log`;
my @tempfail = grep { $_->[1] =~ /^(session )?4\d\d / } @smtp;
ok(@tempfail >= 1, 'Postfix tempfailed while the milter was away ('
    . scalar(@tempfail) . ' times)') or diag(`cat $dir/smtp.log`);
like($smtp[-1][1] // '', qr/^250 /, 'and accepts again after');
ok(@ok >= 10 && @local >= 10, scalar(@ok) . ' SMTP messages accepted, '
    . scalar(@local) . ' sendmail submissions');
ok($c->wait_delivered(@ok, @local), 'every one of them reaches a sink')
    or diag(explain [grep { !$c->delivered->{$_} } @ok, @local]);
sleep 1;
my $d = $c->delivered;
is(scalar(grep { @{ $d->{$_} } != 1 } @ok, @local), 0, 'each exactly once');
ok(wait_until(30, sub { !glob("$pa->{spool}/maildrop/*") }),
    'nothing is left in the maildrop');
is(scalar($pa->queue), 0, 'nor in any queue');
ok($c->stop, 'everything stops cleanly');
done_testing();
