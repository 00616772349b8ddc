/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * top - the subjects with the most messages in the last minute,
 * cluster-wide: every node's per-minute sorted set (common/topset.h) of
 * this minute and the last one, weighted as a sliding window, summed
 * (ZUNION: one slot thanks to the hash tag), each of the first N marked
 * blocked or not. Every type a limit counts, or the one asked for.
 * A node writes every few seconds: the last ones are not in yet.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "limiter.h"
#include "out.h"
#include "str.h"
#include "top.h"
#include "topset.h"
#include "window.h"

#define TOP_MAX 1000 /* -n at most */

struct top_row {
	const char *value;
	double n;
};

static const struct out_col top_cols[] = {{"SUBJECT", "subject", false},
    {"MESSAGES/MIN", "messages", true}, {"BLOCKED", "blocked", false}};

/* top_cmp - most messages first, then by name */
static int
top_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->value, y->value);
}

/* top_blocked - whether each row's subject is blocked, into blk; 0 or
 * -1 (said) */
static int
top_blocked(struct ctx *x, enum subject_type t, const struct top_row *rows,
    int n, bool *blk)
{
	char(*key)[LIMITER_KEY_MAX] = calloc((size_t)n + 1, sizeof(*key));
	const char **kp = calloc((size_t)n + 1, sizeof(*kp));
	redisReply **rep = calloc((size_t)n + 1, sizeof(*rep));
	int i, rc = -1;

	if (key == NULL || kp == NULL || rep == NULL) {
		ctx_error("out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (subject_key(key[i], sizeof(key[i]), x->c->redis.prefix, t,
		        rows[i].value, KEYS_BLOCK) == -1)
			str_lcpy(key[i], "-", sizeof(key[i]));
		kp[i] = key[i];
	}
	if (ctx_keys(x, "EXISTS", kp, n, rep) == -1)
		goto done;
	for (i = 0; i < n; i++) {
		blk[i] =
		    rep[i]->type == REDIS_REPLY_INTEGER && rep[i]->integer > 0;
		freeReplyObject(rep[i]);
	}
	rc = 0;
done:
	free(key);
	free(kp);
	free(rep);
	return rc;
}

/* top_union - the ZUNION of every node's sets of this minute and the
 * last one (weighted); the reply, an empty array when no node wrote,
 * or NULL (said) */
static redisReply *
top_union(struct ctx *x, enum subject_type t)
{
	char idx[2][LIMITER_KEY_MAX], wt[32], nk[16];
	const char *sm[2][2] = {{"SMEMBERS", idx[0]}, {"SMEMBERS", idx[1]}};
	const char *const *av[2] = {sm[0], sm[1]};
	long long b = topset_bucket(x->now_ms);
	char(*key)[LIMITER_KEY_MAX] = NULL;
	const char **zu = NULL;
	redisReply *r[2] = {NULL, NULL}, *u = NULL;
	int ac[2] = {2, 2}, n = 0, k, m;
	size_t i;

	if (topset_key(
	        idx[0], sizeof(idx[0]), x->c->redis.prefix, t, b, NULL) == -1 ||
	    topset_key(idx[1], sizeof(idx[1]), x->c->redis.prefix, t, b - 1,
	        NULL) == -1) {
		ctx_error("prefix too long");
		return NULL;
	}
	if (ctx_batch(x, 2, ac, av, r) == -1)
		return NULL;
	for (k = 0; k < 2; k++)
		n += r[k]->type == REDIS_REPLY_ARRAY ? (int)r[k]->elements : 0;
	if (n == 0) {
		u = r[0]->type == REDIS_REPLY_ARRAY ? r[0] : r[1];
		r[u == r[0] ? 0 : 1] = NULL;
		goto done;
	}
	key = calloc((size_t)n, sizeof(*key));
	zu = calloc((size_t)(2 * n + 4), sizeof(*zu));
	if (key == NULL || zu == NULL) {
		ctx_error("out of memory");
		goto done;
	}
	snprintf(nk, sizeof(nk), "%d", n);
	snprintf(
	    wt, sizeof(wt), "%.6f", window_weight(x->now_ms, TOPSET_WINDOW_MS));
	zu[0] = "ZUNION";
	zu[1] = nk;
	for (k = 0, m = 0; k < 2; k++)
		for (i = 0;
		     r[k]->type == REDIS_REPLY_ARRAY && i < r[k]->elements;
		     i++, m++) {
			if (topset_key(key[m], sizeof(key[m]),
			        x->c->redis.prefix, t, b - k,
			        ctx_str(r[k]->element[i])) == -1)
				str_lcpy(key[m], "-", sizeof(key[m]));
			zu[2 + m] = key[m];
			zu[3 + n + m] = k == 0 ? "1" : wt;
		}
	zu[2 + n] = "WEIGHTS";
	zu[3 + 2 * n] = "WITHSCORES";
	u = ctx_run(x, 4 + 2 * n, zu);
done:
	free(key);
	free(zu);
	freeReplyObject(r[0]);
	freeReplyObject(r[1]);
	return u;
}

