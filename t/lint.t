#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# t/tools/lint-names (make lint): a "/* name - ..." comment above another
# function, a static without its module's prefix are caught with
# file:line; right files, libmilter's fi_ callbacks and test programs'
# statics (-c) pass; the tree itself passes.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $lint = "$FindBin::Bin/tools/lint-names";
my $dir = tempdir(CLEANUP => 1);
sub file {
    my ($name, $text) = @_;
    open my $fh, '>', "$dir/$name" or die;
    print $fh $text;
    close $fh;
    return "$dir/$name";
}
sub lint { my $out = `perl $lint @_ 2>&1`; return ($? >> 8, $out) }

my $good = file('good.c', <<'C');
/* good_one - a function */
static int
good_one(void)
{
	return 0;
}

/* GOOD_MAX - a macro */
#define GOOD_MAX 3
/* good_fn - a callback type */
typedef int (*good_fn)(void);
C
my ($rc, $out) = lint($good);
is($rc, 0, 'a file that follows the rules passes') or diag($out);

my $drift = file('drift.c', <<'C');
/* drift_old - the name before a rename */
static int
drift_new(void)
{
	return 0;
}
C
($rc, $out) = lint($drift);
is($rc, 1, 'a comment naming another function fails');
like($out, qr/drift\.c:1: comment names drift_old, the next declaration is drift_new/,
    'with file, line and both names');

my $bare = file('mod.c', "static void\nhelper(void)\n{\n}\n");
($rc, $out) = lint($bare);
like($out, qr/mod\.c:2: static helper lacks the prefix mod_/,
    "a static without its module's prefix fails");
($rc, $out) = lint('-c', $bare);
is($rc, 0, 'test programs (-c) are checked for comments only');

my $filter = file('filter.c', "static int\nfi_connect(void)\n{\n\treturn 0;\n}\n");
($rc, $out) = lint($filter);
is($rc, 0, "libmilter's fi_ callbacks in filter.c pass") or diag($out);

my $root = "$FindBin::Bin/..";
($rc, $out) = lint(glob("$root/common/*.[ch] $root/policyd/*.[ch] $root/milter/*.[ch]"));
is($rc, 0, 'the daemons and common/ pass') or diag($out);
done_testing();
