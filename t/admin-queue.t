#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# floodgate queue on a real Postfix (through floodgate-milter) that relays
# to a loopback port nobody listens on, so mail sits in the deferred
# queue, some of it put on hold: a flood from a stolen SASL account,
# mail of another account, sendmail by one user (uid A) and another
# (uid B), SMTP by uid A's script (found by its verified stamp, opaque),
# a root message replaying that stamp (not found), bounces (sender <>).
# Each subject form lists exactly its messages (compared with postqueue
# -j), text and -j; --hold, --release and --delete --yes act on exactly
# them; bad input exits 2 with one line and changes nothing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use FG;
use FGPostfix;

$> == 0 or BAIL_OUT('t/admin-queue.t runs Postfix and needs root');
my $build = $ENV{FG_BUILD} // 'build';
my ($ua, $ub) = ('fgtest1', 'fgtest2');
my $uida = FGPostfix::test_user($ua);
my $uidb = FGPostfix::test_user($ub);
my $dir = tmpdir();
my $sock = start_redis();
my ($pf, $msock, $key) = FGPostfix::with_milter('q',
    sasl => { 'alice@example.com' => 'alicepw', 'bob@example.com' => 'bobpw' });
# deferred: every transport points at a loopback port nobody listens on
my $dead = free_port();
system('postconf', '-c', $pf->{etc}, '-e',
    "relayhost = [127.0.0.1]:$dead",
    "default_transport = smtp:[127.0.0.1]:$dead",
    "relay_transport = smtp:[127.0.0.1]:$dead") == 0 or die 'postconf';
my $conf = write_conf('queue.conf', <<"EOF");
node = "web1"
redis {
    server = "unix:$sock"
    timeout = 300ms
}
milter {
    socket = "unix:$msock"
    user = "nobody"
    queue_directory = "$pf->{spool}"
    keys = { "k1:$key" }
    verify = true
}
EOF
start_milter('milter', $conf, $msock);
ok($pf->start, 'Postfix with the milter starts');
$ENV{MAIL_CONFIG} = $pf->{etc};

