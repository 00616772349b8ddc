/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitcmd - the commands common/limiter.c lays out for a subject, exact;
 * replies of the wrong shape refused (Redis replies are input too); the
 * decision from hand-made replies; the clock learnt from TIME.
 * t/limiter.t runs the same code against a real redis-server.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "limiter.h"
#include "redisreply.h"
#include "str.h"
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
	if (len != NULL)
		return "lengths given: the arguments are C strings";
	for (a = 0; a < argc && n + strlen(argv[a]) + 2 < sizeof(buf); a++) {
		if (a > 0)
			buf[n++] = ' ';
		memcpy(buf + n, argv[a], strlen(argv[a]));
		n += strlen(argv[a]);
	}
	buf[n] = '\0';
	return buf;
}

/* take - reply i, freed after */
static int
take(struct limiter *l, int i, redisReply *r)
{
	int rc = limiter_take(l, i, r);

	rfree(r);
	return rc;
}

/* take_follow - follow-up reply i, freed after */
static int
take_follow(struct limiter *l, int i, redisReply *r)
{
	int rc = limiter_follow(l, i, r);

	rfree(r);
	return rc;
}

/* reply - a reply of the right shape for command i: no block, one ip,
 * big counts, the last bucket long ago */
static redisReply *
reply(const struct limiter *l, int i)
{
	const char *const *argv;
	const size_t *len;
	redisReply *r;
	int argc, a;

	limiter_cmd(l, i, &argc, &argv, &len);
	if (strcmp(argv[0], "HGETALL") == 0)
		return rarr(0);
	if (strcmp(argv[0], "ZCOUNT") == 0)
		return rnum(1);
	if (strcmp(argv[0], "HMGET") != 0)
		return rnum(999999999999999LL);
	r = rarr_of((size_t)argc - 2);
	for (a = 2; a < argc; a++)
		r->element[a - 2] =
		    rstr(argv[a][0] == 'L' ? "12" : "999999999999999");
	return r;
}

/* worst - the most a subject can need: 32 limits with the longest names,
 * every metric, ip and sender sets, the longest prefix and value; over
 * every limit with a block, buckets rolled from long ago, then a refund:
 * every command must fit the bounds limiter_start allocates */
static void
worst(void)
{
	static struct conf w;
	static char value[SUBJECT_VALUE_MAX], ip[64], sender[SUBJECT_VALUE_MAX];
	struct limiter_req rq = {.type = SUBJECT_SASL,
	    .value = value,
	    .messages = 999999999,
	    .recipients = 999999999,
	    .bytes = 999999999999,
	    .ip = ip,
	    .sender = sender,
	    .by = "policyd",
	    .now_ms = 9000000000000000LL};
	struct limiter_result res;
	struct limiter *l;
	int i, bad = 0;

	memset(w.redis.prefix, 'p', CONF_NAME_MAX - 1);
	memset(w.node, 'n', CONF_NAME_MAX - 1);
	memset(value, 'v', sizeof(value) - 1);
	memset(sender, 's', sizeof(sender) - 1);
	strcpy(ip, "2001:db8:1:2::/64");
	for (i = 0; i < CONF_LIMITS_MAX; i++) {
		struct conf_limit *cl = &w.limits[w.nlimits++];

		memset(cl->name, 'a' + i % 26, CONF_NAME_MAX - 1);
		cl->name[0] = (char)('A' + i);
		cl->subject = SUBJECT_SASL;
		cl->window = 1 + i;
		cl->messages = cl->recipients = cl->bytes = 1;
		cl->max_client_ips = cl->max_senders = 1000000000;
		cl->block_after = 1;
		cl->block_ttl = 999999999;
	}
	l = limiter_start(&w, &rq);
	ok(l != NULL, "the largest subject starts");
	if (l == NULL)
		return;
	for (i = 0; i < limiter_ncmd(l); i++) {
		redisReply *r = reply(l, i);

		bad |= limiter_take(l, i, r) == -1;
		rfree(r);
	}
	ok(!bad, "its %d replies are taken", limiter_ncmd(l));
	is_int(limiter_finish(l, &res), 0, "its follow-ups fit");
	is_int(res.status, LIMITER_OVER_BLOCK, "over, blocked");
	ok(limiter_ncmd(l) > 3 * CONF_LIMITS_MAX,
	    "rollover of every limit, take-back and block laid out (%d)",
	    limiter_ncmd(l));
	is_int(limiter_refund(l), 0, "a refund fits too");
	limiter_free(l);
}

