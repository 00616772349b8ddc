# SPDX-License-Identifier: BSD-2-Clause
# FGCluster: a two-node mail cluster on one machine for the scenario tests
# (issue 4): one shared redis-server (or a Redis Cluster); per node ("a", "b") a real Postfix
# with floodgate-policyd in smtpd_recipient_restrictions and
# floodgate-milter in smtpd_milters and non_smtpd_milters, and its own
# smtp-sink. Everything lives in the test's temp dir and /var/tmp and is
# torn down by FG's and FGPostfix's END blocks, even on failure.
#
#   my $c = FGCluster->new(limits => $text, sasl => { u => 'pw' });
#   $c->pf('a')->swaks(...);   $c->delivered;   $c->held;
package FGCluster;
use strict;
use warnings;
use FindBin;
use FG;
use FGPostfix;

# node_conf: the floodgate.conf of one node, as README documents it
sub node_conf {
    my ($self, $n) = @_;
    my $nd = $self->{nodes}{$n};
    return <<"EOF";
node = "node-$n"
$self->{top}
redis {
    ${\ $self->redis_conf }
    timeout = 300ms
}
policyd {
    listen = { "unix:$nd->{paddr}" }
}
milter {
    socket = "unix:$nd->{msock}"
    queue_directory = "$nd->{pf}{spool}"
    privacy = "full"
    keys = { "k1:$self->{key}" }
$self->{milter}}
$self->{limits}
EOF
}