# fg(ARGS...): floodgate -c CONF ARGS (as $fg_user when set); (exit
# status, stdout, stderr)
our $fg_user;
sub fg {
    my @args = @_;
    my ($out, $err) = ("$dir/fg.out", "$dir/fg.err");
    my @as = $fg_user ? ('setpriv', "--reuid=$fg_user",
        '--regid=' . (getpwnam($fg_user))[3],
        '--clear-groups') : ();
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', $out or die;
        open STDERR, '>', $err or die;
        exec @as, "$build/floodgate", '-c', $conf, @args;
        exit 127;
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    local $/;
    open my $o, '<', $out or die;
    open my $e, '<', $err or die;
    return ($rc, <$o> // '', <$e> // '');
}

# queue(): { id => postqueue -j record } (decoded JSON)
sub queue {
    my %q;
    for (`postqueue -c $pf->{etc} -j 2>/dev/null`) {
        my $r = decode_json($_);
        $q{$r->{queue_id}} = $r;
    }
    return \%q;
}
# where(): "id queue" of every message, sorted: the queue's state
sub where {
    my $q = queue();
    return join(' ', map { "$_:$q->{$_}{queue_name}" } sort keys %$q);
}
# new_ids(N, CODE): run CODE, wait for N more queued messages; their ids
sub new_ids {
    my ($n, $code) = @_;
    my %before = %{ queue() };
    $code->();
    my @new;
    wait_until(90, sub {    # pickup also polls maildrop once a minute
        @new = grep { !$before{$_} } keys %{ queue() };
        @new >= $n });
    return sort @new;
}
# smtp_ids(OUTPUT...): the "queued as" ids of swaks sessions
sub queued_as { map { /queued as (\w+)/ ? $1 : () } @_ }
sub set { join ' ', sort @_ }
# listed(TEXT): the ids of a text table (first column, header skipped)
sub listed {
    my @l = split /\n/, $_[0];
    return () unless @l && $l[0] =~ /^QUEUE_ID\s+QUEUE\s+AGE\s+SENDER\s+RCPTS\s+SIZE$/;
    return map { (split ' ')[0] } @l[1 .. $#l];
}
sub msg {
    my ($id, @hdr) = @_;
    return join('', map { "$_\n" } "From: t\@fg.test", 'To: r@example.net',
        "Subject: $id", "Message-ID: <$id\@fg.test>", @hdr) . "\nbody $id\n";
}
sub smtp {
    my ($ip, @args) = @_;
    my ($rc, $out) = $pf->swaks('--local-interface', $ip, @args);
    $rc == 0 or diag($out);
    return $out;
}

# 1. the flood of the stolen account, from 127.0.0.3, three recipients
my @alice = queued_as(map {
    smtp('127.0.0.3', '--auth', 'PLAIN', '--auth-user', 'alice@example.com',
        '--auth-password', 'alicepw', '--from', "promo$_\@spam.example",
        '--to', 'v1@example.net,v2@example.net,v3@example.net',
        '--header', "Message-Id: <flood$_\@spam.example>")
} 1 .. 5);
is(scalar @alice, 5, 'the stolen account queued five messages');
# 2. another account, from 127.0.0.1
my @bob = queued_as(map {
    smtp('127.0.0.1', '--auth', 'PLAIN', '--auth-user', 'bob@example.com',
        '--auth-password', 'bobpw', '--from', 'bob@example.com',
        '--to', "friend$_\@example.net")
} 1 .. 2);
is(scalar @bob, 2, 'another account queued two');
# 3. bounces of a backscatter storm: the null sender, from 127.0.0.2
my @bounce = queued_as(map {
    smtp('127.0.0.2', '--from', '<>', '--to', "victim$_\@example.net")
} 1 .. 2);
is(scalar @bounce, 2, 'two bounces queued');
# 4. sendmail by uid A (three) and uid B (one)
my @sma = new_ids(3, sub {
    $pf->sendmail_as($ua, msg("sma$_"), '-t') for 1 .. 3 });
is(scalar @sma, 3, "sendmail by $ua queued three");
my @smb = new_ids(1, sub { $pf->sendmail_as($ub, msg('smb1'), '-t') });
is(scalar @smb, 1, "sendmail by $ub queued one");
# 5. SMTP over loopback by uid A's script: the milter's stamp says who
my $work = "$dir/site";
mkdir $work;
chmod 0755, $work;
open my $cf, '>', "$work/send.pl" or die;
print $cf <<'EOF';
use IO::Socket::INET;
my ($port, $id, $mid) = @ARGV;
my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "connect: $!";
my $r = sub { my $l; do { $l = <$s> } while $l =~ /^\d{3}-/; $l };
my $c = sub { print $s "$_[0]\r\n"; $r->() };
$r->();
$c->('EHLO client.fg.test');
$c->('MAIL FROM:<site@fg.test>');
$c->('RCPT TO:<r@example.net>');
$c->('DATA');
print $s "Subject: $id\r\n", $mid ? "Message-ID: <$id\@fg.test>\r\n" : '',
    "\r\nhello\r\n";
print $c->('.');
$c->('QUIT');
EOF
close $cf;
sub script_as {
    my ($user, $id, $mid) = @_;
    my $pid = open(my $ch, '-|') // die;
    if (!$pid) {
        chdir $work or die;
        exec 'setpriv', "--reuid=$user", "--regid=$user", '--init-groups',
            '/usr/bin/perl', "$work/send.pl", $pf->{smtp}, $id, $mid;
        exit 127;
    }
    my $out = do { local $/; <$ch> };
    close $ch;
    return $out;
}
# one with a Message-ID, one without (cleanup adds one; the milter signs it)
my @tcpa = queued_as(script_as($ua, 'tcpa1', 1), script_as($ua, 'tcpa2', 0));
is(scalar @tcpa, 2, "${ua}'s script queued two messages over SMTP");
# 6. root replays the stamp of uid A's message: same Message-ID, sender
# stamps(ID): the X-Floodgate-Origin values in its queue file, unfolded
sub stamps {
    my $h = `postcat -c $pf->{etc} -hq $_[0]`;
    $h =~ s/\n[ \t]+/ /g;
    return $h =~ /^X-Floodgate-Origin: (.*)$/mg;
}
my ($stamp) = stamps($tcpa[0]);
like($stamp // '', qr/^v=1; h=web1; src=smtp-local; u=[0-9a-f]{16}; q=$tcpa[0]; .*k=k1; b=\S{44}$/,
    "the milter stamped ${ua}'s message (opaque)");
my @replay = queued_as(smtp('127.0.0.1', '--from', 'site@fg.test',
    '--to', 'r@example.net', '--header', 'Message-Id: <tcpa1@fg.test>',
    '--add-header', "X-Floodgate-Origin: $stamp"));
is(scalar @replay, 1, 'root queued a message replaying that stamp');
my @rs = stamps($replay[0]);
ok(@rs == 2 && $rs[1] eq $stamp,
    'the replayed stamp verifies, so the milter kept it under its own');

my @all = (@alice, @bob, @bounce, @sma, @smb, @tcpa, @replay);
ok(wait_until(60, sub {
    my $q = queue();
    keys %$q == @all && !grep { $_->{queue_name} ne 'deferred' } values %$q }),
    'all ' . scalar(@all) . ' messages are deferred (relay refused)')
    or diag(where());
system("postsuper -c $pf->{etc} -h $_ 2>/dev/null") for @alice[0, 1], $sma[0];
ok(wait_until(10, sub { where() =~ /\Q$alice[0]\E:hold/ && where() =~ /\Q$sma[0]\E:hold/ }),
    'two of the flood and one of uid A are on hold');

# 7. every subject form lists exactly its messages
my $q = queue();
my ($rc, $out, $err) = fg('queue', 'alice@example.com');
is($rc, 0, 'queue alice@example.com: exit 0');
is(set(listed($out)), set(@alice), 'lists exactly the flood') or diag($out, $err);
is($err, '', 'nothing on stderr');
my %row = map { my @f = split ' '; ($f[0] => \@f) } split /\n/, $out;
is($row{$alice[0]}[1], 'hold', 'QUEUE: hold for a held one');
is($row{$alice[2]}[1], 'deferred', 'QUEUE: deferred for the others');
like($row{$alice[2]}[2], qr/^(\d+m)?\d+s$/, 'AGE: seconds (and minutes)');
is($row{$alice[2]}[3], $q->{$alice[2]}{sender}, 'SENDER as postqueue says');
is($row{$alice[2]}[4], 3, 'RCPTS: three');
is($row{$alice[2]}[5], $q->{$alice[2]}{message_size}, 'SIZE as postqueue says');

($rc, $out) = fg('-j', 'queue', 'sasl:alice@example.com');
my @j = map { decode_json($_) } split /\n/, $out;
is(set(map { $_->{id} } @j), set(@alice), '-j: the same messages');
my ($j) = grep { $_->{id} eq $alice[3] } @j;
is_deeply([ @$j{qw(kind queue sender rcpts size arrival)} ],
    [ 'message', 'deferred', $q->{$alice[3]}{sender}, 3,
      $q->{$alice[3]}{message_size}, $q->{$alice[3]}{arrival_time} ],
    '-j: kind, queue, sender, rcpts, size and arrival as postqueue says');
ok($j->{age} >= 0 && $j->{age} < 300 && $j->{age} =~ /^\d+$/,
    '-j: age in seconds, a number');

for my $t (
    [ 'ip:127.0.0.3', \@alice, 'ip: the flood\'s client' ],
    [ '127.0.0.2', \@bounce, 'a bare IPv4 address: the bounces\' client' ],
    [ 'bob@example.com', \@bob, 'the other account' ],
    [ "uid:$ua", [ @sma, @tcpa ],
      "uid:$ua: its sendmail (Received) and SMTP (verified stamp) mail, not the replay" ],
    [ "uid:$uida", [ @sma, @tcpa ], 'uid:N: the same by number' ],
    [ "uid:$ub", \@smb, "uid:$ub: its sendmail message" ],
    [ 'sender:bob@example.com', \@bob, 'sender:' ],
    [ 'sender:PROMO2@spam.example', [ $alice[1] ], 'sender: any case' ],
    [ 'sender:<>', \@bounce, 'sender:<>: the bounces' ],
) {
    ($rc, $out, $err) = fg('queue', $t->[0]);
    is(set(listed($out)), set(@{ $t->[1] }), "$t->[2]")
        or diag("rc=$rc\n$out$err");
    ($rc, $out) = fg('-j', 'queue', $t->[0]);
    is(set(map { decode_json($_)->{id} } split /\n/, $out),
        set(@{ $t->[1] }), "$t->[0] -j");
}
($rc, $out, $err) = fg('queue', 'uid:root');
ok(grep({ $_ eq $replay[0] } listed($out)), 'the replay counts as root\'s (its own stamp)');
{
    # a config directory whose postconf warns (no master.cf) on stderr
    my $cfg = "$dir/pf-warn";
    mkdir $cfg;
    system('cp', "$pf->{etc}/main.cf", "$cfg/main.cf") == 0 or die;
    local $ENV{MAIL_CONFIG} = $cfg;
    ($rc, $out, $err) = fg('queue', 'bob@example.com');
    is(set(listed($out)), set(@bob),
        'postconf\'s warnings are not taken for the queue directory')
        or diag("rc=$rc\n$out$err");
}
($rc, $out, $err) = fg('queue', 'sasl:mallory@example.com');
is($rc, 1, 'no message: exit 1');
is($out, "no message of sasl:mallory\@example.com in the queue\n", 'and says so');
($rc, $out) = fg('-j', 'queue', 'ip:192.0.2.1');
is("$rc:$out", '1:', '-j, no message: exit 1, no line');

# 8. bad input: exit 2, one line on stderr, nothing changes
my $before = where();
my $long = 'x' x 300;
for my $t (
    [ [ 'queue', 'foo:bar' ], qr/unknown subject type/, 'an unknown subject type' ],
    [ [ 'queue', "sasl:$long" ], qr/too long/, 'an overlong value' ],
    [ [ 'queue', "sender:$long\@x" ], qr/too long/, 'an overlong sender' ],
    [ [ 'queue', 'ip:300.1.1.1' ], qr/not an IP address/, 'a bad address' ],
    [ [ 'queue', 'uid:nosuchuser42' ], qr/no such user/, 'a uid without a user' ],
    [ [ 'queue', 'alice@example.com', '--delete' ], qr/--delete cannot be undone: add --yes/, '--delete without --yes' ],
    [ [ 'queue', 'alice@example.com', '--hold', '--yes' ], qr/--yes goes with --delete/, '--yes without --delete' ],
    [ [ 'queue', 'alice@example.com', '--hold', '--release' ], qr/one of --hold/, 'two actions' ],
    [ [ 'queue', 'alice@example.com', '--frobnicate' ], qr/usage: floodgate queue/, 'an unknown option' ],
    [ [ 'queue' ], qr/usage: floodgate queue/, 'no subject' ],
    [ [ 'queue', 'a@x', 'b@x' ], qr/usage: floodgate queue/, 'two subjects' ],
) {
    ($rc, $out, $err) = fg(@{ $t->[0] });
    ok($rc == 2 && $out eq '' && $err =~ $t->[1] && $err =~ /\A[^\n]+\n\z/,
        "$t->[2]: exit 2, one line") or diag("rc=$rc out=$out err=$err");
}
{
    local $ENV{MAIL_CONFIG} = "$dir/no-such-dir";
    ($rc, $out, $err) = fg('queue', 'alice@example.com', '--delete', '--yes');
    ok($rc == 2 && $out eq '' && $err =~ /\Afloodgate: queue: postconf: fatal: .*no-such-dir\/main\.cf[^\n]*\n\z/,
        'MAIL_CONFIG naming no Postfix: exit 2, postconf\'s one line')
        or diag("rc=$rc out=$out err=$err");
}
{
    local $fg_user = 'nobody';
    ($rc, $out, $err) = fg('queue', 'bob@example.com');
    ok($rc == 2 && $out eq '' && $err =~ /\Afloodgate: queue: .*\/spool\/active: Permission denied\n\z/,
        'a user who may not read the queue: exit 2, one line, no "nothing found"')
        or diag("rc=$rc out=$out err=$err");
}
is(where(), $before, 'and the queue is as it was');

# 9. --hold, --release, --delete --yes act on exactly the subject's mail
my %others = map { $_ => 1 } @all;
delete @others{@alice};
sub others { my $q = queue(); join ' ', map { "$_:" . ($q->{$_}{queue_name} // 'gone') } sort keys %others }
my $o0 = others();
($rc, $out, $err) = fg('queue', 'alice@example.com', '--hold');
is($rc, 0, '--hold: exit 0');
like($out, qr/^held 3 of 3 messages; 2 already on hold\n\z/m, 'held 3 of 3; 2 already on hold');
ok(!grep({ queue()->{$_}{queue_name} ne 'hold' } @alice), 'the whole flood is on hold (postqueue -j)');
is(others(), $o0, 'no other message moved');
($rc, $out) = fg('-j', 'queue', 'alice@example.com', '--hold');
my @l = split /\n/, $out;
is_deeply(decode_json($l[-1]), { kind => 'action', subject => 'sasl:alice@example.com',
    action => 'hold', matched => 5, asked => 0, done => 0 },
    '-j --hold again: the action line, nothing to do');
($rc, $out, $err) = fg('queue', 'alice@example.com', '--release');
like($out, qr/^released 5 of 5 messages\n\z/m, '--release: released 5 of 5');
ok(!grep({ queue()->{$_}{queue_name} ne 'deferred' } @alice), 'the flood is deferred again');
is(others(), $o0, "uid A's held message stays on hold");
($rc, $out, $err) = fg('-j', 'queue', "uid:$ua", '--release');
@l = split /\n/, $out;
is_deeply(decode_json($l[-1]), { kind => 'action', subject => "uid:$ua",
    action => 'release', matched => 5, asked => 1, done => 1 },
    '-j --release: one of uid A\'s five was held');
$others{$sma[0]} = 1;
$o0 = others();
is(queue()->{$sma[0]}{queue_name}, 'deferred', 'released');
($rc, $out, $err) = fg('queue', 'alice@example.com', '--delete', '--yes');
is($rc, 0, '--delete --yes: exit 0');
like($out, qr/^deleted 5 of 5 messages\n\z/m, 'deleted 5 of 5');
ok(!grep({ queue()->{$_} } @alice), 'the flood is gone');
is(others(), $o0, 'every other message is still there, where it was');
($rc, $out) = fg('queue', 'alice@example.com', '--delete', '--yes');
is($rc, 1, 'deleting again: nothing found, exit 1');
($rc, $out) = fg('-j', 'queue', 'sender:<>', '--delete', '--yes');
@l = split /\n/, $out;
is_deeply(decode_json($l[-1]), { kind => 'action', subject => 'sender:<>',
    action => 'delete', matched => 2, asked => 2, done => 2 },
    '-j --delete --yes: the bounces');
ok(!grep({ queue()->{$_} } @bounce) && queue()->{$bob[0]}, 'gone, bob\'s mail stays');

ok(stop_milter('milter'), 'the milter stops cleanly');
done_testing();
