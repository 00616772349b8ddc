/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store - policyd's Redis: one server, the master the sentinels name, or
 * the masters of a cluster, each on its own link (policyd/link.h), and
 * pipelines routed over them (policyd/pipe.h).
 *
 * Entry points: store_new, store_reconf, store_up, store_state,
 * store_nodes, store_set_nodes, store_replicas, store_set_replicas,
 * store_not_master, store_reconnects, store_conf, store_cluster, store_gen,
 * store_pipeline, store_free. A server or the sentinels'
 * master: one link, reconnected after its backoff; with sentinels, each
 * connect asks them first (policyd/seek.c), and a failing reply drops
 * the link so they are asked again. A cluster: the slot map from CLUSTER
 * SLOTS of any link up (or of a seed when none is), one link per master,
 * connected when first needed; a MOVED updates the map at once and asks
 * for the whole map again, as does a link going down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>

#include "beat.h"
#include "clock.h"
#include "cslot.h"
#include "log.h"
#include "pipe.h"
#include "rconn.h"
#include "seek.h"
#include "store.h"
#include "storedef.h"
#include "str.h"

static void store_start(struct store *);

static struct timeval
store_ms_tv(long long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	return tv;
}

/* store_later - run store_start (or the cluster's map) in ms */
void
store_later(struct store *s, long long ms)
{
	struct timeval tv = store_ms_tv(ms);

	if (!evtimer_pending(s->retry, NULL))
		evtimer_add(s->retry, &tv);
}

/* store_share - after a line that Redis is down or failing: the share of
 * every limit this node now enforces alone */
void
store_share(const struct store *s)
{
	char share[BEAT_LINE_MAX];

	if (s->conf->redis.on_failure != CONF_FAIL_LOCAL)
		return;
	beat_share_line(s->conf->redis.degraded_share, "policyd", s->nodes,
	    share, sizeof(share));
	log_warnx("%s", share);
}

/* store_on_link - a link came up or went down */
static void
store_on_link(void *arg, struct link *l, bool up, bool logged)
{
	struct store *s = arg;

	if (up)
		s->ups++;
	if (!up && logged)
		store_share(s);
	if (s->mode != SM_CLUSTER) {
		if (!up)
			store_later(s, link_retry_ms(l));
		return;
	}
	/* a cluster: a node gone may mean a failover; a seed up gives the
	 * map */
	if (!up || l == s->seedl || !s->mapped)
		store_later(s, up ? 0 : STORE_REFRESH_MS);
}

void
store_retire(struct store *s, struct link *l)
{
	long long now = clock_mono_ms(), keep = 2 * s->conf->redis.timeout_ms;
	int i, n = 0;

	if (l == NULL)
		return;
	/* a pipeline that named one of them has ended by now */
	for (i = 0; i < s->nretired; i++)
		if (now - s->retired_at[i] > keep ||
		    (s->nretired == STORE_RETIRED_MAX && i == 0))
			link_free(s->retired[i]);
		else {
			s->retired[n] = s->retired[i];
			s->retired_at[n++] = s->retired_at[i];
		}
	s->nretired = n;
	link_shut(l);
	s->retired[s->nretired] = l;
	s->retired_at[s->nretired++] = now;
}

/* store_link - a new link to server, its label set */
struct link *
store_link(struct store *s, const char *server)
{
	char label[CONF_PATH_MAX + CONF_NAME_MAX + 40];
	struct link *l = link_new(s->base, s->conf, server, store_on_link, s);

	if (l == NULL)
		return NULL;
	if (s->mode == SM_SENTINEL) {
		snprintf(label, sizeof(label), "%s, master %s of the sentinels",
		    server, s->conf->redis.master_name);
		link_set_label(l, label);
	} else if (s->mode == SM_CLUSTER) {
		snprintf(label, sizeof(label), "%s, cluster node", server);
		link_set_label(l, label);
	}
	return l;
}

