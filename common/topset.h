/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topset - who is sending most right now, without a scan of the key
 * space and without a command per message. Per subject type and minute:
 *   "<prefix>{top:<type>}:<minute>"         SET   the nodes that wrote
 *   "<prefix>{top:<type>}:<minute>:<node>"  ZSET  that node's busiest
 *                                                 subjects, by messages
 * Each node adds up the messages Redis counted per subject this minute
 * (refused ones included: a flood shows even once blocked) and writes its
 * busiest ones every few seconds in one ZADD (common/topcount.c).
 * floodgate top sums the nodes' sets of this minute and the last one,
 * weighted as the limiter's sliding window (common/window.h). The hash
 * tag keeps one type's keys in one cluster slot. Never logs.
 */
#ifndef FG_TOPSET_H
#define FG_TOPSET_H

#include <stddef.h>

#include "subject.h"

#define TOPSET_WINDOW_MS 60000LL
#define TOPSET_TTL_S     "300" /* a minute's keys live this long */

/* topset_bucket - the minute of Redis' time now_ms */
long long topset_bucket(long long now_ms);
/* topset_key - the set of nodes of type's minute bucket (node NULL), or
 * node's sorted set of it; 0 or -1 */
int topset_key(char *buf, size_t size, const char *prefix,
    enum subject_type type, long long bucket, const char *node)
    __attribute__((warn_unused_result));

#endif
