/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pool - the milter's Redis connections: synchronous hiredis contexts
 * shared by libmilter's threads, every connect and command bounded by
 * redis.timeout, AUTH/SELECT on connect. A failed command drops its
 * connection and starts a backoff during which pool_get() fails at once,
 * so a dead Redis costs the callbacks nothing. Up/down changes are logged
 * once. Thread-safe.
 */
#ifndef FG_POOL_H
#define FG_POOL_H

#include <stdbool.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "sconn.h"

struct pool;

struct pool_conn {
	struct sconn *sc;
	unsigned int gen; /* the pool's config generation when opened */
};

struct pool *pool_new(void);
void pool_free(struct pool *);
/* pool_get - a connected context for c's redis section, or NULL (down) */
struct pool_conn *pool_get(struct pool *, const struct conf *);
/* pool_put - give back; healthy false (an I/O error) drops it and backs off */
void pool_put(struct pool *, struct pool_conn *, bool healthy);
/* pool_failing - a reply said Redis as a whole cannot serve now: no
 * connection is handed out until the backoff is over; one line per change */
void pool_failing(struct pool *, const char *why);
/* pool_answered - Redis decided a message: a failing one is back */
void pool_answered(struct pool *, const struct conf *);
bool pool_up(struct pool *);
/* pool_top - flush this milter's "who sends most" counts
 * (common/topcount.h) on a pooled connection */
void pool_top(struct pool *, const struct conf *);
/* pool_beat - one heartbeat of this milter (common/beat.h), on a pooled
 * connection: the live milter nodes and the master's replicas */
void pool_beat(struct pool *, const struct conf *);
/* what a message's verdict needs of the pool, read at once */
struct pool_view {
	long long nodes;  /* live milter nodes, last heartbeat */
	int replicas;     /* the master's; 0 while down */
	unsigned int gen; /* the master's generation: bumped when another
	                   * master is found (a failover) */
};

/* pool_view - the pool's state for one message, under one lock */
void pool_view(struct pool *, struct pool_view *);

#endif
