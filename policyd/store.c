/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store - hiredis async connection with timeouts, readiness and backoff.
 *
 * Entry points: store_new, store_reconf, store_up, store_state,
 * store_nodes, store_replicas, store_gen,
 * store_failing, store_answered, store_pipeline,
 * store_free. hiredis 0.14 has no command timeout: every pipeline gets an
 * event timer here; on expiry its commands not answered get NULL and the
 * connection is freed (hiredis then hands NULL to every pending callback, which we
 * ignore for commands already answered). State changes are logged once.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "beat.h"
#include "clock.h"
#include "log.h"
#include "rconn.h"
#include "resp.h"
#include "seek.h"
#include "store.h"
#include "str.h"

enum store_state { ST_DOWN, ST_CONNECTING, ST_UP };

struct store {
	struct event_base *base;
	const struct conf *conf; /* borrowed; replaced by reconf */
	redisAsyncContext *ctx;
	enum store_state state;
	struct rconn_state st;     /* up/down, backoff */
	struct rconn_handshake hs; /* of the connection being made */
	struct event *retry;       /* reconnect timer */
	struct event *connect_to;  /* connect/handshake timeout */
	struct event *clock;       /* learns Redis' clock anew */
	struct event *beat;        /* the heartbeat (common/beat.h) */
	struct beat b;             /* the one in flight */
	int bgot;                  /* its replies in */
	bool beating;
	long long nodes;   /* live policyd nodes, last heartbeat */
	int replicas;      /* the master's, last ROLE */
	unsigned int gen;  /* the master's generation (store_gen) */
	struct seek *seek; /* the sentinels asked, when they are used */
	int sentinel;      /* the one to ask first */
	char master[CONF_PATH_MAX]; /* the server connected to */
	char why[128];
};

static struct ratelog store_rl_beat = RATELOG_INIT;

static void store_connect(struct store *);
static void store_on_beat(evutil_socket_t, short, void *);

static struct timeval
store_ms_tv(long long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	return tv;
}

/* store_label - the server as the log names it */
static const char *
store_label(const struct store *s)
{
	static char buf[CONF_PATH_MAX + CONF_NAME_MAX + 32];

	if (s->conf->redis.nsentinels == 0)
		return s->conf->redis.server;
	snprintf(buf, sizeof(buf), "%s, master %s of the sentinels",
	    s->master[0] ? s->master : "unknown", s->conf->redis.master_name);
	return buf;
}

/* store_log_down - the line of a change to down or failing, and the
 * share of every limit this node now enforces alone */
static void
store_log_down(const struct store *s, const char *msg)
{
	char share[BEAT_LINE_MAX];

	log_warnx("%s", msg);
	if (s->conf->redis.on_failure != CONF_FAIL_LOCAL)
		return;
	beat_share_line(s->conf->redis.degraded_share, "policyd", s->nodes,
	    share, sizeof(share));
	log_warnx("%s", share);
}

/* store_drop - forget the connection, schedule a reconnect */
static void
store_drop(struct store *s, const char *why)
{
	redisAsyncContext *ctx = s->ctx;
	long long now = clock_mono_ms();
	char msg[RCONN_MSG_MAX];
	struct timeval tv;

	if (rconn_went_down(&s->st, why, store_label(s), now, msg, sizeof(msg)))
		store_log_down(s, msg);
	s->state = ST_DOWN;
	s->ctx = NULL;
	evtimer_del(s->connect_to);
	seek_cancel(s->seek);
	s->seek = NULL;
	if (ctx != NULL) {
		ctx->data = NULL; /* the disconnect callback sees this */
		redisAsyncFree(ctx);
	}
	tv = store_ms_tv(s->st.retry_at - now);
	evtimer_add(s->retry, &tv);
}

static void
store_on_disconnect(const redisAsyncContext *ctx, int status)
{
	struct store *s = ctx->data;

	(void)status;
	if (s == NULL || s->ctx != ctx)
		return; /* we dropped it ourselves */
	s->ctx = NULL;  /* hiredis frees it after this returns */
	str_lcpy(s->why, ctx->errstr[0] ? ctx->errstr : "connection closed",
	    sizeof(s->why));
	store_drop(s, s->why);
}

static void
store_on_connect(const redisAsyncContext *ctx, int status)
{
	struct store *s = ctx->data;

	if (s == NULL || s->ctx != ctx || status == REDIS_OK)
		return;
	s->ctx = NULL; /* hiredis frees it on a failed connect */
	str_lcpy(s->why, ctx->errstr, sizeof(s->why));
	store_drop(s, s->why);
}

