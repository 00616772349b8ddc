/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitctl - one limiter decision by hand against a Redis (t/limiter.t):
 * the commands of common/limiter.c, sent and answered on a blocking
 * connection, the clock pinned. Prints the result, one field a line:
 * status, rule, what, value, limit, now_ms.
 *
 * usage: limitctl SOCKET PREFIX TYPE VALUE FLAGS NOW_MS MESSAGES RECIPIENTS
 *            BYTES NODE BY IP SENDER NLIMITS
 *            [NAME WINDOW MESSAGES RECIPIENTS BYTES IPS SENDERS AFTER TTL]...
 * FLAGS: "" enforce, "d" dry-run, "r" take back what such a request adds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "limiter.h"
#include "str.h"

static long long
number(const char *s)
{
	long long v;

	if (str_tonum(s, -1, 1LL << 50, &v) == -1) {
		fprintf(stderr, "limitctl: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* round - send the commands laid out now, hand replies to take */
static int
round_trip(redisContext *rc, struct limiter *l, int take)
{
	const char *const *argv;
	const size_t *len;
	redisReply *r;
	int i, argc, bad = 0;

	for (i = 0; i < limiter_ncmd(l); i++) {
		limiter_cmd(l, i, &argc, &argv, &len);
		redisAppendCommandArgv(rc, argc, (const char **)argv, len);
	}
	for (i = 0; i < limiter_ncmd(l); i++) {
		if (redisGetReply(rc, (void **)&r) != REDIS_OK)
			return -1;
		if (r->type == REDIS_REPLY_ERROR)
			fprintf(stderr, "limitctl: %s\n", r->str);
		if (take && limiter_take(l, i, r) == -1)
			bad = 1;
		freeReplyObject(r);
	}
	return bad ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static struct conf c;
	struct limiter_req rq = {0};
	struct limiter_result res;
	struct limiter *l;
	redisContext *rc;
	int i, n;

	if (argc < 15 || (n = (int)number(argv[14])) < 0 ||
	    n > CONF_LIMITS_MAX || argc != 15 + 9 * n) {
		fprintf(stderr, "usage: see t/tools/limitctl.c\n");
		return 2;
	}
	str_lcpy(c.redis.prefix, argv[2], sizeof(c.redis.prefix));
	str_lcpy(c.node, argv[10], sizeof(c.node));
	rq.type = (enum subject_type)subject_type_code(argv[3]);
	rq.value = argv[4];
	rq.mode = strcmp(argv[5], "d") == 0 ? LIMITER_DRYRUN : LIMITER_ENFORCE;
	rq.now_ms = number(argv[6]);
	rq.messages = number(argv[7]);
	rq.recipients = number(argv[8]);
	rq.bytes = number(argv[9]);
	rq.by = argv[11];
	rq.ip = argv[12];
	rq.sender = argv[13];
	for (i = 0; i < n; i++) {
		struct conf_limit *cl = &c.limits[c.nlimits++];
		char **a = argv + 15 + 9 * i;

		str_lcpy(cl->name, a[0], sizeof(cl->name));
		cl->subject = rq.type;
		cl->window = number(a[1]);
		cl->messages = number(a[2]);
		cl->recipients = number(a[3]);
		cl->bytes = number(a[4]);
		cl->max_client_ips = number(a[5]);
		cl->max_senders = number(a[6]);
		cl->block_after = number(a[7]);
		cl->block_ttl = number(a[8]);
	}
	if ((rc = redisConnectUnix(argv[1])) == NULL || rc->err) {
		fprintf(stderr, "limitctl: cannot connect to %s\n", argv[1]);
		return 1;
	}
	if ((l = limiter_start(&c, &rq)) == NULL) {
		fprintf(stderr, "limitctl: limiter_start failed\n");
		return 1;
	}
	if (strcmp(argv[5], "r") == 0) {
		if (limiter_refund(l) == -1 || round_trip(rc, l, 0) == -1)
			return 1;
		printf("0\n\n\n0\n0\n%lld\n", rq.now_ms);
		limiter_free(l);
		redisFree(rc);
		return 0;
	}
	if (round_trip(rc, l, 1) == -1 || limiter_finish(l, &res) == -1 ||
	    round_trip(rc, l, 0) == -1) {
		fprintf(stderr, "limitctl: the round trip failed\n");
		return 1;
	}
	printf("%d\n%s\n%s\n%lld\n%lld\n%lld\n", (int)res.status, res.rule,
	    res.what, res.value, res.limit, res.now_ms);
	limiter_free(l);
	redisFree(rc);
	return 0;
}
