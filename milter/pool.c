/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pool - synchronous Redis connections for libmilter's threads.
 *
 * Entry points: pool_new, pool_get, pool_put, pool_failing,
 * pool_answered, pool_up, pool_beat, pool_view,
 * pool_free.
 * hiredis sync contexts are not thread-safe: each one is used by one
 * thread between pool_get and pool_put. At most POOL_IDLE_MAX idle
 * contexts are kept. A config whose redis section changed (reload) bumps
 * the generation: older contexts are closed when given back.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "beat.h"
#include "clock.h"
#include "log.h"
#include "pool.h"
#include "rconn.h"
#include "sconn.h"
#include "sentinel.h"
#include "str.h"
#include "topcount.h"

#define POOL_IDLE_MAX 32

struct pool {
	pthread_mutex_t mu;
	struct pool_conn *idle[POOL_IDLE_MAX];
	int nidle;
	unsigned int gen;
	char server[CONF_PATH_MAX]; /* of gen */
	char ident[RCONN_IDENT_MAX];
	struct rconn_state st;      /* up/down, backoff */
	bool local;                 /* on_failure = local: the share applies */
	enum conf_share how;        /* degraded_share */
	long long nodes;            /* live milter nodes, last heartbeat */
	int replicas;               /* the master's, last handshake or ROLE */
	unsigned int mgen;          /* the master's generation (pool_gen) */
	int sentinel;               /* the sentinel to ask first */
	char master[CONF_PATH_MAX]; /* the sentinels' master, last asked */
};

static struct ratelog pool_rl_beat = RATELOG_INIT;

struct pool *
pool_new(void)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	rconn_state_init(&p->st);
	p->nodes = 1;
	return p;
}

static void
pool_conn_free(struct pool_conn *pc)
{
	if (pc == NULL)
		return;
	sconn_free(pc->sc);
	free(pc);
}

void
pool_free(struct pool *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nidle; i++)
		pool_conn_free(p->idle[i]);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* pool_log_down - the line of a change to down or failing, and the share
 * of every limit this node now enforces alone (locked) */
static void
pool_log_down(const struct pool *p, const char *msg)
{
	char share[BEAT_LINE_MAX];

	log_warnx("%s", msg);
	if (!p->local)
		return;
	beat_share_line(p->how, "milter", p->nodes, share, sizeof(share));
	log_warnx("%s", share);
}

/* pool_down - log once per change, start or extend the backoff (locked) */
static void
pool_down(struct pool *p, const char *why)
{
	char msg[RCONN_MSG_MAX];

	if (rconn_went_down(
	        &p->st, why, p->server, clock_mono_ms(), msg, sizeof(msg)))
		pool_log_down(p, msg);
}

/* pool_clock - Redis' clock for the limiter (TIME); 0, or -1 with why */
static int
pool_clock(struct sconn *sc, char *why, size_t size)
{
	static const char *const time[] = {"TIME"};
	redisReply *r = sconn_command(sc, 1, time, NULL);
	int rc = clock_learn(r);

	if (rc == -1)
		snprintf(why, size, "TIME: %.100s",
		    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str
		        : r != NULL                           ? "bad reply"
		                                              : sconn_why(sc));
	freeReplyObject(r);
	return rc;
}

/* pool_master - the server to dial: redis.server, or the master the
 * sentinels name (another one than before: a failover, logged, and
 * the master's generation bumped); 0, or -1 with why */
