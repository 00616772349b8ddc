#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The libFuzzer targets of t/fuzz (built by make check, or make fuzz):
# each replays its seed corpus t/fuzz/corpus/TARGET, a regression test
# (an input that once crashed stays there), then fuzzes from it for
# FG_FUZZ_SECONDS (3). A crash, leak, undefined behaviour, timeout or
# failed property fails the test; the input is kept in
# build-fuzz/artifacts/ and its base64 printed. README: running them for
# hours.
use strict;
use warnings;
use FindBin;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Test::More;

my $build = $ENV{FG_FUZZ_BUILD} // "$FindBin::Bin/../build-fuzz";
my $secs = $ENV{FG_FUZZ_SECONDS} // 3;
my @targets = map { m{/([^/]+)\.c$} } glob("$FindBin::Bin/fuzz/*.c");
plan skip_all => "no fuzz targets in $build (make fuzz)"
    unless @targets && -x "$build/t/fuzz/$targets[0]";
my $art = "$build/artifacts";
make_path($art);

# run - a command's exit status and its output (stdout and stderr)
sub run {
    my $out = `@_ 2>&1`;
    return ($?, $out);
}

# failed - what to look at when a target fails
sub failed {
    my ($t, $out) = @_;
    my @lines = split /\n/, $out;
    diag(join "\n", @lines > 40 ? @lines[-40 .. -1] : @lines);
    diag("input kept: $_") for glob("$art/$t-*");
}

for my $t (@targets) {
    my $bin = "$build/t/fuzz/$t";
    my $corpus = "$FindBin::Bin/fuzz/corpus/$t";
    my @opt = ("-artifact_prefix=$art/$t-", '-timeout=10');
    ok(-x $bin, "$t: built") or next;
    ok(scalar(() = glob("$corpus/*")), "$t: has a seed corpus in $corpus");
    my ($rc, $out) = run($bin, @opt, '-runs=0', $corpus);
    my ($n) = $out =~ /^#(\d+)\s+(?:INITED|DONE)/m;
    ok($rc == 0, "$t: replays its corpus (" . ($n // '?') . ' inputs)')
        or failed($t, $out);
    my $new = tempdir(CLEANUP => 1);
    ($rc, $out) = run($bin, @opt, "-max_total_time=$secs", $new, $corpus);
    my ($runs) = $out =~ /Done (\d+) runs/;
    ok($rc == 0, "$t: fuzzed ${secs} s, " . ($runs // '?') . ' runs')
        or failed($t, $out);
}
done_testing();
