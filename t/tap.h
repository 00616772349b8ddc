/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tap.h - a tiny TAP producer for the C unit tests (run under prove).
 * plan() is optional; ok(), is_int(), is_str(), like() print one test
 * line each;
 * tap_done() prints the plan if none was given and returns the exit status
 * (1 when a test failed or the count differs from the plan).
 */
#ifndef FG_TAP_H
#define FG_TAP_H

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned = -1;

static __attribute__((unused)) void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

__attribute__((format(printf, 2, 3))) static int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout); /* keep the lines if a sanitizer aborts */
	if (!cond)
		tap_failed++;
	return cond;
}

static __attribute__((unused)) int
is_int(long long got, long long want, const char *name)
{
	if (!ok(got == want, "%s", name))
		printf("#   got: %lld\n#  want: %lld\n", got, want);
	return got == want;
}

static __attribute__((unused)) int
is_str(const char *got, const char *want, const char *name)
{
	int same =
	    got != NULL && want != NULL ? strcmp(got, want) == 0 : got == want;

	if (!ok(same, "%s", name))
		printf("#   got: '%s'\n#  want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return same;
}

/* like - got matches the extended regular expression re */
static __attribute__((unused)) int
like(const char *got, const char *re, const char *name)
{
	regex_t rx;
	int m;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
		printf("# bad regex: %s\n", re);
		return ok(0, "%s", name);
	}
	m = got != NULL && regexec(&rx, got, 0, NULL, 0) == 0;
	regfree(&rx);
	if (!ok(m, "%s", name))
		printf(
		    "#   got: '%s'\n#  want: /%s/\n", got ? got : "(null)", re);
	return m;
}

static __attribute__((unused)) int
tap_done(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_n);
	else if (tap_planned != tap_n)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_n);
	return tap_failed != 0 || (tap_planned >= 0 && tap_planned != tap_n);
}

#endif
