# SPDX-License-Identifier: BSD-2-Clause
# FGRedisHA: real Redis high-availability setups for the tests, on
# 127.0.0.1 only, in the test's temp dir: a Sentinel group (one master,
# one replica, three redis-sentinel) and a Redis Cluster (n masters,
# optionally one replica each). Every process is started by FG::spawn, so
# FG's END block kills it even when the test dies. Timings are shortened
# for tests: down-after and node timeout 1 s, Sentinel's internal periods
# through SENTINEL DEBUG (Redis 7.0). Each server runs from a redis.conf
# in its own dir (Sentinel's CONFIG REWRITE works as in production).
# Replies are redis-cli's output chomped, as FG::redis has them, with its
# stderr ("Could not connect ..."); an error reply is its text ("ASK 866
# 127.0.0.1:port", "NOAUTH ..."). Passwords: no quotes or spaces. A wait
# that times out dies with what it saw last.
#
#   my $g = sentinel_group(password => 'pw', sentinel_password => 'spw');
#   $g->cli($g->master_addr, 'SET', 'k', 'v');   # servers or sentinels
#   my $new = $g->failover;          # the old master replicates it
#   my $promoted = $g->kill_master;  # kill -9; the replica took over
#   $g->restart_old_master;          # back on its port, made a replica
#   $g->sentinel_addrs;              # "127.0.0.1:port", ...
#
#   my $c = redis_cluster(masters => 3, replicas => 1, password => 'pw');
#   $c->cli_c('SET', 'k', 'v');      # follows MOVED and ASK
#   my $slot = $c->keyslot('k');     my $from = $c->slot_owner($slot);
#   $c->move_slot($slot, $to, migrating => sub { ... }, migrated => sub { ... });
#   $c->reshard(100, $from, $to);    $c->call('DBSIZE');  # { addr => reply }
#   my $rep = $c->kill_master($from);  $c->restart_node($from);
#   $c->seeds;  $c->masters;  $c->cli($addr, 'CLUSTER', 'NODES');
#   $c->pid($addr);                  # its redis-server (CPU from /proc)
package FGRedisHA;
use strict;
use warnings;
use POSIX ();
use Time::HiRes qw(time);
use FG;
use Exporter 'import';
our @EXPORT = qw(sentinel_group redis_cluster);

my $host = '127.0.0.1';    # every server binds here, every client goes here
my %used;                  # ports handed out in this test

# port: a free port on 127.0.0.1 not yet given to another server here
sub port {
    for (1 .. 100) {
        my $p = free_port();
        next if $used{$p}++;
        return $p;
    }
    die "no free port";
}

# run(ARGV...): ARGV's stdout and stderr, chomped; exit status in $?
sub run {
    my @argv = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        no warnings 'exec';
        exec { $argv[0] } @argv;
        POSIX::_exit(127);    # not die: END blocks would run in the child
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\n+\z//;
    return $out;
}

# rcli(PASSWORD, OPTIONS, ADDR, CMD...): redis-cli against ADDR
sub rcli {
    my ($pw, $opts, $addr, @cmd) = @_;
    my ($h, $p) = split /:/, $addr;
    die "not on $host: $addr" unless $h eq $host;
    return run('redis-cli', '-h', $h, '-p', $p,
        defined $pw ? ('-a', $pw, '--no-auth-warning') : (), @$opts, @cmd);
}

# info(TEXT): "field:value" lines (INFO, CLUSTER INFO) as a hash
sub info {
    return { map { /^(\w+):(.*?)\r?$/ ? ($1, $2) : () } split /\n/, $_[0] };
}

# flat(TEXT): a map as redis-cli prints it (key, value, one a line) as a
# hash
sub flat {
    my @l = split /\n/, $_[0];
    return { @l % 2 ? () : @l };
}

# write_file(PATH, TEXT)
sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
}

# node_conf(NODE, PASSWORD, LINE...): the redis.conf of a node
sub node_conf {
    my ($n, $pw, @extra) = @_;
    return join '', map { "$_\n" } "port $n->{port}", "bind $host",
        "dir $n->{dir}", 'save ""', 'appendonly no',
        'repl-diskless-sync-delay 0',
        defined $pw ? ("requirepass \"$pw\"", "masterauth \"$pw\"") : (),
        @extra;
}

