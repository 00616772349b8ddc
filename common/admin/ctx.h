/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctx - what every subcommand of floodgate(8) shares: the config loaded,
 * the one Redis connection (common/sconn.c: a server, the sentinels'
 * master or a cluster), Redis' clock, the output mode, and the one way
 * an error is said (one line on stderr, exit status 2).
 */
#ifndef FG_CTX_H
#define FG_CTX_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "sconn.h"

/* exit status, as postqueue's and doveadm's: ok, nothing found, error */
#define CTX_OK   0
#define CTX_NONE 1
#define CTX_ERR  2

#define CTX_BATCH_MAX 1024 /* commands pipelined at most at once */

struct ctx {
	const char *path; /* the config file */
	struct conf *c;
	struct sconn *sc; /* NULL until ctx_redis */
	bool json;        /* -j: JSON lines */
	long long now_ms; /* Redis' clock (TIME) at connect */
};

/* ctx_error - "floodgate: <what>" on stderr */
void ctx_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* ctx_redis - connect to the config's Redis and read its clock; 0, or
 * -1 with the error said */
int ctx_redis(struct ctx *) __attribute__((warn_unused_result));
/* ctx_run - one command; its reply (the caller frees), or NULL with the
 * error said (a broken connection, an error reply) */
redisReply *ctx_run(struct ctx *, int argc, const char *const *argv)
    __attribute__((warn_unused_result));
/* ctx_batch - n commands pipelined (argv[i] of argc[i] words); their
 * replies in out[] (the caller frees each), error replies included;
 * 0, or -1 with the error said and nothing left in out */
int ctx_batch(struct ctx *, int n, const int *argc,
    const char *const *const *argv, redisReply **out)
    __attribute__((warn_unused_result));
/* ctx_keys - "VERB key" for each of n keys, pipelined CTX_BATCH_MAX at
 * a time; replies in out[0..n) (the caller frees each), error replies
 * included; 0, or -1 with the error said and nothing left in out */
int ctx_keys(struct ctx *, const char *verb, const char *const *keys, int n,
    redisReply **out) __attribute__((warn_unused_result));
/* ctx_str - a reply's string (a bulk or a status), or "" */
const char *ctx_str(const redisReply *);
/* ctx_age - seconds as "3d4h", "2h13m", "45s" into buf; returns buf */
const char *ctx_age(long long secs, char *buf, size_t size);

#endif
