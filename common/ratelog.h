/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ratelog - a warning that peers or Redis can repeat at will is logged
 * once per interval, the next time with the count of those not logged
 * (Postfix's style): a flood of bad requests or error replies costs a
 * line a minute, not a line each.
 *
 * One struct ratelog per kind of event, zero-initialised or RATELOG_INIT;
 * ratelog_take() says whether this one is to be logged and how many were
 * left out since the last logged one. Thread-safe; never logs itself.
 */
#ifndef FG_RATELOG_H
#define FG_RATELOG_H

#include <pthread.h>
#include <stdbool.h>

#define RATELOG_INTERVAL_MS 60000

struct ratelog {
	pthread_mutex_t mu;
	long long next_ms;     /* monotonic ms: log again from then */
	unsigned long skipped; /* left out since the last logged */
};

#define RATELOG_INIT                                                           \
	{                                                                      \
		PTHREAD_MUTEX_INITIALIZER, 0, 0                                \
	}

/* ratelog_take - log an event at now (monotonic ms)? *skipped gets the
 * events left out before it */
bool ratelog_take(struct ratelog *, long long now, unsigned long *skipped);

#endif
