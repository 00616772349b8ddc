# SPDX-License-Identifier: BSD-2-Clause
# FG - test helpers: a private redis-server and floodgate-policyd in a temp
# dir, a policy protocol client, and cleanup even when a test dies.
package FG;
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Exporter 'import';
our @EXPORT = qw(tmpdir start_redis stop_redis start_policyd stop_policyd start_milter stop_milter
    write_conf policy_client ask redis redis_at wait_until free_port rcpt_req
    log_since log_size proc_status milter_helper as_user ask_as fd_limit
    policy_load);

my $build = $ENV{FG_BUILD} // 'build';
my $dir;
my %procs;    # name => pid
sub pid { $procs{$_[0]} }

sub tmpdir {
    $dir //= tempdir('fgtest.XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{FG_KEEP});
    chmod 0755, $dir;
    return $dir;
}

# wait_until(SECONDS, CODE): poll every 20 ms
sub wait_until {
    my ($secs, $code) = @_;
    my $end = time + $secs;
    while (time < $end) {
        return 1 if $code->();
        sleep 0.02;
    }
    return $code->();
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
        LocalPort => 0, ReuseAddr => 1) or die "no port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub spawn {
    my ($name, @cmd) = @_;
    my $log = tmpdir() . "/$name.log";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>>', $log;
        setpgrp(0, 0);
        exec @cmd or die "exec $cmd[0]: $!";
    }
    $procs{$name} = $pid;
    return $pid;
}

