/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sconn - blocking pipelines over one server or a cluster's masters.
 *
 * Entry points: sconn_open, sconn_dial, sconn_dial_cluster, sconn_wrap,
 * sconn_free,
 * sconn_append, sconn_get, sconn_command, sconn_ok, sconn_stale,
 * sconn_replicas, sconn_why. Each node keeps the queue of the commands
 * whose replies it owes, in order (hiredis pipelines are FIFO per
 * context); reading the reply of a command reads its node's replies
 * before it into their commands. A redirected command joins the queue of
 * its new node (an ASKING before it, whose reply is dropped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cslot.h"
#include "rconn.h"
#include "sconn.h"
#include "sentinel.h"
#include "str.h"

struct sconn_cmd {
	int argc;
	const char *const *argv;
	const size_t *len;
	int node, next, redirects;
	bool mine; /* the caller's (an ASKING is not) */
	redisReply *r;
};

struct sconn {
	const struct conf *c;
	redisContext *ctx[CSLOT_NODES_MAX];
	int nctx;
	struct cslot_map *map; /* a cluster; NULL: one server */
	bool stale, broken;
	int replicas;
	struct sconn_cmd *cmd;
	int ncmd, maxcmd, next, prev;
	int head[CSLOT_NODES_MAX], tail[CSLOT_NODES_MAX];
	char why[512];
};

redisContext *
sconn_open(const char *server, long long timeout_ms, char *why, size_t size)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct rconn_addr a;
	redisContext *rc;

	if (rconn_addr_parse(server, &a, why, size) == -1)
		return NULL;
	rc = a.is_unix ? redisConnectUnixWithTimeout(a.host, tv)
	               : redisConnectWithTimeout(a.host, a.port, tv);
	if (rc == NULL || rc->err != 0 || redisSetTimeout(rc, tv) != REDIS_OK) {
		snprintf(why, size, "%.150s",
		    rc != NULL ? rc->errstr : "out of memory");
		redisFree(rc);
		return NULL;
	}
	return rc;
}

/* sconn_connect - a context to server with the handshake; NULL + why */
static redisContext *
sconn_connect(const struct conf *c, const char *server, int *replicas,
    char *why, size_t size)
{
	struct rconn_handshake h;
	redisContext *rc;
	redisReply *r;
	int i, rv = 0;

	if ((rc = sconn_open(server, c->redis.timeout_ms, why, size)) == NULL)
		return NULL;
	rconn_handshake_init(&h, c);
	for (i = 0; i < h.n && rv == 0; i++) {
		if ((r = redisCommandArgv(
		         rc, h.cmd[i].argc, h.cmd[i].argv, NULL)) == NULL) {
			snprintf(why, size, "%s: %.100s", h.cmd[i].argv[0],
			    rc->errstr);
			rv = -1;
			break;
		}
		rv = rconn_handshake_reply(&h, &h.cmd[i], r, why, size);
		freeReplyObject(r);
	}
	if (rv == -1) {
		redisFree(rc);
		return NULL;
	}
	if (replicas != NULL)
		*replicas = h.replicas;
	return rc;
}

/* sconn_alloc - an empty sconn for c */
static struct sconn *
sconn_alloc(const struct conf *c)
{
	struct sconn *s = calloc(1, sizeof(*s));
	int i;

	if (s == NULL)
		return NULL;
	s->c = c;
	s->prev = -1;
	for (i = 0; i < CSLOT_NODES_MAX; i++)
		s->head[i] = s->tail[i] = -1;
	return s;
}

struct sconn *
sconn_wrap(const struct conf *c, redisContext *rc)
{
	struct sconn *s = sconn_alloc(c);

	if (s == NULL) {
		redisFree(rc);
		return NULL;
	}
	s->ctx[0] = rc;
	s->nctx = 1;
	return s;
}

struct sconn *
sconn_dial(const struct conf *c, const char *server, char *why, size_t size)
{
	int replicas = 0;
	redisContext *rc = sconn_connect(c, server, &replicas, why, size);
	struct sconn *s;

	if (rc == NULL)
		return NULL;
	if ((s = sconn_wrap(c, rc)) == NULL) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	s->replicas = replicas;
	return s;
}

