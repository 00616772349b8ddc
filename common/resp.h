/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * resp - a Redis command in the protocol's own form (RESP), written with
 * plain copies: hiredis' formatter (sdscatfmt) costs more than the rest
 * of a pipelined limiter command. Never allocates, never logs.
 */
#ifndef FG_RESP_H
#define FG_RESP_H

#include <stddef.h>

#include <hiredis/hiredis.h>

/* resp_format - argv as one RESP command in buf; its length, or 0 when
 * it does not fit (the caller then formats it another way); argvlen NULL:
 * the arguments are C strings */
size_t resp_format(char *buf, size_t size, int argc, const char *const *argv,
    const size_t *argvlen);

/* resp_field - the value of field name in a reply of field, value pairs
 * (HGETALL, a stream entry), or NULL when it has none (or not a string) */
const char *resp_field(const redisReply *pairs, const char *name);
/* resp_int - a reply (or element) holding an integer in [min, max], as
 * an integer or a string of digits (HMGET, TIME); 0 or -1 */
int resp_int(const redisReply *, long long min, long long max, long long *v)
    __attribute__((warn_unused_result));
/* resp_count - the same as a value: 0 for no reply, nil or anything else
 * (what Redis has not counted counts 0) */
long long resp_count(const redisReply *, long long min, long long max);

#endif
