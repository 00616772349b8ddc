# SPDX-License-Identifier: BSD-2-Clause
# FGPostfix: real Postfix instances for the tests (recipe:
# ../shared/postfix-e2e). Each instance lives in its own directory tree
# under /var/tmp, listens on 127.0.0.1 only, relays everything to its own
# smtp-sink and never looks anything up in DNS. Needs root.
#
#   my $pf = FGPostfix->new('a', sasl => { alice => 'alicepw' },
#       main => "smtpd_milters = unix:/...\n", chroot => 0);
#   $pf->start;  $pf->swaks(...);  $pf->sendmail_as('fgtest1', ...);
#   $pf->stop;   (END stops whatever is still running)
package FGPostfix;
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use FG;

my @running;

sub _write {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
}

# Unix users for local submissions; created once, kept (like system users)
sub test_user {
    my ($name) = @_;
    system("id -u $name >/dev/null 2>&1") == 0
        or system('useradd', '--system', '--no-create-home', '--shell',
        '/usr/sbin/nologin', $name) == 0 or die "useradd $name failed";
    return scalar getpwnam($name);
}

# non-root sendmail/postqueue accept -c DIR only when DIR is listed in the
# default main.cf; stale entries of earlier runs are dropped
sub _allow_config_dir {
    my ($dir) = @_;
    -f '/etc/postfix/main.cf'
        or _write('/etc/postfix/main.cf', "compatibility_level = 3.6\n");
    my $cur = `postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null` // '';
    my @keep = grep { -d $_ && $_ ne $dir } split /[\s,]+/, $cur;
    system('postconf', '-c', '/etc/postfix', '-e',
        'alternate_config_directories = ' . join(' ', @keep, $dir)) == 0
        or die 'postconf -e alternate_config_directories failed';
}