/* store_on_seek - the sentinels named the master (or none did) */
static void
store_on_seek(void *arg, const char *server, int index, const char *why)
{
	struct store *s = arg;
	char msg[RCONN_MSG_MAX];

	s->seek = NULL;
	if (server == NULL) {
		s->sentinel = index + 1;
		if (s->link[0] == NULL &&
		    (s->link[0] = store_link(s, "unknown:0")) == NULL)
			return;
		snprintf(msg, sizeof(msg), "%s", why);
		if (link_drop(s->link[0], msg))
			store_share(s);
		store_later(s, link_retry_ms(s->link[0]));
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
		store_retire(s, s->link[0]);
		s->link[0] = store_link(s, server);
	}
	if (s->link[0] != NULL && !link_connect(s->link[0]))
		store_later(s, link_retry_ms(s->link[0]));
}

/* store_start - connect (or, with sentinels, find the master first; in a
 * cluster, ask for the map) */
static void
store_start(struct store *s)
{
	switch (s->mode) {
	case SM_SERVER:
		if (s->link[0] == NULL ||
		    (link_may_connect(s->link[0]) && link_connect(s->link[0])))
			break;
		if (link_state(s->link[0]) == LINK_DOWN)
			store_later(s, link_retry_ms(s->link[0]));
		break;
	case SM_SENTINEL:
		if (s->seek != NULL ||
		    (s->link[0] != NULL && link_state(s->link[0]) != LINK_DOWN))
			break;
		if (s->link[0] != NULL && !link_may_connect(s->link[0])) {
			store_later(s, link_retry_ms(s->link[0]));
			break;
		}
		s->seek =
		    seek_start(s->base, s->conf, s->sentinel, store_on_seek, s);
		break;
	case SM_CLUSTER:
		storemap_map(s);
		break;
	}
}

static void
store_on_retry(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	store_start(arg);
}

/* store_route - pipe's router: the link of slot */
static struct link *
store_route(void *arg, int slot)
{
	struct store *s = arg;

	if (s->mode == SM_CLUSTER)
		return storemap_route(s, slot);
	return s->link[0] != NULL && link_usable(s->link[0]) ? s->link[0]
	                                                     : NULL;
}

/* store_answer - pipe's router: what a link did with a command */
static void
store_answer(void *arg, struct link *l, enum pipe_answer what, const char *why)
{
	struct store *s = arg;

	switch (what) {
	case PIPE_OK:
		link_answered(l);
		return;
	case PIPE_FAILING:
		if (s->mode == SM_SERVER) {
			if (link_failing(l, why))
				store_share(s);
			return;
		}
		break; /* the sentinels or the cluster may know better */
	case PIPE_TIMEOUT:
		break;
	}
	if (link_state(l) != LINK_DOWN && link_drop(l, why))
		store_share(s);
	store_later(
	    s, s->mode == SM_CLUSTER ? STORE_REFRESH_MS : link_retry_ms(l));
}

void
store_not_master(struct store *s, const char *why)
{
	if (s->mode != SM_CLUSTER && s->link[0] != NULL)
		store_answer(s, s->link[0], PIPE_FAILING, why);
}

/* store_init - the links of c's mode, and the first connect */
static void
store_init(struct store *s)
{
	const struct conf *c = s->conf;

	s->mode = c->redis.ncluster > 0 ? SM_CLUSTER
	    : c->redis.nsentinels > 0   ? SM_SENTINEL
	                                : SM_SERVER;
	s->rt.slots = s->mode == SM_CLUSTER;
	if (s->mode == SM_SERVER &&
	    (s->link[0] = store_link(s, c->redis.server)) != NULL)
		s->nlinks = 1;
	if (s->mode == SM_SENTINEL)
		s->nlinks = 1; /* made when the sentinels name the master */
	store_start(s);
}

/* store_fini - every link closed, nothing pending */
static void
store_fini(struct store *s)
{
	struct link *all[CSLOT_NODES_MAX + 1 + STORE_RETIRED_MAX];
	int i, n = 0;

	/* out of reach first: a refund sent from a NULL reply while a link
	 * is freed finds none to route to (nor to connect again) */
	evtimer_del(s->retry);
	evtimer_del(s->map_to);
	s->mapl = NULL;
	seek_cancel(s->seek);
	s->seek = NULL;
	for (i = 0; i < s->nlinks; i++)
		if (s->link[i] != NULL)
			all[n++] = s->link[i];
	if (s->seedl != NULL)
		all[n++] = s->seedl;
	for (i = 0; i < s->nretired; i++)
		all[n++] = s->retired[i];
	memset(s->link, 0, sizeof(s->link));
	s->nlinks = s->nretired = 0;
	s->seedl = NULL;
	s->mapped = s->mapping = false;
	for (i = 0; i < n; i++)
		link_free(all[i]);
	free(s->map);
	s->map = NULL;
	s->master[0] = '\0';
}

