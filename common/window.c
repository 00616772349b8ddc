/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * window - bucket numbers and the sliding-window estimate.
 *
 * Entry points: window_bucket, window_weight, window_estimate. Pure
 * arithmetic; the caller owns the counters and the clock.
 */
#include "window.h"

long long
window_bucket(long long now_ms, long long window_ms)
{
	return now_ms / window_ms;
}

double
window_weight(long long now_ms, long long window_ms)
{
	long long into = now_ms - window_bucket(now_ms, window_ms) * window_ms;

	return (double)(window_ms - into) / (double)window_ms;
}

double
window_estimate(double cur, double prev, double weight)
{
	return cur + prev * weight;
}
