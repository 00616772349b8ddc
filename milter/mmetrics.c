/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mmetrics - the milter's tallies and their HTTP thread.
 *
 * Entry points: mmetrics_start, mmetrics_message, mmetrics_origin_us,
 * mmetrics_redis_us, mmetrics_now_us. One mutex guards the tallies; a
 * scrape copies them under it and writes outside it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "mmetrics.h"
#include "prom.h"

#define MMETRICS_SRC  4 /* enum origin_src */
#define MMETRICS_ACTS 4 /* enum conf_mact */

static const char *const mmetrics_act[MMETRICS_ACTS] = {
    [CONF_MACT_ACCEPT] = "accept",
    [CONF_MACT_HOLD] = "hold",
    [CONF_MACT_TEMPFAIL] = "tempfail",
    [CONF_MACT_REJECT] = "reject",
};

struct mmetrics_tally {
	uint64_t messages[MMETRICS_SRC], stamped, removed, unattributed;
	uint64_t actions[MMETRICS_ACTS];
	struct prom_hist origin, redis;
};

static pthread_mutex_t mmetrics_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mmetrics_tally mmetrics_t;
static bool (*mmetrics_up)(void);

uint64_t
mmetrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
mmetrics_message(
    const struct origin *o, bool stamped, int removed, enum conf_mact act)
{
	pthread_mutex_lock(&mmetrics_mu);
	if ((int)o->src >= 0 && (int)o->src < MMETRICS_SRC)
		mmetrics_t.messages[o->src]++;
	mmetrics_t.stamped += stamped;
	mmetrics_t.removed += removed > 0 ? (uint64_t)removed : 0;
	mmetrics_t.unattributed += o->unattributed;
	if ((int)act >= 0 && (int)act < MMETRICS_ACTS)
		mmetrics_t.actions[act]++;
	pthread_mutex_unlock(&mmetrics_mu);
}

void
mmetrics_origin_us(uint64_t us)
{
	pthread_mutex_lock(&mmetrics_mu);
	prom_observe(&mmetrics_t.origin, us);
	pthread_mutex_unlock(&mmetrics_mu);
}

void
mmetrics_redis_us(uint64_t us)
{
	pthread_mutex_lock(&mmetrics_mu);
	prom_observe(&mmetrics_t.redis, us);
	pthread_mutex_unlock(&mmetrics_mu);
}

/* mmetrics_write - a scrape's body */
static void
mmetrics_write(void *arg, struct evbuffer *b)
{
	struct mmetrics_tally t;
	int i;

	(void)arg;
	pthread_mutex_lock(&mmetrics_mu);
	t = mmetrics_t;
	pthread_mutex_unlock(&mmetrics_mu);
	prom_family(b, "floodgate_milter_messages_total", "counter",
	    "Messages at end-of-message, by origin");
	for (i = 0; i < MMETRICS_SRC; i++)
		prom_sample(b, "floodgate_milter_messages_total", t.messages[i],
		    "src", origin_src_name((enum origin_src)i), NULL);
	prom_family(b, "floodgate_milter_stamped_total", "counter",
	    "Messages given an X-Floodgate-Origin stamp");
	prom_sample(b, "floodgate_milter_stamped_total", t.stamped, NULL);
	prom_family(b, "floodgate_milter_stamps_removed_total", "counter",
	    "Forged X-Floodgate-Origin headers removed");
	prom_sample(
	    b, "floodgate_milter_stamps_removed_total", t.removed, NULL);
	prom_family(b, "floodgate_milter_unattributed_total", "counter",
	    "Local messages whose sender could not be found");
	prom_sample(
	    b, "floodgate_milter_unattributed_total", t.unattributed, NULL);
	prom_family(b, "floodgate_milter_actions_total", "counter",
	    "Messages by the action taken");
	for (i = 0; i < MMETRICS_ACTS; i++)
		prom_sample(b, "floodgate_milter_actions_total", t.actions[i],
		    "action", mmetrics_act[i], NULL);
	prom_hist_write(b, "floodgate_milter_origin_seconds",
	    "Time to find a message's origin (sock_diag, the helper)",
	    &t.origin);
	prom_hist_write(b, "floodgate_milter_redis_seconds",
	    "Time to decide a message in Redis (verdict, trace)", &t.redis);
	prom_family(b, "floodgate_milter_redis_up", "gauge",
	    "1 when Redis answers, else 0");
	prom_sample(b, "floodgate_milter_redis_up",
	    mmetrics_up != NULL && mmetrics_up() ? 1 : 0, NULL);
}

/* mmetrics_thread - the HTTP server's loop */
static void *
mmetrics_thread(void *arg)
{
	event_base_dispatch(arg);
	return NULL;
}

int
mmetrics_start(const char *spec, bool (*up)(void), char *err, size_t errsize)
{
	struct event_base *base = event_base_new();
	pthread_t tid;

	if (base == NULL) {
		snprintf(err, errsize, "metrics: out of memory");
		return -1;
	}
	mmetrics_up = up;
	if (prom_listen(base, spec, "milter.metrics_listen", mmetrics_write,
	        NULL, err, errsize) == NULL)
		return -1;
	if (pthread_create(&tid, NULL, mmetrics_thread, base) != 0) {
		snprintf(err, errsize, "metrics: cannot start its thread");
		return -1;
	}
	pthread_detach(tid);
	return 0;
}
