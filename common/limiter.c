/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limiter - the sliding-window limiter as pipelined Redis commands.
 *
 * Entry points: limiter_start, limiter_ncmd, limiter_cmd, limiter_take,
 * limiter_finish, limiter_refund, limiter_free. Per limit two integer
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
#include "limiter.h"
#include "resp.h"
#include "str.h"
#include "window.h"

#define NMETRIC       KEYS_NMETRIC
#define EVENTS_MAXLEN "10000"
/* fields of a block hash read at most (ours are 8; an admin may add) */
#define BLOCK_FIELDS_MAX 64

enum cmd_kind {
	C_LIMITS,
	C_BLOCK,
	C_INCR,
	C_USAGE,
	C_ZADD,
	C_ZCOUNT,
	C_FOLLOW
};

/* one limit of the subject: the config and what Redis answered */
struct limiter_limit {
	const struct conf_limit *cl;
	long long wms, b, last, dcur, dprev;
	double frac;
	const char *ws, *cur[NMETRIC], *prev[NMETRIC], *dcurf, *dprevf, *lastf;
	int incr[NMETRIC];        /* C_INCR command of cur[j] */
	bool own[NMETRIC];        /* that command is this limit's */
	long long count[NMETRIC]; /* cur after this request's increment */
	long long prevv[NMETRIC]; /* previous bucket */
	long long over[NMETRIC];  /* override, or -1 */
	long long zcount[2];      /* distinct ips, senders; -1 not asked */
};

struct limiter {
	const struct conf *c;
	struct limiter_req r;
	long long now, maxw;
	int n, k, metric[NMETRIC]; /* active metrics: 0 m, 1 r, 2 B */
	long long inc[NMETRIC];
	const char *usage, *blockk, *limk, *setk[2], *evk, *subj;
	bool exempt, blocked, zadded[2];
	char brule[CONF_NAME_MAX], breason[LIMITER_WHAT_MAX];
	long long bvalue, blimit;
	struct cmdbuf cb; /* the commands and every string they use */
	struct limiter_limit l[];
};

/* C_ZADD, C_ZCOUNT: the set (0 ips, 1 senders) and the limit, in aux */
#define AUX(set, lim) ((lim)*2 + (set))

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

/* limiter_compensate - take back the increments (a refused or refunded
 * request) */
static void
limiter_compensate(struct limiter *l)
{
	struct cmdbuf *b = &l->cb;
	int i, j;

	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->k; j++)
			if (l->l[i].own[j])
				CMDBUF_CMD(b, C_FOLLOW, 0, "HINCRBY", l->usage,
				    l->l[i].cur[j], cmdbuf_num(b, -l->inc[j]));
}

/* limiter_roll - on a new bucket of a limit, delete the fields no
 * estimate reads any more and renew the TTLs: a key lives two of its
 * longest windows past a roll, so through the next bucket of every limit */
static void
limiter_roll(struct limiter *l)
{
	struct cmdbuf *b = &l->cb;
	int i, s, hset = -1;
	long long x;
	bool rolled = false, fresh;

	for (i = 0; i < l->n; i++) {
		struct limiter_limit *ls = &l->l[i];
		long long w = ls->cl->window;

		if (ls->last == ls->b)
			continue;
		for (x = ls->last - 1; ls->last != 0 && x <= ls->last; x++)
			if (x < ls->b - 1)
				CMDBUF_CMD(b, C_FOLLOW, 0, "HDEL", l->usage,
				    cmdbuf_put(b, "m:%lld:%lld", w, x),
				    cmdbuf_put(b, "r:%lld:%lld", w, x),
				    cmdbuf_put(b, "B:%lld:%lld", w, x),
				    cmdbuf_put(b, KEYS_DENIALS "%s:%lld",
				        ls->cl->name, x));
		if (hset == -1 ||
		    hset != cmdbuf_ncmd(b) - 1) { /* or the open one */
			CMDBUF_CMD(b, C_FOLLOW, 0, "HSET", l->usage);
			hset = cmdbuf_ncmd(b) - 1;
		}
		CMDBUF_ARGS(b, ls->lastf, cmdbuf_num(b, ls->b));
		rolled = true;
	}
	if (rolled)
		CMDBUF_CMD(b, C_FOLLOW, 0, "PEXPIRE", l->usage,
		    cmdbuf_num(b, 2 * l->maxw));
	for (s = 0; s < 2; s++) {
		if (!l->zadded[s])
			continue;
		/* alone in its window: maybe a new set */
		for (i = 0, fresh = false; i < l->n; i++)
			fresh |= l->l[i].zcount[s] == 1;
		if (rolled)
			CMDBUF_CMD(b, C_FOLLOW, 0, "ZREMRANGEBYSCORE",
			    l->setk[s], "-inf",
			    cmdbuf_put(b, "(%lld", l->now - l->maxw));
		if (rolled || fresh)
			CMDBUF_CMD(b, C_FOLLOW, 0, "PEXPIRE", l->setk[s],
			    cmdbuf_num(b, 2 * l->maxw));
	}
}

