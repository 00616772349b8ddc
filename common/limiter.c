/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limiter - the sliding-window limiter as pipelined Redis commands.
 *
 * Entry points: limiter_start, limiter_ncmd, limiter_cmd, limiter_take,
 * limiter_free; the decision and its follow-ups (limiter_finish,
 * limiter_refund, limiter_follow) are in limitfollow.c. Per limit two integer
 * buckets (common/window.h). The current bucket is counted first
 * (HINCRBY answers the new count, every node's requests in it) and taken
 * back when the request is refused, so a subject's requests one after
 * another get exactly the decisions of an all-or-nothing check; requests
 * racing at a limit can only be refused, never let through (each sees
 * the other's count). Nothing here is Lua: a script costs Redis 5x more
 * per request (make bench, callgrind).
 *
 * Storage: the subject and its limits in one allocation; the commands
 * and every string they use in its cmdbuf (bounded, grows as needed:
 * no size is counted by hand) until limiter_free. Never logs.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmdbuf.h"
#include "keys.h"
#include "limitdef.h"
#include "limiter.h"
#include "resp.h"
#include "str.h"
#include "window.h"

void
limiter_free(struct limiter *l)
{
	if (l == NULL)
		return;
	cmdbuf_free(&l->cb);
	free(l);
}

/* limiter_layout - the names of every key and field, each number
 * formatted once; 0 or -1 */
static int
limiter_layout(struct limiter *l)
{
	struct cmdbuf *b = &l->cb;
	char base[LIMITER_KEY_MAX];
	int i, j;

	/* the subject's key, once; the others are it plus a suffix */
	if (subject_key(base, sizeof(base), l->c->redis.prefix, l->r.type,
	        l->r.value, KEYS_USAGE) == -1)
		return -1;
	l->usage = CMDBUF_CAT(b, base);
	l->blockk = CMDBUF_CAT(b, base, KEYS_BLOCK);
	l->limk = CMDBUF_CAT(b, base, KEYS_LIMITS);
	l->setk[0] = CMDBUF_CAT(b, base, KEYS_IPS);
	l->setk[1] = CMDBUF_CAT(b, base, KEYS_SENDERS);
	l->evk = CMDBUF_CAT(b, l->c->redis.prefix, KEYS_EVENTS);
	l->idxk = CMDBUF_CAT(b, l->c->redis.prefix, KEYS_BLOCKED);
	l->subj = CMDBUF_CAT(b, subject_type_name(l->r.type), ":", l->r.value);
	for (i = 0; i < l->n; i++) {
		struct limiter_limit *ls = &l->l[i];
		const char *ws, *bs, *ps;

		ls->wms = ls->cl->window * 1000;
		ls->b = window_bucket(l->now, ls->wms);
		ls->frac = window_weight(l->now, ls->wms);
		if (ls->wms > l->maxw)
			l->maxw = ls->wms;
		ws = ls->ws = cmdbuf_num(b, ls->cl->window);
		bs = cmdbuf_num(b, ls->b);
		ps = cmdbuf_num(b, ls->b - 1);
		for (j = 0; j < l->k; j++) {
			const char *m = keys_metric_letter[l->metric[j]];

			ls->cur[j] = CMDBUF_CAT(b, m, ":", ws, ":", bs);
			ls->prev[j] = CMDBUF_CAT(b, m, ":", ws, ":", ps);
		}
		ls->dcurf = CMDBUF_CAT(b, KEYS_DENIALS, ls->cl->name, ":", bs);
		ls->dprevf = CMDBUF_CAT(b, KEYS_DENIALS, ls->cl->name, ":", ps);
		ls->lastf = CMDBUF_CAT(b, KEYS_LAST, ls->cl->name);
		ls->zcount[0] = ls->zcount[1] = -1;
	}
	return cmdbuf_failed(b) ? -1 : 0;
}

/* limiter_wants_set - some limit reads set s (0 ips, 1 senders) of this
 * request */
static bool
limiter_wants_set(const struct limiter *l, int s)
{
	const char *member = s == 0 ? l->r.ip : l->r.sender;
	int i;

	if (member == NULL || member[0] == '\0')
		return false;
	for (i = 0; i < l->n; i++)
		if ((s == 0 ? l->l[i].cl->max_client_ips
		            : l->l[i].cl->max_senders) > 0)
			return true;
	return false;
}

/* limiter_first - the commands of the round trip */
static void
limiter_first(struct limiter *l)
{
	struct cmdbuf *b = &l->cb;
	int i, j, x, s;

	CMDBUF_CMD(b, C_LIMITS, 0, "HMGET", l->limk, KEYS_EXEMPT);
	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->k; j++)
			cmdbuf_arg(b,
			    CMDBUF_CAT(b, keys_metric_name[l->metric[j]], ":",
			        l->l[i].ws));
	CMDBUF_CMD(b, C_BLOCK, 0, "HGETALL", l->blockk);
	/* one HINCRBY per distinct current field (limits may share one) */
	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->k; j++) {
			struct limiter_limit *ls = &l->l[i];

			ls->incr[j] = -1;
			for (x = 0; x < i && ls->incr[j] == -1; x++)
				if (strcmp(l->l[x].cur[j], ls->cur[j]) == 0)
					ls->incr[j] = l->l[x].incr[j];
			if (ls->incr[j] != -1)
				continue;
			ls->incr[j] = cmdbuf_ncmd(b);
			ls->own[j] = true;
			CMDBUF_CMD(b, C_INCR, 0, "HINCRBY", l->usage,
			    ls->cur[j], cmdbuf_num(b, l->inc[j]));
		}
	if (l->n > 0) {
		CMDBUF_CMD(b, C_USAGE, 0, "HMGET", l->usage);
		for (i = 0; i < l->n; i++) {
			cmdbuf_args(b, l->k, l->l[i].prev);
			CMDBUF_ARGS(
			    b, l->l[i].dcurf, l->l[i].dprevf, l->l[i].lastf);
		}
	}
	for (s = 0; s < 2; s++) {
		if (!limiter_wants_set(l, s))
			continue;
		l->zadded[s] = true;
		CMDBUF_CMD(b, C_ZADD, AUX(s, 0), "ZADD", l->setk[s],
		    cmdbuf_num(b, l->now), s == 0 ? l->r.ip : l->r.sender);
		for (i = 0; i < l->n; i++)
			if ((s == 0 ? l->l[i].cl->max_client_ips
			            : l->l[i].cl->max_senders) > 0)
				CMDBUF_CMD(b, C_ZCOUNT, AUX(s, i), "ZCOUNT",
				    l->setk[s],
				    cmdbuf_num(b, l->now - l->l[i].wms),
				    "+inf");
	}
}