sub reap {
    my ($name, $sig, $secs) = @_;
    my $pid = delete $procs{$name} or return;
    kill $sig // 'TERM', $pid;
    my $end = time + ($secs // 5);
    while (time < $end) {
        return $? == 0 if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    return 0;
}

sub redis_sock { tmpdir() . '/redis.sock' }

sub start_redis {
    my $sock = redis_sock();
    unlink $sock;
    spawn('redis', 'redis-server', '--port', '0', '--unixsocket', $sock,
        '--unixsocketperm', '777', '--save', '', '--appendonly', 'no',
        '--dir', tmpdir());
    wait_until(10, sub { -S $sock && eval { redis('PING') eq 'PONG' } })
        or die "redis did not start";
    return $sock;
}

sub stop_redis { reap('redis', 'KILL') }

# redis(ARGS...): one command through redis-cli, output chomped
sub redis { redis_at(redis_sock(), @_) }

# redis_at(WHERE, ARGS...): the same to another server: the path of its
# unix socket, or its port on 127.0.0.1
sub redis_at {
    my ($where, @args) = @_;
    my @to = $where =~ m{^/} ? ('-s', $where)
        : ('-h', '127.0.0.1', '-p', $where);
    open my $fh, '-|', 'redis-cli', @to, @args
        or die "redis-cli: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\n+\z//;
    return $out;
}

# write_conf(NAME, TEXT): a config file in the temp dir; returns its path
sub write_conf {
    my ($name, $text) = @_;
    my $path = tmpdir() . "/$name";
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    return $path;
}

sub valgrind {
    return $ENV{FG_VALGRIND} ? ('valgrind', '-q', '--vgdb=no', '--error-exitcode=99',
        '--leak-check=full', '--errors-for-leak-kinds=definite',
        '--show-leak-kinds=definite', @_) : ();
}

# start_milter(NAME, CONF, SOCKET): start it and wait for its unix socket
sub start_milter {
    my ($name, $conf, $sock) = @_;
    spawn($name, valgrind('--child-silent-after-fork=yes'),
        "$build/floodgate-milter", '-f', '-c', $conf);
    # listening, not only bound: a milter that dies after making its
    # socket fails here, with its log
    wait_until(10, sub { -S $sock && IO::Socket::UNIX->new(Peer => $sock) })
        or die "$name did not start: " . `cat ${\tmpdir()}/$name.log`;
    return $procs{$name};
}

# stop_milter(NAME): TERM; libmilter looks at signals every 5 s
sub stop_milter { stop_policyd($_[0], 'TERM', 12) }

# start_policyd(NAME, CONF, ADDR): start it and wait for its listen
# socket ADDR: a port on 127.0.0.1, or the path of a unix socket
sub start_policyd {
    my ($name, $conf, $port) = @_;
    spawn($name, valgrind(), "$build/floodgate-policyd", '-f', '-c', $conf);
    wait_until(10, sub { eval { policy_client($port, 1) } })
        or die "$name did not start: " . `cat ${\tmpdir()}/$name.log`;
    wait_until(5, sub { log_since($name, 0) =~ /redis: up/ });
    return $procs{$name};
}

# stop_policyd(NAME[, SIGNAL]): TERM it (SIGNAL 0: wait for it to exit on
# its own); true when it exited 0 and its log has no sanitizer report
# (make SANITIZE=1 check)
sub stop_policyd {
    my ($name, $sig, $secs) = @_;
    my $clean = reap($name, $sig // 'TERM', $secs);
    my $log = log_since($name, 0);
    if ($log =~ /(AddressSanitizer|LeakSanitizer|runtime error:.*|==\d+== \S.*)/) {
        print STDERR "# $name: $1\n", $log =~ s/^/# /mgr;
        return 0;
    }
    return $clean;
}

# proc_status(PID): /proc/PID/status as { Uid => "0\t0\t0\t0", ... }
sub proc_status {
    my ($p) = @_;
    open my $f, '<', "/proc/$p/status" or return {};
    my %s = map { /^(\w+):\s*(.*)$/ ? ($1, $2) : () } <$f>;
    return \%s;
}

# milter_helper(PID): the pid of the milter's helper process (its child)
sub milter_helper {
    my ($pid) = @_;
    my ($h) = grep { (proc_status($_)->{PPid} // 0) == $pid }
        map { m{/proc/(\d+)$} ? $1 : () } glob('/proc/[0-9]*');
    return $h;
}

sub log_size { -s (tmpdir() . "/$_[0].log") // 0 }

sub log_since {
    my ($name, $off) = @_;
    open my $fh, '<', tmpdir() . "/$name.log" or return '';
    seek $fh, $off, 0;
    local $/;
    return <$fh> // '';
}

# policy_client(ADDR[, TIMEOUT]): a connection to a port on 127.0.0.1 or
# to a unix socket path
sub policy_client {
    my ($port, $secs) = @_;
    my $s = $port =~ m{^/}
        ? IO::Socket::UNIX->new(Peer => $port)
        : IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
            Timeout => $secs // 5);
    $s or die "connect $port: $!";
    return $s;
}

# as_user(USER, CODE): CODE->(FROM_PARENT, TO_PARENT) in a child that is
# USER (uid, gid, no other groups): a local user on a shared host. Returns
# { pid, from, to }: read what it says, tell it to go on; reaped at END
my @children;
sub as_user {
    my ($user, $code) = @_;
    my ($uid, $gid) = (getpwnam($user))[2, 3];
    defined $uid or die "no user $user";
    pipe(my $r1, my $w1) or die "pipe: $!";
    pipe(my $r2, my $w2) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r1;
        close $w2;
        $) = "$gid $gid";
        $( = $gid;
        POSIX::setuid($uid);
        POSIX::_exit(111) if $< != $uid || $> != $uid || $( != $gid;
        $w1->autoflush(1);
        $SIG{PIPE} = 'IGNORE';    # a refused connection: EPIPE, not death
        alarm 120;                # a server that never answers: no hang
        eval { $code->($r2, $w1) };
        print $w1 "error: $@" if $@;
        POSIX::_exit(0);
    }
    close $w1;
    close $r2;
    $w2->autoflush(1);
    push @children, $pid;
    return { pid => $pid, from => $r1, to => $w2 };
}

# ask_as(USER, ADDR, TEXT): one request on a new connection of USER (root:
# this process) to ADDR; the action, 'closed' or 'no connect: ERROR'
sub ask_as {
    my ($user, $addr, $text) = @_;
    my $one = sub {
        my $s = eval { policy_client($addr) } or return "no connect: $!";
        return ask($s, $text) // 'closed';
    };
    return $one->() if $user eq 'root';
    my $c = as_user($user, sub { print { $_[1] } $one->(), "\n" });
    my $r = readline($c->{from}) // 'gone';
    chomp $r;
    return $r;
}

# fd_limit(N): N descriptors (or the hard limit) for this process and its
# children
sub fd_limit {
    my ($n) = @_;
    open my $f, '<', '/proc/self/limits' or return;
    my ($soft, $hard) = map { /^Max open files\s+(\d+)\s+(\d+)/ ? ($1, $2) : () } <$f>;
    return if !defined $soft || $soft >= $n;
    $n = $hard if $hard < $n;
    system('prlimit', "--pid=$$", "--nofile=$n:$hard");
}

# rcpt_req(%attrs): an RCPT-state request text
sub rcpt_req {
    my %a = (request => 'smtpd_access_policy', protocol_state => 'RCPT',
        @_);
    return join('', map { "$_=$a{$_}\n" } sort keys %a) . "\n";
}

# ask(SOCKET, TEXT): send one request, return the action (undef on EOF)
sub ask {
    my ($s, $text) = @_;
    print $s $text;
    my $line = <$s>;
    return undef unless defined $line;
    my $blank = <$s>;
    chomp $line;
    $line =~ s/^action=// or return "BAD:$line";
    return $line;
}

# policy_load(PORTS, TAG, REQ): a child asking the policyds at PORTS (a
# list, in turn) every 10 ms, REQ->(N) the request text of the N-th, until
# the returned sub is called; that sub stops it and returns (requests,
# answers not DUNNO, slowest answer in s)
sub policy_load {
    my ($ports, $tag, $req) = @_;
    my $stop = tmpdir() . "/stop-load-$tag";
    my $pid = open(my $out, '-|') // die "fork: $!";
    if (!$pid) {
        my @c = map { policy_client($_) } @$ports;
        my ($n, $bad, $max) = (0, 0, 0);
        until (-e $stop || getppid() == 1) {
            my $t = Time::HiRes::time();
            my $a = ask($c[$n % @c], $req->($n));
            my $dt = Time::HiRes::time() - $t;
            $max = $dt if $dt > $max;
            $bad++ unless defined $a && $a eq 'DUNNO';
            $n++;
            Time::HiRes::sleep(0.01);
        }
        print "$n $bad $max\n";
        POSIX::_exit(0);
    }
    push @children, $pid; # killed at END if the test dies first
    return sub {
        open my $f, '>', $stop or die;
        close $f;
        my $l = <$out>;
        close $out;
        return split ' ', $l // '0 0 0';
    };
}

END {
    my $rc = $?;
    kill 'KILL', @children if @children;
    waitpid($_, 0) for @children;
    reap($_, 'KILL') for keys %procs;
    $? = $rc;
}

1;