static int
pool_master(struct pool *p, const struct conf *cf, char *server, size_t size,
    char *why, size_t whysize)
{
	int i;

	if (cf->redis.nsentinels == 0) { /* a cluster's seeds: sconn */
		str_lcpy(server, cf->redis.server, size);
		return 0;
	}
	pthread_mutex_lock(&p->mu);
	i = p->sentinel;
	pthread_mutex_unlock(&p->mu);
	if (sentinel_seek(cf, &i, server, size, why, whysize) == -1) {
		pthread_mutex_lock(&p->mu);
		p->sentinel = i;
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	pthread_mutex_lock(&p->mu);
	p->sentinel = i;
	if (strcmp(p->master, server) != 0) {
		if (p->master[0] != '\0')
			p->mgen++; /* a failover: blocks lost with it return */
		log_info("redis: the sentinels name %s master %s (was %s)",
		    server, cf->redis.master_name,
		    p->master[0] ? p->master : "unknown");
		str_lcpy(p->master, server, sizeof(p->master));
		snprintf(p->server, sizeof(p->server),
		    "%.100s, master %.64s of the sentinels", server,
		    cf->redis.master_name);
	}
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* pool_get - an idle context or a new one; NULL while Redis is down */
struct pool_conn *
pool_get(struct pool *p, const struct conf *cf)
{
	struct pool_conn *pc = NULL;
	char why[256], msg[RCONN_MSG_MAX], ident[RCONN_IDENT_MAX];
	char server[CONF_PATH_MAX] = "";
	unsigned int gen;
	int i, seed = 0;

	rconn_ident(cf, ident, sizeof(ident));
	pthread_mutex_lock(&p->mu);
	p->local = cf->redis.on_failure == CONF_FAIL_LOCAL;
	p->how = cf->redis.degraded_share;
	if (strcmp(p->ident, ident) != 0) {
		for (i = 0; i < p->nidle; i++)
			pool_conn_free(p->idle[i]);
		p->nidle = 0;
		p->gen++;
		str_lcpy(p->server, cf->redis.server, sizeof(p->server));
		str_lcpy(p->ident, ident, sizeof(p->ident));
		p->master[0] = '\0';
		p->st.retry_at = 0;
	}
	/* down or failing: nothing until the backoff is over (idle
	 * connections of a failing Redis wait for it) */
	if (!rconn_may_connect(&p->st, clock_mono_ms())) {
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	if (p->nidle > 0)
		pc = p->idle[--p->nidle];
	gen = p->gen;
	pthread_mutex_unlock(&p->mu);
	if (pc != NULL) {
		/* the clock, anew once a minute; a failure shows in the query */
		if (clock_stale() && pool_clock(pc->sc, why, sizeof(why)) == -1)
			log_warnx("redis: %s", why);
		return pc;
	}

	/* connect outside the lock: other threads keep going */
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return NULL;
	pc->gen = gen;
	if (cf->redis.ncluster > 0) {
		str_lcpy(server, cf->redis.cluster[0], sizeof(server));
		pthread_mutex_lock(&p->mu);
		seed = p->sentinel; /* the seed to try first */
		pthread_mutex_unlock(&p->mu);
		pc->sc = sconn_dial_cluster(cf, &seed, why, sizeof(why));
	} else if (pool_master(
	               p, cf, server, sizeof(server), why, sizeof(why)) == 0)
		pc->sc = sconn_dial(cf, server, why, sizeof(why));
	pthread_mutex_lock(&p->mu);
	if (cf->redis.ncluster > 0)
		p->sentinel = seed;
	if (pc->sc == NULL)
		pool_down(p, why);
	else {
		p->replicas = sconn_replicas(pc->sc);
		if (rconn_went_up(&p->st, cf, p->server, msg, sizeof(msg)))
			log_info("%s", msg);
		if (rconn_open_warning(&p->st, cf, server, msg, sizeof(msg)))
			log_warnx("%s", msg);
	}
	pthread_mutex_unlock(&p->mu);
	if (pc->sc == NULL) {
		free(pc);
		return NULL;
	}
	return pc;
}

/* pool_put - keep a healthy context of the current generation */
void
pool_put(struct pool *p, struct pool_conn *pc, bool healthy)
{
	if (pc == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (!healthy) {
		pool_down(
		    p, sconn_why(pc->sc)[0] ? sconn_why(pc->sc) : "bad reply");
		/* the idle ones are likely dead too: reconnect after backoff */
		while (p->nidle > 0)
			pool_conn_free(p->idle[--p->nidle]);
	} else if (pc->gen == p->gen && p->nidle < POOL_IDLE_MAX &&
	    !sconn_stale(pc->sc)) { /* a stale map: the next asks anew */
		p->idle[p->nidle++] = pc;
		pc = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	pool_conn_free(pc);
}

void
pool_failing(struct pool *p, const char *why)
{
	char msg[RCONN_MSG_MAX];

	pthread_mutex_lock(&p->mu);
	if (rconn_failing(
	        &p->st, why, p->server, clock_mono_ms(), msg, sizeof(msg)))
		pool_log_down(p, msg);
	if (p->master[0] != '\0') {
		/* maybe a master no more: the sentinels are asked again */
		while (p->nidle > 0)
			pool_conn_free(p->idle[--p->nidle]);
		p->gen++;
	}
	pthread_mutex_unlock(&p->mu);
}

void
pool_answered(struct pool *p, const struct conf *cf)
{
	char msg[RCONN_MSG_MAX];

	pthread_mutex_lock(&p->mu);
	if (!p->st.up && rconn_went_up(&p->st, cf, p->server, msg, sizeof(msg)))
		log_info("%s", msg);
	pthread_mutex_unlock(&p->mu);
}

bool
pool_up(struct pool *p)
{
	bool up;

	pthread_mutex_lock(&p->mu);
	up = p->st.up;
	pthread_mutex_unlock(&p->mu);
	return up;
}

void
pool_beat(struct pool *p, const struct conf *cf)
{
	struct pool_conn *pc = pool_get(p, cf);
	struct beat b;
	redisReply *r;
	char why[160];
	bool healthy = true;
	int i;

	if (pc == NULL)
		return;
	beat_start(&b, cf, "milter", clock_now_ms(), cf->redis.ncluster == 0);
	for (i = 0; i < b.ncmd; i++)
		if (sconn_append(pc->sc, b.argc[i], b.argv[i], NULL) == -1)
			healthy = false;
	for (i = 0; i < b.ncmd && healthy; i++) {
		if (sconn_get(pc->sc, &r) == -1) {
			healthy = false;
			break;
		}
		switch (beat_take(&b, i, r, why, sizeof(why))) {
		case BEAT_NOT_MASTER:
			pool_failing(p, why); /* with sentinels: asked anew */
			break;
		case BEAT_BAD:
			log_warnx_every(
			    &pool_rl_beat, "redis: heartbeat: %s", why);
			break;
		}
		freeReplyObject(r);
	}
	if (healthy) {
		pthread_mutex_lock(&p->mu);
		p->nodes = b.nodes;
		if (b.replicas >= 0)
			p->replicas = b.replicas;
		pthread_mutex_unlock(&p->mu);
	}
	pool_put(p, pc, healthy);
}

void
pool_top(struct pool *p, const struct conf *cf)
{
	struct topcount_flush *f;
	struct pool_conn *pc;
	redisReply *r;
	bool healthy = true;
	int i;

	if ((f = topcount_take(cf->redis.prefix, cf->node, clock_now_ms())) ==
	    NULL)
		return;
	if ((pc = pool_get(p, cf)) == NULL) {
		topcount_free(f); /* Redis away: those counts are lost */
		return;
	}
	for (i = 0; i < f->ncmd; i++)
		if (sconn_append(pc->sc, f->argc[i], f->argv[i], NULL) == -1)
			healthy = false;
	for (i = 0; i < f->ncmd && healthy; i++) {
		if (sconn_get(pc->sc, &r) == -1)
			healthy = false;
		freeReplyObject(r);
	}
	pool_put(p, pc, healthy);
	topcount_free(f);
}

void
pool_view(struct pool *p, struct pool_view *v)
{
	pthread_mutex_lock(&p->mu);
	v->nodes = p->nodes;
	v->replicas = p->st.up ? p->replicas : 0;
	v->gen = p->mgen;
	pthread_mutex_unlock(&p->mu);
}
