/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sentinel - the master's address from the sentinels.
 *
 * Entry points: sentinel_ask_init, sentinel_master, sentinel_seek.
 * A sentinel that does not know master_name answers nil: that is an
 * error of this sentinel (the next one is asked), not of Redis.
 */
#include <stdio.h>
#include <string.h>

#include "rconn.h"
#include "resp.h"
#include "sconn.h"
#include "sentinel.h"

void
sentinel_ask_init(struct sentinel_ask *a, const struct conf *c)
{
	memset(a, 0, sizeof(*a));
	if (c->redis.sentinel_password[0] != '\0') {
		a->argc[a->n] = 2;
		a->argv[a->n][0] = "AUTH";
		a->argv[a->n++][1] = c->redis.sentinel_password;
	}
	a->argc[a->n] = 3;
	a->argv[a->n][0] = "SENTINEL";
	a->argv[a->n][1] = "get-master-addr-by-name";
	a->argv[a->n++][2] = c->redis.master_name;
}

int
sentinel_master(const struct sentinel_ask *a, int i, const redisReply *r,
    char *server, size_t size, char *why, size_t whysize)
{
	const redisReply *h, *p;
	struct rconn_addr addr;
	long long port;

	if (r == NULL) {
		snprintf(why, whysize, "%s: no reply", a->argv[i][0]);
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, whysize, "%s: %.100s", a->argv[i][0], r->str);
		return -1;
	}
	if (i < a->n - 1)
		return 0; /* AUTH */
	if (r->type == REDIS_REPLY_NIL) {
		snprintf(why, whysize, "the sentinel knows no master '%.64s'",
		    a->argv[i][2]);
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    (h = r->element[0])->type != REDIS_REPLY_STRING ||
	    (p = r->element[1])->type != REDIS_REPLY_STRING || h->len == 0 ||
	    h->len > 200 || strlen(h->str) != h->len ||
	    resp_int(p, 1, 65535, &port) == -1) {
		snprintf(why, whysize, "unexpected SENTINEL reply");
		return -1;
	}
	snprintf(server, size,
	    strchr(h->str, ':') != NULL ? "[%s]:%lld" : "%s:%lld", h->str,
	    port);
	if (rconn_addr_parse(server, &addr, why, whysize) == -1)
		return -1;
	return 0;
}

/* sentinel_ask_one - ask sentinel s; 0 with server, or -1 with why */
static int
sentinel_ask_one(const struct conf *c, const char *s, char *server, size_t size,
    char *why, size_t whysize)
{
	struct sentinel_ask a;
	redisContext *rc;
	redisReply *r;
	int i, rv = 0;

	if ((rc = sconn_open(s, c->redis.timeout_ms, why, whysize)) == NULL)
		return -1;
	sentinel_ask_init(&a, c);
	for (i = 0; i < a.n && rv == 0; i++) {
		r = redisCommandArgv(rc, a.argc[i], a.argv[i], NULL);
		if (r == NULL) {
			snprintf(why, whysize, "%.100s", rc->errstr);
			rv = -1;
			break;
		}
		rv = sentinel_master(&a, i, r, server, size, why, whysize);
		freeReplyObject(r);
	}
	redisFree(rc);
	return rv;
}

int
sentinel_seek(const struct conf *c, int *next, char *server, size_t size,
    char *why, size_t whysize)
{
	char one[192];
	int k, i, n = c->redis.nsentinels;

	snprintf(why, whysize, "no sentinel");
	for (k = 0; k < n; k++) {
		i = (*next + k) % n;
		if (sentinel_ask_one(c, c->redis.sentinels[i], server, size,
		        one, sizeof(one)) == 0) {
			*next = i;
			return 0;
		}
		snprintf(why, whysize, "sentinel %.100s: %s",
		    c->redis.sentinels[i], one);
	}
	*next = n > 0 ? (*next + 1) % n : 0;
	return -1;
}
