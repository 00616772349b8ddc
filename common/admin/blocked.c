/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * blocked - every blocked subject, cluster-wide, without a scan of the
 * key space: the daemons' index fg:blocked (one member "type:value" a
 * block, scored by its expiry) read at once, then each member's block
 * hash, pipelined. A member whose block is gone (expired, or lifted by
 * an admin's DEL as the README shows) is not listed; the index itself
 * is only ever pruned by the daemons, so this command writes nothing.
 * Newest block first.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocked.h"
#include "keys.h"
#include "limiter.h"
#include "out.h"
#include "resp.h"
#include "str.h"

struct blocked_row {
	long long at;
	char *v[7];
};

static const struct out_col blocked_cols[] = {
    {"SUBJECT", "subject", false},
    {"RULE", "rule", false},
    {"REASON", "reason", false},
    {"SINCE", "at", true},
    {"NODE", "node", false},
    {"BY", "by", false},
    {"EXPIRES", "expires", true},
};

/* blocked_field - field f of an HGETALL reply, or "" */
static const char *
blocked_field(const redisReply *h, const char *f)
{
	const char *v = resp_field(h, f);

	return v != NULL ? v : "";
}

/* blocked_cmp - newest first */
static int
blocked_cmp(const void *a, const void *b)
{
	const struct blocked_row *x = a, *y = b;

	return x->at < y->at ? 1 : x->at > y->at ? -1 : 0;
}

/* blocked_fill - row r from member m, its expiry score and its hash h;
 * 0, 1 when the block is gone, -1 out of memory */
static int
blocked_fill(const struct ctx *x, struct blocked_row *r, const char *m,
    const char *score, const redisReply *h)
{
	char since[32], exp[64], t[32];
	const char *at = blocked_field(h, "at");
	long long v, now = x->now_ms / 1000;
	int i;

	if (h->type != REDIS_REPLY_ARRAY || h->elements == 0)
		return 1;
	r->at = str_tonum(at, 0, LIMITER_COUNT_MAX, &v) == 0 ? v : 0;
	if (x->json)
		snprintf(since, sizeof(since), "%lld", r->at);
	else
		snprintf(since, sizeof(since), "%s ago",
		    ctx_age(now - r->at, t, sizeof(t)));
	if (str_tonum(score, 0, LIMITER_COUNT_MAX, &v) == -1)
		snprintf(exp, sizeof(exp), x->json ? "" : "until lifted");
	else if (x->json)
		snprintf(exp, sizeof(exp), "%lld", v);
	else
		snprintf(
		    exp, sizeof(exp), "in %s", ctx_age(v - now, t, sizeof(t)));
	r->v[0] = strdup(m);
	r->v[1] = strdup(blocked_field(h, "rule"));
	r->v[2] = strdup(blocked_field(h, "reason"));
	r->v[3] = strdup(since);
	r->v[4] = strdup(blocked_field(h, "node"));
	r->v[5] = strdup(blocked_field(h, "by"));
	r->v[6] = strdup(exp);
	for (i = 0; i < 7; i++)
		if (r->v[i] == NULL)
			return -1;
	return 0;
}

/* blocked_read - the index's members and their blocks into rows;
 * the number of rows, or -1 (said) */
static int
blocked_read(struct ctx *x, const redisReply *idx, struct blocked_row *rows)
{
	int nm = (int)(idx->elements / 2), n = 0, i, rc = 0;
	char(*key)[LIMITER_KEY_MAX] = calloc((size_t)nm + 1, sizeof(*key));
	const char **kp = calloc((size_t)nm + 1, sizeof(*kp));
	redisReply **rep = calloc((size_t)nm + 1, sizeof(*rep));

	if (key == NULL || kp == NULL || rep == NULL) {
		ctx_error("out of memory");
		n = -1;
		goto done;
	}
	for (i = 0; i < nm; i++) {
		snprintf(key[i], sizeof(key[i]), "%s{%s}" KEYS_BLOCK,
		    x->c->redis.prefix, ctx_str(idx->element[2 * i]));
		kp[i] = key[i];
	}
	if (ctx_keys(x, "HGETALL", kp, nm, rep) == -1) {
		n = -1;
		goto done;
	}
	for (i = 0; i < nm; i++) {
		if (rc != -1 &&
		    (rc = blocked_fill(x, &rows[n],
		         ctx_str(idx->element[2 * i]),
		         ctx_str(idx->element[2 * i + 1]), rep[i])) == 0)
			n++;
		freeReplyObject(rep[i]);
	}
	if (rc == -1) {
		ctx_error("out of memory");
		n = -1;
	}
done:
	free(key);
	free(kp);
	free(rep);
	return n;
}

int
blocked_main(struct ctx *x, int argc, char **argv)
{
	char idxk[CONF_NAME_MAX + 16];
	const char *zr[] = {"ZRANGE", idxk, "0", "-1", "WITHSCORES"};
	struct blocked_row *rows;
	struct out *o;
	redisReply *idx;
	int n, i, j, rc = CTX_OK;

	(void)argv;
	if (argc != 1) {
		ctx_error("usage: floodgate [-j] blocked");
		return CTX_ERR;
	}
	if (ctx_redis(x) == -1)
		return CTX_ERR;
	snprintf(idxk, sizeof(idxk), "%s" KEYS_BLOCKED, x->c->redis.prefix);
	if ((idx = ctx_run(x, 5, zr)) == NULL)
		return CTX_ERR;
	if (idx->type != REDIS_REPLY_ARRAY || idx->elements % 2 != 0) {
		ctx_error("redis: %s is not a sorted set", idxk);
		freeReplyObject(idx);
		return CTX_ERR;
	}
	rows = calloc(idx->elements / 2 + 1, sizeof(*rows));
	if (rows == NULL || (n = blocked_read(x, idx, rows)) == -1) {
		if (rows == NULL)
			ctx_error("out of memory");
		free(rows);
		freeReplyObject(idx);
		return CTX_ERR;
	}
	qsort(rows, (size_t)n, sizeof(*rows), blocked_cmp);
	if ((o = out_new(NULL, NULL, 7, blocked_cols, x->json)) == NULL)
		rc = CTX_ERR;
	for (i = 0; i < n && rc == CTX_OK; i++)
		if (out_row(o, (const char *const *)rows[i].v) == -1)
			rc = CTX_ERR;
	out_end(o);
	for (i = 0; i < (int)(idx->elements / 2); i++)
		for (j = 0; j < 7; j++)
			free(rows[i].v[j]);
	free(rows);
	freeReplyObject(idx);
	if (rc == CTX_ERR)
		ctx_error("out of memory");
	else if (n == 0 && !x->json)
		printf("nothing is blocked\n");
	return rc != CTX_OK ? rc : n == 0 ? CTX_NONE : CTX_OK;
}
