#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The Debian package (make deb): built from a clean copy of the tree,
# lintian-clean, installed on this machine with dpkg -i; its postinst makes
# the floodgate user (in group postfix), the milter's spool directory, a
# stamp key once and keeps the config 0640 root:floodgate. The installed
# daemons, started with the units' ExecStart lines and the installed config,
# answer a policy request and stamp a message through a real Postfix; a
# reinstall keeps an edited conffile and the key; dpkg -r stops the daemons
# and leaves no program; dpkg -P leaves no file, user or group. Needs root.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use FG;
use FGPostfix;

$> == 0 or BAIL_OUT('t/deb.t installs a package and needs root');
my $top = "$FindBin::Bin/..";
my $dir = tmpdir();

# a package left by an aborted run goes first
system('dpkg -s floodgate >/dev/null 2>&1 && dpkg -P floodgate >/dev/null 2>&1');
END { system('dpkg -P floodgate >/dev/null 2>&1') if $? != 0 }

my $out = `make -s -C $top deb 2>&1`;
is($?, 0, 'make deb builds the package') or diag($out);
my ($deb) = glob("$top/build-deb/floodgate_*_*.deb");
ok($deb && -f $deb, 'floodgate_<version>_<arch>.deb') or BAIL_OUT('no package');
my $lint = `lintian --pedantic $deb 2>&1`;
my @bad = grep { /^[EW]: / } split /\n/, $lint;
is(scalar @bad, 0, 'lintian --pedantic: no error, no warning') or diag($lint);
my %has = map { (split ' ', $_)[5] => 1 } `dpkg -c $deb`;
for my $f (qw(./usr/sbin/floodgate-policyd ./usr/sbin/floodgate-milter
    ./usr/sbin/floodgate ./etc/floodgate/floodgate.conf
    ./usr/share/man/man8/floodgate.8.gz ./usr/share/man/man5/floodgate.conf.5.gz
    ./usr/share/doc/floodgate/README.gz ./usr/share/doc/floodgate/copyright)) {
    ok($has{$f}, "the package has $f");
}
like(`dpkg-deb -I $deb conffiles`, qr{^/etc/floodgate/floodgate\.conf$}m, 'the config is a conffile');

# install
$out = `dpkg -i $deb 2>&1`;
is($?, 0, 'dpkg -i installs it') or diag($out);
like($out, qr/smtpd_milters = unix:floodgate\/milter\.sock/, 'postinst prints the main.cf lines');
my @pw = getpwnam('floodgate');
ok(@pw, 'the floodgate user exists');
like(`id -nG floodgate`, qr/\bpostfix\b/, 'in group postfix');
like(`id -nG floodgate`, qr/\bpostdrop\b/, 'and postdrop (notify.mail under NoNewPrivileges)');
my @st = stat '/var/spool/postfix/floodgate';
is(sprintf('%o %s %s', $st[2] & 07777, scalar getpwuid($st[4]), scalar getgrgid($st[5])),
    '750 floodgate postfix', '/var/spool/postfix/floodgate: 0750 floodgate:postfix');
@st = stat '/etc/floodgate/stamp.key';
is(sprintf('%o %s %d', $st[2] & 07777, scalar getpwuid($st[4]), $st[7]), '600 floodgate 32',
    'the stamp key: 32 bytes, 0600 floodgate');
@st = stat '/etc/floodgate/floodgate.conf';
is(sprintf('%o %s %s', $st[2] & 07777, scalar getpwuid($st[4]), scalar getgrgid($st[5])),
    '640 root floodgate', 'the config: 0640 root:floodgate');
like(`grep '^    keys' /etc/floodgate/floodgate.conf`, qr{"1:/etc/floodgate/stamp\.key"},
    'the installed config signs with that key');

# the units' ExecStart lines, as systemd would run them
sub exec_start {
    my ($unit) = @_;
    open my $u, '<', "/lib/systemd/system/$unit.service" or return;
    my ($line) = grep { /^ExecStart=/ } <$u>;
    chomp $line;
    $line =~ s/^ExecStart=[-@!+:]*//;
    return split ' ', $line;
}
# the installed units, their programs now in place
for my $u ('floodgate-policyd', 'floodgate-milter') {
    my $v = `systemd-analyze verify /lib/systemd/system/$u.service 2>&1`;
    is($?, 0, "systemd-analyze verify $u.service (installed)");
    unlike($v, qr/\Q$u\E\.service:/, '  without a word about it') or diag($v);
}
my @pcmd = exec_start('floodgate-policyd');
my @mcmd = exec_start('floodgate-milter');
like("@pcmd", qr{^/usr/sbin/floodgate-policyd .*-f}, 'policyd unit: ExecStart in the foreground');
like("@mcmd", qr{^/usr/sbin/floodgate-milter .*-f}, 'milter unit: ExecStart in the foreground');

# the installed config's Redis (127.0.0.1:6379) and a Postfix through the
# installed milter's socket
my $rpid = FG::spawn('redis6379', 'redis-server', '--port', '6379', '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--dir', $dir);
ok(wait_until(10, sub { `redis-cli -p 6379 PING 2>&1` =~ /PONG/ }), 'a Redis on 127.0.0.1:6379');
FG::spawn('pkg-policyd', @pcmd);
FG::spawn('pkg-milter', @mcmd);
my $psock = '/var/spool/postfix/private/floodgate';
ok(wait_until(10, sub { -S $psock && -S '/var/spool/postfix/floodgate/milter.sock' }),
    'both installed daemons listen on their default sockets')
    or diag(`cat $dir/pkg-policyd.log $dir/pkg-milter.log`);
