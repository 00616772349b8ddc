/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topcount - this node's messages per subject since the last flush, for
 * the "who sends most" sets (common/topset.h, floodgate top).
 *
 * The decision path only adds to a table in memory (topcount_add: no
 * Redis command per request, so the top costs Redis nothing per message
 * and a flood of one subject one ZINCRBY a flush); the daemon's timer
 * takes the table (topcount_take) about once a second and sends the
 * commands laid out: ZINCRBY of each subject's count into the current
 * minute's set of its type, and one EXPIRE per set. At most
 * TOPCOUNT_MAX subjects between two flushes; more are not counted
 * (topcount_dropped says how many). Thread-safe (the milter's threads);
 * never logs.
 */
#ifndef FG_TOPCOUNT_H
#define FG_TOPCOUNT_H

#include <stddef.h>

#include "subject.h"

#define TOPCOUNT_MAX      4096 /* distinct subjects between two flushes */
#define TOPCOUNT_FLUSH_MS 1000 /* how often the daemons flush */

/* one flush: its commands (argv[i] of argc[i] words, strings owned) */
struct topcount_flush {
	int ncmd;
	int *argc;
	const char *(*argv)[4];
	char **strs; /* what argv points to */
	int nstrs;
	int answered; /* the sender's count of replies */
};

/* topcount_add - messages of subject (type, value normalised) counted */
void topcount_add(enum subject_type, const char *value, long long messages);
/* topcount_take - the commands of what was counted since the last take,
 * into the sets of minute now_ms (Redis' clock) under prefix; NULL when
 * nothing was counted (or out of memory: that count is lost) */
struct topcount_flush *topcount_take(const char *prefix, long long now_ms);
void topcount_free(struct topcount_flush *);
/* topcount_dropped - subjects not counted for a full table, ever */
unsigned long topcount_dropped(void);

#endif
