/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * local - in-process sliding-window counters and a block cache.
 *
 * Entry points: local_new, local_check, local_note, local_blocked,
 * local_clear, local_free. A chained hash table keyed by "type:value";
 * each entry keeps two buckets per limit and metric, like common/limiter.c.
 * Never logs; a full table is emptied and counted (local_flushes).
 * Every entry point takes the table's lock: the milter's threads share
 * one table, policyd's loop never waits on it.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "local.h"
#include "str.h"
#include "window.h"

#define NBUCKETS 65536
#define NMETRICS KEYS_NMETRIC

struct local_window {
	long long bucket; /* current bucket number, -1 unused */
	double cur[NMETRICS], prev[NMETRICS];
	double dcur, dprev; /* denials */
};

struct local_entry {
	struct local_entry *next;
	char key[SUBJECT_VALUE_MAX + 16];
	char block_rule[CONF_NAME_MAX]; /* a block we know of, "" none */
	char block_why[LIMITER_WHAT_MAX];
	long long block_value, block_limit; /* what the block says */
	long long block_seen;               /* ms; when last confirmed */
	long long block_until;              /* ms; 0 = while cached */
	int nst;
	struct local_window st[]; /* one per configured limit */
};

struct local {
	pthread_mutex_t mu; /* the milter's threads share one */
	struct local_entry *tab[NBUCKETS];
	unsigned long n;
	unsigned long flushes;
};

struct local *
local_new(void)
{
	struct local *l = calloc(1, sizeof(struct local));

	if (l != NULL)
		pthread_mutex_init(&l->mu, NULL);
	return l;
}