my $c = eval { policy_client($psock) };
is($c ? ask($c, rcpt_req(sasl_username => 'pkg@example.com', client_address => '192.0.2.9',
    instance => 'p1', recipient => 'r@example.net')) : 'no socket', 'DUNNO',
    'policyd answers a policy request');
ok(`pgrep -u floodgate -f ^/usr/sbin/floodgate-policyd`, 'policyd runs as floodgate');
ok(`pgrep -u floodgate -f ^/usr/sbin/floodgate-milter`, 'the milter too');
my $pf = FGPostfix->new('deb', main => <<"EOF");
smtpd_milters = unix:/var/spool/postfix/floodgate/milter.sock
non_smtpd_milters = \$smtpd_milters
milter_default_action = tempfail
EOF
ok($pf->start, 'a Postfix instance through the installed milter');
my ($rc, $sw) = $pf->swaks('--from', 'a@fg.test', '--to', 'r@example.net',
    '--header', 'X-Test-Id: deb1');
is($rc, 0, 'a message is accepted') or diag($sw);
my @m;
ok(wait_until(20, sub { @m = $pf->sink_find(qr/X-Test-Id: deb1/); @m }), 'and delivered');
(my $head = ($m[0] // '') =~ s/\n\n.*//sr) =~ s/\r?\n[ \t]+/ /g;
like($head, qr/^X-Floodgate-Origin: v=1; .*; k=1; b=[A-Za-z0-9+\/=]{44}$/m,
    'stamped and signed with the installed key');
# notify.mail under the units' NoNewPrivileges: the daemon's user with its
# groups (as priv_drop leaves it) queues through postdrop, setgid or not
my $pgid = getgrnam('postdrop');
like(FG::proc_status(`pgrep -u floodgate -f ^/usr/sbin/floodgate-policyd` =~ /(\d+)/ ? $1 : 0)->{Groups} // '',
    qr/(^|\s)$pgid(\s|$)/, 'the running policyd keeps its user\'s group postdrop');
open my $sm, '|-', 'setpriv', '--reuid=floodgate', '--regid=floodgate', '--init-groups',
    '--no-new-privs', '/usr/sbin/sendmail', '-C', $pf->{etc}, '-t', '-i' or die;
print $sm "From: floodgate\nTo: postmaster\@example.com\nSubject: nnp\nX-Test-Id: deb-nnp\n\nbody\n";
close $sm;
is($? >> 8, 0, 'sendmail as floodgate under no_new_privs');
ok(wait_until(30, sub { $pf->sink_find(qr/X-Test-Id: deb-nnp/) }), 'queued and delivered');
$pf->stop;

# a reinstall keeps an edited conffile and the key
open my $cf, '>>', '/etc/floodgate/floodgate.conf' or die;
print $cf "# edited by the admin\n";
close $cf;
my $key = `od -An -tx1 /etc/floodgate/stamp.key`;
$out = `dpkg -i $deb 2>&1`;
is($?, 0, 'a reinstall succeeds') or diag($out);
like(`tail -1 /etc/floodgate/floodgate.conf`, qr/^# edited by the admin$/, 'and keeps the edited config');
is(`od -An -tx1 /etc/floodgate/stamp.key`, $key, 'and the key');
ok(wait_until(10, sub { !`pgrep -f ^/usr/sbin/floodgate-policyd` && !`pgrep -f ^/usr/sbin/floodgate-milter` }),
    'its prerm stopped the running daemons');

# dpkg -r: the daemons (started again) stop, no program is left
FG::spawn('pkg-policyd2', @pcmd);
ok(wait_until(10, sub { `pgrep -f ^/usr/sbin/floodgate-policyd` }), 'policyd runs again');
$out = `dpkg -r floodgate 2>&1`;
is($?, 0, 'dpkg -r removes it') or diag($out);
ok(wait_until(10, sub { !`pgrep -f ^/usr/sbin/floodgate-policyd` && !`pgrep -f ^/usr/sbin/floodgate-milter` }),
    'and no floodgate process is left');
ok(!-e '/usr/sbin/floodgate-policyd' && !-e '/usr/sbin/floodgate', 'nor its programs');
ok(!-e '/var/spool/postfix/floodgate', 'nor the milter\'s spool directory');
ok(-e '/etc/floodgate/floodgate.conf', 'the config stays until purge');

# dpkg -P: no file, user or group
$out = `dpkg -P floodgate 2>&1`;
is($?, 0, 'dpkg -P purges it') or diag($out);
ok(!-e '/etc/floodgate', 'no /etc/floodgate (config, key)');
ok(!getpwnam('floodgate'), 'no floodgate user');
ok(!getgrnam('floodgate'), 'no floodgate group');
is(`dpkg-statoverride --list /etc/floodgate/floodgate.conf`, '', 'no statoverride');
FG::reap('redis6379', 'TERM', 10);
done_testing();
