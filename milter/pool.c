/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pool - synchronous Redis connections for libmilter's threads.
 *
 * Entry points: pool_new, pool_get, pool_put, pool_failing,
 * pool_answered, pool_up, pool_free.
 * hiredis sync contexts are not thread-safe: each one is used by one
 * thread between pool_get and pool_put. At most POOL_IDLE_MAX idle
 * contexts are kept. A config whose redis section changed (reload) bumps
 * the generation: older contexts are closed when given back.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "pool.h"
#include "rconn.h"
#include "str.h"

#define POOL_IDLE_MAX 32

struct pool {
	pthread_mutex_t mu;
	struct pool_conn *idle[POOL_IDLE_MAX];
	int nidle;
	unsigned int gen;
	char server[CONF_PATH_MAX]; /* of gen */
	int db;
	struct rconn_state st; /* up/down, backoff */
};

struct pool *
pool_new(void)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	rconn_state_init(&p->st);
	return p;
}

static void
pool_conn_free(struct pool_conn *pc)
{
	if (pc == NULL)
		return;
	if (pc->c != NULL)
		redisFree(pc->c);
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

/* pool_down - log once per change, start or extend the backoff (locked) */
static void
pool_down(struct pool *p, const char *why)
{
	char msg[RCONN_MSG_MAX];

	if (rconn_went_down(
	        &p->st, why, p->server, clock_mono_ms(), msg, sizeof(msg)))
		log_warnx("%s", msg);
}

/* pool_clock - Redis' clock for the limiter (TIME); 0, or -1 with why */
static int
pool_clock(redisContext *c, char *why, size_t size)
{
	redisReply *r = redisCommand(c, "TIME");
	int rc = clock_learn(r);

	if (rc == -1)
		snprintf(why, size, "TIME: %.100s",
		    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str
		        : r != NULL                           ? "bad reply"
		                                              : c->errstr);
	freeReplyObject(r);
	return rc;
}

/* pool_handshake - AUTH, SELECT, TIME, PING (common/rconn.h); 0, or -1
 * with why */
static int
pool_handshake(redisContext *c, const struct conf *cf, char *why, size_t size)
{
	struct rconn_handshake h;
	redisReply *r;
	int i, rc = 0;

	rconn_handshake_init(&h, cf);
	for (i = 0; i < h.n && rc == 0; i++) {
		r = redisCommandArgv(c, h.cmd[i].argc, h.cmd[i].argv, NULL);
		if (r == NULL) {
			snprintf(why, size, "%s: %.100s", h.cmd[i].argv[0],
			    c->errstr);
			return -1;
		}
		rc = rconn_handshake_reply(&h.cmd[i], r, why, size);
		freeReplyObject(r);
	}
	return rc;
}

/* pool_dial - a new connected context, or NULL with why */
static redisContext *
pool_dial(const struct conf *cf, char *why, size_t size)
{
	struct timeval tv = {
	    cf->redis.timeout_ms / 1000, (cf->redis.timeout_ms % 1000) * 1000};
	struct rconn_addr a;
	redisContext *c;

	if (rconn_addr_parse(cf->redis.server, &a, why, size) == -1)
		return NULL;
	c = a.is_unix ? redisConnectUnixWithTimeout(a.host, tv)
	              : redisConnectWithTimeout(a.host, a.port, tv);
	if (c == NULL) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	if (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK ||
	    pool_handshake(c, cf, why, size) == -1) {
		if (c->err != 0)
			snprintf(why, size, "%s", c->errstr);
		redisFree(c);
		return NULL;
	}
	return c;
}

/* pool_get - an idle context or a new one; NULL while Redis is down */
struct pool_conn *
pool_get(struct pool *p, const struct conf *cf)
{
	struct pool_conn *pc = NULL;
	char why[128], msg[RCONN_MSG_MAX];
	unsigned int gen;
	int i;

	pthread_mutex_lock(&p->mu);
	if (strcmp(p->server, cf->redis.server) != 0 || p->db != cf->redis.db) {
		for (i = 0; i < p->nidle; i++)
			pool_conn_free(p->idle[i]);
		p->nidle = 0;
		p->gen++;
		str_lcpy(p->server, cf->redis.server, sizeof(p->server));
		p->db = cf->redis.db;
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
		if (clock_stale() && pool_clock(pc->c, why, sizeof(why)) == -1)
			log_warnx("redis: %s", why);
		return pc;
	}

	/* connect outside the lock: other threads keep going */
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return NULL;
	pc->gen = gen;
	pc->c = pool_dial(cf, why, sizeof(why));
	pthread_mutex_lock(&p->mu);
	if (pc->c == NULL)
		pool_down(p, why);
	else {
		if (rconn_went_up(&p->st, cf, msg, sizeof(msg)))
			log_info("%s", msg);
		if (rconn_open_warning(&p->st, cf, msg, sizeof(msg)))
			log_warnx("%s", msg);
	}
	pthread_mutex_unlock(&p->mu);
	if (pc->c == NULL) {
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
		pool_down(p, pc->c->err != 0 ? pc->c->errstr : "bad reply");
		/* the idle ones are likely dead too: reconnect after backoff */
		while (p->nidle > 0)
			pool_conn_free(p->idle[--p->nidle]);
	} else if (pc->gen == p->gen && p->nidle < POOL_IDLE_MAX) {
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
		log_warnx("%s", msg);
	pthread_mutex_unlock(&p->mu);
}

void
pool_answered(struct pool *p, const struct conf *cf)
{
	char msg[RCONN_MSG_MAX];

	pthread_mutex_lock(&p->mu);
	if (!p->st.up && rconn_went_up(&p->st, cf, msg, sizeof(msg)))
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
