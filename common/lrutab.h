/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lrutab - a bounded hash table of string keys that evicts its least
 * recently used entry, one at a time, when a new one would pass its
 * bound. The degraded mode's counters and block cache are two of them:
 * pressure on one never empties the other, and never empties itself whole.
 *
 * Entries are the caller's structs starting with a struct lrutab_node
 * (intrusive); the table owns them once put and frees them with its drop
 * function (evicted, deleted, cleared). key is the caller's, kept in the
 * entry. Not thread-safe (local.c holds the lock); never logs.
 */
#ifndef FG_LRUTAB_H
#define FG_LRUTAB_H

#include <stdbool.h>
#include <stddef.h>

struct lrutab_node {
	struct lrutab_node *hnext;         /* the hash chain */
	struct lrutab_node *newer, *older; /* use order */
	unsigned long hash;
	const char *key; /* in the entry */
};

typedef void lrutab_drop_fn(struct lrutab_node *);

struct lrutab {
	struct lrutab_node **tab;
	size_t nbuckets;
	struct lrutab_node *newest, *oldest;
	unsigned long n, max, evicted;
	lrutab_drop_fn *drop;
};

/* lrutab_init - an empty table of at most max entries; 0 or -1 */
int lrutab_init(struct lrutab *, unsigned long max, lrutab_drop_fn *)
    __attribute__((warn_unused_result));
void lrutab_free(struct lrutab *);
/* lrutab_clear - drop every entry (the eviction count stays) */
void lrutab_clear(struct lrutab *);
/* lrutab_get - the entry of key, made the most recent; NULL if none */
struct lrutab_node *lrutab_get(struct lrutab *, const char *key);
/* lrutab_put - add e (its key set, not in the table) as the most recent;
 * the least recent one is evicted first when the table is full */
void lrutab_put(struct lrutab *, struct lrutab_node *e);
/* lrutab_del - remove and drop e */
void lrutab_del(struct lrutab *, struct lrutab_node *e);

#endif
