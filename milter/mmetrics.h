/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mmetrics - the milter's Prometheus metrics on milter.metrics_listen
 * ("inet:HOST:PORT", off by default): a thread of its own runs
 * libevent's evhttp (common/prom.h) while libmilter's threads tally each
 * message (thread-safe). Messages by origin, stamped, forged stamps
 * removed, attribution failures, actions, the time to find an origin
 * (sock_diag and the helper) and to decide in Redis, Redis up.
 */
#ifndef FG_MMETRICS_H
#define FG_MMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "origin.h"

/* mmetrics_start - serve on spec; up() says whether Redis answers;
 * 0, or -1 with err */
int mmetrics_start(const char *spec, bool (*up)(void), char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* mmetrics_message - one message at end-of-message: its origin, whether
 * it was stamped, forged stamps removed, the action taken */
void mmetrics_message(
    const struct origin *, bool stamped, int removed, enum conf_mact act);
/* mmetrics_origin_us, mmetrics_redis_us - a latency observed */
void mmetrics_origin_us(uint64_t us);
void mmetrics_redis_us(uint64_t us);
/* mmetrics_now_us - the monotonic clock, for the latencies */
uint64_t mmetrics_now_us(void);

#endif
