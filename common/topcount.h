/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topcount - this node's messages per subject this minute, for the "who
 * sends most" keys (common/topset.h, floodgate top).
 *
 * The decision path only adds to a table in memory (topcount_add): no
 * Redis command per message. The daemon's timer calls topcount_take
 * every TOPCOUNT_FLUSH_MS: per subject type counted, one ZADD of the
 * TOPCOUNT_SEND busiest subjects' counts this minute into the node's
 * sorted set, the node in the minute's set of nodes, their TTLs; at a
 * new minute the last one's final counts first. So Redis' work does not
 * grow with the messages nor with the subjects. At most TOPCOUNT_MAX
 * subjects a minute; more are not counted (topcount_dropped). Thread-safe
 * (the milter's threads); never logs.
 */
#ifndef FG_TOPCOUNT_H
#define FG_TOPCOUNT_H

#include <stddef.h>

#include "subject.h"

#define TOPCOUNT_MAX      8192 /* distinct subjects a minute */
#define TOPCOUNT_SEND     100  /* busiest subjects a type written */
#define TOPCOUNT_FLUSH_MS 5000 /* how often the daemons write */

/* one write: its commands (argv[i] of argc[i] words, strings owned) */
struct topcount_flush {
	int ncmd;
	int *argc;
	const char ***argv;
	char **strs; /* what argv points to */
	int nstrs, maxstrs;
	int answered; /* the sender's count of replies */
};

/* topcount_add - messages of subject (type, value normalised) counted at
 * now_ms (Redis' clock) */
void topcount_add(
    enum subject_type, const char *value, long long messages, long long now_ms);
/* topcount_take - the commands of what was counted, for node's keys
 * under prefix, at now_ms; NULL when nothing new was counted (or out of
 * memory: that write is skipped) */
struct topcount_flush *topcount_take(
    const char *prefix, const char *node, long long now_ms);
void topcount_free(struct topcount_flush *);
/* topcount_dropped - subjects not counted for a full table, ever */
unsigned long topcount_dropped(void);

#endif
