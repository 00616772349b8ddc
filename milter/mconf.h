/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mconf - the milter's running configuration: the parsed floodgate.conf
 * plus the stamp keys it names, shared by libmilter's threads. A thread
 * takes a reference (mconf_get) for the span of a callback and drops it
 * (mconf_put); mconf_load swaps in a new one atomically, and the old one
 * is freed when its last user is done. A broken file or key keeps the old.
 */
#ifndef FG_MCONF_H
#define FG_MCONF_H

#include <stddef.h>

#include "conf.h"
#include "stamp.h"

struct mconf {
	struct conf *c;
	struct stamp_key keys[STAMP_KEYS_MAX]; /* keys[0] signs */
	int nkeys;
	int refs; /* guarded by mconf's lock */
};

/* mconf_read - load path and its keys, not installed; NULL + err */
struct mconf *mconf_read(const char *path, char *err, size_t errsize)
    __attribute__((warn_unused_result));
/* mconf_install - make m current (takes ownership) */
void mconf_install(struct mconf *);
struct mconf *mconf_get(void);
void mconf_put(struct mconf *);

#endif