struct limiter *
limiter_start(const struct conf *c, const struct limiter_req *r)
{
	long long incs[NMETRIC] = {r->messages, r->recipients, r->bytes};
	struct limiter *l;
	int i, j, n = 0;

	if (!r->block_only)
		for (i = 0; i < c->nlimits; i++)
			n += c->limits[i].subject == r->type;
	/* zeroed but the command buffer's inline space (3 kB a subject) */
	if ((l = malloc(sizeof(*l) + (size_t)n * sizeof(l->l[0]))) == NULL)
		return NULL;
	memset(l, 0, offsetof(struct limiter, cb));
	memset(l->l, 0, (size_t)n * sizeof(l->l[0]));
	cmdbuf_init(&l->cb);
	l->c = c;
	l->r = *r;
	l->n = n;
	l->now = r->now_ms != 0 ? r->now_ms : clock_now_ms();
	for (j = 0; j < NMETRIC; j++)
		if (incs[j] > 0) {
			l->metric[l->k] = j;
			l->inc[l->k++] = incs[j];
		}
	for (i = 0, j = 0; i < c->nlimits && j < n; i++)
		if (c->limits[i].subject == r->type)
			l->l[j++].cl = &c->limits[i];
	l->r.ip = r->ip != NULL ? r->ip : "";
	l->r.sender = r->sender != NULL ? r->sender : "";
	l->r.by = r->by != NULL ? r->by : "";
	if (l->now <= 0 || limiter_layout(l) == -1 ||
	    (limiter_first(l), cmdbuf_failed(&l->cb))) {
		limiter_free(l);
		return NULL;
	}
	return l;
}

int
limiter_ncmd(const struct limiter *l)
{
	return cmdbuf_ncmd(&l->cb);
}

void
limiter_cmd(const struct limiter *l, int i, int *argc, const char *const **argv,
    const size_t **argvlen)
{
	*argc = cmdbuf_get(&l->cb, i)->argc;
	*argv = cmdbuf_argv(&l->cb, i);
	*argvlen = NULL; /* C strings: no lengths kept (memory per request) */
}