struct store *
store_new(struct event_base *base, const struct conf *c)
{
	struct store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base = base;
	s->conf = c;
	s->nodes = 1;
	s->rt = (struct pipe_router){
	    false, store_route, storemap_redirect, store_answer, s};
	if ((s->retry = evtimer_new(base, store_on_retry, s)) == NULL ||
	    (s->map_to = evtimer_new(base, storemap_on_timeout, s)) == NULL) {
		if (s->retry != NULL)
			event_free(s->retry);
		free(s);
		return NULL;
	}
	store_init(s);
	return s;
}

void
store_reconf(struct store *s, const struct conf *c)
{
	char was[RCONN_IDENT_MAX], now[RCONN_IDENT_MAX];
	int i;

	rconn_ident(s->conf, was, sizeof(was));
	rconn_ident(c, now, sizeof(now));
	s->conf = c;
	for (i = 0; i < s->nlinks; i++)
		if (s->link[i] != NULL)
			link_reconf(s->link[i], c);
	if (s->seedl != NULL)
		link_reconf(s->seedl, c);
	if (strcmp(was, now) == 0) {
		/* a search of the sentinels reads the old config: again */
		if (s->seek != NULL) {
			seek_cancel(s->seek);
			s->seek = NULL;
			store_later(s, 0);
		}
		return;
	}
	log_info("redis: server settings changed, reconnecting");
	store_fini(s);
	store_init(s);
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	store_fini(s);
	event_free(s->retry);
	event_free(s->map_to);
	free(s);
}

bool
store_up(const struct store *s)
{
	if (s->mode == SM_CLUSTER)
		return s->mapped;
	return s->link[0] != NULL && link_usable(s->link[0]);
}

const char *
store_state(const struct store *s)
{
	int i, up = 0;

	if (s->mode == SM_CLUSTER) {
		if (!s->mapped)
			return "down";
		for (i = 0; i < s->nlinks; i++)
			up += s->link[i] != NULL && link_serving(s->link[i]);
		return up == s->nlinks ? "up" : up > 0 ? "partial" : "down";
	}
	if (s->link[0] == NULL || link_state(s->link[0]) != LINK_UP)
		return "down";
	return link_serving(s->link[0]) ? "up" : "failing";
}

long long
store_nodes(const struct store *s)
{
	return s->nodes;
}

void
store_set_nodes(struct store *s, long long nodes)
{
	s->nodes = nodes;
}

int
store_replicas(const struct store *s)
{
	/* a cluster: no WAIT (a redirected block's WAIT would ask another
	 * node, and no failover there bumps the master's generation) */
	if (s->mode == SM_CLUSTER || s->link[0] == NULL ||
	    link_state(s->link[0]) != LINK_UP)
		return 0;
	return s->replicas > link_replicas(s->link[0])
	    ? s->replicas
	    : link_replicas(s->link[0]);
}

void
store_set_replicas(struct store *s, int replicas)
{
	s->replicas = replicas;
}

unsigned int
store_gen(const struct store *s)
{
	return s->gen;
}

unsigned long
store_reconnects(const struct store *s)
{
	long n = (long)s->ups - (s->mode == SM_CLUSTER ? s->nlinks : 1);

	return n > 0 ? (unsigned long)n : 0;
}

const struct conf *
store_conf(const struct store *s)
{
	return s->conf;
}

bool
store_cluster(const struct store *s)
{
	return s->mode == SM_CLUSTER;
}

int
store_pipeline(struct store *s, int n, store_cmd_fn *cmd, void *cmdarg,
    store_cb *cb, void *arg)
{
	return pipe_send(s->base, s->conf->redis.timeout_ms, &s->rt, n, cmd,
	    cmdarg, cb, arg);
}
