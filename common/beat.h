/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * beat - a node's heartbeat in Redis and what it learns back: how many
 * nodes of its kind (policyd, milter) were alive lately, for the share
 * of every limit a node enforces alone while Redis is away
 * (degraded_share), and, on a single Redis or a Sentinel master, how
 * many replicas the master has (a block's write then waits for one).
 *
 * Every BEAT_INTERVAL_MS a node adds itself to the sorted set
 * "<prefix>nodes:<kind>" scored by Redis' clock, drops the members not
 * seen for BEAT_LIVE_MS and counts the rest: one pipeline of five
 * commands, never per request. Transport-free like the limiter: the
 * caller sends beat_ncmd() commands and hands each reply to beat_take().
 * Never logs.
 */
#ifndef FG_BEAT_H
#define FG_BEAT_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"

#define BEAT_INTERVAL_MS 5000
#define BEAT_LIVE_MS     (3 * BEAT_INTERVAL_MS)
#define BEAT_CMDS_MAX    5
#define BEAT_LINE_MAX    256

struct beat {
	int ncmd;
	int argc[BEAT_CMDS_MAX];
	const char *argv[BEAT_CMDS_MAX][5];
	char key[CONF_NAME_MAX + 16], now[24], dead[24], ttl[24];
	char node[CONF_NAME_MAX]; /* a copy: a reload frees the config */
	long long nodes; /* live nodes of the kind, this one included */
	int replicas;    /* of the master; -1 when not asked (cluster) */
};

/* beat_start - the commands of one heartbeat of c's node as kind
 * ("policyd", "milter") at now_ms (Redis' clock); role: ask ROLE too
 * (beat_replicas then counts the master's replicas) */
void beat_start(struct beat *, const struct conf *c, const char *kind,
    long long now_ms, bool role);
enum { BEAT_OK = 0, BEAT_BAD = -1, BEAT_NOT_MASTER = -2 };

/* beat_take - reply i: BEAT_OK; BEAT_BAD for a missing or wrong reply;
 * BEAT_NOT_MASTER when ROLE says the server is a master no more (a
 * failover no request has met yet: the caller finds the new one). why
 * says what, for the log */
int beat_take(struct beat *, int i, const redisReply *, char *why,
    size_t whysize) __attribute__((warn_unused_result));

/* beat_share - the divisor of every limit while Redis is away: the live
 * nodes last seen (at least 1), or 1 with degraded_share = full */
long long beat_share(enum conf_share, long long nodes);
/* beat_share_line - the line that says which share applies now */
void beat_share_line(
    enum conf_share, const char *kind, long long nodes, char *buf, size_t size);

#endif