/* local_empty - free every entry (locked) */
static void
local_empty(struct local *l)
{
	unsigned long i;
	struct local_entry *e, *next;

	for (i = 0; i < NBUCKETS; i++) {
		for (e = l->tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		l->tab[i] = NULL;
	}
	l->n = 0;
}

void
local_clear(struct local *l)
{
	pthread_mutex_lock(&l->mu);
	local_empty(l);
	pthread_mutex_unlock(&l->mu);
}

void
local_free(struct local *l)
{
	if (l == NULL)
		return;
	local_empty(l);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

unsigned long
local_flushes(struct local *l)
{
	unsigned long n;

	pthread_mutex_lock(&l->mu);
	n = l->flushes;
	pthread_mutex_unlock(&l->mu);
	return n;
}

static unsigned long
local_hash(const char *s)
{
	unsigned long h = 2166136261UL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619UL;
	return h % NBUCKETS;
}

/* local_lookup - entry of a subject, created when asked; NULL if none/ENOMEM */
static struct local_entry *
local_lookup(struct local *l, const struct limiter_req *r, int nst, bool create)
{
	char key[SUBJECT_VALUE_MAX + 16];
	struct local_entry *e;
	unsigned long h;
	int i;

	snprintf(
	    key, sizeof(key), "%s:%s", subject_type_name(r->type), r->value);
	h = local_hash(key);
	for (e = l->tab[h]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (!create)
		return NULL;
	if (l->n >= LOCAL_MAX_SUBJECTS) {
		local_empty(l);
		l->flushes++;
	}
	if ((e = calloc(
	         1, sizeof(*e) + (size_t)nst * sizeof(struct local_window))) ==
	    NULL)
		return NULL;
	str_lcpy(e->key, key, sizeof(e->key));
	e->nst = nst;
	for (i = 0; i < nst; i++)
		e->st[i].bucket = -1;
	e->next = l->tab[h];
	l->tab[h] = e;
	l->n++;
	return e;
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

/* local_blocked_locked - a cached block still applies; fills out */
static bool
local_blocked_locked(struct local *l, const struct conf *c,
    const struct limiter_req *r, long long now, struct limiter_result *out)
{
	struct local_entry *e = local_lookup(l, r, c->nlimits, false);

	if (e == NULL || e->block_rule[0] == '\0')
		return false;
	if (e->block_until != 0
	        ? now >= e->block_until
	        : now - e->block_seen > c->redis.block_cache_time * 1000) {
		e->block_rule[0] = '\0';
		return false;
	}
	memset(out, 0, sizeof(*out));
	out->status = LIMITER_BLOCKED;
	str_lcpy(out->rule, e->block_rule, sizeof(out->rule));
	str_lcpy(out->what, e->block_why, sizeof(out->what));
	out->value = e->block_value;
	out->limit = e->block_limit;
	return true;
}

/* local_note_locked - remember what Redis said of a subject's block */
static void
local_note_locked(struct local *l, const struct limiter_req *r,
    const struct limiter_result *res, long long now)
{
	bool blocked = res->status == LIMITER_BLOCKED ||
	    res->status == LIMITER_BLOCK_NOW ||
	    res->status == LIMITER_OVER_BLOCK;
	struct local_entry *e = local_lookup(l, r, 0, blocked);

	if (e == NULL)
		return;
	if (!blocked) {
		e->block_rule[0] = '\0'; /* lifted by an admin */
		return;
	}
	str_lcpy(e->block_rule, res->rule[0] ? res->rule : "-",
	    sizeof(e->block_rule));
	str_lcpy(e->block_why, res->what, sizeof(e->block_why));
	e->block_value = res->value;
	e->block_limit = res->limit;
	e->block_seen = now;
	e->block_until = 0;
}

/* local_check_locked - the limiter's decision with local counters; 0 or
 * -1. Blocks are not looked at: the caller asks local_blocked() first. */
static int
local_check_locked(struct local *l, const struct conf *c,
    const struct limiter_req *r, long long now, struct limiter_result *out)
{
	const char *const *names = keys_metric_name;
	const long long inc[NMETRICS] = {r->messages, r->recipients, r->bytes};
	struct local_entry *e;
	int i, m, deny = -1, dm = 0;
	double dv = 0, est;

	memset(out, 0, sizeof(*out));
	out->now_ms = now;
	if ((e = local_lookup(l, r, c->nlimits, true)) == NULL)
		return -1;
	for (i = 0; i < c->nlimits; i++) {
		const struct conf_limit *cl = &c->limits[i];
		long long max[NMETRICS] = {
		    cl->messages, cl->recipients, cl->bytes};
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
		long long maxes[NMETRICS] = {
		    cl->messages, cl->recipients, cl->bytes};

		e->st[deny].dcur += 1;
		out->status = LIMITER_OVER;
		str_lcpy(out->rule, cl->name, sizeof(out->rule));
		str_lcpy(out->what, names[dm], sizeof(out->what));
		out->value = (long long)floor(dv);
		out->limit = maxes[dm];
		if (cl->block_after > 0 &&
		    window_estimate(e->st[deny].dcur, e->st[deny].dprev,
		        frac) >= (double)cl->block_after) {
			out->status = LIMITER_OVER_BLOCK;
			str_lcpy(
			    e->block_rule, cl->name, sizeof(e->block_rule));
			snprintf(e->block_why, sizeof(e->block_why),
			    "%s over limit %lld (local)", names[dm], maxes[dm]);
			e->block_value = out->value;
			e->block_limit = out->limit;
			e->block_seen = now;
			e->block_until = now +
			    (cl->block_ttl > 0 ? cl->block_ttl * 1000
			                       : 86400LL * 1000 * 366);
		}
	}
	return 0;
}

bool
local_blocked(struct local *l, const struct conf *c,
    const struct limiter_req *r, long long now, struct limiter_result *out)
{
	bool b;

	pthread_mutex_lock(&l->mu);
	b = local_blocked_locked(l, c, r, now, out);
	pthread_mutex_unlock(&l->mu);
	return b;
}

void
local_note(struct local *l, const struct limiter_req *r,
    const struct limiter_result *res, long long now)
{
	pthread_mutex_lock(&l->mu);
	local_note_locked(l, r, res, now);
	pthread_mutex_unlock(&l->mu);
}

int
local_check(struct local *l, const struct conf *c, const struct limiter_req *r,
    long long now, struct limiter_result *out)
{
	int rc;

	pthread_mutex_lock(&l->mu);
	rc = local_check_locked(l, c, r, now, out);
	pthread_mutex_unlock(&l->mu);
	return rc;
}
