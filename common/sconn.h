/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sconn - a blocking connection to floodgate's Redis, as the milter's
 * threads, limitctl and the tools use it: one server (or the master the
 * sentinels named), or the masters of a cluster, one hiredis context per
 * master, connected when first needed.
 *
 * Commands are pipelined: sconn_append() queues one on the node owning
 * its key's slot (a keyless one, like WAIT, on the node of the command
 * before it); sconn_get() returns the replies in the order the commands
 * were appended, following -MOVED and -ASK (ASKING first) on the way:
 * a MOVED updates this connection's map and marks it stale, so its owner
 * drops it when done and the next one asks for the map anew. Every read
 * and connect is bounded by redis.timeout; an I/O error breaks the
 * connection (sconn_ok false). Not thread-safe: one thread at a time.
 */
#ifndef FG_SCONN_H
#define FG_SCONN_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"

#define SCONN_REDIRECTS 5

struct sconn;

/* sconn_open - a plain context to server ("HOST:PORT", "[V6]:PORT",
 * "unix:/PATH"), connect and I/O bounded by timeout_ms; NULL with why */
redisContext *sconn_open(const char *server, long long timeout_ms, char *why,
    size_t whysize) __attribute__((warn_unused_result));
/* sconn_dial - connect to server and run the handshake (common/rconn.h);
 * NULL with why. c is borrowed until sconn_free. */
struct sconn *sconn_dial(const struct conf *c, const char *server, char *why,
    size_t whysize) __attribute__((warn_unused_result));
/* sconn_dial_cluster - c's cluster: its seeds in turn from *seed until
 * one gives the slot map (CLUSTER SLOTS); NULL with why */
struct sconn *sconn_dial_cluster(const struct conf *c, int *seed, char *why,
    size_t whysize) __attribute__((warn_unused_result));
/* sconn_reach - c's Redis, whatever it is: its server, the master its
 * sentinels name, or its cluster (blocking: the admin command); NULL
 * with why */
struct sconn *sconn_reach(const struct conf *c, char *why, size_t whysize)
    __attribute__((warn_unused_result));
/* sconn_wrap - a connected context (owned from now on) as an sconn */
struct sconn *sconn_wrap(const struct conf *c, redisContext *);
void sconn_free(struct sconn *);

/* sconn_append - queue a command (argv borrowed until its reply is got:
 * a redirection sends it again); 0 or -1 (broken) */
int sconn_append(struct sconn *, int argc, const char *const *argv,
    const size_t *argvlen) __attribute__((warn_unused_result));
/* sconn_get - the next reply, in append order (the caller frees it);
 * 0, or -1 when the connection broke */
int sconn_get(struct sconn *, redisReply **)
    __attribute__((warn_unused_result));
/* sconn_command - append and get one command */
redisReply *sconn_command(
    struct sconn *, int argc, const char *const *argv, const size_t *argvlen);

/* sconn_ok - no I/O error, no timeout, nothing left unread */
bool sconn_ok(const struct sconn *);
/* sconn_stale - a MOVED changed the map: not to be kept */
bool sconn_stale(const struct sconn *);
/* sconn_replicas - the master's replicas (ROLE at connect); 0 on a
 * cluster (no WAIT there) */
int sconn_replicas(const struct sconn *);
/* sconn_why - the last error */
const char *sconn_why(const struct sconn *);

#endif
