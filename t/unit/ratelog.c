/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ratelog - the first event logs, the rest of its interval only counts,
 * the first one after it logs with that count.
 */
#include "ratelog.h"
#include "tap.h"

int
main(void)
{
	struct ratelog r = RATELOG_INIT;
	unsigned long skipped = 99;
	int i, logged = 0;

	ok(ratelog_take(&r, 1000, &skipped) && skipped == 0,
	    "the first event is logged");
	for (i = 0; i < 100000; i++)
		logged += ratelog_take(&r, 1000 + i % 59000, &skipped);
	is_int(logged, 0, "100000 more within the interval: none logged");
	ok(ratelog_take(&r, 1000 + RATELOG_INTERVAL_MS, &skipped),
	    "the first after the interval is logged");
	is_int((long long)skipped, 100000, "with the count left out");
	ok(!ratelog_take(&r, 1000 + RATELOG_INTERVAL_MS + 1, &skipped) &&
	        skipped == 0,
	    "and opens the next interval");
	return tap_done();
}
