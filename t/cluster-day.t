#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Cluster scenario 7 (issue 4): a normal day. 20 SASL accounts and 5 local
# users send below their limits through both nodes, interleaved with a
# stolen-password flood (scenario 1). Expect zero false deferrals, zero
# false blocks, every legitimate message in a sink exactly once, and the
# flood cut at its limit.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;
use FGCluster;
use FGPostfix;
use FGSmtp;

$> == 0 or BAIL_OUT('t/cluster-day.t runs Postfix and needs root');
my @accounts = map { sprintf 'user%02d', $_ } 1 .. 20;
my @locals = map { "fgday$_" } 1 .. 5;
FGPostfix::test_user($_) for @locals;
my $c = FGCluster->new(
    sasl => { mallory => 'stolen', map { $_ => "pw-$_" } @accounts },
    limits => <<'EOF');
limit "sasl-hour" {
    subject     = "sasl"
    window      = 1h
    messages    = 20
    block_after = 3
}
limit "ip-hour" {
    subject  = "ip"
    window   = 1h
    messages = 1000
}
limit "uid-hour" {
    subject     = "uid"
    window      = 1h
    messages    = 10
    block_after = 3
}
EOF
ok($c, 'two nodes on one Redis');

# each account keeps one session per node, like a mail client would
my %sess;
sub session {
    my ($user, $n, $i) = @_;
    return $sess{"$user/$n"} //= FGSmtp->new($c->pf($n)->{smtp},
        xclient => 'ADDR=192.0.2.' . (10 + $i), auth => [$user, "pw-$user"]);
}

my (@want, %bad, @flood);
my $rounds = 8;
for my $r (1 .. $rounds) {
    for my $k (0 .. $#accounts) {
        my $u = $accounts[$k];
        my $n = ($r + $k) % 2 ? 'a' : 'b';
        my $id = "day-$u-$r";
        my $reply = session($u, $n, $k)->send("$u\@fg.test",
            "friend$r\@example.net", FGSmtp::message($id));
        $reply =~ /^250 / ? push(@want, $id) : ($bad{$id} = $reply);
    }
    for my $k (0 .. $#locals) {
        next if $r > 6; # 6 messages each, below the uid limit of 10
        my $n = ($r + $k) % 2 ? 'a' : 'b';
        my $id = "day-$locals[$k]-$r";
        my $rc = $c->pf($n)->sendmail_as($locals[$k],
            FGSmtp::message($id), '-t');
        $rc == 0 ? push(@want, $id) : ($bad{$id} = "sendmail exit $rc");
    }
    # the flood, five messages a round through alternating nodes
    for my $j (1 .. 5) {
        my $i = ($r - 1) * 5 + $j;
        my $s = FGSmtp->new($c->pf($i % 2 ? 'a' : 'b')->{smtp},
            xclient => "ADDR=198.51.100.$i", auth => ['mallory', 'stolen']);
        push @flood, $s ? $s->send("f$i\@forged.example",
            'victim@example.net', FGSmtp::message("flood$i")) : 'none';
        $s->quit if $s;
    }
}
$_->quit for grep { defined } values %sess;
is(scalar(keys %bad), 0, 'zero false deferrals or refusals')
    or diag(explain \%bad);
is(scalar @want, 20 * $rounds + 5 * 6, 'all ' . scalar(@want) . ' legitimate messages accepted');
ok($c->wait_delivered(@want), 'and delivered');
sleep 1;
my $d = $c->delivered;
is(scalar(grep { @{ $d->{$_} // [] } != 1 } @want), 0, 'each exactly once');
my @blocks = grep { length } split /\n/, redis('KEYS', 'fg:*:block');
is_deeply(\@blocks, ['fg:{sasl:mallory}:block'], 'zero false blocks: only the flood is blocked');
is(scalar(grep { /^250/ } @flood), 20, 'the flood was cut at its limit of 20');
is(scalar($c->held), 0, 'nothing held');
ok($c->stop, 'everything stops cleanly');
done_testing();
