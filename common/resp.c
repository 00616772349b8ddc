/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * resp - RESP command encoding: "*N\r\n" then "$LEN\r\nDATA\r\n" per
 * argument. Entry point: resp_format. Bounds are checked before every
 * copy.
 */
#include <string.h>

#include "resp.h"
#include "str.h"

/* resp_num - "<c><n>\r\n" at p; the end, or NULL when past end */
static char *
resp_num(char *p, const char *end, char c, size_t n)
{
	size_t k;

	/* the digits' NUL lands where \r goes */
	if (end - p < 4 ||
	    (k = str_lltoa(p + 1, (size_t)(end - p) - 2, (long long)n)) == 0)
		return NULL;
	*p = c;
	p += 1 + k;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

size_t
resp_format(char *buf, size_t size, int argc, const char *const *argv,
    const size_t *argvlen)
{
	const char *end = buf + size;
	char *p = buf;
	int i;

	if (argc < 1 || (p = resp_num(p, end, '*', (size_t)argc)) == NULL)
		return 0;
	for (i = 0; i < argc; i++) {
		size_t n = argvlen != NULL ? argvlen[i] : strlen(argv[i]);

		if ((p = resp_num(p, end, '$', n)) == NULL ||
		    (size_t)(end - p) < n + 2)
			return 0;
		memcpy(p, argv[i], n);
		p += n;
		*p++ = '\r';
		*p++ = '\n';
	}
	return (size_t)(p - buf);
}

int
resp_int(const redisReply *e, long long min, long long max, long long *v)
{
	if (e->type == REDIS_REPLY_INTEGER) {
		if (e->integer < min || e->integer > max)
			return -1;
		*v = e->integer;
		return 0;
	}
	if (e->type != REDIS_REPLY_STRING || e->len > 20)
		return -1;
	return str_tonum(e->str, min, max, v);
}

long long
resp_count(const redisReply *e, long long min, long long max)
{
	long long v;

	return e != NULL && resp_int(e, min, max, &v) == 0 ? v : 0;
}

const char *
resp_field(const redisReply *pairs, const char *name)
{
	size_t i;

	if (pairs == NULL || pairs->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < pairs->elements; i += 2)
		if (pairs->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(pairs->element[i]->str, name) == 0)
			return pairs->element[i + 1]->type == REDIS_REPLY_STRING
			    ? pairs->element[i + 1]->str
			    : NULL;
	return NULL;
}
