/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * link - one async Redis connection: connect, handshake, up/down.
 *
 * Entry points: link_new, link_free, link_reconf, link_connect,
 * link_drop, link_shut, link_failing, link_answered, link_state, link_usable,
 * link_serving, link_may_connect, link_retry_ms, link_ctx, link_server, link_host,
 * link_port, link_replicas, link_why, link_set_label.
 * The connect and the handshake together are bounded by 5 x
 * redis.timeout (at least 1 s). hiredis frees a context itself after a
 * failed connect or a disconnect callback; every callback checks that
 * its context is still the link's, so a dropped one is never touched.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libevent.h>

#include "clock.h"
#include "link.h"
#include "log.h"
#include "str.h"

static bool link_warned_open; /* rconn_open_warning said it */

struct link {
	struct event_base *base;
	const struct conf *conf;
	char server[CONF_PATH_MAX];
	char label[CONF_PATH_MAX + CONF_NAME_MAX + 48];
	struct rconn_addr addr;
	bool addr_ok;
	redisAsyncContext *ctx;
	enum link_state state;
	struct rconn_state st;
	struct rconn_handshake hs;
	struct event *connect_to;
	int replicas;
	link_cb *cb;
	void *arg;
	char why[160];
};

/* link_close - forget the context (the disconnect callback sees NULL) */
static void
link_close(struct link *l)
{
	redisAsyncContext *ctx = l->ctx;

	l->ctx = NULL;
	l->state = LINK_DOWN;
	evtimer_del(l->connect_to);
	if (ctx != NULL) {
		ctx->data = NULL;
		redisAsyncFree(ctx);
	}
}

/* link_down - down for why: the backoff, the line; true when logged */
static bool
link_down(struct link *l, const char *why)
{
	char msg[RCONN_MSG_MAX];
	bool logged;

	if (why != l->why)
		str_lcpy(l->why, why, sizeof(l->why));
	logged = rconn_went_down(
	    &l->st, l->why, l->label, clock_mono_ms(), msg, sizeof(msg));
	if (logged)
		log_warnx("%s", msg);
	link_close(l);
	return logged;
}

/* link_lost - down by itself (connect refused, closed, timeout) */
static void
link_lost(struct link *l, const char *why)
{
	bool logged = link_down(l, why);

	l->cb(l->arg, l, false, logged);
}

static void
link_on_connect(const redisAsyncContext *ctx, int status)
{
	struct link *l = ctx->data;

	if (l == NULL || l->ctx != ctx || status == REDIS_OK)
		return;
	l->ctx = NULL; /* hiredis frees it on a failed connect */
	str_lcpy(l->why, ctx->errstr, sizeof(l->why));
	link_lost(l, l->why);
}

static void
link_on_disconnect(const redisAsyncContext *ctx, int status)
{
	struct link *l = ctx->data;

	(void)status;
	if (l == NULL || l->ctx != ctx)
		return;
	l->ctx = NULL; /* hiredis frees it after this returns */
	str_lcpy(l->why, ctx->errstr[0] ? ctx->errstr : "connection closed",
	    sizeof(l->why));
	link_lost(l, l->why);
}

static void
link_on_connect_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	link_lost(arg, "connect timeout");
}

/* link_on_handshake - a reply of the handshake; PING's makes it up */
static void
link_on_handshake(redisAsyncContext *ctx, void *r, void *priv)
{
	const struct rconn_cmd *cmd = priv;
	struct link *l = ctx->data;
	char msg[RCONN_MSG_MAX];
	bool logged = false;

	if (r == NULL || l == NULL || l->ctx != ctx)
		return;
	if (rconn_handshake_reply(&l->hs, cmd, r, l->why, sizeof(l->why)) ==
	    -1) {
		link_lost(l, l->why);
		return;
	}
	if (cmd->step != RCONN_PING)
		return;
	evtimer_del(l->connect_to);
	l->state = LINK_UP;
	l->replicas = l->hs.replicas;
	if (rconn_went_up(&l->st, l->conf, l->label, msg, sizeof(msg))) {
		log_info("%s", msg);
		logged = true;
	}
	/* once per daemon, not per link (a cluster has many) */
	l->st.warned_open = link_warned_open;
	if (rconn_open_warning(&l->st, l->conf, l->server, msg, sizeof(msg)))
		log_warnx("%s", msg);
	link_warned_open = l->st.warned_open;
	l->cb(l->arg, l, true, logged);
}