/* sweep - every count of limits (1..32) with every set of metrics (none:
 * a request that only checks), short names, sets, rollover from long
 * ago, over with a block: the follow-ups are always laid out whole (a
 * hand-counted layout once failed here: the caller then fell back to
 * local counters and sent neither the rollover nor a block) */
static void
sweep(void)
{
	static struct conf w;
	struct limiter_result res;
	struct limiter *l;
	int n, set, i, bad = 0, cases = 0;

	str_lcpy(w.redis.prefix, "fg:", sizeof(w.redis.prefix));
	str_lcpy(w.node, "n1", sizeof(w.node));
	for (n = 1; n <= CONF_LIMITS_MAX; n++)
		for (set = 0; set < 8; set++) {
			struct limiter_req rq = {.type = SUBJECT_SASL,
			    .value = "a",
			    .messages = set & 1,
			    .recipients = (set & 2) != 0,
			    .bytes = (set & 4) ? 10 : 0,
			    .ip = "192.0.2.1",
			    .sender = "b@c",
			    .by = "milter",
			    .now_ms = 1700000000000LL};

			w.nlimits = n;
			for (i = 0; i < n; i++) {
				struct conf_limit *cl = &w.limits[i];

				snprintf(cl->name, sizeof(cl->name), "%c",
				    'a' + i % 26);
				cl->subject = SUBJECT_SASL;
				cl->window = 60 + i;
				cl->messages = cl->recipients = cl->bytes = 1;
				cl->max_client_ips = cl->max_senders = 5;
				cl->block_after = 1;
				cl->block_ttl = 60;
			}
			cases++;
			if ((l = limiter_start(&w, &rq)) == NULL) {
				bad++;
				continue;
			}
			for (i = 0; i < limiter_ncmd(l); i++) {
				redisReply *r = reply(l, i);

				bad += limiter_take(l, i, r) == -1;
				rfree(r);
			}
			bad += limiter_finish(l, &res) == -1 ||
			    res.status !=
			        (set ? LIMITER_OVER_BLOCK : LIMITER_PASS) ||
			    limiter_ncmd(l) < 2 * n;
			bad += limiter_refund(l) == -1;
			limiter_free(l);
		}
	ok(bad == 0,
	    "%d subjects of 1-32 limits: every follow-up laid out "
	    "(%d failed)",
	    cases, bad);
}

