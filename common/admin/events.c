/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * events - the last N entries of fg:events (block events, every node's),
 * oldest first; with -f the new ones as they come (XREAD BLOCK, each
 * wait shorter than redis.timeout so a dead Redis is noticed), until
 * interrupted. Text rows are printed one at a time when following.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "keys.h"
#include "out.h"
#include "str.h"

#define EVENTS_MAX 10000 /* -n at most */

static const struct out_col events_cols[] = {{"TIME", "time", true},
    {"EVENT", "event", false}, {"SUBJECT", "subject", false},
    {"RULE", "rule", false}, {"REASON", "reason", false},
    {"VALUE", "value", true}, {"LIMIT", "limit", true}, {"NODE", "node", false},
    {"BY", "by", false}};
static const char *const events_fields[] = {
    "", "event", "subject", "rule", "reason", "value", "limit", "node", "by"};

/* events_row - one stream entry as a row; 0 or -1 */
static int
events_row(const struct ctx *x, struct out *o, const redisReply *e)
{
	const redisReply *kv;
	const char *v[9];
	char when[32];
	long long ms;
	size_t i;
	int j;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    (kv = e->element[1])->type != REDIS_REPLY_ARRAY)
		return 0;
	if (sscanf(ctx_str(e->element[0]), "%lld", &ms) != 1)
		ms = 0;
	if (x->json)
		snprintf(when, sizeof(when), "%lld", ms / 1000);
	else {
		time_t t = (time_t)(ms / 1000);
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
		    localtime_r(&t, &tm));
	}
	v[0] = when;
	for (j = 1; j < 9; j++) {
		v[j] = "";
		for (i = 0; i + 1 < kv->elements; i += 2)
			if (strcmp(ctx_str(kv->element[i]), events_fields[j]) ==
			    0)
				v[j] = ctx_str(kv->element[i + 1]);
	}
	return out_row(o, v);
}

/* events_follow - XREAD BLOCK from id on; returns only on an error */
static int
events_follow(struct ctx *x, const char *key, char *id, size_t idsize)
{
	char block[24];
	const char *xr[] = {
	    "XREAD", "COUNT", "100", "BLOCK", block, "STREAMS", key, id};
	struct out *o;
	redisReply *r;
	size_t i;

	snprintf(block, sizeof(block), "%lld",
	    x->c->redis.timeout_ms > 20 ? x->c->redis.timeout_ms / 2 : 10);
	for (;;) {
		if ((r = ctx_run(x, 8, xr)) == NULL)
			return CTX_ERR;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY &&
		    r->element[0]->elements == 2) {
			const redisReply *es = r->element[0]->element[1];

			o = out_new(NULL, NULL, 9, events_cols, x->json);
			if (o != NULL)
				out_noheader(o);
			for (i = 0; o != NULL && i < es->elements; i++) {
				if (events_row(x, o, es->element[i]) == -1)
					break;
				if (es->element[i]->type == REDIS_REPLY_ARRAY &&
				    es->element[i]->elements == 2)
					str_lcpy(id,
					    ctx_str(es->element[i]->element[0]),
					    idsize);
			}
			out_end(o);
		}
		freeReplyObject(r);
	}
}

int
events_main(struct ctx *x, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"follow", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	char key[CONF_NAME_MAX + 16], count[24] = "20", id[64] = "$";
	const char *xr[] = {"XREVRANGE", key, "+", "-", "COUNT", count};
	bool follow = false;
	struct out *o;
	redisReply *r;
	long long n;
	size_t i;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "fn:", lo, NULL)) != -1) {
		switch (ch) {
		case 'f':
			follow = true;
			break;
		case 'n':
			if (str_tonum(optarg, 1, EVENTS_MAX, &n) == -1) {
				ctx_error(
				    "-n %.32s: not 1..%d", optarg, EVENTS_MAX);
				return CTX_ERR;
			}
			snprintf(count, sizeof(count), "%lld", n);
			break;
		default:
			ctx_error("usage: floodgate [-j] events [-f] [-n N]");
			return CTX_ERR;
		}
	}
	if (optind != argc) {
		ctx_error("usage: floodgate [-j] events [-f] [-n N]");
		return CTX_ERR;
	}
	if (ctx_redis(x) == -1)
		return CTX_ERR;
	snprintf(key, sizeof(key), "%s" KEYS_EVENTS, x->c->redis.prefix);
	if ((r = ctx_run(x, 6, xr)) == NULL)
		return CTX_ERR;
	if ((o = out_new(NULL, NULL, 9, events_cols, x->json)) == NULL) {
		freeReplyObject(r);
		ctx_error("out of memory");
		return CTX_ERR;
	}
	for (i = r->type == REDIS_REPLY_ARRAY ? r->elements : 0; i-- > 0;) {
		if (events_row(x, o, r->element[i]) == -1)
			break;
		if (r->element[i]->type == REDIS_REPLY_ARRAY &&
		    r->element[i]->elements == 2)
			str_lcpy(
			    id, ctx_str(r->element[i]->element[0]), sizeof(id));
	}
	rc = out_rows(o) > 0 ? CTX_OK : CTX_NONE;
	out_end(o);
	freeReplyObject(r);
	if (follow)
		return events_follow(x, key, id, sizeof(id));
	return rc;
}
