/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * link - one hiredis async connection of policyd to one Redis server (the
 * server, the sentinels' master, or one node of a cluster) on the
 * daemon's event_base: the connect, the handshake (common/rconn.h), the
 * connect timeout, and its up/down state with backoff and one log line
 * per change. Its owner (policyd/store.c) decides when to connect again
 * and sends the commands (link_ctx).
 *
 * cb(arg, l, up, logged) runs when the handshake completes (up) and
 * when the connection is lost or refused (down; link_why says why);
 * logged: the link logged the change (once per change). Never from
 * inside a call of the owner; link_drop and link_failing return it.
 */
#ifndef FG_LINK_H
#define FG_LINK_H

#include <stdbool.h>

#include <event2/event.h>
#include <hiredis/async.h>

#include "conf.h"
#include "rconn.h"

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_UP };

struct link;
typedef void link_cb(void *arg, struct link *, bool up, bool logged);

/* link_new - a link to server (c borrowed: link_reconf replaces it) */
struct link *link_new(struct event_base *, const struct conf *c,
    const char *server, link_cb *cb, void *arg);
void link_free(struct link *);
void link_reconf(struct link *, const struct conf *);
/* link_connect - start connecting (down, and its backoff over); false
 * when it failed at once (a unix socket missing, say): still down, and
 * no cb comes, so the owner tries again after link_retry_ms */
bool link_connect(struct link *);
/* link_drop - close it now (a timeout, a failing reply): down, backoff
 * lengthened, logged once per change (true then); cb is not called */
bool link_drop(struct link *, const char *why);
/* link_shut - close it without a line: it is out of use (another
 * master); its commands still pending get NULL */
void link_shut(struct link *);
/* link_failing - a reply said the server cannot serve now: it counts as
 * down (backoff, one line: true then) while the connection stays */
bool link_failing(struct link *, const char *why);
/* link_answered - the server decided a subject: a failing one is back */
void link_answered(struct link *);

enum link_state link_state(const struct link *);
/* link_usable - up and not failing, or its backoff is over */
bool link_usable(const struct link *);
/* link_serving - up, and not failing */
bool link_serving(const struct link *);
/* link_may_connect - down and its backoff is over */
bool link_may_connect(const struct link *);
/* link_retry_ms - how long until link_may_connect (0: now) */
long long link_retry_ms(const struct link *);
redisAsyncContext *link_ctx(const struct link *);
const char *link_server(const struct link *);
/* link_host - the host of its address ("" for a unix socket) */
const char *link_host(const struct link *);
int link_port(const struct link *);
/* link_replicas - the server's replicas (ROLE at connect) */
int link_replicas(const struct link *);
const char *link_why(const struct link *);
/* link_set_label - how the log names it (default: its server) */
void link_set_label(struct link *, const char *label);

#endif