/* top_type - the top n of type t as a table; rows shown, or -1 */
static int
top_type(struct ctx *x, enum subject_type t, int n, bool titled)
{
	char v[32], name[SUBJECT_VALUE_MAX + 16], title[64];
	struct top_row *rows = NULL;
	struct out *o;
	redisReply *r;
	bool *blk = NULL;
	size_t i, m;
	int k, shown = -1;

	if ((r = top_union(x, t)) == NULL)
		return -1;
	m = r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
	rows = calloc(m + 1, sizeof(*rows));
	blk = calloc(m + 1, sizeof(*blk));
	if (rows == NULL || blk == NULL) {
		ctx_error("out of memory");
		goto done;
	}
	for (i = 0; i < m; i++) {
		rows[i].value = ctx_str(r->element[2 * i]);
		rows[i].n = strtod(ctx_str(r->element[2 * i + 1]), NULL);
	}
	qsort(rows, m, sizeof(*rows), top_cmp);
	if (m > (size_t)n)
		m = (size_t)n;
	if (top_blocked(x, t, rows, (int)m, blk) == -1)
		goto done;
	snprintf(title, sizeof(title), "%s:", subject_type_name(t));
	if ((o = out_new(subject_type_name(t), titled ? title : NULL, 3,
	         top_cols, x->json)) == NULL) {
		ctx_error("out of memory");
		goto done;
	}
	for (k = 0; k < (int)m; k++) {
		const char *row[3] = {name, v, blk[k] ? "yes" : "no"};

		snprintf(name, sizeof(name), "%s:%s", subject_type_name(t),
		    rows[k].value);
		snprintf(v, sizeof(v), "%.0f", rows[k].n);
		if (out_row(o, row) == -1) {
			ctx_error("out of memory");
			out_end(o);
			goto done;
		}
	}
	out_end(o);
	shown = (int)m;
done:
	free(rows);
	free(blk);
	freeReplyObject(r);
	return shown;
}

int
top_main(struct ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"subject", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
	bool want[SUBJECT_NTYPES] = {false}, any = false;
	long long n = 20;
	int ch, t, i, k, total = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:s:", lo, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (str_tonum(optarg, 1, TOP_MAX, &n) == -1) {
				ctx_error(
				    "-n %.32s: not 1..%d", optarg, TOP_MAX);
				return CTX_ERR;
			}
			break;
		case 's':
			if ((t = subject_type_code(optarg)) == -1) {
				ctx_error("--subject %.32s: not sasl, ip, uid "
				          "or sender",
				    optarg);
				return CTX_ERR;
			}
			want[t] = any = true;
			break;
		default:
			ctx_error("usage: floodgate [-j] top [-n N] "
			          "[--subject TYPE]");
			return CTX_ERR;
		}
	}
	if (optind != argc) {
		ctx_error("usage: floodgate [-j] top [-n N] [--subject TYPE]");
		return CTX_ERR;
	}
	/* without --subject: the types a limit counts */
	for (i = 0; !any && i < x->c->nlimits; i++)
		want[x->c->limits[i].subject] = true;
	if (ctx_redis(x) == -1)
		return CTX_ERR;
	for (t = 0, i = 0; t < SUBJECT_NTYPES; t++)
		i += want[t];
	for (t = 0; t < SUBJECT_NTYPES; t++) {
		if (!want[t])
			continue;
		if ((k = top_type(x, (enum subject_type)t, (int)n, i > 1)) ==
		    -1)
			return CTX_ERR;
		total += k;
	}
	if (total == 0 && !x->json)
		printf("nothing counted in the last minute\n");
	return total > 0 ? CTX_OK : CTX_NONE;
}
