/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * storemap - policyd's Redis Cluster: the slot map, one link per master,
 * routing and redirections (Redis Cluster specification: clients keep
 * the map of CLUSTER SLOTS, send a key's command to its slot's master,
 * take a -MOVED as the slot's new home and ask for the map again, and
 * follow an -ASK for that one command, ASKING first).
 *
 * Entry points: storemap_map, storemap_route, storemap_redirect,
 * storemap_any, storemap_on_timeout. The map is asked of any master up, or of the seeds
 * (redis.cluster) in turn while none is; a link is connected when a
 * command first needs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>

#include "log.h"
#include "store.h"
#include "storedef.h"
#include "str.h"

static struct ratelog storemap_rl = RATELOG_INIT;

/* storemap_server - "host:port" ("[v6]:port") of a node */
static void
storemap_server(const struct cslot_node *n, char *buf, size_t size)
{
	snprintf(buf, size, strchr(n->host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    n->host, n->port);
}

struct link *
storemap_any(const struct store *s)
{
	int i;

	for (i = 0; i < s->nlinks; i++)
		if (s->link[i] != NULL && link_usable(s->link[i]))
			return s->link[i];
	return NULL;
}

/* storemap_same - m and the map in use list the same masters */
static bool
storemap_same(const struct store *s, const struct cslot_map *m)
{
	int i;

	if (!s->mapped || s->map->nnodes != m->nnodes)
		return false;
	for (i = 0; i < m->nnodes; i++)
		if (cslot_map_find(s->map, m->node[i].host, m->node[i].port) ==
		    -1)
			return false;
	return true;
}

/* storemap_remap - m is the cluster's map now: one link per master,
 * kept when it was there (the seed's too), the others closed */
static void
storemap_remap(struct store *s, struct cslot_map *m, const char *from)
{
	struct link *old[CSLOT_NODES_MAX + 1];
	char server[CSLOT_HOST_MAX + 16];
	int i, j, nold = 0;
	bool same = storemap_same(s, m);

	for (i = 0; i < s->nlinks; i++)
		if (s->link[i] != NULL)
			old[nold++] = s->link[i];
	if (s->seedl != NULL)
		old[nold++] = s->seedl;
	s->seedl = NULL;
	for (i = 0; i < m->nnodes; i++) {
		storemap_server(&m->node[i], server, sizeof(server));
		s->link[i] = NULL;
		for (j = 0; j < nold && s->link[i] == NULL; j++)
			if (old[j] != NULL &&
			    strcmp(link_server(old[j]), server) == 0) {
				s->link[i] = old[j];
				old[j] = NULL;
			}
		if (s->link[i] == NULL)
			s->link[i] = store_link(s, server);
	}
	s->nlinks = m->nnodes;
	free(s->map);
	s->map = m;
	s->mapped = true;
	if (!same)
		log_info("redis: cluster: %d masters serve the slots (map "
		         "from %s)",
		    m->nnodes, from);
	for (j = 0; j < nold; j++)
		store_retire(s, old[j]); /* not a master any more */
}

/* storemap_on_slots - the cluster's map, from CLUSTER SLOTS of a link */
static void
storemap_on_slots(redisAsyncContext *ctx, void *reply, void *priv)
{
	struct store *s = priv;
	struct link *l = ctx->data;
	struct cslot_map *m;
	char why[200], from[CONF_PATH_MAX];

	s->mapping = false;
	s->mapl = NULL;
	evtimer_del(s->map_to);
	if (reply == NULL || l == NULL) {
		store_later(s, STORE_REFRESH_MS);
		return;
	}
	if ((m = malloc(sizeof(*m))) == NULL) {
		store_later(s, 1000);
		return;
	}
	if (cslot_map_parse(m, reply, link_host(l), why, sizeof(why)) == -1) {
		log_warnx_every(&storemap_rl, "redis: cluster: %s: %s",
		    link_server(l), why);
		free(m);
		store_later(s, 1000);
		return;
	}
	str_lcpy(from, link_server(l), sizeof(from));
	storemap_remap(s, m, from);
}

void
storemap_map(struct store *s)
{
	const struct conf *c = s->conf;
	struct link *l = storemap_any(s);

	if (s->mapping)
		return;
	if (l == NULL && s->seedl != NULL && link_usable(s->seedl))
		l = s->seedl;
	if (l != NULL) {
		struct timeval tv = {c->redis.timeout_ms / 1000,
		    (c->redis.timeout_ms % 1000) * 1000};

		if (redisAsyncCommand(link_ctx(l), storemap_on_slots, s,
		        "CLUSTER SLOTS") == REDIS_OK) {
			s->mapping = true;
			s->mapl = l;
			evtimer_add(s->map_to, &tv);
		}
		return;
	}
	if (s->seedl != NULL && link_state(s->seedl) == LINK_CONNECTING)
		return; /* its handshake brings us back */
	/* no master up: the next seed; after a round, its backoff */
	if (s->seedl != NULL && !link_may_connect(s->seedl) &&
	    s->seed % c->redis.ncluster == 0) {
		store_later(s, link_retry_ms(s->seedl));
		return;
	}
	link_free(s->seedl);
	s->seedl =
	    store_link(s, c->redis.cluster[s->seed++ % c->redis.ncluster]);
	if (s->seedl != NULL && !link_connect(s->seedl))
		store_later(s, STORE_REFRESH_MS); /* the next seed */
}

/* storemap_take - l as the router hands it: connecting (its commands
 * wait for the handshake), or up and usable; NULL otherwise */
static struct link *
storemap_take(struct link *l)
{
	if (l == NULL)
		return NULL;
	if (link_may_connect(l) && !link_connect(l))
		return NULL;
	switch (link_state(l)) {
	case LINK_CONNECTING:
		return l;
	case LINK_UP:
		return link_usable(l) ? l : NULL;
	default:
		return NULL;
	}
}

struct link *
storemap_route(struct store *s, int slot)
{
	int n;

	if (!s->mapped)
		return NULL;
	if (slot == -1)
		return storemap_any(s);
	if ((n = cslot_map_node(s->map, slot)) == -1 || n >= s->nlinks)
		return NULL;
	return storemap_take(s->link[n]);
}

struct link *
storemap_redirect(void *arg, int slot, const struct cslot_node *to, bool ask)
{
	struct store *s = arg;
	char server[CSLOT_HOST_MAX + 16];
	int i;

	if (s->mode != SM_CLUSTER || !s->mapped)
		return NULL;
	if ((i = cslot_map_find(s->map, to->host, to->port)) == -1) {
		if (s->map->nnodes >= CSLOT_NODES_MAX)
			return NULL;
		i = s->map
		        ->nnodes++; /* a master we did not know: no slot yet */
		s->map->node[i] = *to;
		s->map->replicas[i] = 0;
	}
	if (!ask && cslot_map_move(s->map, slot, to) == -1)
		return NULL;
	store_later(s, STORE_REFRESH_MS); /* the whole map, soon */
	while (s->nlinks <= i)
		s->link[s->nlinks++] = NULL;
	if (s->link[i] == NULL) {
		storemap_server(to, server, sizeof(server));
		s->link[i] = store_link(s, server);
	}
	return storemap_take(s->link[i]);
}

void
storemap_on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct store *s = arg;

	(void)fd;
	(void)ev;
	if (s->mapping && s->mapl != NULL && link_state(s->mapl) != LINK_DOWN)
		(void)link_drop(s->mapl, "CLUSTER SLOTS timeout");
}
