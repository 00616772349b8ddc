/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pool - synchronous Redis connections for libmilter's threads.
 *
 * Entry points: pool_new, pool_get, pool_put, pool_up, pool_free.
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
#include "limiter.h"
#include "log.h"
#include "pool.h"
#include "str.h"

#define POOL_IDLE_MAX  32
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct pool {
	pthread_mutex_t mu;
	struct pool_conn *idle[POOL_IDLE_MAX];
	int nidle;
	unsigned int gen;
	char server[CONF_PATH_MAX]; /* of gen */
	int db;
	bool up, logged_down;
	long long retry_at; /* monotonic ms; no connect before */
	long long backoff_ms;
};

struct pool *
pool_new(void)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->backoff_ms = BACKOFF_MIN_MS;
	return p;
}

static void
conn_free(struct pool_conn *pc)
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
		conn_free(p->idle[i]);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* went_down - log once per change, start or extend the backoff (locked) */
static void
went_down(struct pool *p, const char *why)
{
	if (p->up || !p->logged_down) {
		log_warnx("redis: down: %s (server=%s); on_failure policy "
		          "applies until it is back",
		    why, p->server);
		p->logged_down = true;
	}
	p->up = false;
	p->retry_at = clock_mono_ms() + p->backoff_ms;
	p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
	                                                   : p->backoff_ms * 2;
}

/* learn_clock - Redis' clock for the limiter (TIME); 0, or -1 with why */
static int
learn_clock(redisContext *c, char *why, size_t size)
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

/* handshake - AUTH, SELECT, and Redis' clock for the limiter (TIME);
 * returns 0 or -1 with why */
static int
handshake(redisContext *c, const struct conf *cf, char *why, size_t size)
{
	redisReply *r;
	char db[16];

	if (cf->redis.password[0] != '\0') {
		r = redisCommand(c, "AUTH %s", cf->redis.password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, size, "AUTH: %.100s",
			    r != NULL ? r->str : c->errstr);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	if (cf->redis.db != 0) {
		snprintf(db, sizeof(db), "%d", cf->redis.db);
		r = redisCommand(c, "SELECT %s", db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, size, "SELECT: %.100s",
			    r != NULL ? r->str : c->errstr);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	return learn_clock(c, why, size);
}

/* dial - a new connected context, or NULL with why */
static redisContext *
dial(const struct conf *cf, char *why, size_t size)
{
	const char *srv = cf->redis.server;
	struct timeval tv = {
	    cf->redis.timeout_ms / 1000, (cf->redis.timeout_ms % 1000) * 1000};
	redisContext *c;
	char host[CONF_PATH_MAX];
	const char *colon;
	long long port;

	if (strncmp(srv, "unix:", 5) == 0)
		c = redisConnectUnixWithTimeout(srv + 5, tv);
	else {
		colon = strrchr(srv, ':');
		if (colon == NULL ||
		    str_tonum(colon + 1, 1, 65535, &port) == -1) {
			snprintf(why, size, "bad server address");
			return NULL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - srv), srv);
		if (host[0] == '[') { /* [v6]:port */
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		c = redisConnectWithTimeout(host, (int)port, tv);
	}
	if (c == NULL) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	if (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK ||
	    handshake(c, cf, why, size) == -1) {
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
	char why[128];
	unsigned int gen;
	int i;

	pthread_mutex_lock(&p->mu);
	if (strcmp(p->server, cf->redis.server) != 0 || p->db != cf->redis.db) {
		for (i = 0; i < p->nidle; i++)
			conn_free(p->idle[i]);
		p->nidle = 0;
		p->gen++;
		str_lcpy(p->server, cf->redis.server, sizeof(p->server));
		p->db = cf->redis.db;
		p->retry_at = 0;
	}
	if (p->nidle > 0)
		pc = p->idle[--p->nidle];
	gen = p->gen;
	if (pc == NULL && !p->up && clock_mono_ms() < p->retry_at) {
		pthread_mutex_unlock(&p->mu);
		return NULL; /* backing off */
	}
	pthread_mutex_unlock(&p->mu);
	if (pc != NULL) {
		/* the clock, anew once a minute; a failure shows in the query */
		if (clock_stale() && learn_clock(pc->c, why, sizeof(why)) == -1)
			log_warnx("redis: %s", why);
		return pc;
	}

	/* connect outside the lock: other threads keep going */
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return NULL;
	pc->gen = gen;
	pc->c = dial(cf, why, sizeof(why));
	pthread_mutex_lock(&p->mu);
	if (pc->c == NULL)
		went_down(p, why);
	else if (!p->up) {
		log_info("redis: up (server=%s db=%d)", p->server, p->db);
		p->up = true;
		p->logged_down = false;
		p->backoff_ms = BACKOFF_MIN_MS;
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
		went_down(p, pc->c->err != 0 ? pc->c->errstr : "bad reply");
		/* the idle ones are likely dead too: reconnect after backoff */
		while (p->nidle > 0)
			conn_free(p->idle[--p->nidle]);
	} else if (pc->gen == p->gen && p->nidle < POOL_IDLE_MAX) {
		p->idle[p->nidle++] = pc;
		pc = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	conn_free(pc);
}

bool
pool_up(struct pool *p)
{
	bool up;

	pthread_mutex_lock(&p->mu);
	up = p->up;
	pthread_mutex_unlock(&p->mu);
	return up;
}