/* limiter_intval - a reply element holding a count (nil: 0) within
 * +-LIMITER_COUNT_MAX, so no sum, product or cast of it can overflow;
 * 0 or -1 */
static int
limiter_intval(const redisReply *e, long long *v)
{
	if (e->type == REDIS_REPLY_NIL) {
		*v = 0;
		return 0;
	}
	return resp_int(e, -LIMITER_COUNT_MAX, LIMITER_COUNT_MAX, v);
}

/* limiter_text - a printable copy of a string element (nil: ""): a block
 * reason is written by any node or an admin, and read into log lines,
 * policy replies and quarantine reasons */
static void
limiter_text(const redisReply *e, char *dst, size_t size)
{
	size_t i, n = 0;

	if (e->type == REDIS_REPLY_STRING)
		for (i = 0; i < e->len && n + 1 < size; i++)
			dst[n++] = e->str[i] >= 0x20 && e->str[i] < 0x7f
			    ? e->str[i]
			    : '?';
	dst[n] = '\0';
}

/* limiter_block_hash - what a block hash says (field, value pairs) */
static void
limiter_block_hash(struct limiter *l, const redisReply *r)
{
	size_t x;
	long long v;

	l->blocked = r->elements > 0;
	for (x = 0; x + 1 < r->elements; x += 2) {
		const redisReply *f = r->element[x], *val = r->element[x + 1];

		if (f->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(f->str, "rule") == 0)
			limiter_text(val, l->brule, sizeof(l->brule));
		else if (strcmp(f->str, "reason") == 0)
			limiter_text(val, l->breason, sizeof(l->breason));
		else if (strcmp(f->str, "value") == 0 &&
		    val->type == REDIS_REPLY_STRING &&
		    limiter_intval(val, &v) == 0)
			l->bvalue = v;
		else if (strcmp(f->str, "limit") == 0 &&
		    val->type == REDIS_REPLY_STRING &&
		    limiter_intval(val, &v) == 0)
			l->blimit = v;
	}
}

long long
limiter_messages(const struct limiter *l)
{
	return l->n > 0 ? l->r.messages : 0;
}

int
limiter_take(struct limiter *l, int i, const redisReply *r)
{
	const struct cmdbuf_cmd *cm = cmdbuf_get(&l->cb, i);
	size_t want = (size_t)cm->argc - 2, x;
	long long v;
	int a, j;

	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return -1;
	switch (cm->kind) {
	case C_LIMITS:
	case C_USAGE:
		if (r->type != REDIS_REPLY_ARRAY || r->elements != want)
			return -1;
		break;
	case C_BLOCK: /* field, value pairs; none: no block */
		if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0 ||
		    r->elements > 2 * BLOCK_FIELDS_MAX)
			return -1;
		break;
	default:
		if (r->type != REDIS_REPLY_INTEGER)
			return -1;
	}
	switch (cm->kind) {
	case C_LIMITS:
		l->exempt = r->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[0]->str, "1") == 0;
		for (x = 1; x < want; x++) {
			struct limiter_limit *ls =
			    &l->l[(x - 1) / (size_t)l->k];

			/* an override that is no count is ignored */
			ls->over[(x - 1) % (size_t)l->k] =
			    r->element[x]->type == REDIS_REPLY_STRING &&
			        limiter_intval(r->element[x], &v) == 0 && v >= 0
			    ? v
			    : -1;
		}
		return 0;
	case C_BLOCK:
		limiter_block_hash(l, r);
		return 0;
	case C_INCR:
		if (limiter_intval(r, &v) == -1)
			return -1;
		for (a = 0; a < l->n; a++)
			for (j = 0; j < l->k; j++)
				if (l->l[a].incr[j] == i)
					l->l[a].count[j] = v;
		return 0;
	case C_USAGE:
		for (a = 0, x = 0; a < l->n; a++) {
			struct limiter_limit *ls = &l->l[a];

			for (j = 0; j < l->k; j++)
				if (limiter_intval(
				        r->element[x++], &ls->prevv[j]) == -1)
					return -1;
			if (limiter_intval(r->element[x++], &ls->dcur) == -1 ||
			    limiter_intval(r->element[x++], &ls->dprev) == -1 ||
			    limiter_intval(r->element[x++], &ls->last) == -1)
				return -1;
		}
		return 0;
	case C_ZCOUNT:
		if (limiter_intval(r, &v) == -1)
			return -1;
		l->l[cm->aux / 2].zcount[cm->aux % 2] = v;
		return 0;
	default:
		return 0;
	}
}
