/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seek - the master's address from the sentinels, asynchronously.
 *
 * Entry points: seek_start, seek_cancel. One hiredis async connection
 * at a time; a sentinel that refuses, does not know the master, answers
 * garbage or is too slow moves the search to the next one. A context is
 * never freed while hiredis runs its callbacks for it: hiredis 0.14
 * defers redisAsyncFree() called from a callback, and every callback
 * checks that its context is still the current one.
 */
#include <stdio.h>
#include <stdlib.h>

#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "rconn.h"
#include "seek.h"
#include "sentinel.h"
#include "str.h"

struct seek {
	struct event_base *base;
	const struct conf *c;
	struct sentinel_ask ask;
	redisAsyncContext *ctx;
	struct event *timer;
	int i, tried;
	bool started; /* the first ask was made */
	seek_cb *cb;
	void *arg;
	char why[192];
};

static void seek_next(struct seek *);

/* seek_close - forget the current connection */
static void
seek_close(struct seek *k)
{
	redisAsyncContext *ctx = k->ctx;

	k->ctx = NULL;
	evtimer_del(k->timer);
	if (ctx != NULL) {
		ctx->data = NULL;
		redisAsyncFree(ctx);
	}
}

/* seek_end - report and free */
static void
seek_end(struct seek *k, const char *server)
{
	seek_cb *cb = k->cb;
	void *arg = k->arg;
	char why[sizeof(k->why)];
	int i = k->i;

	str_lcpy(why, k->why, sizeof(why));
	seek_cancel(k);
	cb(arg, server, i, why);
}

/* seek_fail - sentinel i failed for why: the next one, or the end */
static void
seek_fail(struct seek *k, const char *why)
{
	char one[sizeof(k->why)];

	str_lcpy(one, why, sizeof(one));
	snprintf(k->why, sizeof(k->why), "sentinel %.64s: %.110s",
	    k->c->redis.sentinels[k->i], one);
	seek_close(k);
	if (++k->tried >= k->c->redis.nsentinels) {
		seek_end(k, NULL);
		return;
	}
	k->i = (k->i + 1) % k->c->redis.nsentinels;
	seek_next(k);
}

static void
seek_on_connect(const redisAsyncContext *ctx, int status)
{
	struct seek *k = ctx->data;

	if (k == NULL || k->ctx != ctx || status == REDIS_OK)
		return;
	k->ctx = NULL; /* hiredis frees it on a failed connect */
	((redisAsyncContext *)ctx)->data = NULL; /* its callbacks: not ours */
	seek_fail(k, ctx->errstr);
}

static void
seek_on_disconnect(const redisAsyncContext *ctx, int status)
{
	struct seek *k = ctx->data;

	(void)status;
	if (k == NULL || k->ctx != ctx)
		return;
	k->ctx = NULL; /* hiredis frees it after this returns */
	((redisAsyncContext *)ctx)->data = NULL;
	seek_fail(k, ctx->errstr[0] ? ctx->errstr : "connection closed");
}

/* seek_on_reply - a reply of the ask; the last one names the master */
static void
seek_on_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	struct seek *k;
	int i = (int)(long)priv;
	char server[CONF_PATH_MAX], why[160];

	/* a NULL reply may come after k is gone: look at nothing then */
	if (r == NULL || (k = ctx->data) == NULL || k->ctx != ctx)
		return;
	if (sentinel_master(
	        &k->ask, i, r, server, sizeof(server), why, sizeof(why)) == -1)
		seek_fail(k, why);
	else if (i == k->ask.n - 1)
		seek_end(k, server);
}

static void
seek_on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct seek *k = arg;

	(void)fd;
	(void)ev;
	if (k->ctx == NULL && k->tried == 0 && !k->started) {
		k->started = true; /* the first ask, out of seek_start */
		seek_next(k);
		return;
	}
	seek_fail(k, "timeout");
}

/* seek_next - connect to sentinel k->i and ask it */
static void
seek_next(struct seek *k)
{
	long long ms = 2 * k->c->redis.timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct rconn_addr a;
	redisAsyncContext *ctx;
	char why[160];
	int i;

	if (rconn_addr_parse(
	        k->c->redis.sentinels[k->i], &a, why, sizeof(why)) == -1) {
		seek_fail(k, why);
		return;
	}
	ctx = a.is_unix ? redisAsyncConnectUnix(a.host)
	                : redisAsyncConnect(a.host, a.port);
	if (ctx == NULL || ctx->err) {
		str_lcpy(why, ctx != NULL ? ctx->errstr : "out of memory",
		    sizeof(why));
		if (ctx != NULL)
			redisAsyncFree(ctx);
		seek_fail(k, why);
		return;
	}
	k->ctx = ctx;
	ctx->data = k;
	redisLibeventAttach(ctx, k->base);
	redisAsyncSetConnectCallback(ctx, seek_on_connect);
	redisAsyncSetDisconnectCallback(ctx, seek_on_disconnect);
	for (i = 0; i < k->ask.n; i++)
		redisAsyncCommandArgv(ctx, seek_on_reply, (void *)(long)i,
		    k->ask.argc[i], k->ask.argv[i], NULL);
	evtimer_add(k->timer, &tv);
}

struct seek *
seek_start(struct event_base *base, const struct conf *c, int start,
    seek_cb *cb, void *arg)
{
	struct seek *k = calloc(1, sizeof(*k));
	struct timeval now = {0, 0};

	if (k == NULL)
		return NULL;
	if ((k->timer = evtimer_new(base, seek_on_timeout, k)) == NULL) {
		free(k);
		return NULL;
	}
	k->base = base;
	k->c = c;
	k->cb = cb;
	k->arg = arg;
	if (c->redis.nsentinels == 0) {
		seek_cancel(k);
		return NULL;
	}
	k->i = start % c->redis.nsentinels;
	sentinel_ask_init(&k->ask, c);
	/* the first ask from the loop: cb never runs inside seek_start */
	evtimer_add(k->timer, &now);
	return k;
}

void
seek_cancel(struct seek *k)
{
	if (k == NULL)
		return;
	seek_close(k);
	event_free(k->timer);
	free(k);
}
