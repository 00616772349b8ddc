/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sentinel - finding the master through Redis Sentinel
 * (redis.sentinels, master_name, sentinel_password).
 *
 * sentinel_ask_init() lays out what one sentinel is asked: AUTH when
 * sentinel_password is set, then SENTINEL get-master-addr-by-name;
 * sentinel_master() reads the answer into a server address rconn
 * parses ("HOST:PORT", "[V6]:PORT"). sentinel_seek() asks the sentinels
 * in turn on blocking connections (the milter's threads): one down is
 * no outage. policyd asks them asynchronously (policyd/seek.c). The
 * master found is then checked with ROLE like any server (rconn).
 * Never logs.
 */
#ifndef FG_SENTINEL_H
#define FG_SENTINEL_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"

#define SENTINEL_CMDS_MAX 2

struct sentinel_ask {
	int n;
	int argc[SENTINEL_CMDS_MAX];
	const char *argv[SENTINEL_CMDS_MAX][3];
};

/* sentinel_ask_init - the commands for c's sentinels (c borrowed) */
void sentinel_ask_init(struct sentinel_ask *, const struct conf *c);
/* sentinel_master - the reply to command i of the ask: 0 (for the last
 * command, server holds the master's address), or -1 with why */
int sentinel_master(const struct sentinel_ask *, int i, const redisReply *,
    char *server, size_t size, char *why, size_t whysize)
    __attribute__((warn_unused_result));
/* sentinel_seek - ask the sentinels of c in turn from *next (blocking,
 * each bounded by redis.timeout); 0 with the master's address in server
 * (*next: the sentinel that answered), or -1 with the last why */
int sentinel_seek(const struct conf *c, int *next, char *server, size_t size,
    char *why, size_t whysize) __attribute__((warn_unused_result));

#endif
