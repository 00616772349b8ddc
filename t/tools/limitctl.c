/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitctl - one subject's decision by hand against a Redis (t/limiter.t):
 * the verdict (common/verdict.c) driven by the milter's own blocking
 * driver (common/syncrun.c), the clock pinned. Prints the subject's
 * result, one field a line: status, rule, what, value, limit, now_ms.
 *
 * usage: limitctl SOCKET PREFIX TYPE VALUE FLAGS NOW_MS MESSAGES RECIPIENTS
 *            BYTES NODE BY IP SENDER NLIMITS
 *            [NAME WINDOW MESSAGES RECIPIENTS BYTES IPS SENDERS AFTER TTL]...
 * FLAGS: "" enforce, "d" dry-run, "r" take back what such a request adds.
 * SOCKET "cluster:HOST:PORT": a Redis Cluster, that node its seed. With
 * LIMITCTL_REPEAT=K in the environment the verdict runs K times on the
 * same connection, LIMITCTL_PAUSE_MS apart (a slot may move meanwhile:
 * the connection follows -ASK and -MOVED); the last result is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "local.h"
#include "str.h"
#include "syncrun.h"
#include "verdict.h"

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

int
main(int argc, char **argv)
{
	static struct conf c;
	struct verdict_counts n = {0};
	struct verdict_decision d;
	struct verdict v;
	struct local *local;
	const struct limiter_result *res;
	redisContext *rc;
	struct sconn *sc;
	char err[SYNCRUN_ERR_MAX];
	struct timespec pause = {0, 0};
	long long repeat = 1;
	const char *s;
	bool failing;
	int i, nl, seed = 0;

	if (argc < 15 || (nl = (int)number(argv[14])) < 0 ||
	    nl > CONF_LIMITS_MAX || argc != 15 + 9 * nl) {
		fprintf(stderr, "usage: see t/tools/limitctl.c\n");
		return 2;
	}
	str_lcpy(c.redis.prefix, argv[2], sizeof(c.redis.prefix));
	str_lcpy(c.node, argv[10], sizeof(c.node));
	c.subject = (struct subject_opts){32, 64};
	c.dryrun = strcmp(argv[5], "d") == 0;
	n.now_ms = number(argv[6]);
	n.messages = number(argv[7]);
	n.recipients = number(argv[8]);
	n.bytes = number(argv[9]);
	for (i = 0; i < nl; i++) {
		struct conf_limit *cl = &c.limits[c.nlimits++];
		char **a = argv + 15 + 9 * i;

		str_lcpy(cl->name, a[0], sizeof(cl->name));
		cl->subject = (enum subject_type)subject_type_code(argv[3]);
		cl->window = number(a[1]);
		cl->messages = number(a[2]);
		cl->recipients = number(a[3]);
		cl->bytes = number(a[4]);
		cl->max_client_ips = number(a[5]);
		cl->max_senders = number(a[6]);
		cl->block_after = number(a[7]);
		cl->block_ttl = number(a[8]);
	}
	c.redis.timeout_ms = 2000;
	if (strncmp(argv[1], "cluster:", 8) == 0) {
		str_lcpy(c.redis.cluster[0], argv[1] + 8,
		    sizeof(c.redis.cluster[0]));
		c.redis.ncluster = 1;
		sc = sconn_dial_cluster(&c, &seed, err, sizeof(err));
	} else if ((rc = redisConnectUnix(argv[1])) != NULL && rc->err == 0)
		sc = sconn_wrap(&c, rc);
	else
		sc = NULL;
	if (sc == NULL) {
		fprintf(stderr, "limitctl: cannot connect to %s\n", argv[1]);
		return 1;
	}
	if ((s = getenv("LIMITCTL_REPEAT")) != NULL)
		repeat = number(s);
	if ((s = getenv("LIMITCTL_PAUSE_MS")) != NULL)
		pause.tv_nsec = number(s) % 1000 * 1000000;
again:
	/* the verdict exactly as the daemons run it, on one subject */
	verdict_init(&v, &c, argv[11]);
	if ((local = local_new()) == NULL ||
	    verdict_members(&v, argv[12], argv[13]) == -1 ||
	    verdict_add(&v, (enum subject_type)subject_type_code(argv[3]),
	        argv[4], &n, err, sizeof(err)) != 1) {
		fprintf(stderr, "limitctl: not a subject to count\n");
		return 1;
	}
	if (strcmp(argv[5], "r") == 0) {
		/* what a refused request of this subject takes back */
		if (verdict_limiter(&v, 0) == NULL ||
		    limiter_refund(v.sub[0].lim) == -1 ||
		    syncrun_limiter(sc, v.sub[0].lim, err, sizeof(err)) == -1)
			return 1;
		printf("0\n\n\n0\n0\n%lld\n", n.now_ms);
	} else {
		if (syncrun_verdict(
		        &v, sc, local, &failing, err, sizeof(err)) == -1 ||
		    v.sub[0].degraded) {
			fprintf(stderr, "limitctl: the round trip failed: %s\n",
			    err);
			return 1;
		}
		if (err[0] != '\0')
			fprintf(stderr, "limitctl: %s\n", err);
		verdict_decide(&v, &d);
		res = &v.sub[0].res;
		if (--repeat > 0) {
			verdict_free(&v);
			local_free(local);
			nanosleep(&pause, NULL);
			goto again;
		}
		printf("%d\n%s\n%s\n%lld\n%lld\n%lld\n", (int)res->status,
		    res->rule, res->what, res->value, res->limit, res->now_ms);
	}
	verdict_free(&v);
	local_free(local);
	sconn_free(sc);
	return 0;
}
