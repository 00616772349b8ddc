/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * target - a SUBJECT as an admin writes it on floodgate(8)'s command
 * line: "alice@example.com" or "alice" (a SASL user), "203.0.113.7",
 * "2001:db8::1" (its /64, or the configured prefix), "uid:web42" or
 * "uid:1042" (the user's name when it has one), "sender:bob@example.org",
 * or any of them with an explicit "sasl:", "ip:", "uid:", "sender:"
 * prefix. Normalised exactly as the daemons do (common/subject.c), so
 * the keys named are theirs.
 */
#ifndef FG_TARGET_H
#define FG_TARGET_H

#include <stddef.h>

#include "conf.h"
#include "limiter.h"
#include "subject.h"

struct target {
	enum subject_type type;
	char raw[SUBJECT_RAW_MAX + 1];     /* as given, its type prefix off */
	char value[SUBJECT_VALUE_MAX];     /* normalised */
	char name[SUBJECT_VALUE_MAX + 16]; /* "sasl:alice@example.com" */
	char key[LIMITER_KEY_MAX];         /* its usage hash's key */
};

/* target_parse - arg into t; 0, or -1 with why */
int target_parse(const struct conf *, const char *arg, struct target *t,
    char *why, size_t whysize) __attribute__((warn_unused_result));
/* target_key - t's key with suffix (keys.h) into buf; 0 or -1 */
int target_key(const struct conf *, const struct target *t, const char *suffix,
    char *buf, size_t size) __attribute__((warn_unused_result));

#endif