/* store_on_time - Redis' clock, for the limiter's buckets (limiter_clock) */
static void
store_on_time(redisAsyncContext *ctx, void *r, void *priv)
{
	struct store *s = priv;

	if (r == NULL || s->ctx != ctx)
		return;
	if (clock_learn(r) == -1) {
		str_lcpy(s->why, "unexpected TIME reply", sizeof(s->why));
		store_drop(s, s->why);
	}
}

/* store_on_handshake - a reply of the handshake (common/rconn.h); the last
 * one (PING) makes the connection usable */
static void
store_on_handshake(redisAsyncContext *ctx, void *r, void *priv)
{
	const struct rconn_cmd *cmd = priv;
	struct store *s = ctx->data;
	char msg[RCONN_MSG_MAX];

	if (r == NULL || s == NULL || s->ctx != ctx)
		return;
	if (rconn_handshake_reply(&s->hs, cmd, r, s->why, sizeof(s->why)) ==
	    -1) {
		store_drop(s, s->why);
		return;
	}
	if (cmd->step != RCONN_PING)
		return;
	evtimer_del(s->connect_to);
	s->state = ST_UP;
	s->replicas = s->hs.replicas;
	if (rconn_went_up(&s->st, s->conf, store_label(s), msg, sizeof(msg)))
		log_info("%s", msg);
	if (rconn_open_warning(&s->st, s->conf, s->master, msg, sizeof(msg)))
		log_warnx("%s", msg);
	store_on_beat(-1, 0, s); /* count this node in at once */
}

/* store_beat_cmd - store_pipeline's view of the heartbeat's commands */
static void
store_beat_cmd(
    void *arg, int i, int *argc, const char *const **argv, const size_t **len)
{
	const struct beat *b = arg;

	*argc = b->argc[i];
	*argv = b->argv[i];
	*len = NULL;
}

/* store_on_beat_reply - what the heartbeat learnt: live nodes, replicas */
static void
store_on_beat_reply(const redisReply *r, void *arg)
{
	struct store *s = arg;
	int i = s->bgot++;

	if (beat_take(&s->b, i, r) == -1 && r != NULL)
		log_warnx_every(&store_rl_beat, "redis: heartbeat: %s: %.100s",
		    s->b.argv[i][0],
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	if (s->bgot < s->b.ncmd)
		return;
	s->beating = false;
	s->nodes = s->b.nodes;
	if (s->b.replicas >= 0)
		s->replicas = s->b.replicas;
}

/* store_on_beat - this node is alive: one heartbeat pipeline */
static void
store_on_beat(evutil_socket_t fd, short ev, void *arg)
{
	struct store *s = arg;

	(void)fd;
	(void)ev;
	if (s->state != ST_UP || s->beating)
		return;
	beat_start(&s->b, s->conf, "policyd", clock_now_ms(), true);
	s->bgot = 0;
	if (store_pipeline(s, s->b.ncmd, store_beat_cmd, &s->b,
	        store_on_beat_reply, s) == 0)
		s->beating = true;
}

/* store_on_clock - Redis' clock once more when the last reading is old */
static void
store_on_clock(evutil_socket_t fd, short ev, void *arg)
{
	struct store *s = arg;

	(void)fd;
	(void)ev;
	if (s->state == ST_UP && clock_stale())
		redisAsyncCommand(s->ctx, store_on_time, s, "TIME");
}

static void
store_on_retry(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	store_connect(arg);
}

static void
store_on_connect_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	store_drop(arg, "connect timeout");
}

/* store_connect_to - start a non-blocking connect to server and the
 * handshake */
static void
store_connect_to(struct store *s, const char *server)
{
	struct rconn_addr a;
	redisAsyncContext *ctx;
	int i;

	if (rconn_addr_parse(server, &a, s->why, sizeof(s->why)) == -1) {
		store_drop(s, s->why);
		return;
	}
	ctx = a.is_unix ? redisAsyncConnectUnix(a.host)
	                : redisAsyncConnect(a.host, a.port);
	if (ctx == NULL || ctx->err) {
		str_lcpy(s->why, ctx != NULL ? ctx->errstr : "out of memory",
		    sizeof(s->why));
		if (ctx != NULL)
			redisAsyncFree(ctx);
		store_drop(s, s->why);
		return;
	}
	s->ctx = ctx;
	ctx->data = s;
	redisLibeventAttach(ctx, s->base);
	redisAsyncSetConnectCallback(ctx, store_on_connect);
	redisAsyncSetDisconnectCallback(ctx, store_on_disconnect);
	rconn_handshake_init(&s->hs, s->conf);
	for (i = 0; i < s->hs.n; i++)
		redisAsyncCommandArgv(ctx, store_on_handshake, &s->hs.cmd[i],
		    s->hs.cmd[i].argc, s->hs.cmd[i].argv, NULL);
}

