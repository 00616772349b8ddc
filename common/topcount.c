/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topcount - a bounded table of this minute's counts per subject, and
 * its busiest subjects laid out as commands.
 *
 * Open addressing on a table of twice TOPCOUNT_MAX slots, one table a
 * minute: the first count of a new minute sets the old table aside for
 * its last write. topcount_take copies what it writes of the current
 * table under the lock and lays out the commands outside it, so a write
 * never holds up a decision for longer than a copy.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topcount.h"
#include "topset.h"

#define TOPCOUNT_SLOTS (2 * TOPCOUNT_MAX)

struct topcount_entry {
	char *value; /* NULL: a free slot */
	enum subject_type type;
	long long n;
};

struct topcount_table {
	long long bucket; /* its minute */
	int used;
	bool dirty; /* counted since the last write */
	struct topcount_entry e[TOPCOUNT_SLOTS];
};

/* what one type of one table writes: its busiest entries, copied */
struct topcount_pick {
	long long bucket;
	enum subject_type type;
	int n;
	struct topcount_entry e[TOPCOUNT_SEND];
};

static pthread_mutex_t topcount_mu = PTHREAD_MUTEX_INITIALIZER;
static struct topcount_table *topcount_cur, *topcount_done;
static unsigned long topcount_ndropped;

/* topcount_hash - FNV-1a of type and value */
static uint32_t
topcount_hash(enum subject_type t, const char *v)
{
	uint32_t h = 2166136261u ^ (uint32_t)t;

	for (; *v != '\0'; v++)
		h = (h ^ (unsigned char)*v) * 16777619u;
	return h;
}

/* topcount_table_free - a table and its values */
static void
topcount_table_free(struct topcount_table *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < TOPCOUNT_SLOTS; i++)
		free(t->e[i].value);
	free(t);
}

/* topcount_rotate - at minute b the table of an earlier minute is set
 * aside for its last write. Under the lock. */
static void
topcount_rotate(long long b)
{
	if (topcount_cur != NULL && b > topcount_cur->bucket) {
		topcount_table_free(topcount_done); /* never written: lost */
		topcount_done = topcount_cur;
		topcount_cur = NULL;
	}
}

/* topcount_table - the table of minute b, made on its first count; NULL
 * when out of memory. Under the lock. */
static struct topcount_table *
topcount_table(long long b)
{
	topcount_rotate(b);
	if (topcount_cur == NULL &&
	    (topcount_cur = calloc(1, sizeof(*topcount_cur))) != NULL)
		topcount_cur->bucket = b;
	return topcount_cur;
}

void
topcount_add(enum subject_type t, const char *value, long long messages,
    long long now_ms)
{
	struct topcount_table *tab;
	struct topcount_entry *e;
	uint32_t i;

	if (messages <= 0 || value == NULL || value[0] == '\0')
		return;
	pthread_mutex_lock(&topcount_mu);
	if ((tab = topcount_table(topset_bucket(now_ms))) == NULL)
		goto dropped;
	for (i = topcount_hash(t, value) % TOPCOUNT_SLOTS;;
	     i = (i + 1) % TOPCOUNT_SLOTS) {
		e = &tab->e[i];
		if (e->value == NULL)
			break;
		if (e->type == t && strcmp(e->value, value) == 0)
			goto found;
	}
	if (tab->used == TOPCOUNT_MAX || (e->value = strdup(value)) == NULL)
		goto dropped;
	e->type = t;
	tab->used++;
found:
	e->n += messages;
	tab->dirty = true;
	pthread_mutex_unlock(&topcount_mu);
	return;
dropped:
	topcount_ndropped++;
	pthread_mutex_unlock(&topcount_mu);
}

unsigned long
topcount_dropped(void)
{
	unsigned long n;

	pthread_mutex_lock(&topcount_mu);
	n = topcount_ndropped;
	pthread_mutex_unlock(&topcount_mu);
	return n;
}

