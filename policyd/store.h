/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store - policyd's Redis (policyd/store.c): one server, the master the
 * sentinels name, or a cluster's masters, on the daemon's event_base;
 * reconnects with backoff; commands that always complete within the
 * configured timeout.
 *
 * store_pipeline() calls cb exactly once per command, with the command's
 * index: with the reply, or with NULL when Redis is down, slow (the
 * timeout) or the connection broke. In a cluster each command goes to its
 * key's master and redirections are followed, so replies of one
 * pipeline may come in another order. A timeout drops the connection
 * that owes the reply, so a stuck Redis never piles up requests. A reply
 * that says Redis cannot serve now (rconn_reply_failing) makes the store
 * decide locally until it answers again (one log line per change). The
 * reply is borrowed: it dies when cb returns.
 */
#ifndef FG_STORE_H
#define FG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "conf.h"

struct store;
typedef void store_cb(const redisReply *, int i, void *arg);
/* the i-th command of a pipeline, borrowed until its reply is in (a
 * redirection asks for it again) */
typedef void store_cmd_fn(void *arg, int i, int *argc, const char *const **argv,
    const size_t **argvlen);

struct store *store_new(struct event_base *, const struct conf *);
void store_free(struct store *);
void store_reconf(struct store *, const struct conf *);
/* store_up - commands may be sent: connected and not failing (or its
 * backoff is over); a cluster: its map is known */
bool store_up(const struct store *);
/* store_state - "up", "down", "failing", or (a cluster with some master
 * unreachable) "partial" */
const char *store_state(const struct store *);
/* store_nodes - the live policyd nodes the last heartbeat counted, this
 * one included (common/beat.h); store_set_nodes - the heartbeat's */
long long store_nodes(const struct store *);
void store_set_nodes(struct store *, long long);
/* store_replicas - the master's replicas (ROLE); 0 while down and on a
 * cluster; store_set_replicas - the heartbeat's ROLE */
int store_replicas(const struct store *);
void store_set_replicas(struct store *, int);
/* store_not_master - the heartbeat's ROLE says the server is no master
 * (why): with sentinels they are asked again at once; a lone server is
 * failing (its writes are refused anyway) */
void store_not_master(struct store *, const char *why);
/* store_reconnects - connections made again after the first ones */
unsigned long store_reconnects(const struct store *);
/* store_conf - the config the store runs with now */
const struct conf *store_conf(const struct store *);
/* store_cluster - Redis is a cluster (no ROLE, no SELECT) */
bool store_cluster(const struct store *);
/* store_gen - the master's generation: bumped when another master is
 * found (a failover), so a block lost with the old one is written again */
unsigned int store_gen(const struct store *);
/* store_pipeline - n commands at once, one timeout for all: cb runs once
 * per command (see above); -1 (and no cb) when nothing could be sent */
int store_pipeline(struct store *, int n, store_cmd_fn *cmd, void *cmdarg,
    store_cb *cb, void *arg) __attribute__((warn_unused_result));

#endif
