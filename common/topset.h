/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topset - who is sending most right now, without a scan of the key
 * space: per subject type one sorted set per minute,
 * "<prefix>{top:<type>}:<bucket>", member the subject's value, score its
 * messages (the ones Redis counted, refused ones included: a flood shows
 * even once blocked), added up by each node and flushed about once a
 * second (common/topcount.c), never a command per request. floodgate top
 * reads the current and the previous minute weighted as the limiter's
 * sliding window (common/window.h). Each flush gives the sets it writes
 * their TTL. The hash tag keeps one type's minutes in one cluster slot.
 * Never logs.
 */
#ifndef FG_TOPSET_H
#define FG_TOPSET_H

#include <stddef.h>

#include "subject.h"

#define TOPSET_WINDOW_MS 60000LL
#define TOPSET_TTL_S     "300" /* a minute's set lives this long at least */

/* topset_bucket - the minute of Redis' time now_ms */
long long topset_bucket(long long now_ms);
/* topset_key - the set of type's subjects in minute bucket; 0 or -1 */
int topset_key(char *buf, size_t size, const char *prefix,
    enum subject_type type, long long bucket)
    __attribute__((warn_unused_result));

#endif