/* sconn_server - "host:port" of map node i */
static void
sconn_server(const struct cslot_map *m, int i, char *buf, size_t size)
{
	const struct cslot_node *n = &m->node[i];

	snprintf(buf, size, strchr(n->host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    n->host, n->port);
}

/* sconn_seed - the map from one seed; 0, or -1 with why */
static int
sconn_seed(struct sconn *s, const char *seed, char *why, size_t size)
{
	struct rconn_addr a;
	redisContext *rc;
	redisReply *r;
	char server[CSLOT_HOST_MAX + 16];
	int i, rv;

	if (rconn_addr_parse(seed, &a, why, size) == -1 ||
	    (rc = sconn_connect(s->c, seed, NULL, why, size)) == NULL)
		return -1;
	if ((r = redisCommand(rc, "CLUSTER SLOTS")) == NULL) {
		snprintf(why, size, "CLUSTER SLOTS: %.100s", rc->errstr);
		redisFree(rc);
		return -1;
	}
	rv = cslot_map_parse(s->map, r, a.is_unix ? NULL : a.host, why, size);
	freeReplyObject(r);
	if (rv == -1) {
		redisFree(rc);
		return -1;
	}
	s->nctx = s->map->nnodes;
	s->replicas = -1;
	for (i = 0; i < s->map->nnodes; i++) {
		sconn_server(s->map, i, server, sizeof(server));
		if (rc != NULL && strcmp(server, seed) == 0) {
			s->ctx[i] = rc; /* the seed is a master: kept */
			rc = NULL;
		}
		if (s->replicas == -1 || s->map->replicas[i] < s->replicas)
			s->replicas = s->map->replicas[i];
	}
	if (s->replicas < 0)
		s->replicas = 0;
	redisFree(rc);
	return 0;
}

struct sconn *
sconn_dial_cluster(const struct conf *c, int *seed, char *why, size_t size)
{
	struct sconn *s = sconn_alloc(c);
	char one[160];
	int k, i, n = c->redis.ncluster;

	snprintf(why, size, "no seed");
	if (s == NULL || (s->map = malloc(sizeof(*s->map))) == NULL) {
		free(s);
		snprintf(why, size, "out of memory");
		return NULL;
	}
	for (k = 0; k < n; k++) {
		i = (*seed + k) % n;
		if (sconn_seed(s, c->redis.cluster[i], one, sizeof(one)) == 0) {
			*seed = i;
			return s;
		}
		snprintf(why, size, "cluster seed %.100s: %s",
		    c->redis.cluster[i], one);
	}
	*seed = n > 0 ? (*seed + 1) % n : 0;
	sconn_free(s);
	return NULL;
}

struct sconn *
sconn_reach(const struct conf *c, char *why, size_t size)
{
	char server[CONF_PATH_MAX];
	int i = 0;

	if (c->redis.ncluster > 0)
		return sconn_dial_cluster(c, &i, why, size);
	if (c->redis.nsentinels == 0)
		return sconn_dial(c, c->redis.server, why, size);
	if (sentinel_seek(c, &i, server, sizeof(server), why, size) == -1)
		return NULL;
	return sconn_dial(c, server, why, size);
}

void
sconn_free(struct sconn *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nctx; i++)
		if (s->ctx[i] != NULL)
			redisFree(s->ctx[i]);
	for (i = 0; i < s->ncmd; i++)
		if (s->cmd[i].r != NULL)
			freeReplyObject(s->cmd[i].r);
	free(s->cmd);
	free(s->map);
	free(s);
}

/* sconn_break - an I/O error or a protocol mismatch: not to be used */
static int
sconn_break(struct sconn *s, const char *why)
{
	s->broken = true;
	str_lcpy(s->why, why, sizeof(s->why));
	return -1;
}

/* sconn_ctx - node i's context, connected when missing; NULL: broken */
static redisContext *
sconn_ctx(struct sconn *s, int i)
{
	char server[CSLOT_HOST_MAX + 16], why[160];

	if (i < 0 || i >= CSLOT_NODES_MAX)
		return NULL;
	if (i < s->nctx && s->ctx[i] != NULL)
		return s->ctx[i];
	if (s->map == NULL || i >= s->map->nnodes)
		return NULL;
	sconn_server(s->map, i, server, sizeof(server));
	if ((s->ctx[i] = sconn_connect(s->c, server, NULL, why, sizeof(why))) ==
	    NULL) {
		snprintf(s->why, sizeof(s->why), "%s: %s", server, why);
		s->broken = true;
		return NULL;
	}
	if (s->nctx <= i)
		s->nctx = i + 1;
	return s->ctx[i];
}

/* sconn_queue - send command k on node i and queue it there */
static int
sconn_queue(struct sconn *s, int k, int i)
{
	struct sconn_cmd *c = &s->cmd[k];
	redisContext *rc = sconn_ctx(s, i);

	if (rc == NULL)
		return -1;
	if (redisAppendCommandArgv(
	        rc, c->argc, (const char **)c->argv, c->len) != REDIS_OK)
		return sconn_break(s, rc->errstr);
	c->node = i;
	c->next = -1;
	if (s->tail[i] == -1)
		s->head[i] = k;
	else
		s->cmd[s->tail[i]].next = k;
	s->tail[i] = k;
	return 0;
}

/* sconn_add - a new entry for a command; its index, or -1 */
static int
sconn_add(struct sconn *s, int argc, const char *const *argv, const size_t *len,
    bool mine)
{
	struct sconn_cmd *n;
	int max;

	if (s->ncmd == s->maxcmd) {
		max = s->maxcmd == 0 ? 64 : s->maxcmd * 2;
		if (max > 65536 ||
		    (n = realloc(s->cmd, (size_t)max * sizeof(*n))) == NULL)
			return sconn_break(s, "out of memory");
		s->cmd = n;
		s->maxcmd = max;
	}
	s->cmd[s->ncmd] =
	    (struct sconn_cmd){argc, argv, len, -1, -1, 0, mine, NULL};
	return s->ncmd++;
}

