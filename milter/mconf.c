/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mconf - load, share and swap the milter's configuration.
 *
 * Entry points: mconf_read, mconf_install, mconf_get, mconf_put. One
 * mutex guards the current pointer and the reference counts; the config
 * itself is immutable once installed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mconf.h"

static pthread_mutex_t mconf_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mconf *mconf_cur;

static void
mconf_free(struct mconf *m)
{
	if (m == NULL)
		return;
	conf_free(m->c);
	explicit_bzero(m->keys, sizeof(m->keys));
	free(m);
}

/* mconf_read - the config file and every key it lists */
struct mconf *
mconf_read(const char *path, char *err, size_t errsize)
{
	struct mconf *m = calloc(1, sizeof(*m));
	char kerr[512];

	if (m == NULL) {
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	if ((m->c = conf_load(path, err, errsize)) == NULL) {
		free(m);
		return NULL;
	}
	if (stamp_keys_load(m->c, m->keys, &m->nkeys, kerr, sizeof(kerr)) ==
	    -1) {
		snprintf(err, errsize, "%s: %s", path, kerr);
		mconf_free(m);
		return NULL;
	}
	return m;
}

void
mconf_install(struct mconf *m)
{
	struct mconf *old;

	pthread_mutex_lock(&mconf_mu);
	m->refs = 1; /* the current config's own reference */
	old = mconf_cur;
	mconf_cur = m;
	if (old != NULL && --old->refs == 0)
		mconf_free(old);
	pthread_mutex_unlock(&mconf_mu);
}

struct mconf *
mconf_get(void)
{
	struct mconf *m;

	pthread_mutex_lock(&mconf_mu);
	m = mconf_cur;
	if (m != NULL)
		m->refs++;
	pthread_mutex_unlock(&mconf_mu);
	return m;
}

void
mconf_put(struct mconf *m)
{
	bool last;

	if (m == NULL)
		return;
	pthread_mutex_lock(&mconf_mu);
	last = --m->refs == 0;
	pthread_mutex_unlock(&mconf_mu);
	if (last)
		mconf_free(m);
}
