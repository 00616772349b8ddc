/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rconn - what every Redis connection of floodgate does alike, whatever
 * drives it (policyd's async context, the milter's blocking pool): the
 * server address, the handshake after connect, and the up/down state
 * with its backoff and its one log line per change.
 *
 * rconn_addr_parse() reads "HOST:PORT", "[V6]:PORT" and "unix:/PATH".
 * rconn_handshake() lays out AUTH, SELECT, TIME and PING;
 * rconn_handshake_reply() judges each reply (TIME teaches the clock).
 * rconn_went_down(), rconn_failing() and rconn_went_up() keep the state
 * and say whether the line they formatted is to be logged. Never logs,
 * never connects.
 */
#ifndef FG_RCONN_H
#define FG_RCONN_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"

#define RCONN_BACKOFF_MIN_MS 100
#define RCONN_BACKOFF_MAX_MS 5000
#define RCONN_HANDSHAKE_MAX  5
#define RCONN_MSG_MAX        256

struct rconn_addr {
	bool is_unix;
	char host[CONF_PATH_MAX]; /* or the socket's path */
	int port;
};

enum rconn_step {
	RCONN_AUTH,
	RCONN_SELECT,
	RCONN_TIME,
	RCONN_ROLE,
	RCONN_PING
};

struct rconn_cmd {
	enum rconn_step step;
	int argc;
	const char *argv[4];
};

struct rconn_handshake {
	int n;
	struct rconn_cmd cmd[RCONN_HANDSHAKE_MAX];
	char db[16];
	int replicas; /* the master's, from ROLE */
};

struct rconn_state {
	bool up, logged_down;
	bool warned_open;   /* rconn_open_warning said it */
	long long delay_ms; /* wait this long before the next connect */
	long long retry_at; /* monotonic ms: no connect before */
};

/* rconn_addr_parse - server into a; 0, or -1 with why */
int rconn_addr_parse(const char *server, struct rconn_addr *a, char *why,
    size_t whysize) __attribute__((warn_unused_result));
#define RCONN_IDENT_MAX                                                        \
	(CONF_PATH_MAX * (2 + CONF_SENTINELS_MAX + CONF_CLUSTER_MAX) +         \
	    CONF_NAME_MAX * 8 + 64)

/* rconn_ident - what names c's connection (server, user, password, db):
 * a reload that changes it reconnects */
void rconn_ident(const struct conf *c, char *buf, size_t size);
/* rconn_where - c's Redis in words for the log: the server, or the
 * master the sentinels name; returns buf */
const char *rconn_where(const struct conf *c, char *buf, size_t size);
/* rconn_handshake_init - the commands after connect, for c's redis
 * section (its password is borrowed: keep c alive while sending) */
void rconn_handshake_init(struct rconn_handshake *, const struct conf *c);
/* rconn_handshake_reply - the reply to cmd of h; 0, or -1 with why (the
 * connection is not to be used: a replica, say) */
int rconn_handshake_reply(struct rconn_handshake *h, const struct rconn_cmd *,
    const redisReply *, char *why, size_t whysize)
    __attribute__((warn_unused_result));
/* rconn_role - a ROLE reply: 0 for a master (*replicas: how many it
 * has), -1 with why for a replica or a sentinel (read-only: not ours to
 * count on) or a refused ROLE */
int rconn_role(const redisReply *, int *replicas, char *why, size_t whysize)
    __attribute__((warn_unused_result));

void rconn_state_init(struct rconn_state *);
/* rconn_went_down - a connect, handshake or command failed at now
 * (monotonic ms): start or lengthen the backoff; true when msg is to be
 * logged (once per change) */
bool rconn_went_down(struct rconn_state *, const char *why, const char *server,
    long long now, char *msg, size_t msgsize);
/* rconn_went_up - a handshake with server (as the log names it)
 * completed; true when msg is to be logged */
bool rconn_went_up(struct rconn_state *, const struct conf *,
    const char *server, char *msg, size_t msgsize);
/* rconn_reply_failing - an error reply that says Redis as a whole cannot
 * serve now (out of memory, a read-only replica, loading, no master, a
 * busy script, writes refused after a failed save, auth or ACL): not one
 * key's trouble */
bool rconn_reply_failing(const redisReply *);
/* rconn_failing - a command got such a reply at now: Redis counts as down
 * (backoff, one line per change: true when msg is to be logged) while
 * the connection stays; rconn_went_up ends it */
bool rconn_failing(struct rconn_state *, const char *why, const char *server,
    long long now, char *msg, size_t msgsize);
/* rconn_open_warning - c's Redis (server, the address connected to) is
 * reached over TCP without a password:
 * any local user can then lift its own block or exempt itself; true (the
 * first time for s) with the warning in msg */
bool rconn_open_warning(struct rconn_state *, const struct conf *c,
    const char *server, char *msg, size_t msgsize);
/* rconn_wait_ms - how long a block's write waits for one of the master's
 * replicas to have it (WAIT 1 ms): half the timeout; 0 with no replica */
long long rconn_wait_ms(const struct conf *, int replicas);
/* rconn_may_connect - the backoff is over */
bool rconn_may_connect(const struct rconn_state *, long long now);

#endif
