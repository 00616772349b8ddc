/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store - policyd's one Redis connection (hiredis async on the daemon's
 * event_base): connect, AUTH/SELECT, reconnect with backoff, and commands
 * that always complete within the configured timeout.
 *
 * store_pipeline() calls cb exactly once per command: with the reply, or
 * with NULL when Redis is down, slow (the timeout) or the connection
 * broke. A timeout drops the connection, so a stuck Redis never piles up
 * requests. The reply is borrowed: it dies when cb returns.
 */
#ifndef FG_STORE_H
#define FG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "conf.h"

struct store;
typedef void store_cb(const redisReply *, void *arg);
/* the i-th command of a pipeline, borrowed until store_pipeline returns */
typedef void store_cmd_fn(void *arg, int i, int *argc, const char *const **argv,
    const size_t **argvlen);

struct store *store_new(struct event_base *, const struct conf *);
void store_free(struct store *);
void store_reconf(struct store *, const struct conf *);
/* store_up - commands may be sent: connected, and not failing (or its
 * backoff is over) */
bool store_up(const struct store *);
/* store_state - "up", "down" (no connection) or "failing" */
const char *store_state(const struct store *);
/* store_nodes - the live policyd nodes the last heartbeat counted, this
 * one included (common/beat.h) */
long long store_nodes(const struct store *);
/* store_replicas - the master's replicas (ROLE); 0 while down */
int store_replicas(const struct store *);
/* store_gen - the master's generation: bumped when another master is
 * found (a failover), so a block lost with the old one is written again */
unsigned int store_gen(const struct store *);
/* store_failing - a reply said Redis as a whole cannot serve now
 * (rconn_reply_failing): decide locally until it answers again; one log
 * line per change */
void store_failing(struct store *, const char *why);
/* store_answered - a subject was decided by Redis: a failing Redis is
 * back (logged once) */
void store_answered(struct store *);
/* store_pipeline - n commands at once, one timeout for all: cb runs once
 * per command, in order, with NULL for each one a failure or the timeout
 * cut off (a command hiredis could not even queue answers NULL at once);
 * -1 (and no cb) when nothing could be sent */
int store_pipeline(struct store *, int n, store_cmd_fn *cmd, void *cmdarg,
    store_cb *cb, void *arg) __attribute__((warn_unused_result));

#endif
