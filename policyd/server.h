/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server - policyd's listening sockets and client connections.
 *
 * server_listen() opens every "inet:HOST:PORT" / "unix:/PATH" socket of
 * the config (before privileges are dropped); connections then read
 * requests with bounded lines, hand each complete one to decide, and
 * write the answer. An idle healthy connection is never closed by us; a
 * malformed request is logged and its connection closed.
 */
#ifndef FG_SERVER_H
#define FG_SERVER_H

#include <event2/event.h>

#include "conf.h"
#include "decide.h"

struct server;

struct server *server_new(struct event_base *, struct decide *);
int server_listen(struct server *, const struct conf *, char *err,
    size_t errsize) __attribute__((warn_unused_result));
typedef void server_drained_cb(void *arg);
void server_drain(struct server *, server_drained_cb *, void *arg);
void server_free(struct server *);
int server_nconns(const struct server *);

#endif
