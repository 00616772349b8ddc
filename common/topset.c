/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topset - the names of the per-minute "who sends most" keys.
 */
#include <stdio.h>

#include "topset.h"
#include "window.h"

long long
topset_bucket(long long now_ms)
{
	return window_bucket(now_ms, TOPSET_WINDOW_MS);
}

int
topset_key(char *buf, size_t size, const char *prefix, enum subject_type type,
    long long bucket, const char *node)
{
	int n = snprintf(buf, size, "%s{top:%s}:%lld%s%s", prefix,
	    subject_type_name(type), bucket, node != NULL ? ":" : "",
	    node != NULL ? node : "");

	return n < 0 || (size_t)n >= size ? -1 : 0;
}
