/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctx - the config, the Redis connection and the errors of floodgate(8).
 *
 * Every command goes through ctx_run or ctx_batch, so an error reply or a
 * lost connection is said once, naming the command, and the subcommand
 * stops with exit status 2 (never a partial write reported as done).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctx.h"

void
ctx_error(const char *fmt, ...)
{
	va_list ap;

	fputs("floodgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
ctx_redis(struct ctx *x)
{
	static const char *const time[] = {"TIME"};
	char why[256];
	redisReply *r;

	if ((x->sc = sconn_reach(x->c, why, sizeof(why))) == NULL) {
		ctx_error("redis: %s", why);
		return -1;
	}
	if ((r = ctx_run(x, 1, time)) == NULL)
		return -1;
	if (clock_learn(r) == -1) {
		ctx_error("redis: TIME: bad reply");
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	x->now_ms = clock_now_ms();
	return 0;
}

redisReply *
ctx_run(struct ctx *x, int argc, const char *const *argv)
{
	redisReply *r = NULL;

	if (ctx_batch(x, 1, &argc, &argv, &r) == -1)
		return NULL;
	if (r->type == REDIS_REPLY_ERROR) {
		ctx_error("redis: %s: %.200s", argv[0], r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

int
ctx_batch(struct ctx *x, int n, const int *argc, const char *const *const *argv,
    redisReply **out)
{
	int i, got = 0;

	for (i = 0; i < n; i++)
		if (sconn_append(x->sc, argc[i], argv[i], NULL) == -1)
			break;
	for (; got < i; got++)
		if (sconn_get(x->sc, &out[got]) == -1 || out[got] == NULL)
			break;
	if (got == n)
		return 0;
	while (got-- > 0) {
		freeReplyObject(out[got]);
		out[got] = NULL;
	}
	ctx_error("redis: %s", sconn_why(x->sc));
	return -1;
}

int
ctx_keys(struct ctx *x, const char *verb, const char *const *keys, int n,
    redisReply **out)
{
	const char *argv[CTX_BATCH_MAX][2], *const *av[CTX_BATCH_MAX];
	int argc[CTX_BATCH_MAX], at, k;

	for (at = 0; at < n; at += k) {
		for (k = 0; k < CTX_BATCH_MAX && at + k < n; k++) {
			argv[k][0] = verb;
			argv[k][1] = keys[at + k];
			av[k] = argv[k];
			argc[k] = 2;
		}
		if (ctx_batch(x, k, argc, av, out + at) == -1) {
			while (at-- > 0) {
				freeReplyObject(out[at]);
				out[at] = NULL;
			}
			return -1;
		}
	}
	return 0;
}

const char *
ctx_str(const redisReply *r)
{
	if (r != NULL &&
	    (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS))
		return r->str;
	return "";
}

const char *
ctx_age(long long s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, size, "%lldd%lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%lldh%lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%lldm%llds", s / 60, s % 60);
	else
		snprintf(buf, size, "%llds", s);
	return buf;
}
