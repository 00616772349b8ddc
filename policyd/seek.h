/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seek - policyd's asynchronous search for the master among the
 * sentinels (common/sentinel.h), on the daemon's event_base: each
 * sentinel in turn from a start index, each bounded by 2 x redis.timeout,
 * until one names the master. cb runs exactly once, with the address
 * and the index of the sentinel that answered, or with NULL and the
 * last reason; never inside seek_start() and never after seek_cancel().
 */
#ifndef FG_SEEK_H
#define FG_SEEK_H

#include <event2/event.h>

#include "conf.h"

struct seek;
typedef void seek_cb(void *arg, const char *server, int index, const char *why);

/* seek_start - c borrowed until cb or seek_cancel (a reload cancels);
 * NULL when out of memory or there is no sentinel */
struct seek *seek_start(struct event_base *, const struct conf *c, int start,
    seek_cb *cb, void *arg);
/* seek_cancel - stop and free; cb is not called */
void seek_cancel(struct seek *);

#endif
