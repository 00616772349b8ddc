/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitfollow - the limiter's decision and its follow-up commands.
 *
 * Entry points: limiter_finish, limiter_refund, limiter_restore,
 * limiter_follow, limiter_notifies, limiter_unconfirmed, limiter_waited.
 * The follow-ups of a decision: a
 * refused request's take-back, the denial counted, a block written (its
 * hash, a WAIT for one replica when the master has any, the event, the
 * HSETNX that makes one node its notifier),
 * bucket rollover. A block this node knows of but Redis lost in a
 * failover is written again (limiter_restore), without a second event.
 * Never logs.
 */
#include <stdio.h>
#include <string.h>

#include "cmdbuf.h"
#include "keys.h"
#include "limitdef.h"
#include "limiter.h"
#include "resp.h"
#include "str.h"
#include "window.h"

/* limitfollow_compensate - take back the increments (a refused or refunded
 * request) */
static void
limitfollow_compensate(struct limiter *l)
{
	struct cmdbuf *b = &l->cb;
	int i, j;

	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->k; j++)
			if (l->l[i].own[j])
				CMDBUF_CMD(b, C_FOLLOW, 0, "HINCRBY", l->usage,
				    l->l[i].cur[j], cmdbuf_num(b, -l->inc[j]));
}

/* limitfollow_roll - on a new bucket of a limit, delete the fields no
 * estimate reads any more and renew the TTLs: a key lives two of its
 * longest windows past a roll, so through the next bucket of every limit */
static void
limitfollow_roll(struct limiter *l)
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

/* limitfollow_block - write the block hash, wait for a replica to have
 * it (when asked to) and add the event (not in dry-run; no event when
 * the block is only written again) */
static void
limitfollow_block(struct limiter *l, const struct limiter_result *res,
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
	if (l->r.wait_ms > 0) {
		CMDBUF_CMD(
		    b, C_WAIT, 0, "WAIT", "1", cmdbuf_num(b, l->r.wait_ms));
		l->waited = 1;
	}
	/* the index of blocks, so listing them scans no key space: the
	 * subject until its block expires (+inf: until lifted); expired
	 * entries pruned */
	CMDBUF_CMD(b, C_FOLLOW, 0, "ZADD", l->idxk,
	    ttl > 0 ? cmdbuf_num(b, l->now / 1000 + ttl) : "+inf", l->subj);
	CMDBUF_CMD(b, C_FOLLOW, 0, "ZREMRANGEBYSCORE", l->idxk, "-inf",
	    cmdbuf_put(b, "(%lld", l->now / 1000));
	if (l->restored)
		return;
	CMDBUF_CMD(b, C_FOLLOW, 0, "XADD", l->evk, "MAXLEN", "~", EVENTS_MAXLEN,
	    "*", "event", "block", "subject", l->subj, "rule", res->rule,
	    "reason", reason, "value", value, "limit", limit, "node",
	    l->c->node, "by", l->r.by);
	/* one node notifies a block: the one whose field this creates (a
	 * node racing to block too finds it there) */
	l->wreason = reason;
	CMDBUF_CMD(
	    b, C_NOTIFY, 0, "HSETNX", l->blockk, KEYS_NOTIFIED, l->c->node);
}

/* limitfollow_judge - the first limit and metric over, and the first
 * compromise signal (distinct ips or senders over); fills res for the one
 * that decides; returns its limit, or -1 when everything passes */
static int
limitfollow_judge(struct limiter *l, struct limiter_result *res, bool *signal)
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
		if (l->restored && !l->exempt) /* lost in a failover */
			limitfollow_block(l, res, l->breason, l->rttl);
		comp = true;
	} else if ((i = limitfollow_judge(l, res, &signal)) != -1 && signal) {
		res->status = LIMITER_BLOCK_NOW;
		reason = cmdbuf_put(
		    b, "%s %lld > %lld", res->what, res->value, res->limit);
		limitfollow_block(l, res, reason, l->l[i].cl->block_ttl);
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
			limitfollow_block(l, res, reason, ls->cl->block_ttl);
		}
	}
	if (comp)
		limitfollow_compensate(l);
	limitfollow_roll(l);
	return cmdbuf_failed(b) ? -1 : 0;
}

int
limiter_refund(struct limiter *l)
{
	cmdbuf_clear(&l->cb);
	limitfollow_compensate(l);
	return cmdbuf_failed(&l->cb) ? -1 : 0;
}

void
limiter_restore(
    struct limiter *l, const struct limiter_result *cached, long long ttl)
{
	if (l->blocked || l->exempt)
		return;
	l->blocked = l->restored = true;
	l->rttl = ttl;
	str_lcpy(l->brule, cached->rule, sizeof(l->brule));
	str_lcpy(l->breason, cached->what, sizeof(l->breason));
	l->bvalue = cached->value;
	l->blimit = cached->limit;
}

bool
limiter_restored(const struct limiter *l)
{
	return l->restored && !l->exempt;
}

int
limiter_follow(struct limiter *l, int i, const redisReply *r)
{
	long long v;

	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return -1;
	if (i < 0 || i >= cmdbuf_ncmd(&l->cb))
		return 0;
	if (cmdbuf_get(&l->cb, i)->kind == C_NOTIFY) {
		l->notify = resp_int(r, 0, 1, &v) == 0 && v == 1;
		return 0;
	}
	if (cmdbuf_get(&l->cb, i)->kind != C_WAIT)
		return 0;
	if (resp_int(r, 0, 1LL << 20, &v) == -1)
		return -1;
	if (v >= 1)
		l->waited = 2;
	return 0;
}

const char *
limiter_notifies(const struct limiter *l)
{
	return l->notify && l->wreason != NULL ? l->wreason : NULL;
}

bool
limiter_unconfirmed(const struct limiter *l)
{
	return l->waited == 1;
}

bool
limiter_waited(const struct limiter *l)
{
	return l->waited != 0;
}