int
sconn_append(
    struct sconn *s, int argc, const char *const *argv, const size_t *len)
{
	int k, slot, node = 0, i;

	if (s->broken)
		return -1;
	if (s->next == s->ncmd) { /* all read: a new pipeline */
		s->ncmd = s->next = 0;
		s->prev = -1;
		for (i = 0; i < s->nctx; i++)
			s->head[i] = s->tail[i] = -1;
	}
	if (s->map != NULL) {
		slot = cslot_cmd_slot(argc, argv, len);
		node = slot == -1 ? (s->prev != -1 ? s->prev : 0)
		                  : cslot_map_node(s->map, slot);
		if (node == -1)
			return sconn_break(s, "a slot no master serves");
	}
	if ((k = sconn_add(s, argc, argv, len, true)) == -1)
		return -1;
	s->prev = node;
	return sconn_queue(s, k, node);
}

/* sconn_redirect - r moved command k: queued where it says; 1, or 0
 * when r is no redirection (or one too many), -1 broken */
static int
sconn_redirect(struct sconn *s, int k, const redisReply *r)
{
	static const char *const asking[] = {"ASKING"};
	struct sconn_cmd *c = &s->cmd[k];
	struct cslot_node to;
	enum cslot_redirect how;
	int slot, i, a;

	if (s->map == NULL || c->redirects >= SCONN_REDIRECTS)
		return 0;
	how = cslot_redirect_parse(r, s->map->node[c->node].host, &slot, &to);
	if (how == CSLOT_NONE)
		return 0;
	c->redirects++;
	if ((i = cslot_map_find(s->map, to.host, to.port)) == -1) {
		if (s->map->nnodes >= CSLOT_NODES_MAX)
			return sconn_break(s, "too many masters");
		i = s->map->nnodes++;
		s->map->node[i] = to;
		s->map->replicas[i] = 0;
		s->head[i] = s->tail[i] = -1;
	}
	if (how == CSLOT_MOVED) {
		if (cslot_map_move(s->map, slot, &to) == -1)
			return sconn_break(s, "a MOVED to nowhere");
		s->stale = true;
	} else {
		if ((a = sconn_add(s, 1, asking, NULL, false)) == -1 ||
		    sconn_queue(s, a, i) == -1)
			return -1;
		c = &s->cmd[k]; /* sconn_add may have moved it */
	}
	return sconn_queue(s, k, i) == -1 ? -1 : 1;
}

/* sconn_read - read node i's next reply into its command; 0 or -1 */
static int
sconn_read(struct sconn *s, int i)
{
	int h = s->head[i], rv;
	redisReply *r;

	if (h == -1)
		return sconn_break(s, "a reply nobody waits for");
	if (redisGetReply(s->ctx[i], (void **)&r) != REDIS_OK)
		return sconn_break(s, s->ctx[i]->errstr);
	s->head[i] = s->cmd[h].next;
	if (s->head[i] == -1)
		s->tail[i] = -1;
	if (!s->cmd[h].mine) {
		freeReplyObject(r); /* ASKING's OK */
		return 0;
	}
	if (r->type == REDIS_REPLY_ERROR &&
	    (rv = sconn_redirect(s, h, r)) != 0) {
		freeReplyObject(r);
		return rv == -1 ? -1 : 0;
	}
	s->cmd[h].r = r;
	return 0;
}

int
sconn_get(struct sconn *s, redisReply **out)
{
	struct sconn_cmd *c;
	int k;

	*out = NULL;
	if (s->broken)
		return -1;
	while (s->next < s->ncmd && !s->cmd[s->next].mine)
		s->next++;
	if (s->next >= s->ncmd)
		return sconn_break(s, "no command waits for a reply");
	k = s->next;
	while ((c = &s->cmd[k])->r == NULL)
		if (sconn_read(s, c->node) == -1)
			return -1;
	*out = c->r;
	c->r = NULL;
	s->next++;
	while (s->next < s->ncmd && !s->cmd[s->next].mine)
		s->next++;
	return 0;
}

redisReply *
sconn_command(
    struct sconn *s, int argc, const char *const *argv, const size_t *len)
{
	redisReply *r;

	if (sconn_append(s, argc, argv, len) == -1 || sconn_get(s, &r) == -1)
		return NULL;
	return r;
}

bool
sconn_ok(const struct sconn *s)
{
	return !s->broken && s->next >= s->ncmd;
}

bool
sconn_stale(const struct sconn *s)
{
	return s->stale;
}

int
sconn_replicas(const struct sconn *s)
{
	return s->map != NULL ? 0 : s->replicas; /* no WAIT on a cluster */
}

const char *
sconn_why(const struct sconn *s)
{
	return s->why;
}
