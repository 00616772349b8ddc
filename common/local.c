/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * local - in-process sliding-window counters and a block cache.
 *
 * Entry points: local_new, local_check, local_note, local_blocked,
 * local_unconfirmed, local_lost,
 * local_stats, local_clear, local_free. Two bounded tables (lrutab.h):
 * the counters (two buckets per limit and metric, like common/limiter.c)
 * and the blocks Redis showed or local counting wrote. Each evicts its
 * least recently used entry one at a time when full, so a flood of
 * distinct subjects can neither empty the counters of an active spammer
 * nor push a known block out of the cache (blocks are kept apart, and
 * dropped only by age). Every entry point takes the table's lock: the
 * milter's threads share one, policyd's loop never waits on it. Never
 * logs: local_stats() counts the evictions.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "local.h"
#include "lrutab.h"
#include "str.h"
#include "window.h"

#define NMETRICS KEYS_NMETRIC
#define KEY_MAX  (SUBJECT_VALUE_MAX + 16)

struct local_window {
	long long bucket; /* current bucket number, -1 unused */
	double cur[NMETRICS], prev[NMETRICS];
	double dcur, dprev; /* denials */
};

/* a subject's counters: one window per configured limit, then its key */
struct local_counter {
	struct lrutab_node node;
	int nst;
	struct local_window st[];
};

/* a block we know of, then its key */
struct local_block {
	struct lrutab_node node;
	char rule[CONF_NAME_MAX];
	char why[LIMITER_WHAT_MAX];
	long long value, limit; /* what the block says */
	long long seen;         /* ms; when last confirmed */
	long long until;        /* ms; 0 = while cached */
	bool unconfirmed;       /* written here, no replica confirmed it */
	unsigned int gen;       /* the master it was written to */
};

struct local {
	pthread_mutex_t mu;
	struct lrutab counters, blocks;
};

/* local_drop - free an entry (lrutab's drop) */
static void
local_drop(struct lrutab_node *n)
{
	free(n);
}

