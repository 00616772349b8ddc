/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lrutab - a bounded string-keyed hash table with LRU eviction.
 *
 * Entry points: lrutab_init, lrutab_get, lrutab_put, lrutab_del,
 * lrutab_clear, lrutab_free. Chains hang off a power-of-two bucket array
 * sized for about one entry a bucket at the bound; the use order is a
 * doubly linked list, so get, put, del and an eviction are O(chain).
 */
#include <stdlib.h>
#include <string.h>

#include "lrutab.h"

/* lrutab_hash - FNV-1a of key */
static unsigned long
lrutab_hash(const char *s)
{
	unsigned long h = 2166136261UL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619UL;
	return h;
}

int
lrutab_init(struct lrutab *t, unsigned long max, lrutab_drop_fn *drop)
{
	size_t n = 64;

	memset(t, 0, sizeof(*t));
	while (n < max && n < ((size_t)1 << 24))
		n <<= 1;
	if ((t->tab = calloc(n, sizeof(*t->tab))) == NULL)
		return -1;
	t->nbuckets = n;
	t->max = max > 0 ? max : 1;
	t->drop = drop;
	return 0;
}

/* lrutab_unlink - e out of its chain and the use order */
static void
lrutab_unlink(struct lrutab *t, struct lrutab_node *e)
{
	struct lrutab_node **p = &t->tab[e->hash & (t->nbuckets - 1)];

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	t->n--;
}

/* lrutab_front - e as the most recent (not linked in the use order) */
static void
lrutab_front(struct lrutab *t, struct lrutab_node *e)
{
	e->newer = NULL;
	e->older = t->newest;
	if (t->newest != NULL)
		t->newest->newer = e;
	t->newest = e;
	if (t->oldest == NULL)
		t->oldest = e;
}

struct lrutab_node *
lrutab_get(struct lrutab *t, const char *key)
{
	unsigned long h = lrutab_hash(key);
	struct lrutab_node *e;

	for (e = t->tab[h & (t->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->key, key) == 0)
			break;
	if (e == NULL || e == t->newest)
		return e;
	/* to the front of the use order */
	e->newer->older = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	lrutab_front(t, e);
	return e;
}

void
lrutab_put(struct lrutab *t, struct lrutab_node *e)
{
	size_t b;

	if (t->n >= t->max && t->oldest != NULL) {
		lrutab_del(t, t->oldest);
		t->evicted++;
	}
	e->hash = lrutab_hash(e->key);
	b = e->hash & (t->nbuckets - 1);
	e->hnext = t->tab[b];
	t->tab[b] = e;
	lrutab_front(t, e);
	t->n++;
}

void
lrutab_del(struct lrutab *t, struct lrutab_node *e)
{
	lrutab_unlink(t, e);
	t->drop(e);
}

void
lrutab_clear(struct lrutab *t)
{
	while (t->oldest != NULL)
		lrutab_del(t, t->oldest);
}

void
lrutab_free(struct lrutab *t)
{
	if (t->tab == NULL)
		return;
	lrutab_clear(t);
	free(t->tab);
	t->tab = NULL;
}
