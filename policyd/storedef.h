/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * storedef - the inside of policyd's store, shared by its two halves:
 * store.c (the modes, the links of a server or the sentinels' master,
 * the pipelines, the interface of store.h) and storemap.c (a cluster's
 * slot map, its links, routing and redirections). For no other file.
 */
#ifndef FG_STOREDEF_H
#define FG_STOREDEF_H

#include <stdbool.h>

#include "cslot.h"
#include "link.h"
#include "pipe.h"
#include "seek.h"

#define STORE_RETIRED_MAX (2 * CSLOT_NODES_MAX)
#define STORE_REFRESH_MS  100 /* a cluster's map, asked again at most */

enum store_mode { SM_SERVER, SM_SENTINEL, SM_CLUSTER };

struct store {
	struct event_base *base;
	const struct conf *conf; /* borrowed; replaced by reconf */
	enum store_mode mode;
	struct link *link[CSLOT_NODES_MAX]; /* cluster: by map index */
	int nlinks;
	struct link *seedl;    /* cluster: a seed, while no map is known */
	int seed;              /* the seed to try next */
	struct cslot_map *map; /* cluster */
	bool mapped, mapping;
	struct link *mapl;    /* asked for the map, while mapping */
	struct event *map_to; /* its answer's timeout */
	struct event *retry;  /* reconnect, or the cluster's map again */
	struct pipe_router rt;
	long long nodes;            /* live policyd nodes, last heartbeat */
	int replicas;               /* the master's, last ROLE (not cluster) */
	unsigned int gen;           /* the master's generation (store_gen) */
	struct seek *seek;          /* the sentinels asked */
	int sentinel;               /* the one to ask first */
	char master[CONF_PATH_MAX]; /* the sentinels' master */
	/* links out of use, kept until no pipeline can name them */
	unsigned long ups; /* links come up (the first ones included) */
	struct link *retired[STORE_RETIRED_MAX];
	long long retired_at[STORE_RETIRED_MAX];
	int nretired;
};

/* store_later - the retry timer (connect again, or the cluster's map
 * again) in ms, unless it is set */
void store_later(struct store *, long long ms);
/* store_share - the share line, after a down or failing line */
void store_share(const struct store *);
/* store_retire - l is out of use (another master, not in the map): it
 * is freed once every pipeline that may name it has ended (2 x
 * redis.timeout) */
void store_retire(struct store *, struct link *l);
/* store_link - a new link to server, labelled for the log */
struct link *store_link(struct store *, const char *server);

/* storemap_map - ask a master (or a seed, when none is up) for the map */
void storemap_map(struct store *);
/* storemap_route - the link of slot in the cluster; NULL: none now */
struct link *storemap_route(struct store *, int slot);
/* storemap_redirect - pipe's router for MOVED (the map learns it) and
 * ASK: the link of to */
struct link *storemap_redirect(
    void *arg, int slot, const struct cslot_node *to, bool ask);
/* storemap_on_timeout - CLUSTER SLOTS not answered in time: its link
 * is dropped (its callback then asks another) */
void storemap_on_timeout(evutil_socket_t, short, void *);
/* storemap_any - a usable link of the cluster's masters */
struct link *storemap_any(const struct store *);

#endif