struct local *
local_new(void)
{
	struct local *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if (lrutab_init(&l->counters, LOCAL_MAX_SUBJECTS, local_drop) == -1 ||
	    lrutab_init(&l->blocks, LOCAL_MAX_BLOCKS, local_drop) == -1) {
		lrutab_free(&l->counters);
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void
local_clear(struct local *l)
{
	pthread_mutex_lock(&l->mu);
	lrutab_clear(&l->counters);
	pthread_mutex_unlock(&l->mu);
}

void
local_free(struct local *l)
{
	if (l == NULL)
		return;
	lrutab_free(&l->counters);
	lrutab_free(&l->blocks);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void
local_stats(struct local *l, struct local_stats *st)
{
	pthread_mutex_lock(&l->mu);
	st->counters = l->counters.n;
	st->blocks = l->blocks.n;
	st->counters_evicted = l->counters.evicted;
	st->blocks_evicted = l->blocks.evicted;
	pthread_mutex_unlock(&l->mu);
}

/* local_key - "type:value" of r into key (KEY_MAX) */
static void
local_key(const struct limiter_req *r, char *key)
{
	snprintf(key, KEY_MAX, "%s:%s", subject_type_name(r->type), r->value);
}

/* local_new_entry - size bytes zeroed, then key; its node's key set */
static struct lrutab_node *
local_new_entry(size_t size, const char *key)
{
	size_t kl = strlen(key) + 1;
	char *p = calloc(1, size + kl);
	struct lrutab_node *n = (struct lrutab_node *)p;

	if (p == NULL)
		return NULL;
	memcpy(p + size, key, kl);
	n->key = p + size;
	return n;
}

/* local_counter - the counters of r, made when missing; NULL on ENOMEM */
static struct local_counter *
local_counter(struct local *l, const struct limiter_req *r, int nst)
{
	char key[KEY_MAX];
	struct local_counter *e;
	int i;

	local_key(r, key);
	if ((e = (struct local_counter *)lrutab_get(&l->counters, key)) != NULL)
		return e;
	e = (struct local_counter *)local_new_entry(
	    sizeof(*e) + (size_t)nst * sizeof(e->st[0]), key);
	if (e == NULL)
		return NULL;
	e->nst = nst;
	for (i = 0; i < nst; i++)
		e->st[i].bucket = -1;
	lrutab_put(&l->counters, &e->node);
	return e;
}

/* local_block - the block entry of r; made when create; NULL if none */
static struct local_block *
local_block(struct local *l, const struct limiter_req *r, bool create)
{
	char key[KEY_MAX];
	struct local_block *b;

	local_key(r, key);
	if ((b = (struct local_block *)lrutab_get(&l->blocks, key)) != NULL ||
	    !create)
		return b;
	if ((b = (struct local_block *)local_new_entry(sizeof(*b), key)) ==
	    NULL)
		return NULL;
	lrutab_put(&l->blocks, &b->node);
	return b;
}

/* local_roll - move a limit's buckets to bucket b */
static void
local_roll(struct local_window *s, long long b)
{
	int m;

	if (s->bucket == b)
		return;
	for (m = 0; m < NMETRICS; m++) {
		s->prev[m] = s->bucket == b - 1 ? s->cur[m] : 0;
		s->cur[m] = 0;
	}
	s->dprev = s->bucket == b - 1 ? s->dcur : 0;
	s->dcur = 0;
	s->bucket = b;
}

/* local_said - what block b says, as the limiter's result */
static void
local_said(const struct local_block *b, struct limiter_result *out)
{
	memset(out, 0, sizeof(*out));
	out->status = LIMITER_BLOCKED;
	str_lcpy(out->rule, b->rule, sizeof(out->rule));
	str_lcpy(out->what, b->why, sizeof(out->what));
	out->value = b->value;
	out->limit = b->limit;
}

bool
local_blocked(struct local *l, const struct conf *c,
    const struct limiter_req *r, long long now, struct limiter_result *out)
{
	struct local_block *b;
	bool blocked = false;

	pthread_mutex_lock(&l->mu);
	if ((b = local_block(l, r, false)) == NULL)
		goto done;
	if (b->until != 0 ? now >= b->until
	                  : now - b->seen > c->redis.block_cache_time * 1000) {
		lrutab_del(&l->blocks, &b->node);
		goto done;
	}
	local_said(b, out);
	blocked = true;
done:
	pthread_mutex_unlock(&l->mu);
	return blocked;
}

void
local_note(struct local *l, const struct limiter_req *r,
    const struct limiter_result *res, long long now)
{
	bool blocked = res->status == LIMITER_BLOCKED ||
	    res->status == LIMITER_BLOCK_NOW ||
	    res->status == LIMITER_OVER_BLOCK;
	struct local_block *b;

	pthread_mutex_lock(&l->mu);
	b = local_block(l, r, blocked);
	if (b != NULL && !blocked)
		lrutab_del(&l->blocks, &b->node); /* lifted by an admin */
	else if (b != NULL) {
		str_lcpy(
		    b->rule, res->rule[0] ? res->rule : "-", sizeof(b->rule));
		str_lcpy(b->why, res->what, sizeof(b->why));
		b->value = res->value;
		b->limit = res->limit;
		b->seen = now;
		b->until = 0;
		/* a block written now: confirmed or not by its WAIT, after
		 * (local_unconfirmed); one only seen keeps what we knew */
		if (res->status != LIMITER_BLOCKED)
			b->unconfirmed = false;
	}
	pthread_mutex_unlock(&l->mu);
}

void
local_unconfirmed(struct local *l, const struct limiter_req *r,
    unsigned int gen, bool unconfirmed)
{
	struct local_block *b;

	pthread_mutex_lock(&l->mu);
	if ((b = local_block(l, r, false)) != NULL) {
		b->unconfirmed = unconfirmed;
		b->gen = gen;
	}
	pthread_mutex_unlock(&l->mu);
}

bool
local_lost(struct local *l, const struct conf *c, const struct limiter_req *r,
    unsigned int gen, long long now, struct limiter_result *out)
{
	struct local_block *b;
	bool lost = false;

	pthread_mutex_lock(&l->mu);
	b = local_block(l, r, false);
	if (b != NULL && b->unconfirmed && b->gen != gen && b->until == 0 &&
	    now - b->seen <= c->redis.block_cache_time * 1000) {
		local_said(b, out);
		lost = true;
	}
	pthread_mutex_unlock(&l->mu);
	return lost;
}

/* local_block_now - the block local counting wrote for limit cl */
static void
local_block_now(struct local *l, const struct limiter_req *r,
    const struct conf_limit *cl, const struct limiter_result *out, int dm,
    long long now)
{
	struct local_block *b = local_block(l, r, true);

	if (b == NULL)
		return;
	str_lcpy(b->rule, cl->name, sizeof(b->rule));
	snprintf(b->why, sizeof(b->why), "%s over limit %lld (local)",
	    keys_metric_name[dm], out->limit);
	b->value = out->value;
	b->limit = out->limit;
	b->seen = now;
	b->until = now +
	    (cl->block_ttl > 0 ? cl->block_ttl * 1000 : 86400LL * 1000 * 366);
}

/* local_part - a limit's share: ceil(max / share); 0 stays no limit */
static long long
local_part(long long max, long long share)
{
	return share > 1 ? (max + share - 1) / share : max;
}

/* local_check_locked - the limiter's decision with local counters; 0 or
 * -1. Blocks are not looked at: the caller asks local_blocked() first. */
static int
local_check_locked(struct local *l, const struct conf *c,
    const struct limiter_req *r, long long now, long long share,
    struct limiter_result *out)
{
	const long long inc[NMETRICS] = {r->messages, r->recipients, r->bytes};
	struct local_counter *e;
	int i, m, deny = -1, dm = 0;
	double dv = 0, est;

	memset(out, 0, sizeof(*out));
	out->now_ms = now;
	if ((e = local_counter(l, r, c->nlimits)) == NULL)
		return -1;
	for (i = 0; i < c->nlimits; i++) {
		const struct conf_limit *cl = &c->limits[i];
		long long max[NMETRICS] = {local_part(cl->messages, share),
		    local_part(cl->recipients, share),
		    local_part(cl->bytes, share)};
		long long w = cl->window * 1000, b = window_bucket(now, w);
		double frac = window_weight(now, w);

		if (cl->subject != r->type || i >= e->nst)
			continue;
		local_roll(&e->st[i], b);
		for (m = 0; m < NMETRICS && deny == -1; m++) {
			if (max[m] == 0 || inc[m] == 0)
				continue;
			est = window_estimate(e->st[i].cur[m] + (double)inc[m],
			    e->st[i].prev[m], frac);
			if (est > (double)max[m]) {
				deny = i;
				dm = m;
				dv = est;
			}
		}
	}
	if (deny == -1) {
		for (i = 0; i < c->nlimits; i++)
			if (c->limits[i].subject == r->type && i < e->nst)
				for (m = 0; m < NMETRICS; m++)
					e->st[i].cur[m] += (double)inc[m];
		out->status = LIMITER_PASS;
		return 0;
	} else {
		const struct conf_limit *cl = &c->limits[deny];
		double frac = window_weight(now, cl->window * 1000);
		long long maxes[NMETRICS] = {local_part(cl->messages, share),
		    local_part(cl->recipients, share),
		    local_part(cl->bytes, share)};

		e->st[deny].dcur += 1;
		out->status = LIMITER_OVER;
		str_lcpy(out->rule, cl->name, sizeof(out->rule));
		str_lcpy(out->what, keys_metric_name[dm], sizeof(out->what));
		out->value = (long long)floor(dv);
		out->limit = maxes[dm];
		if (cl->block_after > 0 &&
		    window_estimate(e->st[deny].dcur, e->st[deny].dprev,
		        frac) >= (double)cl->block_after) {
			out->status = LIMITER_OVER_BLOCK;
			local_block_now(l, r, cl, out, dm, now);
		}
	}
	return 0;
}

int
local_check(struct local *l, const struct conf *c, const struct limiter_req *r,
    long long now, long long share, struct limiter_result *out)
{
	int rc;

	pthread_mutex_lock(&l->mu);
	rc = local_check_locked(l, c, r, now, share, out);
	pthread_mutex_unlock(&l->mu);
	return rc;
}