sub new {
    my ($class, $name, %o) = @_;
    my $root = tempdir("fgpf-$name.XXXXXX", DIR => '/var/tmp',
        CLEANUP => !$ENV{FG_KEEP});
    chmod 0755, $root;
    my $self = bless { name => $name, root => $root, etc => "$root/etc",
        spool => "$root/spool", smtp => FG::free_port(),
        sinkp => FG::free_port(), host => $o{host} // "mx-$name.fg.test",
        sink => "$root/sink" }, $class;
    mkdir $_ for "$root/spool", "$root/etc", "$root/etc/sasl", "$root/log",
        "$root/sink";
    system('chown', 'nobody:', "$root/sink");
    my $sasl = $o{sasl} // {};
    for my $u (sort keys %$sasl) {
        open my $sp, '|-', 'saslpasswd2', '-p', '-c', '-f',
            "$root/sasldb2", '-u', $self->{host}, $u or die;
        print $sp $sasl->{$u};
        close $sp or die "saslpasswd2 $u failed";
    }
    if (%$sasl) {
        system('chown', 'root:postfix', "$root/sasldb2");
        chmod 0640, "$root/sasldb2";
    }
    _write("$root/etc/sasl/smtpd.conf", "pwcheck_method: auxprop\n"
        . "auxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n"
        . "sasldb_path: $root/sasldb2\n");
    _write("$root/etc/main.cf", <<"EOF" . ($o{main} // ''));
compatibility_level = 3.6
queue_directory = $root/spool
data_directory = $root/data
myhostname = $self->{host}
mydomain = fg.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
relayhost = [127.0.0.1]:$self->{sinkp}
default_transport = smtp:[127.0.0.1]:$self->{sinkp}
relay_transport = smtp:[127.0.0.1]:$self->{sinkp}
maillog_file = $root/log/maillog
maillog_file_prefixes = /var, $root
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $root/etc/sasl
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_error_sleep_time = 0
in_flow_delay = 0
EOF
    # chroot => 1: smtpd chrooted to the queue directory, as Debian's
    # master.cf runs it (no SASL then: the sasldb is outside)
    my $chroot = $o{chroot} ? 'y' : 'n';
    _write("$root/etc/master.cf", <<"EOF");
127.0.0.1:$self->{smtp} inet n - $chroot - - smtpd
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    _allow_config_dir("$root/etc");
    FG::spawn("sink-$name", 'smtp-sink', '-u', 'nobody', '-d',
        "$root/sink/msg.", "127.0.0.1:$self->{sinkp}", '64');
    return $self;
}

# the postfix command prints errors only to a tty: script(1) gives it one
sub postfix {
    my ($self, @args) = @_;
    my $out = `script -qec "postfix -c $self->{etc} @args" /dev/null`;
    return 1 if $? == 0;
    print STDERR map { "# $_\n" } "postfix @args failed:", split /\r?\n/, $out;
    return 0;
}

sub start {
    my ($self) = @_;
    $self->postfix('check') or return 0;
    $self->postfix('start') or return 0;
    push @running, $self;
    return FG::wait_until(15, sub {
        IO::Socket::INET->new("127.0.0.1:$self->{smtp}") });
}

sub master_pid {
    my ($self) = @_;
    open my $f, '<', "$self->{spool}/pid/master.pid" or return 0;
    my $p = <$f> // 0;
    $p =~ s/\s//g;
    return $p =~ /^\d+$/ && kill(0, $p) ? $p : 0;
}

# stop: abort (SIGTERM to the master) and wait until it is gone
sub stop {
    my ($self) = @_;
    @running = grep { $_ != $self } @running;
    return 1 unless $self->master_pid;
    system('postfix', '-c', $self->{etc}, 'abort');
    return FG::wait_until(10, sub { !$self->master_pid });
}

END {
    local $?;
    $_->stop for @running;
}

# set main.cf parameters and reload
sub postconf {
    my ($self, %kv) = @_;
    system('postconf', '-c', $self->{etc}, '-e',
        map { "$_ = $kv{$_}" } sort keys %kv) == 0 or return 0;
    return $self->postfix('reload');
}

sub maillog {
    my ($self) = @_;
    open my $f, '<', "$self->{root}/log/maillog" or return '';
    local $/;
    return <$f> // '';
}

# sink_files: delivered messages, oldest first
sub sink_files {
    my ($self) = @_;
    return sort { -M $b <=> -M $a || $a cmp $b } glob("$self->{sink}/msg.*");
}

sub sink_count { scalar(my @f = $_[0]->sink_files) }

# sink_find(RE): contents of the delivered messages matching RE
sub sink_find {
    my ($self, $re) = @_;
    my @m;
    for my $f ($self->sink_files) {
        open my $fh, '<', $f or next;
        local $/;
        my $t = <$fh> // '';
        push @m, $t if $t =~ $re;
    }
    return @m;
}

# swaks(ARGS...): (exit code, output) of one SMTP session to this instance
sub swaks {
    my ($self, @args) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec 'swaks', '--server', "127.0.0.1:$self->{smtp}",
            '--helo', 'client.fg.test', @args;
        exit 127;
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($? >> 8, $out);
}

# sendmail_as(USER, MESSAGE, ARGS...): local submission by a Unix user
sub sendmail_as {
    my ($self, $user, $msg, @args) = @_;
    open my $sm, '|-', 'setpriv', "--reuid=$user", "--regid=$user",
        '--init-groups', '/usr/sbin/sendmail', '-C', $self->{etc}, @args
        or die "sendmail: $!";
    print $sm $msg;
    close $sm;
    return $? >> 8;
}

# queue(): postqueue -j records (hash refs)
sub queue {
    my ($self) = @_;
    my @q;
    for (`postqueue -c $self->{etc} -j 2>/dev/null`) {
        my %r;
        $r{queue_name} = $1 if /"queue_name":\s*"([^"]*)"/;
        $r{queue_id} = $1 if /"queue_id":\s*"([^"]*)"/;
        $r{sender} = $1 if /"sender":\s*"([^"]*)"/;
        push @q, \%r if $r{queue_id};
    }
    return @q;
}

# with_milter(NAME, OPTIONS): a Postfix instance (new's OPTIONS, sasl...)
# whose smtpd and sendmail mail goes through a milter on a unix socket in
# the test's temp dir, and a stamp key (mode 0600) for that milter;
# returns (postfix, milter socket, key path)
sub with_milter {
    my ($name, %o) = @_;
    my $dir = FG::tmpdir();
    my ($msock, $key) = ("$dir/milter-$name.sock", "$dir/stamp-$name.key");
    open my $kf, '>', $key or die "$key: $!";
    print $kf "0123456789abcdef0123456789abcdef\n";
    close $kf;
    chmod 0600, $key;
    my $pf = FGPostfix->new($name, %o, main => <<"EOF");
smtpd_milters = unix:$msock
non_smtpd_milters = \$smtpd_milters
milter_default_action = tempfail
EOF
    return ($pf, $msock, $key);
}

1;
