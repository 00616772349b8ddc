/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * resp - resp_format against hiredis' own formatter: the same bytes for
 * empty, binary, long and many arguments; 0 when the buffer is one byte
 * short, at every length.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redisreply.h"
#include "resp.h"
#include "tap.h"

static void
same(int argc, const char **argv, const size_t *len, const char *name)
{
	char buf[70000], *want;
	long long n;
	size_t got;

	n = redisFormatCommandArgv(&want, argc, argv, len);
	got = resp_format(buf, sizeof(buf), argc, argv, len);
	ok(n > 0 && got == (size_t)n && memcmp(buf, want, got) == 0, "%s",
	    name);
	is_int((long long)resp_format(buf, got - 1, argc, argv, len), 0,
	    "one byte short: 0");
	is_int((long long)resp_format(buf, got, argc, argv, len),
	    (long long)got, "exactly enough: fits");
	free(want);
}

/* ints - resp_int: an integer reply or a string of digits, in range */
static void
ints(void)
{
	redisReply n = {.type = REDIS_REPLY_INTEGER, .integer = 42};
	redisReply st = {.type = REDIS_REPLY_STRING, .str = "17", .len = 2};
	redisReply junk = {.type = REDIS_REPLY_STRING, .str = "1x", .len = 2};
	redisReply nil = {.type = REDIS_REPLY_NIL};
	long long v = 0;

	ok(resp_int(&n, 0, 100, &v) == 0 && v == 42, "an integer reply");
	ok(resp_int(&st, 0, 100, &v) == 0 && v == 17, "a string of digits");
	ok(resp_int(&n, 0, 41, &v) == -1, "an integer past max: refused");
	ok(resp_int(&st, 18, 100, &v) == -1, "a string below min: refused");
	ok(resp_int(&junk, 0, 100, &v) == -1, "junk: refused");
	ok(resp_int(&nil, 0, 100, &v) == -1, "nil is no integer");
}

int
main(void)
{
	static char big[65536];
	const char *a1[] = {"PING"};
	const char *a2[] = {
	    "HINCRBY", "fg:{sasl:alice@example.com}", "m:3600:497222", "-1"};
	const char *a3[] = {"SET", "", "a\r\nb\0c"};
	size_t l1[] = {4}, l2[] = {7, 27, 13, 2}, l3[] = {3, 0, 6};
	const char *many[300];
	size_t lmany[300], lbig[] = {3, 1, sizeof(big)};
	const char *abig[] = {"SET", "k", big};
	int i;

	same(1, a1, l1, "one argument");
	{
		char b1[256], b2[256];
		size_t n1 = resp_format(b1, sizeof(b1), 4, a2, l2),
		       n2 = resp_format(b2, sizeof(b2), 4, a2, NULL);

		ok(n1 > 0 && n1 == n2 && memcmp(b1, b2, n1) == 0,
		    "no lengths: C strings, the same bytes");
	}
	same(4, a2, l2, "a limiter command");
	same(3, a3, l3, "an empty and a binary argument");
	for (i = 0; i < 300; i++) {
		many[i] = i % 2 ? "field" : "1234567890";
		lmany[i] = strlen(many[i]);
	}
	same(300, many, lmany, "300 arguments");
	memset(big, 'x', sizeof(big));
	same(3, abig, lbig, "a 64 KiB argument");
	is_int((long long)resp_format(big, sizeof(big), 0, a1, l1), 0,
	    "no arguments: nothing");
	ints();
	/* resp_field: a value by its field's name, pairs only */
	{
		redisReply *h = rarr(5, rstr("rule"), rstr("sasl-hour"),
		    rstr("at"), rnum(12), rstr("odd"));

		is_str(resp_field(h, "rule"), "sasl-hour", "a field's value");
		ok(resp_field(h, "at") == NULL,
		    "an integer is no string value");
		ok(resp_field(h, "odd") == NULL, "a name without a value");
		ok(resp_field(h, "none") == NULL, "a field not there");
		ok(resp_field(NULL, "rule") == NULL, "no reply");
		is_int(resp_count(h->element[3], 0, 100), 12,
		    "resp_count: an integer");
		is_int(resp_count(h->element[1], 0, 100), 0,
		    "resp_count: not a number counts 0");
		is_int(resp_count(NULL, 0, 100), 0, "resp_count: no reply");
		rfree(h);
		h = rstr("rule");
		ok(resp_field(h, "rule") == NULL, "not an array");
		rfree(h);
	}
	return tap_done();
}