# start_node(OBJ, NODE): redis-server on NODE's conf (under OBJ's wrap,
# a command prefix such as valgrind); waits for PING (OBJ's start_wait
# seconds, 10)
sub start_node {
    my ($self, $n) = @_;
    FG::spawn($n->{name}, @{ $self->{wrap} // [] }, 'redis-server', $n->{conf});
    $n->{up} = 1;
    wait_until($self->{start_wait} // 10, sub { $self->cli($n->{addr}, 'PING') eq 'PONG' })
        or die "$n->{name} did not start: " . log_of($n->{name});
}

sub log_of {
    open my $fh, '<', tmpdir() . "/$_[0].log" or return '';
    local $/;
    return <$fh> // '';
}

# need(SECONDS, WHAT, CODE[, WHY]): poll CODE every 50 ms (each poll forks
# a few redis-cli: gentler than FG::wait_until's 20 ms) until true, or die
# naming WHAT and what ${WHY} said last
sub need {
    my ($secs, $what, $code, $why) = @_;
    my $end = time + $secs;
    until ($code->()) {
        die "FGRedisHA: timeout ($secs s): $what"
            . ($why && defined $$why ? " ($$why)" : '') . "\n" if time > $end;
        Time::HiRes::sleep(0.05);
    }
}

# ---------------------------------------------------------------- Sentinel

# sentinel_group(%o): name (of the master, 'fgmaster'), password (servers'
# requirepass, masterauth, sentinels' auth-pass), sentinel_password
# (sentinels' requirepass and sentinel-pass), sentinels (3), quorum (2),
# down_after (ms, 1000), failover_timeout (ms, 5000), debug ({ SENTINEL
# DEBUG param => value }, merged over short defaults; undef values drop
# one). Returns when all sentinels know the master, the replica and each
# other.
sub sentinel_group {
    my (%o) = @_;
    my $self = bless { name => $o{name} // 'fgmaster', pw => $o{password},
        spw => $o{sentinel_password}, fto => $o{failover_timeout} // 5000,
        nodes => [], sentinels => [] },
        'FGRedisHA::Sentinel';
    my $dir = tmpdir();
    my ($mport, $rport) = (port(), port());
    for my $p ($mport, $rport) {
        my $n = { port => $p, addr => "$host:$p", name => "redis-$p",
            dir => "$dir/redis-$p" };
        mkdir $n->{dir};
        $n->{conf} = "$n->{dir}/redis.conf";
        write_file($n->{conf}, node_conf($n, $self->{pw},
            $p == $rport ? "replicaof $host $mport" : ()));
        push @{ $self->{nodes} }, $n;
        $self->{node}{ $n->{addr} } = $n;
        FGRedisHA::start_node($self, $n);
    }
    my ($m, $r) = map { "$host:$_" } $mport, $rport;
    my $why;
    need(10, "replica $r in sync", sub { $self->linked($r, $m, \$why) }, \$why);

    my $name = $self->{name};
    my %debug = (
        'info-period' => 200,        # INFO to master and replicas (10 s)
        'publish-period' => 250,     # hello messages; 4x: how long a
                                     # returning master stays master (8 s)
        'ask-period' => 300,         # is-master-down-by-addr (1 s)
        'tilt-period' => 1000,       # a stalled test host: short TILT (30 s)
        'election-timeout' => 2000,  # a leader without enough votes gives
                                     # up (10 s); it tries again after 2x
                                     # failover-timeout
        %{ $o{debug} // {} });
    for (1 .. $o{sentinels} // 3) {
        my $p = port();
        my $s = { port => $p, addr => "$host:$p", name => "sentinel-$p",
            dir => "$dir/sentinel-$p" };
        mkdir $s->{dir};
        $s->{conf} = "$s->{dir}/sentinel.conf";
        my $spw = $self->{spw};
        write_file($s->{conf}, join '', map { "$_\n" } "port $p",
            "bind $host", "dir $s->{dir}",
            "sentinel monitor $name $host $mport " . ($o{quorum} // 2),
            "sentinel down-after-milliseconds $name " . ($o{down_after} // 1000),
            "sentinel failover-timeout $name $self->{fto}",
            defined $self->{pw} ? "sentinel auth-pass $name \"$self->{pw}\"" : (),
            defined $spw ? ("requirepass \"$spw\"", "sentinel sentinel-pass \"$spw\"") : ());
        FG::spawn($s->{name}, 'redis-sentinel', $s->{conf});
        push @{ $self->{sentinels} }, $s;
        $self->{sentinel}{ $s->{addr} } = $s;
        need(10, "$s->{name} answers", sub { $self->cli($s->{addr}, 'PING') eq 'PONG' });
        my @d = map { defined $debug{$_} ? ($_, $debug{$_}) : () } sort keys %debug;
        my $ok = $self->cli($s->{addr}, 'SENTINEL', 'DEBUG', @d);
        $ok eq 'OK' or die "SENTINEL DEBUG @d: $ok";
    }
    my $others = @{ $self->{sentinels} } - 1;
    need(20, "sentinels know $m, $r and each other", sub {
        no warnings 'uninitialized';
        for my $s ($self->sentinel_addrs) {
            my $mi = flat($self->cli($s, 'SENTINEL', 'MASTER', $name));
            $why = "$s: master $mi->{ip}:$mi->{port} $mi->{flags}, "
                . "$mi->{'num-other-sentinels'} other sentinels", return 0
                unless $mi->{flags} eq 'master' && "$mi->{ip}:$mi->{port}" eq $m
                && $mi->{'num-other-sentinels'} == $others;
            my @r = $self->replicas($s);
            $why = "$s: replicas " . join(', ', map { "$_->{name} $_->{flags}" } @r), return 0
                unless @r == 1 && $r[0]{flags} eq 'slave'
                && "$r[0]{ip}:$r[0]{port}" eq $r
                && $r[0]{'master-link-status'} eq 'ok';
            my @o = grep { $_->{flags} eq 'sentinel' }
                records($self->cli($s, 'SENTINEL', 'SENTINELS', $name));
            $why = "$s: " . @o . " healthy other sentinels", return 0
                unless @o == $others;
        }
        return 1;
    }, \$why);
    return $self;
}

# records(TEXT): an array of maps as redis-cli prints it, flat: each map
# starts with its "name" field
sub records {
    my @l = split /\n/, $_[0];
    my @r;
    while (@l) {
        my %h;
        do { my $k = shift @l; $h{$k} = shift @l } while @l && $l[0] ne 'name';
        push @r, \%h if defined $h{name};
    }
    return @r;
}

package FGRedisHA::Sentinel;
use strict;
use warnings;
use FG;

# cli(ADDR, CMD...): redis-cli against a server or a sentinel of the group
sub cli {
    my ($self, $addr, @cmd) = @_;
    my $pw = $self->{sentinel}{$addr} ? $self->{spw} : $self->{pw};
    return FGRedisHA::rcli($pw, [], $addr, @cmd);
}

sub sentinel_addrs { map { $_->{addr} } @{ $_[0]{sentinels} } }

# server_addrs: the redis-servers of the group, running or not
sub server_addrs { map { $_->{addr} } @{ $_[0]{nodes} } }

# replicas(SENTINEL): SENTINEL REPLICAS as a list of hashes
sub replicas {
    my ($self, $s) = @_;
    return FGRedisHA::records($self->cli($s, 'SENTINEL', 'REPLICAS', $self->{name}));
}

# master_addr([SENTINEL]): "127.0.0.1:port" of the master as a sentinel
# (the first one) says
sub master_addr {
    my ($self, $s) = @_;
    my @a = split /\n/, $self->cli($s // ($self->sentinel_addrs)[0],
        'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', $self->{name});
    return @a == 2 ? "$a[0]:$a[1]" : undef;
}

# agreed: the master address all sentinels give, undef if they differ
sub agreed {
    my ($self) = @_;
    my %a = map { ($self->master_addr($_) // '') => 1 } $self->sentinel_addrs;
    my ($one) = keys %a;
    return keys %a == 1 && $one ? $one : undef;
}

sub role { (split /\n/, $_[0]->cli($_[1], 'ROLE'))[0] // '' }

# linked(ADDR, MASTER[, WHY]): ADDR is a replica of MASTER with its link
# up; ${WHY}: what it says otherwise
sub linked {
    my ($self, $addr, $m, $why) = @_;
    my $i = FGRedisHA::info($self->cli($addr, 'INFO', 'replication'));
    no warnings 'uninitialized';
    $$why = "$addr: role $i->{role}, master $i->{master_host}:$i->{master_port}, "
        . "link $i->{master_link_status}" if $why;
    return ($i->{role} // '') eq 'slave'
        && "$i->{master_host}:$i->{master_port}" eq $m
        && $i->{master_link_status} eq 'up';
}

# promoted(OLD): wait until every sentinel names a master other than OLD
# and it says ROLE master; returns it
sub promoted {
    my ($self, $old, $secs) = @_;
    my ($new, $why);
    FGRedisHA::need($secs, "sentinels promote a replica of $old", sub {
        $new = $self->agreed;
        $why = 'sentinels name ' . join(', ', map { $self->master_addr($_) // '?' }
            $self->sentinel_addrs);
        return $new && $new ne $old && $self->role($new) eq 'master';
    }, \$why);
    return $new;
}

# failover(): SENTINEL FAILOVER; returns the new master once all sentinels
# name it and it is master, and the old master is its replica (link up)
sub failover {
    my ($self) = @_;
    my $old = $self->master_addr;
    my $ok;
    FGRedisHA::need(10, 'SENTINEL FAILOVER accepted', sub {
        $ok = $self->cli(($self->sentinel_addrs)[0], 'SENTINEL', 'FAILOVER', $self->{name});
        die "SENTINEL FAILOVER: $ok\n" unless $ok =~ /^(OK|NOGOODSLAVE|INPROG)/;
        return $ok eq 'OK';    # no good replica yet, a failover running: again
    }, \$ok);
    my $new = $self->promoted($old, 15);
    my $why;
    FGRedisHA::need(15, "old master $old replicates $new",
        sub { $self->linked($old, $new, \$why) }, \$why);
    return $new;
}

# kill_master(): kill -9 the current master; returns the replica the
# sentinels promoted (every sentinel names it, it says ROLE master)
sub kill_master {
    my ($self) = @_;
    my $old = $self->master_addr;
    my $n = $self->{node}{$old} or die "master $old is not ours";
    FG::reap($n->{name}, 'KILL');
    $n->{up} = 0;
    $self->{killed} = $n;
    # a failover without enough votes is tried again after 2x
    # failover-timeout
    return $self->promoted($old, 10 + 2 * $self->{fto} / 1000);
}

# restart_old_master(): the master kill_master killed starts again on its
# port, conf and data dir, a master as it was; returns its address once the
# sentinels made it a replica of the current master, link up, and every
# sentinel lists it as a good replica
sub restart_old_master {
    my ($self) = @_;
    my $n = delete $self->{killed} or die "no master was killed";
    FGRedisHA::start_node($self, $n);
    my $m = $self->agreed // $self->master_addr;
    my $why;
    FGRedisHA::need(20, "sentinels make $n->{addr} a replica of $m",
        sub { $self->linked($n->{addr}, $m, \$why) }, \$why);
    FGRedisHA::need(10, "sentinels list $n->{addr} as a good replica", sub {
        for my $s ($self->sentinel_addrs) {
            my ($r) = grep { "$_->{ip}:$_->{port}" eq $n->{addr} } $self->replicas($s);
            $why = "$s: " . ($r ? "$r->{flags}, link $r->{'master-link-status'}" : 'not listed');
            return 0 unless $r && $r->{flags} eq 'slave' && $r->{'master-link-status'} eq 'ok';
        }
        return 1;
    }, \$why);
    return $n->{addr};
}

# stop(): kill the group's processes now (FG's END does it otherwise)
sub stop {
    my ($self) = @_;
    FG::reap($_->{name}, 'KILL') for @{ $self->{sentinels} }, @{ $self->{nodes} };
    $_->{up} = 0 for @{ $self->{nodes} };
}

package FGRedisHA;

# ---------------------------------------------------------------- Cluster

# redis_cluster(%o): masters (3), replicas (per master, 0), node_timeout
# (ms, 1000), password (requirepass and masterauth; MIGRATE AUTH), wrap
# (a command prefix for each redis-server, e.g. valgrind; "%p" in it is
# valgrind's own pid escape), start_wait (seconds a node may take to
# answer PING, 10; settling gets twice that, at least 20), made by
# redis-cli --cluster create. Returns when it settled: every node says
# cluster_state:ok with all 16384 slots ok and knows every node, all agree
# on who serves which slots and who replicates whom, every replica's link
# is up.
sub redis_cluster {
    my (%o) = @_;
    my $self = bless { pw => $o{password}, nodes => [],
        timeout => $o{node_timeout} // 1000, wrap => $o{wrap},
        start_wait => $o{start_wait} // 10 }, 'FGRedisHA::Cluster';
    my $dir = tmpdir();
    my $masters = $o{masters} // 3;
    my $reps = $o{replicas} // 0;
    for (1 .. $masters * (1 + $reps)) {
        my ($p, $bus) = (port(), port());    # bus: any port (p + 10000 may be > 65535)
        my $n = { port => $p, addr => "$host:$p", name => "cluster-$p",
            dir => "$dir/cluster-$p" };
        mkdir $n->{dir};
        $n->{conf} = "$n->{dir}/redis.conf";
        write_file($n->{conf}, node_conf($n, $self->{pw},
            'cluster-enabled yes', "cluster-port $bus",
            "cluster-config-file $n->{dir}/nodes-$p.conf",
            "cluster-node-timeout $self->{timeout}",
            # a replica may take over however long its link was down
            'cluster-replica-validity-factor 0'));
        push @{ $self->{nodes} }, $n;
        $self->{node}{ $n->{addr} } = $n;
        start_node($self, $n);
        $n->{id} = $self->cli($n->{addr}, 'CLUSTER', 'MYID');
    }
    my $out = $self->tool('create', $self->seeds, '--cluster-replicas', $reps,
        '--cluster-yes');
    $? == 0 or die "redis-cli --cluster create: $out";
    my $wait = 2 * $self->{start_wait};
    $self->settle($wait > 20 ? $wait : 20, 'cluster created');
    return $self;
}

package FGRedisHA::Cluster;
use strict;
use warnings;
use FG;

# cli(ADDR, CMD...): redis-cli against one node (no redirects followed)
sub cli {
    my ($self, $addr, @cmd) = @_;
    return FGRedisHA::rcli($self->{pw}, [], $addr, @cmd);
}

# tool(SUBCOMMAND, ARGS...): redis-cli --cluster SUBCOMMAND ARGS
sub tool {
    my ($self, $sub, @args) = @_;
    return FGRedisHA::run('redis-cli',
        defined $self->{pw} ? ('-a', $self->{pw}, '--no-auth-warning') : (),
        '--cluster', $sub, @args);
}

# seeds: the running nodes, "127.0.0.1:port"
sub seeds { map { $_->{addr} } grep { $_->{up} } @{ $_[0]{nodes} } }

sub seed { ($_[0]->seeds)[0] // die "no node runs" }

# cli_c(CMD...): redis-cli -c against a seed: follows MOVED and ASK
sub cli_c {
    my ($self, @cmd) = @_;
    return FGRedisHA::rcli($self->{pw}, ['-c'], $self->seed, @cmd);
}

# call(CMD...): redis-cli --cluster call: CMD on every node; returns
# { addr => reply } (a reply's lines joined by "\n")
sub call {
    my ($self, @cmd) = @_;
    my $out = $self->tool('call', $self->seed, @cmd);
    my (%r, $cur);
    for (split /\n/, $out) {
        if (/^(\Q$host\E:\d+): ?(.*)$/) {
            $cur = $1;
            $r{$cur} = $2;
        } elsif (defined $cur) {
            $r{$cur} .= "\n$_";
        }
    }
    return \%r;
}

# nodes([ADDR]): CLUSTER NODES as ADDR (a seed) sees it: [ { id, addr,
# flags => { master => 1, ... }, master (its master's id), link, slots =>
# [ [from, to], ... ], open => [ "[slot->-id]", ... ] } ]
sub nodes {
    my ($self, $addr) = @_;
    my @n;
    for (split /\n/, $self->cli($addr // $self->seed, 'CLUSTER', 'NODES')) {
        my ($id, $a, $flags, $m, undef, undef, undef, $link, @slots) = split ' ';
        next unless defined $link;
        $a =~ s/[@,].*//;
        push @n, { id => $id, addr => $a, master => $m, link => $link,
            flags => { map { $_ => 1 } split /,/, $flags },
            slots => [ map { [ /^(\d+)(?:-(\d+))?$/ ? ($1, $2 // $1) : () ] }
                grep { !/^\[/ } @slots ],
            open => [ grep { /^\[/ } @slots ] };
    }
    return @n;
}

# masters: the addresses of the masters that are not failed, as a seed
# sees them
sub masters {
    my ($self) = @_;
    return sort map { $_->{addr} } grep { $_->{flags}{master} && !$_->{flags}{fail} }
        $self->nodes;
}

sub role { (split /\n/, $_[0]->cli($_[1], 'ROLE'))[0] // '' }

# pid(ADDR): the process id of the node ADDR (undef when it is not
# running)
sub pid { FG::pid(($_[0]{node}{ $_[1] } // die "no node $_[1]")->{name}) }

# id(ADDR): the node id of ADDR
sub id { $_[0]{node}{ $_[1] }{id} // die "no node $_[1]" }

# keyslot(KEY): CLUSTER KEYSLOT
sub keyslot { $_[0]->cli($_[0]->seed, 'CLUSTER', 'KEYSLOT', $_[1]) }

# slot_owner(SLOT[, ADDR]): the address of the master serving SLOT as a
# seed (or ADDR) sees it, from CLUSTER NODES (the source of CLUSTER SLOTS,
# and one line per node to parse)
sub slot_owner {
    my ($self, $slot, $addr) = @_;
    for my $n ($self->nodes($addr)) {
        next unless $n->{flags}{master};
        return $n->{addr} if grep { $_->[0] <= $slot && $slot <= $_->[1] } @{ $n->{slots} };
    }
    return undef;
}

# topology(NODES): who serves what and who replicates whom in a nodes()
# list, one string; "" while a slot is migrating or importing or the
# list is empty
sub topology {
    my ($self, @n) = @_;
    return '' if !@n || grep { @{ $_->{open} } } @n;
    my %addr = map { $_->{id} => $_->{addr} } @n;
    return join ' ', sort map {
        my $n = $_;
        $n->{flags}{master}
            ? "$n->{addr}=" . join(',', map { "$_->[0]-$_->[1]" } @{ $n->{slots} })
            : "$n->{addr}>" . ($addr{ $n->{master} } // '?')
    } grep { !$_->{flags}{fail} } @n;
}

# settle(SECONDS, WHAT): wait until every running node says
# cluster_state:ok with all slots ok, knows every node, sees no running
# node failed and agrees on who serves what and who replicates whom, and
# every running replica's link is up
sub settle {
    my ($self, $secs, $what) = @_;
    my @up = $self->seeds;
    my %up = map { $_ => 1 } @up;
    my $why;
    FGRedisHA::need($secs, $what, sub {
        no warnings 'uninitialized';    # a node that does not answer
        my %maps;
        for my $a (@up) {
            my $i = FGRedisHA::info($self->cli($a, 'CLUSTER', 'INFO'));
            $why = "$a: state $i->{cluster_state}, slots ok $i->{cluster_slots_ok}, "
                . "known $i->{cluster_known_nodes}", return 0
                unless ($i->{cluster_state} // '') eq 'ok'
                && $i->{cluster_slots_ok} == 16384
                && $i->{cluster_known_nodes} == @{ $self->{nodes} };
            my @n = $self->nodes($a);
            my @f = grep { $up{ $_->{addr} } && ($_->{flags}{fail} || $_->{flags}{'fail?'}) } @n;
            $why = "$a sees $f[0]{addr} failing", return 0 if @f;
            my ($me) = grep { $_->{flags}{myself} } @n;
            if ($me->{flags}{slave}) {
                my $r = FGRedisHA::info($self->cli($a, 'INFO', 'replication'));
                $why = "$a: replica link down", return 0
                    unless ($r->{master_link_status} // '') eq 'up';
            }
            push @{ $maps{ $self->topology(@n) } }, $a;
        }
        $why = join '; ', map { "@{ $maps{$_} } see <$_>" } sort keys %maps;
        return keys %maps == 1 && !$maps{''};
    }, \$why);
}

# move_slot(SLOT, TO, %o): move SLOT and its keys from its master to the
# master TO as the Redis manual does by hand: SETSLOT IMPORTING on TO,
# MIGRATING on the source, GETKEYSINSLOT + MIGRATE in batches (o{batch},
# 100), SETSLOT NODE on TO, the source, the other masters. Callbacks, each
# given (CLUSTER, { slot, from, to }), while the slot is half migrated:
# o{migrating}: no key moved yet (a missing key on the source: -ASK);
# o{migrated}: every key on TO, the source still owns the slot (any key
# on the source: -ASK). Returns the number of keys moved.
sub move_slot {
    my ($self, $slot, $to, %o) = @_;
    my $from = $self->slot_owner($slot) // die "slot $slot has no owner";
    die "slot $slot is already on $to" if $from eq $to;
    my ($fid, $tid) = ($self->id($from), $self->id($to));
    my $info = { slot => $slot, from => $from, to => $to };
    my $r = $self->cli($to, 'CLUSTER', 'SETSLOT', $slot, 'IMPORTING', $fid);
    $r eq 'OK' or die "SETSLOT IMPORTING on $to: $r";
    $r = $self->cli($from, 'CLUSTER', 'SETSLOT', $slot, 'MIGRATING', $tid);
    $r eq 'OK' or die "SETSLOT MIGRATING on $from: $r";
    $o{migrating}->($self, $info) if $o{migrating};
    my ($th, $tp) = split /:/, $to;
    my $moved = 0;
    while (1) {
        my @keys = split /\n/, $self->cli($from, 'CLUSTER', 'GETKEYSINSLOT',
            $slot, $o{batch} // 100);
        last unless @keys;
        $r = $self->cli($from, 'MIGRATE', $th, $tp, '', 0, 5000,
            defined $self->{pw} ? ('AUTH', $self->{pw}) : (), 'KEYS', @keys);
        $r eq 'OK' or die "MIGRATE from $from to $to: $r";
        $moved += @keys;
    }
    $o{migrated}->($self, $info) if $o{migrated};
    my %done;
    for my $m ($to, $from, $self->masters) {
        next if $done{$m}++;
        $r = $self->cli($m, 'CLUSTER', 'SETSLOT', $slot, 'NODE', $tid);
        $r eq 'OK' or die "SETSLOT NODE on $m: $r";
    }
    $self->settle(10, "slot $slot moved to $to");
    return $moved;
}

# reshard(N, FROM, TO): redis-cli --cluster reshard N slots (with their
# keys) from the master FROM to the master TO; returns its output
sub reshard {
    my ($self, $n, $from, $to) = @_;
    my $out = $self->tool('reshard', $from, '--cluster-from', $self->id($from),
        '--cluster-to', $self->id($to), '--cluster-slots', $n, '--cluster-yes');
    $? == 0 or die "redis-cli --cluster reshard: $out";
    $self->settle(20, "$n slots resharded from $from to $to");
    return $out;
}

# kill_master(ADDR): kill -9 the master ADDR; with a replica, returns the
# replica once promoted and the cluster ok again; without one, returns
# undef once the other nodes flag ADDR failed (the cluster is down)
sub kill_master {
    my ($self, $addr) = @_;
    my $n = $self->{node}{$addr} or die "no node $addr";
    my @reps = map { $_->{addr} } grep { $_->{master} eq $n->{id} && !$_->{flags}{fail} }
        $self->nodes;
    FG::reap($n->{name}, 'KILL');
    $n->{up} = 0;
    my $secs = 10 + 5 * $self->{timeout} / 1000;
    if (!@reps) {
        FGRedisHA::need($secs, "$addr flagged failed", sub {
            !grep { !grep { $_->{addr} eq $addr && $_->{flags}{fail} } $self->nodes($_) }
                $self->seeds });
        return undef;
    }
    my $new;
    FGRedisHA::need($secs, "a replica of $addr promoted", sub {
        ($new) = grep { $self->role($_) eq 'master' } @reps;
        return $new;
    });
    $self->settle($secs, "cluster ok after $addr was killed");
    return $new;
}

# restart_node(ADDR): a node kill_master killed starts again with its
# conf, nodes file and data dir; returns once the cluster settled (a
# master that lost its slots comes back as a replica)
sub restart_node {
    my ($self, $addr) = @_;
    my $n = $self->{node}{$addr} or die "no node $addr";
    FGRedisHA::start_node($self, $n);
    $self->settle(10 + 5 * $self->{timeout} / 1000, "$addr back in the cluster");
    return $addr;
}

# stop(): kill the cluster's processes now (FG's END does it otherwise)
sub stop {
    my ($self) = @_;
    for (@{ $self->{nodes} }) {
        FG::reap($_->{name}, 'KILL');
        $_->{up} = 0;
    }
}

1;
