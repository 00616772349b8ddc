/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limiter - the shared sliding-window limiter: one atomic Lua call per
 * subject (common/limiter.lua) that checks every window and metric of the
 * subject's limits, counts all-or-nothing, counts denials and writes the
 * block hash and event when a subject floods.
 *
 * limiter_args() builds the EVALSHA/EVAL argument vector (transport-free,
 * so policyd's async client and the milter's sync one share it);
 * limiter_parse() validates the reply strictly. Never logs.
 */
#ifndef FG_LIMITER_H
#define FG_LIMITER_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "subject.h"

#define LIMITER_NKEYS    6
#define LIMITER_NFIXED   11
#define LIMITER_PERLIMIT 9
#define LIMITER_ARGV_MAX                                                       \
	(3 + LIMITER_NKEYS + LIMITER_NFIXED +                                  \
	    LIMITER_PERLIMIT * CONF_LIMITS_MAX)
#define LIMITER_KEY_MAX (CONF_NAME_MAX + SUBJECT_VALUE_MAX + 32)

enum limiter_status {
	LIMITER_PASS = 0,       /* counted */
	LIMITER_OVER = 1,       /* over a limit, nothing counted */
	LIMITER_BLOCKED = 2,    /* a block was already there */
	LIMITER_EXEMPT = 3,     /* exempt in Redis */
	LIMITER_BLOCK_NOW = 4,  /* a compromise signal blocked it now */
	LIMITER_OVER_BLOCK = 5, /* over a limit, and this denial blocked it */
};

enum limiter_mode {
	LIMITER_ENFORCE,
	LIMITER_DRYRUN,
	LIMITER_REFUND,
};

struct limiter_req {
	enum subject_type type;
	const char *value;  /* normalised (subject_norm) */
	long long messages; /* increments */
	long long recipients;
	long long bytes;
	const char *ip;     /* normalised client ip, or "" */
	const char *sender; /* normalised sender, or "" */
	const char *by;     /* "policyd" or "milter" */
	enum limiter_mode mode;
	long long now_ms; /* 0: Redis TIME (tests pin the clock) */
};

struct limiter_args {
	int argc;
	const char *argv[LIMITER_ARGV_MAX];
	size_t argvlen[LIMITER_ARGV_MAX];
	int nlimits; /* limits of this subject type */
	char keys[LIMITER_NKEYS][LIMITER_KEY_MAX];
	char subject[SUBJECT_VALUE_MAX + 16];
	char nums[8 + 8 * CONF_LIMITS_MAX][24];
};

struct limiter_result {
	enum limiter_status status;
	char rule[CONF_NAME_MAX];
	char what[96]; /* metric, or a block's reason */
	long long value;
	long long limit;
	long long now_ms;
};

extern const char limiter_lua[];

int limiter_init(void) __attribute__((warn_unused_result));
const char *limiter_sha(void);
int limiter_args(struct limiter_args *, const struct conf *,
    const struct limiter_req *, bool evalsha)
    __attribute__((warn_unused_result));
int limiter_parse(const redisReply *, struct limiter_result *)
    __attribute__((warn_unused_result));
bool limiter_noscript(const redisReply *);

#endif
