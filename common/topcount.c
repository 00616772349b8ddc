/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topcount - a bounded table of counts per subject, taken whole.
 *
 * Open addressing on a table of twice TOPCOUNT_MAX slots; topcount_take
 * swaps in an empty table under the lock and lays out the commands
 * outside it, so a flush never holds up a decision.
 */
#include <pthread.h>
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
	struct topcount_entry e[TOPCOUNT_SLOTS];
	int used;
};

static pthread_mutex_t topcount_mu = PTHREAD_MUTEX_INITIALIZER;
static struct topcount_table *topcount_tab;
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

void
topcount_add(enum subject_type t, const char *value, long long messages)
{
	struct topcount_entry *e;
	uint32_t i;

	if (messages <= 0 || value == NULL || value[0] == '\0')
		return;
	pthread_mutex_lock(&topcount_mu);
	if (topcount_tab == NULL &&
	    (topcount_tab = calloc(1, sizeof(*topcount_tab))) == NULL)
		goto dropped;
	for (i = topcount_hash(t, value) % TOPCOUNT_SLOTS;;
	     i = (i + 1) % TOPCOUNT_SLOTS) {
		e = &topcount_tab->e[i];
		if (e->value == NULL)
			break;
		if (e->type == t && strcmp(e->value, value) == 0) {
			e->n += messages;
			pthread_mutex_unlock(&topcount_mu);
			return;
		}
	}
	if (topcount_tab->used == TOPCOUNT_MAX ||
	    (e->value = strdup(value)) == NULL)
		goto dropped;
	e->type = t;
	e->n = messages;
	topcount_tab->used++;
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

void
topcount_free(struct topcount_flush *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nstrs; i++)
		free(f->strs[i]);
	free(f->strs);
	free(f->argc);
	free(f->argv);
	free(f);
}

/* topcount_str - a string the flush owns; NULL when out of memory */
static const char *
topcount_str(struct topcount_flush *f, char *s)
{
	if (s == NULL)
		return NULL;
	f->strs[f->nstrs++] = s;
	return s;
}

/* topcount_num - n as a string the flush owns */
static const char *
topcount_num(struct topcount_flush *f, long long n)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", n);
	return topcount_str(f, strdup(buf));
}

/* topcount_layout - the commands of table t into f; 0 or -1 */
static int
topcount_layout(struct topcount_flush *f, struct topcount_table *t,
    const char *prefix, long long now_ms)
{
	char key[SUBJECT_NTYPES][256];
	const char *k[SUBJECT_NTYPES] = {NULL};
	int i, ty;

	for (ty = 0; ty < SUBJECT_NTYPES; ty++)
		if (topset_key(key[ty], sizeof(key[ty]), prefix,
		        (enum subject_type)ty, topset_bucket(now_ms)) == -1)
			return -1;
	for (i = 0; i < TOPCOUNT_SLOTS; i++) {
		struct topcount_entry *e = &t->e[i];
		const char **a = f->argv[f->ncmd];

		if (e->value == NULL)
			continue;
		ty = e->type;
		if (k[ty] == NULL &&
		    (k[ty] = topcount_str(f, strdup(key[ty]))) == NULL)
			return -1;
		a[0] = "ZINCRBY";
		a[1] = k[ty];
		if ((a[2] = topcount_num(f, e->n)) == NULL)
			return -1;
		a[3] = topcount_str(f, e->value);
		e->value = NULL; /* the flush owns it now */
		f->argc[f->ncmd++] = 4;
	}
	for (ty = 0; ty < SUBJECT_NTYPES; ty++) {
		const char **a = f->argv[f->ncmd];

		if (k[ty] == NULL)
			continue;
		a[0] = "EXPIRE";
		a[1] = k[ty];
		a[2] = TOPSET_TTL_S;
		f->argc[f->ncmd++] = 3;
	}
	return 0;
}

struct topcount_flush *
topcount_take(const char *prefix, long long now_ms)
{
	struct topcount_table *t;
	struct topcount_flush *f;
	int i, n;

	pthread_mutex_lock(&topcount_mu);
	t = topcount_tab;
	if (t != NULL && t->used == 0)
		t = NULL;
	else
		topcount_tab = NULL;
	pthread_mutex_unlock(&topcount_mu);
	if (t == NULL)
		return NULL;
	n = t->used + SUBJECT_NTYPES;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->argc = calloc((size_t)n, sizeof(*f->argc))) == NULL ||
	    (f->argv = calloc((size_t)n, sizeof(*f->argv))) == NULL ||
	    (f->strs = calloc(
	         (size_t)(2 * n + SUBJECT_NTYPES), sizeof(*f->strs))) == NULL ||
	    topcount_layout(f, t, prefix, now_ms) == -1) {
		topcount_free(f);
		f = NULL;
	}
	for (i = 0; i < TOPCOUNT_SLOTS; i++)
		free(t->e[i].value);
	free(t);
	return f;
}
