/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pulse - the heartbeat and the clock, on timers.
 *
 * Entry points: pulse_new, pulse_beat, pulse_free. A tick every 200 ms
 * looks what is due: the heartbeat, the clock, and every few seconds
 * the write of the "who sends most" counts (common/topcount.h); one
 * heartbeat in flight at a time; its pipeline is the store's like any request's, so
 * in a cluster it goes to the slot of fg:nodes:policyd. A refused
 * heartbeat is logged at most once a minute.
 */
#include <stdlib.h>

#include "beat.h"
#include "clock.h"
#include "log.h"
#include "pulse.h"
#include "topcount.h"

struct pulse {
	struct store *store;
	struct event *tick; /* every second */
	struct beat b;      /* the one in flight */
	int got;
	bool beating;
	long long last;    /* monotonic ms of the last heartbeat answered */
	long long flushed; /* monotonic ms of the last top counts' flush */
	struct ratelog rl;
};

/* pulse_beat_cmd - store_pipeline's view of the heartbeat's commands */
static void
pulse_beat_cmd(
    void *arg, int i, int *argc, const char *const **argv, const size_t **len)
{
	const struct beat *b = arg;

	*argc = b->argc[i];
	*argv = b->argv[i];
	*len = NULL;
}

/* pulse_on_beat - what the heartbeat learnt: live nodes, replicas */
static void
pulse_on_beat(const redisReply *r, int i, void *arg)
{
	struct pulse *p = arg;

	char why[160];

	switch (beat_take(&p->b, i, r, why, sizeof(why))) {
	case BEAT_NOT_MASTER:
		store_not_master(p->store, why);
		break;
	case BEAT_BAD:
		if (r != NULL) /* none: the store knows why */
			log_warnx_every(&p->rl, "redis: heartbeat: %s", why);
		break;
	}
	if (++p->got < p->b.ncmd)
		return;
	p->beating = false;
	p->last = clock_mono_ms();
	store_set_nodes(p->store, p->b.nodes);
	if (p->b.replicas >= 0)
		store_set_replicas(p->store, p->b.replicas);
}

void
pulse_beat(struct pulse *p)
{
	if (p->beating || !store_up(p->store))
		return;
	beat_start(&p->b, store_conf(p->store), "policyd", clock_now_ms(),
	    !store_cluster(p->store));
	p->got = 0;
	if (store_pipeline(p->store, p->b.ncmd, pulse_beat_cmd, &p->b,
	        pulse_on_beat, p) == 0)
		p->beating = true;
}

/* pulse_time_cmd - TIME */
static void
pulse_time_cmd(
    void *arg, int i, int *argc, const char *const **argv, const size_t **len)
{
	static const char *const time[] = {"TIME"};

	(void)arg;
	(void)i;
	*argc = 1;
	*argv = time;
	*len = NULL;
}

/* pulse_on_time - Redis' clock, for the limiter's buckets */
static void
pulse_on_time(const redisReply *r, int i, void *arg)
{
	struct pulse *p = arg;

	(void)i;
	if (r != NULL && clock_learn(r) == -1)
		log_warnx_every(&p->rl, "redis: unexpected TIME reply");
}

/* pulse_top_cmd - store_pipeline's view of a flush's commands */
static void
pulse_top_cmd(
    void *arg, int i, int *argc, const char *const **argv, const size_t **len)
{
	const struct topcount_flush *f = arg;

	*argc = f->argc[i];
	*argv = f->argv[i];
	*len = NULL;
}

/* pulse_on_top - a reply to the flush; the last one frees it (the top
 * is for the admin: a failure costs only its counts) */
static void
pulse_on_top(const redisReply *r, int i, void *arg)
{
	struct topcount_flush *f = arg;

	(void)r;
	(void)i;
	if (++f->answered == f->ncmd) /* in any order: a cluster's */
		topcount_free(f);
}

/* pulse_top - flush the top counts (one flush in flight at a time) */
static void
pulse_top(struct pulse *p)
{
	struct topcount_flush *f;

	p->flushed = clock_mono_ms();
	f = topcount_take(store_conf(p->store)->redis.prefix,
	    store_conf(p->store)->node, clock_now_ms());
	if (f != NULL &&
	    store_pipeline(
	        p->store, f->ncmd, pulse_top_cmd, f, pulse_on_top, f) == -1)
		topcount_free(f);
}

/* pulse_on_tick - a heartbeat when due (at once when Redis is first
 * up), and Redis' clock once more when the last reading is old */
static void
pulse_on_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct pulse *p = arg;

	(void)fd;
	(void)ev;
	if (!store_up(p->store))
		return;
	if (p->last == 0 || clock_mono_ms() - p->last >= BEAT_INTERVAL_MS)
		pulse_beat(p);
	if (clock_mono_ms() - p->flushed >= TOPCOUNT_FLUSH_MS)
		pulse_top(p);
	if (clock_stale() &&
	    store_pipeline(
	        p->store, 1, pulse_time_cmd, NULL, pulse_on_time, p) == -1)
		log_debug("redis: TIME not sent");
}

struct pulse *
pulse_new(struct event_base *base, struct store *s)
{
	struct pulse *p = calloc(1, sizeof(*p));
	struct timeval tv = {0, 200 * 1000};

	if (p == NULL)
		return NULL;
	p->store = s;
	p->rl = (struct ratelog)RATELOG_INIT;
	if ((p->tick = event_new(base, -1, EV_PERSIST, pulse_on_tick, p)) ==
	    NULL) {
		free(p);
		return NULL;
	}
	evtimer_add(p->tick, &tv);
	return p;
}

void
pulse_free(struct pulse *p)
{
	if (p == NULL)
		return;
	event_free(p->tick);
	free(p);
}
