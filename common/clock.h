/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clock - the one monotonic clock, and Redis' clock kept by it.
 *
 * clock_mono_ms() is this host's monotonic clock (timeouts, backoff,
 * cache ages: steps of the wall clock never matter). The limiter's
 * buckets use Redis' clock instead, so every node counts in the same
 * buckets: clock_learn() takes a TIME reply (at every connect, and when
 * clock_stale() says the last one is older than CLOCK_LEARN_MS) and
 * clock_now_ms() keeps it by the monotonic clock in between.
 * Thread-safe (atomics); never logs.
 */
#ifndef FG_CLOCK_H
#define FG_CLOCK_H

#include <stdbool.h>

#include <hiredis/hiredis.h>

/* how often Redis' clock is learnt anew (a step of Redis' clock) */
#define CLOCK_LEARN_MS 60000

/* clock_mono_ms - this host's monotonic clock, in ms */
long long clock_mono_ms(void);
/* clock_learn - learn Redis' clock from a TIME reply; 0 or -1 */
int clock_learn(const redisReply *) __attribute__((warn_unused_result));
/* clock_stale - not learnt within CLOCK_LEARN_MS */
bool clock_stale(void);
/* clock_now_ms - Redis' time in ms (this host's until learnt once) */
long long clock_now_ms(void);

#endif
