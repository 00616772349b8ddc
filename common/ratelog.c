/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ratelog - one line per interval for a repeated warning.
 *
 * Entry point: ratelog_take. The first event logs and opens an interval
 * of RATELOG_INTERVAL_MS; events inside it are counted; the first event
 * after it logs with that count and opens the next interval.
 */
#include "ratelog.h"

bool
ratelog_take(struct ratelog *r, long long now, unsigned long *skipped)
{
	bool take;

	pthread_mutex_lock(&r->mu);
	take = r->next_ms == 0 || now >= r->next_ms;
	if (take) {
		*skipped = r->skipped;
		r->skipped = 0;
		r->next_ms = now + RATELOG_INTERVAL_MS;
		if (r->next_ms == 0)
			r->next_ms = 1;
	} else {
		*skipped = 0;
		r->skipped++;
	}
	pthread_mutex_unlock(&r->mu);
	return take;
}
