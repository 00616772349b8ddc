#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# redis.on_failure = defer and dunno: with Redis gone, answers follow the
# configured policy at once, and a known block is honoured under both.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;

my $sock = start_redis();
my %port;
for my $policy (qw(defer dunno)) {
    my $p = $port{$policy} = free_port();
    start_policyd($policy, write_conf("$policy.conf", <<"EOF2"), $p);
redis {
    server     = "unix:$sock"
    on_failure = "$policy"
    failure_action = "DEFER_IF_PERMIT 4.3.0 test: limiter unavailable"
}
policyd {
    listen = { "inet:127.0.0.1:$p" }
}
limit "m" {
    subject  = "sasl"
    window   = 1h
    messages = 1
}
EOF2
}
my %c = map { $_ => policy_client($port{$_}) } keys %port;
redis('HSET', 'fg:{sasl:bad@example.com}:block', 'rule', 'm');
for my $policy (keys %c) {
    like(ask($c{$policy}, rcpt_req(sasl_username => 'bad@example.com',
        instance => 'k0')), qr/^REJECT/, "$policy: blocked while Redis is up");
}
stop_redis();
my @d = map { ask($c{defer}, rcpt_req(sasl_username => 'u@example.com',
    instance => "d$_")) } 1 .. 3;
is_deeply(\@d, [('DEFER_IF_PERMIT 4.3.0 test: limiter unavailable') x 3],
    'defer: failure_action while Redis is down');
my @u = map { ask($c{dunno}, rcpt_req(sasl_username => 'u@example.com',
    instance => "u$_")) } 1 .. 3;
is_deeply(\@u, [('DUNNO') x 3], 'dunno: mail passes, no local limits');
for my $policy (keys %c) {
    like(ask($c{$policy}, rcpt_req(sasl_username => 'bad@example.com',
        instance => 'k1')), qr/^REJECT/, "$policy: a known block is honoured");
}
ok(stop_policyd($_), "$_: clean exit on SIGTERM") for sort keys %c;
done_testing();