# default_uid: of the user the daemons become when none is set (README)
sub default_uid { scalar(getpwnam('floodgate')) // scalar getpwnam('nobody') }

# main_cf: conf/postfix-main.cf, the documented main.cf lines
sub main_cf {
    open my $fh, '<', "$FindBin::Bin/../conf/postfix-main.cf" or die $!;
    local $/;
    return <$fh>;
}

# redis_conf: how the nodes reach Redis: the one server, or a Redis
# Cluster's seeds (new's rcluster, an FGRedisHA cluster)
sub redis_conf {
    my ($self) = @_;
    return "server = \"unix:$self->{redis}\"" unless $self->{rc};
    return 'cluster = { ' . join(', ', map { "\"$_\"" } $self->{rc}->seeds) . ' }';
}

# rcmd(CMD...): one command against the cluster's Redis (a Redis
# Cluster: following redirections), output chomped
sub rcmd {
    my ($self, @cmd) = @_;
    return $self->{rc} ? $self->{rc}->cli_c(@cmd) : FG::redis(@cmd);
}

# new(limits => TEXT, milter => TEXT, top => TEXT, sasl => {user => pw},
#     rcluster => an FGRedisHA cluster instead of one redis-server)
sub new {
    my ($class, %o) = @_;
    my $dir = tmpdir();
    my $self = bless { limits => $o{limits} // '', milter => $o{milter} // '',
        top => $o{top} // '', rc => $o{rcluster},
        redis => $o{rcluster} ? undef : start_redis(),
        key => "$dir/stamp.key", nodes => {} }, $class;
    open my $kf, '>', $self->{key} or die;
    print $kf "cluster-secret-0123456789abcdef\n";
    close $kf;
    chmod 0600, $self->{key};
    chown default_uid(), -1, $self->{key};    # the milter's user, as README says
    for my $n ('a', 'b') {
        my $nd = $self->{nodes}{$n} = { name => $n };
        # conf/postfix-main.cf as documented: policyd's socket is
        # private/floodgate in this node's queue directory
        $nd->{pf} = FGPostfix->new($n, sasl => $o{sasl} // {},
            main => main_cf());
        $nd->{pf}->postfix('check') or die "postfix check $n failed";
        $nd->{paddr} = "$nd->{pf}{spool}/private/floodgate";
        $nd->{msock} = "$nd->{pf}{spool}/floodgate/milter.sock";
        $nd->{conf} = write_conf("node-$n.conf", $self->node_conf($n));
        start_policyd("policyd-$n", $nd->{conf}, $nd->{paddr});
        start_milter("milter-$n", $nd->{conf}, $nd->{msock});
        $nd->{pf}->start or die "postfix $n did not start";
    }
    return $self;
}

sub node { $_[0]{nodes}{$_[1]} }
sub pf   { $_[0]{nodes}{$_[1]}{pf} }

# delivered: { X-Test-Id => [node, ...] } over both sinks (a file's id is
# read once: the sink writes each message whole)
sub delivered {
    my ($self) = @_;
    my %seen;
    for my $n ('a', 'b') {
        for my $f ($self->pf($n)->sink_files) {
            my $id = $self->{ids}{$f};
            if (!defined $id) {
                open my $fh, '<', $f or next;
                local $/;
                my $t = <$fh> // '';
                next unless $t =~ /^X-Test-Id: (\S+)/m;
                $id = $self->{ids}{$f} = $1;
            }
            push @{ $seen{$id} }, $n;
        }
    }
    return \%seen;
}

# message_of(ID): the delivered text of message ID (first sink holding it)
sub message_of {
    my ($self, $id) = @_;
    for my $n ('a', 'b') {
        my ($m) = $self->pf($n)->sink_find(qr/^X-Test-Id: \Q$id\E$/m);
        return $m if $m;
    }
    return;
}

# wait_delivered(ID...): true once every ID is in a sink
sub wait_delivered {
    my ($self, @ids) = @_;
    for (1 .. 200) {
        my $d = $self->delivered;
        return 1 unless grep { !$d->{$_} } @ids;
        select(undef, undef, undef, 0.2);
    }
    return 0;
}

# held(): postqueue -j records in the hold queues of both nodes
sub held {
    my ($self) = @_;
    return grep { $_->{queue_name} eq 'hold' }
        map { $self->pf($_)->queue } 'a', 'b';
}

# stamps_of(TEXT): the X-Floodgate-Origin values of a message, unfolded
sub stamps_of {
    my ($text) = @_;
    my ($head) = split /\r?\n\r?\n/, $text // '', 2;
    $head =~ s/\r?\n[ \t]+/ /g;
    return $head =~ /^X-Floodgate-Origin: (.*)$/mig;
}

# redis_cli(LINE): run an admin's redis-cli command line (from README)
# against the cluster's Redis; its output
sub redis_cli {
    my ($self, $line) = @_;
    if ($self->{rc}) { # the README's cluster form: redis-cli -c
        my ($h, $p) = split /:/, ($self->{rc}->seeds)[0];
        $line =~ s/^redis-cli /redis-cli -c -h $h -p $p /;
    } else {
        $line =~ s/^redis-cli /redis-cli -s $self->{redis} /;
    }
    open my $sh, '-|', 'bash', '-c', "$line 2>&1" or die;
    local $/;
    return scalar <$sh>;
}

# recipe(RE, FROM => TO ...): the README admin recipe whose comment
# matches RE, its example subject replaced
sub recipe {
    my ($re, %subst) = @_;
    open my $fh, '<', "$FindBin::Bin/../README" or die "README: $!";
    my ($line) = grep { /^\s+redis-cli .*#.*$re/ } <$fh>;
    die "README has no recipe matching $re" unless $line;
    $line =~ s/^\s+//;
    $line =~ s/\s+#.*$//s;
    $line =~ s/\Q$_\E/$subst{$_}/g for keys %subst;
    return $line;
}

# stop(): Postfix, milters and policyds; true when all exit cleanly
sub stop {
    my ($self) = @_;
    my $ok = 1;
    for my $n ('a', 'b') {
        $self->pf($n)->stop or $ok = 0, warn "# postfix $n: no clean stop\n";
        stop_milter("milter-$n") or $ok = 0, warn "# milter-$n: no clean stop\n";
        stop_policyd("policyd-$n") or $ok = 0, warn "# policyd-$n: no clean stop\n";
    }
    return $ok;
}

1;
