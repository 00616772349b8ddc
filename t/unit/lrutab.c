/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lrutab - the bound holds, the least recently used entry goes first and
 * one at a time, a get makes an entry recent, del and clear drop through
 * the drop function, many keys in few buckets still resolve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrutab.h"
#include "tap.h"

struct item {
	struct lrutab_node node;
	char key[16];
};

static int dropped;

static void
drop(struct lrutab_node *n)
{
	dropped++;
	free(n);
}

static void
put(struct lrutab *t, const char *key)
{
	struct item *it = calloc(1, sizeof(*it));

	snprintf(it->key, sizeof(it->key), "%s", key);
	it->node.key = it->key;
	lrutab_put(t, &it->node);
}

int
main(void)
{
	struct lrutab t;
	char key[16];
	int i, found = 0;

	is_int(lrutab_init(&t, 3, drop), 0, "a table of 3");
	put(&t, "a");
	put(&t, "b");
	put(&t, "c");
	ok(lrutab_get(&t, "a") != NULL, "a is there (and now recent)");
	put(&t, "d");
	ok(lrutab_get(&t, "b") == NULL, "the least recent (b) was evicted");
	ok(lrutab_get(&t, "a") && lrutab_get(&t, "c") && lrutab_get(&t, "d"),
	    "one at a time: the others stay");
	ok(t.n == 3 && t.evicted == 1 && dropped == 1, "3 held, 1 evicted");
	lrutab_del(&t, lrutab_get(&t, "c"));
	ok(lrutab_get(&t, "c") == NULL && t.n == 2 && dropped == 2,
	    "del drops");
	lrutab_clear(&t);
	ok(t.n == 0 && dropped == 4 && t.newest == NULL && t.oldest == NULL,
	    "clear drops everything");
	lrutab_free(&t);

	/* 100000 keys through a table of 1000: the bound and every key */
	is_int(lrutab_init(&t, 1000, drop), 0, "a table of 1000");
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(&t, key);
		if (i % 10 == 0)
			found += lrutab_get(&t, "k0") != NULL;
	}
	ok(t.n == 1000 && t.evicted == 99000, "the bound holds (%lu evicted)",
	    t.evicted);
	is_int(found, 10000, "a key used all along is never evicted");
	for (i = 99000, found = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		found += lrutab_get(&t, key) != NULL;
	}
	is_int(found, 999, "the newest others are all there");
	lrutab_free(&t);
	return tap_done();
}