/* limiter_block - write the block hash and the event (not in dry-run) */
static void
limiter_block(struct limiter *l, const struct limiter_result *res,
    const char *reason, long long ttl)
{
	struct cmdbuf *b = &l->cb;
	const char *value = cmdbuf_num(b, res->value),
	           *limit = cmdbuf_num(b, res->limit);

	if (l->r.mode == LIMITER_DRYRUN)
		return;
	CMDBUF_CMD(b, C_FOLLOW, 0, "HSET", l->blockk, "reason", reason, "rule",
	    res->rule, "value", value, "limit", limit, "at",
	    cmdbuf_num(b, l->now / 1000), "by", l->r.by, "node", l->c->node);
	if (ttl > 0)
		CMDBUF_CMD(
		    b, C_FOLLOW, 0, "EXPIRE", l->blockk, cmdbuf_num(b, ttl));
	CMDBUF_CMD(b, C_FOLLOW, 0, "XADD", l->evk, "MAXLEN", "~", EVENTS_MAXLEN,
	    "*", "event", "block", "subject", l->subj, "rule", res->rule,
	    "reason", reason, "value", value, "limit", limit, "node",
	    l->c->node, "by", l->r.by);
}

/* limiter_judge - the first limit and metric over, and the first
 * compromise signal (distinct ips or senders over); fills res for the one
 * that decides; returns its limit, or -1 when everything passes */
static int
limiter_judge(struct limiter *l, struct limiter_result *res, bool *signal)
{
	int i, j, s, deny = -1;

	for (i = 0; i < l->n; i++) {
		struct limiter_limit *ls = &l->l[i];
		const long long max[NMETRIC] = {
		    ls->cl->messages, ls->cl->recipients, ls->cl->bytes};

		for (j = 0; j < l->k && deny == -1; j++) {
			long long m =
			    ls->over[j] >= 0 ? ls->over[j] : max[l->metric[j]];
			double v = window_estimate((double)ls->count[j],
			    (double)ls->prevv[j], ls->frac);

			if (m > 0 && v > (double)m) {
				deny = i;
				str_lcpy(res->what,
				    keys_metric_name[l->metric[j]],
				    sizeof(res->what));
				res->value = (long long)v;
				res->limit = m;
			}
		}
		for (s = 0; s < 2; s++) {
			long long m = s == 0 ? ls->cl->max_client_ips
			                     : ls->cl->max_senders;

			if (m > 0 && ls->zcount[s] > m) {
				*signal = true;
				str_lcpy(
				    res->rule, ls->cl->name, sizeof(res->rule));
				str_lcpy(res->what,
				    s == 0 ? "client_ips" : "senders",
				    sizeof(res->what));
				res->value = ls->zcount[s];
				res->limit = m;
				return i;
			}
		}
	}
	if (deny != -1)
		str_lcpy(res->rule, l->l[deny].cl->name, sizeof(res->rule));
	return deny;
}

int
limiter_finish(struct limiter *l, struct limiter_result *res)
{
	bool signal = false, dry = l->r.mode == LIMITER_DRYRUN, comp = false;
	struct cmdbuf *b = &l->cb;
	const char *reason;
	int i;

	memset(res, 0, sizeof(*res));
	res->now_ms = l->now;
	cmdbuf_clear(b);
	if (l->exempt || l->blocked) {
		res->status = l->exempt ? LIMITER_EXEMPT : LIMITER_BLOCKED;
		if (l->blocked && !l->exempt) {
			str_lcpy(res->rule, l->brule, sizeof(res->rule));
			str_lcpy(res->what, l->breason, sizeof(res->what));
			res->value = l->bvalue;
			res->limit = l->blimit;
		}
		comp = true;
	} else if ((i = limiter_judge(l, res, &signal)) != -1 && signal) {
		res->status = LIMITER_BLOCK_NOW;
		reason = cmdbuf_put(
		    b, "%s %lld > %lld", res->what, res->value, res->limit);
		limiter_block(l, res, reason, l->l[i].cl->block_ttl);
		comp = !dry;
	} else if (i != -1) {
		struct limiter_limit *ls = &l->l[i];
		double d = window_estimate(
		    (double)(ls->dcur + 1), (double)ls->dprev, ls->frac);

		res->status = LIMITER_OVER;
		CMDBUF_CMD(b, C_FOLLOW, 0, "HINCRBY", l->usage, ls->dcurf, "1");
		comp = !dry;
		if (ls->cl->block_after > 0 &&
		    d >= (double)ls->cl->block_after) {
			res->status = LIMITER_OVER_BLOCK;
			reason =
			    cmdbuf_put(b, "%s over limit %lld, %lld denials",
			        res->what, res->limit, (long long)d);
			limiter_block(l, res, reason, ls->cl->block_ttl);
		}
	}
	if (comp)
		limiter_compensate(l);
	limiter_roll(l);
	return cmdbuf_failed(b) ? -1 : 0;
}

int
limiter_refund(struct limiter *l)
{
	cmdbuf_clear(&l->cb);
	limiter_compensate(l);
	return cmdbuf_failed(&l->cb) ? -1 : 0;
}