/* store_on_seek - the sentinels named the master (or none did) */
static void
store_on_seek(void *arg, const char *server, int index, const char *why)
{
	struct store *s = arg;

	s->seek = NULL;
	if (server == NULL) {
		str_lcpy(s->why, why, sizeof(s->why));
		s->sentinel = index + 1;
		store_drop(s, s->why);
		return;
	}
	s->sentinel = index;
	if (strcmp(s->master, server) != 0) {
		if (s->master[0] != '\0')
			s->gen++; /* a failover: blocks lost with it return */
		log_info("redis: the sentinels name %s master %s (was %s)",
		    server, s->conf->redis.master_name,
		    s->master[0] ? s->master : "unknown");
		str_lcpy(s->master, server, sizeof(s->master));
	}
	store_connect_to(s, server);
}

/* store_connect - find the server (the sentinels' master, or
 * redis.server), connect, handshake; all within the connect timeout */
static void
store_connect(struct store *s)
{
	long long ms = s->conf->redis.timeout_ms * 5 < 1000
	    ? 1000
	    : s->conf->redis.timeout_ms * 5;
	struct timeval tv;

	s->state = ST_CONNECTING;
	tv = store_ms_tv(
	    ms + 2 * s->conf->redis.timeout_ms * s->conf->redis.nsentinels);
	evtimer_add(s->connect_to, &tv);
	if (s->conf->redis.nsentinels == 0) {
		str_lcpy(s->master, s->conf->redis.server, sizeof(s->master));
		store_connect_to(s, s->conf->redis.server);
		return;
	}
	s->seek = seek_start(s->base, s->conf, s->sentinel, store_on_seek, s);
	if (s->seek == NULL)
		store_drop(s, "out of memory");
}

struct store *
store_new(struct event_base *base, const struct conf *c)
{
	struct store *s = calloc(1, sizeof(*s));
	struct timeval tv;

	if (s == NULL)
		return NULL;
	s->base = base;
	s->conf = c;
	rconn_state_init(&s->st);
	s->retry = evtimer_new(base, store_on_retry, s);
	s->connect_to = evtimer_new(base, store_on_connect_timeout, s);
	s->clock = event_new(base, -1, EV_PERSIST, store_on_clock, s);
	s->beat = event_new(base, -1, EV_PERSIST, store_on_beat, s);
	s->nodes = 1;
	if (s->retry == NULL || s->connect_to == NULL || s->clock == NULL ||
	    s->beat == NULL) {
		store_free(s);
		return NULL;
	}
	tv = store_ms_tv(CLOCK_LEARN_MS / 6);
	evtimer_add(s->clock, &tv);
	tv = store_ms_tv(BEAT_INTERVAL_MS);
	evtimer_add(s->beat, &tv);
	store_connect(s);
	return s;
}

/* store_reconf - new config; reconnect when the connection changed */
void
store_reconf(struct store *s, const struct conf *c)
{
	char was[RCONN_IDENT_MAX], now[RCONN_IDENT_MAX];

	rconn_ident(s->conf, was, sizeof(was));
	rconn_ident(c, now, sizeof(now));
	s->conf = c;
	if (strcmp(was, now) == 0)
		return;
	log_info("redis: server settings changed, reconnecting");
	evtimer_del(s->retry);
	evtimer_del(s->connect_to);
	seek_cancel(s->seek);
	s->seek = NULL;
	s->master[0] = '\0';
	rconn_state_init(&s->st); /* the reconnect below logs "up" */
	if (s->ctx != NULL) {
		redisAsyncContext *ctx = s->ctx;

		s->ctx = NULL;
		ctx->data = NULL;
		redisAsyncFree(ctx);
	}
	store_connect(s);
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	seek_cancel(s->seek);
	if (s->ctx != NULL) {
		redisAsyncContext *ctx = s->ctx;

		s->ctx = NULL;
		ctx->data = NULL;
		redisAsyncFree(ctx);
	}
	if (s->retry != NULL)
		event_free(s->retry);
	if (s->connect_to != NULL)
		event_free(s->connect_to);
	if (s->clock != NULL)
		event_free(s->clock);
	if (s->beat != NULL)
		event_free(s->beat);
	free(s);
}

