#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# make install honours PREFIX and DESTDIR, installs the daemons, man pages
# and the example config, and never overwrites an admin's config.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use FG;

my $top = "$FindBin::Bin/..";
my $dest = tmpdir() . '/dest';
my $o = $ENV{FG_BUILD} // 'build';
my $make = "make -s -C $top O=$o DESTDIR=$dest PREFIX=/opt/fg install 2>&1";
my $out = `$make`;
is($?, 0, 'make install succeeds') or diag($out);
for my $f (qw(opt/fg/sbin/floodgate-policyd
              opt/fg/sbin/floodgate-milter
              opt/fg/sbin/floodgate
              opt/fg/share/man/man8/floodgate.8
              opt/fg/share/man/man8/floodgate-policyd.8
              opt/fg/share/man/man8/floodgate-milter.8
              opt/fg/share/man/man5/floodgate.conf.5
              etc/floodgate/floodgate.conf)) {
    ok(-f "$dest/$f", "installs /$f");
}
ok(-x "$dest/opt/fg/sbin/floodgate-policyd", 'the daemon is executable');
ok(-x "$dest/opt/fg/sbin/floodgate", 'the admin command is executable');
is((stat "$dest/etc/floodgate/floodgate.conf")[2] & 07777, 0640,
    'the config is mode 640');
open my $fh, '>', "$dest/etc/floodgate/floodgate.conf" or die;
print $fh "# edited by the admin\n";
close $fh;
$out = `$make`;
is($?, 0, 'a second make install succeeds') or diag($out);
open $fh, '<', "$dest/etc/floodgate/floodgate.conf" or die;
is(scalar <$fh>, "# edited by the admin\n", 'and keeps the edited config');
ok(!-e "$dest/usr/local", 'nothing lands outside PREFIX');
done_testing();
