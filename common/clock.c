/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clock - this host's monotonic clock and Redis' clock kept by it.
 *
 * Entry points: clock_mono_ms, clock_learn, clock_stale, clock_now_ms.
 * The offset of Redis' clock to the monotonic one is written by any
 * thread (policyd's loop, the milter's threads) and read by all: relaxed
 * atomics, as a torn or late read only moves a bucket edge by the time
 * between two TIME replies.
 */
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "resp.h"

/* the latest TIME believed (year 36812): ms of it fit any arithmetic */
#define CLOCK_SEC_MAX (1LL << 40)

/* Redis' clock minus the monotonic clock, and when it was learnt */
static long long clock_offset_ms, clock_learnt_ms;

long long
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
clock_learn(const redisReply *r)
{
	long long sec, usec, now = clock_mono_ms();

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    resp_int(r->element[0], 0, CLOCK_SEC_MAX, &sec) == -1 ||
	    resp_int(r->element[1], 0, 999999, &usec) == -1 || sec <= 0)
		return -1;
	__atomic_store_n(
	    &clock_offset_ms, sec * 1000 + usec / 1000 - now, __ATOMIC_RELAXED);
	__atomic_store_n(&clock_learnt_ms, now, __ATOMIC_RELAXED);
	return 0;
}

bool
clock_stale(void)
{
	long long t = __atomic_load_n(&clock_learnt_ms, __ATOMIC_RELAXED);

	return t == 0 || clock_mono_ms() - t > CLOCK_LEARN_MS;
}

long long
clock_now_ms(void)
{
	long long off = __atomic_load_n(&clock_offset_ms, __ATOMIC_RELAXED);
	struct timespec ts;

	/* never learnt (the offset of Redis' epoch time to a clock counting
	 * from boot is never 0): this host's clock */
	if (off == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	return clock_mono_ms() + off;
}
