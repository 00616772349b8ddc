/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * window - the sliding-window estimate, shared by the limiter (Redis
 * counters) and the local counters (degraded mode), so both decide alike.
 *
 * Per window two buckets: the current one and the one before. The
 * estimate is current + previous * (1 - elapsed / window), the previous
 * bucket's weight being the share of the window it still covers.
 */
#ifndef FG_WINDOW_H
#define FG_WINDOW_H

/* window_bucket - the bucket number of time now (ms) for a window (ms) */
long long window_bucket(long long now_ms, long long window_ms);
/* window_weight - the previous bucket's weight at now: 1 at the start
 * of a bucket, towards 0 at its end */
double window_weight(long long now_ms, long long window_ms);
/* window_estimate - the count inside the window ending now */
double window_estimate(double cur, double prev, double weight);

#endif