/* the first round trip of alice: command, and what it is for */
static const char *const first[][2] = {
    {"HMGET fg:{sasl:alice@example.com}:limits exempt messages:3600 "
     "recipients:3600",
        "exemption and overrides"},
    {"HGETALL fg:{sasl:alice@example.com}:block", "the block, and why"},
    {"HINCRBY fg:{sasl:alice@example.com} m:3600:500000 1",
        "the current message bucket counted first"},
    {"HINCRBY fg:{sasl:alice@example.com} r:3600:500000 1",
        "the recipient bucket"},
    {"HMGET fg:{sasl:alice@example.com} m:3600:499999 r:3600:499999 "
     "d:sasl-hour:500000 d:sasl-hour:499999 L:sasl-hour",
        "previous buckets, denials, last bucket in one read"},
    {"ZADD fg:{sasl:alice@example.com}:ips 1800001800000 203.0.113.7",
        "the client ip recorded"},
    {"ZCOUNT fg:{sasl:alice@example.com}:ips 1799998200000 +inf",
        "and counted over the window"},
};

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
	int i;

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
	for (i = 0; i < 7; i++)
		is_str(cmdline(l, i), first[i][0], first[i][1]);

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
	/* no count from Redis reaches arithmetic or a cast out of range */
	ok(take(l, 4,
	       rarr(5, rstr("4611686018427387903"), rstr(NULL), rstr(NULL),
	           rstr(NULL), rstr(NULL))) == -1,
	    "a count of 2^62: refused (count + weighted count overflows)");
	ok(take(l, 4,
	       rarr(5, rstr(NULL), rstr(NULL), rstr(NULL), rstr(NULL),
	           rstr("-9223372036854775808"))) == -1,
	    "a last bucket of -2^63: refused");
	ok(take(l, 2, rnum(1LL << 62)) == -1, "an HINCRBY of 2^62: refused");
	ok(take(l, 6, rnum(-(1LL << 62))) == -1, "a ZCOUNT of -2^62: refused");

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
	is_str(cmdline(l, 2), "ZADD fg:blocked +inf sasl:alice@example.com",
	    "in the index of blocks, until lifted (no ttl)");
	ok(strncmp(cmdline(l, 3), "ZREMRANGEBYSCORE fg:blocked -inf (", 34) ==
	        0,
	    "whose expired entries are pruned");
	ok(strncmp(cmdline(l, 4), "XADD fg:events MAXLEN ~ 10000 * event block",
	       43) == 0,
	    "with its event");
	is_str(cmdline(l, 5),
	    "HSETNX fg:{sasl:alice@example.com}:block "
	    "notified mx1",
	    "the node that creates the field notifies the block");
	is_str(cmdline(l, 6),
	    "HINCRBY fg:{sasl:alice@example.com} m:3600:500000 -1",
	    "the refused message taken back");
	is_str(cmdline(l, 7),
	    "HINCRBY fg:{sasl:alice@example.com} r:3600:500000 -1",
	    "and its recipient");
	is_int(
	    limiter_ncmd(l), 9, "and the ip set's TTL (alone in its window)");
	is_int(limiter_messages(l), 1, "one message counted against a limit");
	ok(limiter_notifies(l) == NULL, "not the notifier before the reply");
	is_int(take_follow(l, 5, rnum(0)), 0, "HSETNX: 0, another node's");
	ok(limiter_notifies(l) == NULL, "so not this one");
	is_int(take_follow(l, 5, rnum(1)), 0, "HSETNX: 1, created here");
	is_str(limiter_notifies(l) != NULL ? limiter_notifies(l) : "(none)",
	    "messages over limit 10, 3 denials",
	    "this node notifies, with the reason written");
	limiter_free(l);

	/* the clock: Redis' time, whatever this host says */
	ok(clock_learn(NULL) == -1, "no TIME reply: refused");
	t = rarr(2, rstr("x"), rstr("1"));
	ok(clock_learn(t) == -1, "a TIME of junk: refused");
	rfree(t);
	t = rarr(2, rstr("922337203685477580"), rstr("1"));
	ok(clock_learn(t) == -1, "a TIME whose ms overflow: refused");
	rfree(t);
	t = rarr(2, rstr("1000000000"), rstr("1000000"));
	ok(clock_learn(t) == -1, "a microsecond field of 10^6: refused");
	rfree(t);
	t = rarr(2, rstr("1000000000"), rstr("250000"));
	is_int(clock_learn(t), 0, "TIME 2001-09-09T01:46:40.25Z learnt");
	rfree(t);
	now = clock_now_ms();
	ok(now >= 1000000000250LL && now < 1000000000250LL + 5000,
	    "now is Redis' time, not this host's");
	ok(!clock_stale(), "and fresh");
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
	worst();
	sweep();
	return tap_done();
}
