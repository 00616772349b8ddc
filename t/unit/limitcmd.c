/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitcmd - the commands common/limiter.c lays out for a subject, exact;
 * replies of the wrong shape refused (Redis replies are input too); the
 * decision from hand-made replies; the clock learnt from TIME.
 * t/limiter.t runs the same code against a real redis-server.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "limiter.h"
#include "tap.h"

static struct conf conf;

/* cmdline - command i as one space-separated line */
static const char *
cmdline(const struct limiter *l, int i)
{
	static char buf[1024];
	const char *const *argv;
	const size_t *len;
	size_t n = 0;
	int argc, a;

	limiter_cmd(l, i, &argc, &argv, &len);
	buf[0] = '\0';
	for (a = 0; a < argc && n + len[a] + 2 < sizeof(buf); a++) {
		if (a > 0)
			buf[n++] = ' ';
		memcpy(buf + n, argv[a], len[a]);
		n += len[a];
	}
	buf[n] = '\0';
	return buf;
}

/* replies made by hand */
static redisReply *
rnum(long long v)
{
	redisReply *r = calloc(1, sizeof(*r));

	r->type = REDIS_REPLY_INTEGER;
	r->integer = v;
	return r;
}

static redisReply *
rstr(const char *s)
{
	redisReply *r = calloc(1, sizeof(*r));

	r->type = s != NULL ? REDIS_REPLY_STRING : REDIS_REPLY_NIL;
	r->str = (char *)s;
	r->len = s != NULL ? strlen(s) : 0;
	return r;
}

static redisReply *
rarr(size_t n, ...)
{
	redisReply *r = calloc(1, sizeof(*r));
	va_list ap;
	size_t i;

	r->type = REDIS_REPLY_ARRAY;
	r->elements = n;
	r->element = calloc(n ? n : 1, sizeof(*r->element));
	va_start(ap, n);
	for (i = 0; i < n; i++)
		r->element[i] = va_arg(ap, redisReply *);
	va_end(ap);
	return r;
}

static void
rfree(redisReply *r)
{
	size_t i;

	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		rfree(r->element[i]);
	free(r->element);
	free(r);
}

/* take - reply i, freed after */
static int
take(struct limiter *l, int i, redisReply *r)
{
	int rc = limiter_take(l, i, r);

	rfree(r);
	return rc;
}

