/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * local - per-node limiter for when Redis is unreachable (degraded mode),
 * and the cache of blocks Redis has shown us, so known blocks are still
 * honoured while Redis is away.
 *
 * local_blocked() tells whether a known or local block applies; then
 * local_check() applies the same sliding-window rules as common/limiter.c to
 * one subject with in-process counters (rate metrics and block_after; the
 * distinct ip/sender signals need the shared view and are skipped).
 * Memory is bounded: at most LOCAL_MAX_SUBJECTS counters and
 * LOCAL_MAX_BLOCKS blocks, each table evicting its least recently used
 * entry one at a time (local_stats counts them; the caller logs).
 * Thread-safe (one lock per table).
 */
#ifndef FG_LOCAL_H
#define FG_LOCAL_H

#include <stdbool.h>

#include "conf.h"
#include "limiter.h"

/* counters: ~100 bytes + 72 a configured limit each; blocks ~250 bytes */
#define LOCAL_MAX_SUBJECTS 50000
#define LOCAL_MAX_BLOCKS   100000

struct local;

struct local_stats {
	unsigned long counters, blocks;                 /* held now */
	unsigned long counters_evicted, blocks_evicted; /* ever */
};

struct local *local_new(void);
void local_free(struct local *);
/* local_clear - forget the counters (call it when the set of limits
 * changes: a reload); the blocks stay */
void local_clear(struct local *);
/* local_check - r against c's limits with this node's counters, each
 * limit divided by share and rounded up (the degraded share: 1 = all) */
int local_check(struct local *, const struct conf *, const struct limiter_req *,
    long long now_ms, long long share, struct limiter_result *)
    __attribute__((warn_unused_result));
void local_note(struct local *, const struct limiter_req *,
    const struct limiter_result *, long long now_ms);
bool local_blocked(struct local *, const struct conf *,
    const struct limiter_req *, long long now_ms, struct limiter_result *);
void local_stats(struct local *, struct local_stats *);
/* local_unconfirmed - the block of r this node wrote to the master of
 * generation gen was (unconfirmed true) or was not confirmed by a
 * replica (WAIT); a block Redis only shows again keeps what is known */
void local_unconfirmed(struct local *, const struct limiter_req *,
    unsigned int gen, bool unconfirmed);
/* local_lost - Redis shows no block for r, but this node wrote one that
 * no replica confirmed to a master of another generation than gen (a
 * failover since), within block_cache_time: true, with what it said.
 * A block Redis showed again, or an admin lifted on the same master, is
 * not lost. */
bool local_lost(struct local *, const struct conf *, const struct limiter_req *,
    unsigned int gen, long long now_ms, struct limiter_result *);

#endif