bool
store_up(const struct store *s)
{
	/* failing: the connection stays; after the backoff requests try
	 * again, and the first answer ends it */
	return s->state == ST_UP &&
	    (s->st.up || rconn_may_connect(&s->st, clock_mono_ms()));
}

long long
store_nodes(const struct store *s)
{
	return s->nodes;
}

int
store_replicas(const struct store *s)
{
	return s->state == ST_UP ? s->replicas : 0;
}

unsigned int
store_gen(const struct store *s)
{
	return s->gen;
}

const char *
store_state(const struct store *s)
{
	if (s->state != ST_UP)
		return "down";
	return s->st.up ? "up" : "failing";
}

void
store_failing(struct store *s, const char *why)
{
	char msg[RCONN_MSG_MAX];

	if (s->conf->redis.nsentinels > 0) {
		/* maybe a master no more: ask the sentinels again */
		store_drop(s, why);
		return;
	}
	if (rconn_failing(
	        &s->st, why, store_label(s), clock_mono_ms(), msg, sizeof(msg)))
		store_log_down(s, msg);
}

void
store_answered(struct store *s)
{
	char msg[RCONN_MSG_MAX];

	if (!s->st.up && s->state == ST_UP &&
	    rconn_went_up(&s->st, s->conf, store_label(s), msg, sizeof(msg)))
		log_info("%s", msg);
}

/* a pipeline: one timer, cb for each command in order */
struct store_pipe {
	struct store *s;
	store_cb *cb;
	void *arg;
	struct event *timer;
	int n, answered, outstanding;
};

/* store_pipe_reply - hiredis callback of one command of a pipeline */
static void
store_pipe_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	struct store_pipe *p = priv;

	(void)ctx;
	if (p->answered < p->n) {
		p->answered++;
		if (p->answered == p->n)
			evtimer_del(p->timer);
		p->cb(r, p->arg);
	}
	if (--p->outstanding == 0) {
		event_free(p->timer);
		free(p);
	}
}

/* store_pipe_timeout - Redis too slow: NULL for every command not answered,
 * then drop the connection (hiredis hands the rest to store_pipe_reply) */
static void
store_pipe_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct store_pipe *p = arg;
	struct store *s = p->s;

	(void)fd;
	(void)ev;
	p->outstanding++; /* keep p while its callbacks run */
	while (p->answered < p->n) {
		p->answered++;
		p->cb(NULL, p->arg);
	}
	if (s->ctx != NULL)
		store_drop(s, "command timeout");
	if (--p->outstanding == 0) {
		event_free(p->timer);
		free(p);
	}
}

int
store_pipeline(struct store *s, int n, store_cmd_fn *cmd, void *cmdarg,
    store_cb *cb, void *arg)
{
	struct store_pipe *p;
	struct timeval tv = store_ms_tv(s->conf->redis.timeout_ms);
	const char *const *argv;
	const size_t *len;
	char resp[2048];
	size_t rl;
	int i, argc;

	if (s->state != ST_UP || n < 1 || (p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	*p = (struct store_pipe){.s = s, .cb = cb, .arg = arg, .n = n};
	if ((p->timer = evtimer_new(s->base, store_pipe_timeout, p)) == NULL) {
		free(p);
		return -1;
	}
	for (i = 0; i < n; i++) {
		cmd(cmdarg, i, &argc, &argv, &len);
		/* our formatter; hiredis' (slower) for an outsized command */
		if ((rl = resp_format(resp, sizeof(resp), argc, argv, len)) > 0
		        ? redisAsyncFormattedCommand(
		              s->ctx, store_pipe_reply, p, resp, rl) != REDIS_OK
		        : redisAsyncCommandArgv(s->ctx, store_pipe_reply, p,
		              argc, (const char **)argv, len) != REDIS_OK)
			break;
		p->outstanding++;
	}
	if (i == 0) {
		event_free(p->timer);
		free(p);
		return -1;
	}
	/* commands that could not be queued answer NULL at once */
	p->n = i;
	evtimer_add(p->timer, &tv);
	for (; i < n; i++)
		cb(NULL, arg);
	return 0;
}