/* topcount_cmp - most messages first */
static int
topcount_cmp(const void *a, const void *b)
{
	const struct topcount_entry *x =
	    *(const struct topcount_entry *const *)a;
	const struct topcount_entry *y =
	    *(const struct topcount_entry *const *)b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

/* topcount_pick - the busiest TOPCOUNT_SEND of each type of t into
 * picks (value strings copied); how many picks, or -1 */
static int
topcount_pick(const struct topcount_table *t, struct topcount_pick *picks)
{
	const struct topcount_entry **all;
	int ty, i, k, n, np = 0;

	if ((all = calloc(TOPCOUNT_MAX + 1, sizeof(*all))) == NULL)
		return -1;
	for (ty = 0; ty < SUBJECT_NTYPES; ty++) {
		struct topcount_pick *p = &picks[np];

		for (i = 0, n = 0; i < TOPCOUNT_SLOTS; i++)
			if (t->e[i].value != NULL &&
			    t->e[i].type == (enum subject_type)ty)
				all[n++] = &t->e[i];
		if (n == 0)
			continue;
		qsort(all, (size_t)n, sizeof(*all), topcount_cmp);
		p->bucket = t->bucket;
		p->type = (enum subject_type)ty;
		for (k = 0; k < n && k < TOPCOUNT_SEND; k++) {
			p->e[k].n = all[k]->n;
			if ((p->e[k].value = strdup(all[k]->value)) == NULL)
				break;
		}
		p->n = k;
		np++;
	}
	free(all);
	return np;
}

/* topcount_own - a string the flush owns (s itself); NULL on failure */
static const char *
topcount_own(struct topcount_flush *f, char *s)
{
	if (s == NULL || f->nstrs == f->maxstrs) {
		free(s);
		return NULL;
	}
	f->strs[f->nstrs++] = s;
	return s;
}

/* topcount_cmd - a command of argc words; its argv, or NULL */
static const char **
topcount_cmd(struct topcount_flush *f, int argc)
{
	const char **a = calloc((size_t)argc, sizeof(*a));

	if (a == NULL)
		return NULL;
	f->argv[f->ncmd] = a;
	f->argc[f->ncmd++] = argc;
	return a;
}

/* topcount_layout - the commands of one pick; 0 or -1 */
static int
topcount_layout(struct topcount_flush *f, struct topcount_pick *p,
    const char *prefix, const char *node)
{
	char key[512], num[24];
	const char *zk, *sk, **a;
	int k;

	if (topset_key(key, sizeof(key), prefix, p->type, p->bucket, node) ==
	        -1 ||
	    (zk = topcount_own(f, strdup(key))) == NULL ||
	    topset_key(key, sizeof(key), prefix, p->type, p->bucket, NULL) ==
	        -1 ||
	    (sk = topcount_own(f, strdup(key))) == NULL ||
	    (a = topcount_cmd(f, 2 + 2 * p->n)) == NULL)
		return -1;
	a[0] = "ZADD";
	a[1] = zk;
	for (k = 0; k < p->n; k++) {
		snprintf(num, sizeof(num), "%lld", p->e[k].n);
		if ((a[2 + 2 * k] = topcount_own(f, strdup(num))) == NULL)
			return -1;
		a[3 + 2 * k] = topcount_own(f, p->e[k].value);
		p->e[k].value = NULL; /* the flush owns it, or it is freed */
		if (a[3 + 2 * k] == NULL)
			return -1;
	}
	if ((a = topcount_cmd(f, 3)) == NULL)
		return -1;
	a[0] = "EXPIRE", a[1] = zk, a[2] = TOPSET_TTL_S;
	if ((a = topcount_cmd(f, 3)) == NULL)
		return -1;
	a[0] = "SADD", a[1] = sk, a[2] = topcount_own(f, strdup(node));
	if (a[2] == NULL || (a = topcount_cmd(f, 3)) == NULL)
		return -1;
	a[0] = "EXPIRE", a[1] = sk, a[2] = TOPSET_TTL_S;
	return 0;
}

void
topcount_free(struct topcount_flush *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nstrs; i++)
		free(f->strs[i]);
	for (i = 0; i < f->ncmd; i++)
		free(f->argv[i]);
	free(f->strs);
	free(f->argc);
	free(f->argv);
	free(f);
}

struct topcount_flush *
topcount_take(const char *prefix, const char *node, long long now_ms)
{
	struct topcount_pick *picks;
	struct topcount_table *done;
	struct topcount_flush *f = NULL;
	int np = 0, n, i, k, rc = 0;

	if ((picks = calloc(2 * SUBJECT_NTYPES, sizeof(*picks))) == NULL)
		return NULL;
	pthread_mutex_lock(&topcount_mu);
	topcount_rotate(topset_bucket(now_ms));
	done = topcount_done;
	topcount_done = NULL;
	if (topcount_cur != NULL && topcount_cur->dirty) {
		if ((n = topcount_pick(topcount_cur, picks)) == -1)
			rc = -1;
		else
			np = n;
		topcount_cur->dirty = false;
	}
	pthread_mutex_unlock(&topcount_mu);
	if (done != NULL && done->dirty && rc == 0) {
		if ((n = topcount_pick(done, picks + np)) == -1)
			rc = -1;
		else
			np += n;
	}
	topcount_table_free(done);
	if (np > 0 && rc == 0 && (f = calloc(1, sizeof(*f))) != NULL) {
		f->maxstrs = np * (3 + 2 * TOPCOUNT_SEND);
		f->argc = calloc((size_t)np * 4, sizeof(*f->argc));
		f->argv = calloc((size_t)np * 4, sizeof(*f->argv));
		f->strs = calloc((size_t)f->maxstrs, sizeof(*f->strs));
		if (f->argc == NULL || f->argv == NULL || f->strs == NULL)
			rc = -1;
		for (i = 0; i < np && rc == 0; i++)
			rc = topcount_layout(f, &picks[i], prefix, node);
		if (rc == -1) {
			topcount_free(f);
			f = NULL;
		}
	}
	for (i = 0; i < np; i++)
		for (k = 0; k < picks[i].n; k++)
			free(picks[i].e[k].value);
	free(picks);
	return f;
}