struct link *
link_new(struct event_base *base, const struct conf *c, const char *server,
    link_cb *cb, void *arg)
{
	struct link *l = calloc(1, sizeof(*l));
	char why[160];

	if (l == NULL)
		return NULL;
	if ((l->connect_to = evtimer_new(base, link_on_connect_timeout, l)) ==
	    NULL) {
		free(l);
		return NULL;
	}
	l->base = base;
	l->conf = c;
	l->cb = cb;
	l->arg = arg;
	str_lcpy(l->server, server, sizeof(l->server));
	str_lcpy(l->label, server, sizeof(l->label));
	l->addr_ok = rconn_addr_parse(server, &l->addr, why, sizeof(why)) == 0;
	if (!l->addr_ok)
		str_lcpy(l->why, why, sizeof(l->why));
	rconn_state_init(&l->st);
	return l;
}

void
link_free(struct link *l)
{
	if (l == NULL)
		return;
	link_close(l);
	event_free(l->connect_to);
	free(l);
}

void
link_reconf(struct link *l, const struct conf *c)
{
	l->conf = c;
}

bool
link_connect(struct link *l)
{
	long long ms = l->conf->redis.timeout_ms * 5 < 1000
	    ? 1000
	    : l->conf->redis.timeout_ms * 5;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	redisAsyncContext *ctx;
	int i;

	if (l->state != LINK_DOWN)
		return true;
	if (!l->addr_ok) {
		(void)link_down(l, l->why);
		return false;
	}
	ctx = l->addr.is_unix ? redisAsyncConnectUnix(l->addr.host)
	                      : redisAsyncConnect(l->addr.host, l->addr.port);
	if (ctx == NULL || ctx->err) {
		str_lcpy(l->why, ctx != NULL ? ctx->errstr : "out of memory",
		    sizeof(l->why));
		if (ctx != NULL)
			redisAsyncFree(ctx);
		(void)link_down(l, l->why);
		return false;
	}
	l->ctx = ctx;
	ctx->data = l;
	l->state = LINK_CONNECTING;
	redisLibeventAttach(ctx, l->base);
	redisAsyncSetConnectCallback(ctx, link_on_connect);
	redisAsyncSetDisconnectCallback(ctx, link_on_disconnect);
	rconn_handshake_init(&l->hs, l->conf);
	for (i = 0; i < l->hs.n; i++)
		redisAsyncCommandArgv(ctx, link_on_handshake, &l->hs.cmd[i],
		    l->hs.cmd[i].argc, l->hs.cmd[i].argv, NULL);
	evtimer_add(l->connect_to, &tv);
	return true;
}

bool
link_drop(struct link *l, const char *why)
{
	return link_down(l, why);
}

void
link_shut(struct link *l)
{
	link_close(l);
}

bool
link_failing(struct link *l, const char *why)
{
	char msg[RCONN_MSG_MAX];

	if (!rconn_failing(
	        &l->st, why, l->label, clock_mono_ms(), msg, sizeof(msg)))
		return false;
	log_warnx("%s", msg);
	return true;
}

void
link_answered(struct link *l)
{
	char msg[RCONN_MSG_MAX];

	if (!l->st.up && l->state == LINK_UP &&
	    rconn_went_up(&l->st, l->conf, l->label, msg, sizeof(msg)))
		log_info("%s", msg);
}

enum link_state
link_state(const struct link *l)
{
	return l->state;
}

bool
link_usable(const struct link *l)
{
	return l->state == LINK_UP &&
	    (l->st.up || rconn_may_connect(&l->st, clock_mono_ms()));
}

bool
link_serving(const struct link *l)
{
	return l->state == LINK_UP && l->st.up;
}

bool
link_may_connect(const struct link *l)
{
	return l->state == LINK_DOWN &&
	    rconn_may_connect(&l->st, clock_mono_ms());
}

long long
link_retry_ms(const struct link *l)
{
	long long d = l->st.retry_at - clock_mono_ms();

	return d > 0 ? d : 0;
}

redisAsyncContext *
link_ctx(const struct link *l)
{
	return l->ctx;
}

const char *
link_server(const struct link *l)
{
	return l->server;
}

const char *
link_host(const struct link *l)
{
	return l->addr.is_unix ? "" : l->addr.host;
}

int
link_port(const struct link *l)
{
	return l->addr.port;
}

int
link_replicas(const struct link *l)
{
	return l->state == LINK_UP ? l->replicas : 0;
}

const char *
link_why(const struct link *l)
{
	return l->why;
}

void
link_set_label(struct link *l, const char *label)
{
	str_lcpy(l->label, label, sizeof(l->label));
}
