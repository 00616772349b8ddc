/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server - policyd's client connections.
 *
 * server_listen() opens every socket of the config (listener.c, before
 * privileges are dropped); each accepted peer is checked (peer.c) and
 * counted per peer; connections then read requests with bounded lines
 * and a deadline from a request's first byte, hand each complete one to
 * decide, and write the answer, reading no further while a client leaves
 * answers unread. An idle connection is closed only after idle_timeout,
 * longer than Postfix keeps one; a malformed request is logged and its
 * connection closed once the answers before it are out.
 */
#ifndef FG_SERVER_H
#define FG_SERVER_H

#include <event2/event.h>

#include "conf.h"
#include "decide.h"

struct server;

struct server_stats {
	int conns;
	unsigned long refused;  /* peers not allowed (allow_users/networks) */
	unsigned long capped;   /* over max_connections_per_peer */
	unsigned long full;     /* over max_connections */
	unsigned long timeouts; /* requests or answers past request_timeout */
	unsigned long paused;   /* accept paused for want of descriptors */
};

struct server *server_new(struct event_base *, struct decide *);
int server_listen(struct server *, const struct conf *, char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* server_reconf - who may connect, and how often, from a reloaded cf */
void server_reconf(struct server *, const struct conf *);
typedef void server_drained_cb(void *arg);
void server_drain(struct server *, server_drained_cb *, void *arg);
void server_free(struct server *);
int server_nconns(const struct server *);
void server_stats(const struct server *, struct server_stats *);

#endif