int
main(void)
{
	struct limiter_req rq = {.type = SUBJECT_SASL,
	    .value = "alice@example.com",
	    .messages = 1,
	    .recipients = 1,
	    .ip = "203.0.113.7",
	    .sender = "",
	    .by = "policyd",
	    .now_ms = 3600000LL * 500000 + 1800000}; /* half way in a bucket */
	struct conf_limit *cl = &conf.limits[0];
	struct limiter_result res;
	struct limiter *l;
	redisReply *t;
	long long now;

	strcpy(conf.redis.prefix, "fg:");
	strcpy(conf.node, "mx1");
	strcpy(cl->name, "sasl-hour");
	cl->subject = SUBJECT_SASL;
	cl->window = 3600;
	cl->messages = 10;
	cl->recipients = 100;
	cl->max_client_ips = 5;
	cl->block_after = 3;
	conf.nlimits = 1;

	l = limiter_start(&conf, &rq);
	ok(l != NULL, "limiter_start");
	is_int(limiter_ncmd(l), 7, "7 commands for one limit, 2 metrics, ips");
	is_str(cmdline(l, 0),
	    "HMGET fg:{sasl:alice@example.com}:limits exempt messages:3600 "
	    "recipients:3600",
	    "exemption and overrides");
	is_str(cmdline(l, 1), "HGETALL fg:{sasl:alice@example.com}:block",
	    "the block, and why");
	is_str(cmdline(l, 2),
	    "HINCRBY fg:{sasl:alice@example.com} m:3600:500000 1",
	    "the current message bucket counted first");
	is_str(cmdline(l, 3),
	    "HINCRBY fg:{sasl:alice@example.com} r:3600:500000 1",
	    "the recipient bucket");
	is_str(cmdline(l, 4),
	    "HMGET fg:{sasl:alice@example.com} m:3600:499999 r:3600:499999 "
	    "d:sasl-hour:500000 d:sasl-hour:499999 L:sasl-hour",
	    "previous buckets, denials, last bucket in one read");
	is_str(cmdline(l, 5),
	    "ZADD fg:{sasl:alice@example.com}:ips 1800001800000 203.0.113.7",
	    "the client ip recorded");
	is_str(cmdline(l, 6),
	    "ZCOUNT fg:{sasl:alice@example.com}:ips 1799998200000 +inf",
	    "and counted over the window");

	/* wrong shapes are refused */
	ok(take(l, 0, rnum(1)) == -1, "an integer for HMGET: refused");
	ok(take(l, 0, rarr(2, rstr(NULL), rstr(NULL))) == -1,
	    "too few elements: refused");
	ok(limiter_take(l, 1, NULL) == -1, "no reply: refused");
	ok(take(l, 1, rstr("1")) == -1, "a string for HGETALL: refused");
	ok(take(l, 1, rarr(1, rstr("rule"))) == -1,
	    "a block hash of an odd length: refused");
	ok(take(l, 2, rstr("1")) == -1, "a string for HINCRBY: refused");
	ok(take(l, 4,
	       rarr(5, rstr("12junk"), rstr(NULL), rstr(NULL), rstr(NULL),
	           rstr(NULL))) == -1,
	    "a count that is no number: refused");
	ok(take(l, 4,
	       rarr(5, rstr("99999999999999999999999"), rstr(NULL), rstr(NULL),
	           rstr(NULL), rstr(NULL))) == -1,
	    "an overlong count: refused");

	/* a decision from replies: 10 messages this bucket, 4 the last one
	 * (weight 0.5): 10 + 2 > 10, over; the 3rd denial blocks */
	is_int(take(l, 0,
	           rarr(3, rstr(NULL), rstr("junk is ignored"), rstr(NULL))),
	    0, "an override that is no number is ignored");
	is_int(take(l, 1, rarr(0)), 0, "no block");
	is_int(take(l, 2, rnum(10)), 0, "HINCRBY: 10 messages with this one");
	is_int(take(l, 3, rnum(10)), 0, "10 recipients");
	is_int(take(l, 4,
	           rarr(5, rstr("4"), rstr(NULL), rstr("2"), rstr(NULL),
	               rstr("500000"))),
	    0, "4 before, 2 denials, same bucket");
	is_int(take(l, 5, rnum(1)), 0, "ZADD");
	is_int(take(l, 6, rnum(1)), 0, "1 ip");
	is_int(limiter_finish(l, &res), 0, "finish");
	is_int(
	    res.status, LIMITER_OVER_BLOCK, "over, and the 3rd denial blocks");
	is_str(res.rule, "sasl-hour", "rule");
	is_str(res.what, "messages", "what");
	is_int(res.value, 12, "value 10 + 4 x 0.5");
	is_int(res.limit, 10, "limit");
	is_str(cmdline(l, 0),
	    "HINCRBY fg:{sasl:alice@example.com} d:sasl-hour:500000 1",
	    "the denial counted");
	ok(strncmp(cmdline(l, 1),
	       "HSET fg:{sasl:alice@example.com}:block reason messages over "
	       "limit 10, 3 denials rule sasl-hour value 12 limit 10 at ",
	       112) == 0,
	    "the block written");
	ok(strncmp(cmdline(l, 2), "XADD fg:events MAXLEN ~ 10000 * event block",
	       43) == 0,
	    "with its event");
	is_str(cmdline(l, 3),
	    "HINCRBY fg:{sasl:alice@example.com} m:3600:500000 -1",
	    "the refused message taken back");
	is_str(cmdline(l, 4),
	    "HINCRBY fg:{sasl:alice@example.com} r:3600:500000 -1",
	    "and its recipient");
	is_int(
	    limiter_ncmd(l), 6, "and the ip set's TTL (alone in its window)");
	limiter_free(l);

	/* the clock: Redis' time, whatever this host says */
	ok(limiter_clock(NULL) == -1, "no TIME reply: refused");
	t = rarr(2, rstr("x"), rstr("1"));
	ok(limiter_clock(t) == -1, "a TIME of junk: refused");
	rfree(t);
	t = rarr(2, rstr("1000000000"), rstr("250000"));
	is_int(limiter_clock(t), 0, "TIME 2001-09-09T01:46:40.25Z learnt");
	rfree(t);
	now = limiter_now_ms();
	ok(now >= 1000000000250LL && now < 1000000000250LL + 5000,
	    "now is Redis' time, not this host's");
	ok(!limiter_clock_stale(), "and fresh");
	rq.now_ms = 0;
	l = limiter_start(&conf, &rq);
	ok(l != NULL && strstr(cmdline(l, 2), "m:3600:277777 1") != NULL,
	    "its buckets are Redis' hour");
	limiter_free(l);
	/* a block an admin wrote by hand, with a field of their own */
	l = limiter_start(&conf, &rq);
	is_int(take(l, 0, rarr(3, rstr(NULL), rstr(NULL), rstr(NULL))), 0,
	    "no override");
	is_int(take(l, 1,
	           rarr(4, rstr("note"), rstr("ticket 42"), rstr("reason"),
	               rstr("abuse\r\nreport"))),
	    0, "a block hash of one's own");
	is_int(limiter_finish(l, &res), 0, "finish");
	is_int(res.status, LIMITER_BLOCKED, "is a block");
	is_str(res.what, "abuse??report", "its reason, made printable");
	limiter_free(l);
	rq.mode = LIMITER_REFUND;
	ok(limiter_start(&conf, &rq) == NULL, "refund is not a start mode");
	return tap_done();
}
