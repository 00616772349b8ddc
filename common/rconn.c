/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rconn - Redis server address, handshake and up/down state.
 *
 * Entry points: rconn_addr_parse, rconn_ident, rconn_where,
 * rconn_handshake_init,
 * rconn_handshake_reply, rconn_role, rconn_state_init, rconn_went_down,
 * rconn_went_up, rconn_reply_failing, rconn_failing, rconn_open_warning,
 * rconn_may_connect, rconn_wait_ms.
 * The backoff doubles from RCONN_BACKOFF_MIN_MS to RCONN_BACKOFF_MAX_MS
 * and starts again at the minimum once Redis answers again.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "rconn.h"
#include "str.h"

int
rconn_addr_parse(
    const char *srv, struct rconn_addr *a, char *why, size_t whysize)
{
	const char *colon, *host = srv, *end;
	long long port;

	memset(a, 0, sizeof(*a));
	if (strncmp(srv, "unix:", 5) == 0) {
		if (srv[5] != '/' || strlen(srv + 5) >= sizeof(a->host)) {
			snprintf(why, whysize,
			    "bad server address '%.100s': "
			    "unix:/PATH",
			    srv);
			return -1;
		}
		a->is_unix = true;
		str_lcpy(a->host, srv + 5, sizeof(a->host));
		return 0;
	}
	if (srv[0] == '[') { /* [v6]:port */
		host = srv + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			goto bad;
		colon = end + 1;
	} else {
		if ((colon = strrchr(srv, ':')) == NULL ||
		    memchr(srv, ':', (size_t)(colon - srv)) != NULL)
			goto bad; /* a bare v6 address needs its brackets */
		end = colon;
	}
	if (end == host || (size_t)(end - host) >= sizeof(a->host) ||
	    str_tonum(colon + 1, 1, 65535, &port) == -1)
		goto bad;
	memcpy(a->host, host, (size_t)(end - host));
	a->host[end - host] = '\0';
	a->port = (int)port;
	return 0;
bad:
	snprintf(why, whysize,
	    "bad server address '%.100s': HOST:PORT, [V6]:PORT or unix:/PATH",
	    srv);
	return -1;
}

void
rconn_ident(const struct conf *c, char *buf, size_t size)
{
	size_t n;
	int i;

	n = (size_t)snprintf(buf, size, "%s\n%s\n%s\n%d\n%s\n%s",
	    c->redis.server, c->redis.user, c->redis.password, c->redis.db,
	    c->redis.master_name, c->redis.sentinel_password);
	for (i = 0; i < c->redis.nsentinels && n < size; i++)
		n += (size_t)snprintf(
		    buf + n, size - n, "\n%s", c->redis.sentinels[i]);
	for (i = 0; i < c->redis.ncluster && n < size; i++)
		n += (size_t)snprintf(
		    buf + n, size - n, "\nc%s", c->redis.cluster[i]);
}

const char *
rconn_where(const struct conf *c, char *buf, size_t size)
{
	if (c->redis.ncluster > 0)
		snprintf(buf, size, "a cluster of %d seeds, %s first",
		    c->redis.ncluster, c->redis.cluster[0]);
	else if (c->redis.nsentinels == 0)
		snprintf(buf, size, "%s", c->redis.server);
	else
		snprintf(buf, size, "master %s of %d sentinels",
		    c->redis.master_name, c->redis.nsentinels);
	return buf;
}

void
rconn_handshake_init(struct rconn_handshake *h, const struct conf *c)
{
	memset(h, 0, sizeof(*h));
	if (c->redis.user[0] != '\0') /* Redis 6 ACL */
		h->cmd[h->n++] = (struct rconn_cmd){RCONN_AUTH, 3,
		    {"AUTH", c->redis.user, c->redis.password, NULL}};
	else if (c->redis.password[0] != '\0')
		h->cmd[h->n++] = (struct rconn_cmd){
		    RCONN_AUTH, 2, {"AUTH", c->redis.password, NULL}};
	if (c->redis.db != 0) {
		snprintf(h->db, sizeof(h->db), "%d", c->redis.db);
		h->cmd[h->n++] = (struct rconn_cmd){
		    RCONN_SELECT, 2, {"SELECT", h->db, NULL}};
	}
	h->cmd[h->n++] = (struct rconn_cmd){RCONN_TIME, 1, {"TIME"}};
	if (c->redis.ncluster == 0) /* a cluster's map lists replicas */
		h->cmd[h->n++] = (struct rconn_cmd){RCONN_ROLE, 1, {"ROLE"}};
	h->cmd[h->n++] = (struct rconn_cmd){RCONN_PING, 1, {"PING"}};
}

int
rconn_role(const redisReply *r, int *replicas, char *why, size_t whysize)
{
	const redisReply *e;

	*replicas = 0;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, whysize,
		    "ROLE: %.100s (an ACL must allow +role: README)", r->str);
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		snprintf(why, whysize, "unexpected ROLE reply");
		return -1;
	}
	e = r->element[0];
	if (strcmp(e->str, "master") == 0) {
		if (r->elements >= 3 &&
		    r->element[2]->type == REDIS_REPLY_ARRAY)
			*replicas = r->element[2]->elements > 1000
			    ? 1000
			    : (int)r->element[2]->elements;
		return 0;
	}
	if (strcmp(e->str, "slave") == 0 && r->elements >= 3 &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[2]->type == REDIS_REPLY_INTEGER)
		snprintf(why, whysize, "a replica of %.64s:%lld, not a master",
		    r->element[1]->str, r->element[2]->integer);
	else
		snprintf(why, whysize, "a %.32s, not a master", e->str);
	return -1;
}

int
rconn_handshake_reply(struct rconn_handshake *h, const struct rconn_cmd *cmd,
    const redisReply *r, char *why, size_t whysize)
{
	if (r == NULL) {
		snprintf(why, whysize, "%s: no reply", cmd->argv[0]);
		return -1;
	}
	if (cmd->step == RCONN_ROLE)
		return rconn_role(r, &h->replicas, why, whysize);
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, whysize, "%s: %.100s", cmd->argv[0], r->str);
		return -1;
	}
	switch (cmd->step) {
	case RCONN_TIME:
		if (clock_learn(r) == -1) {
			snprintf(why, whysize, "unexpected TIME reply");
			return -1;
		}
		return 0;
	case RCONN_PING:
		if (r->type != REDIS_REPLY_STATUS) {
			snprintf(why, whysize, "unexpected PING reply");
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

void
rconn_state_init(struct rconn_state *s)
{
	memset(s, 0, sizeof(*s));
	s->delay_ms = RCONN_BACKOFF_MIN_MS;
}

/* rconn_down - Redis unusable at now: the backoff, and the line of the
 * change (what: "down" or "failing", then: how it ends) */
static bool
rconn_down(struct rconn_state *s, const char *what, const char *then,
    const char *why, const char *server, long long now, char *msg,
    size_t msgsize)
{
	bool log = s->up || !s->logged_down;

	if (log)
		snprintf(msg, msgsize,
		    "redis: %s: %.120s (server=%.100s); on_failure policy "
		    "applies until %s",
		    what, why, server, then);
	s->logged_down = true;
	s->up = false;
	s->retry_at = now + s->delay_ms;
	s->delay_ms = s->delay_ms * 2 > RCONN_BACKOFF_MAX_MS
	    ? RCONN_BACKOFF_MAX_MS
	    : s->delay_ms * 2;
	return log;
}

bool
rconn_went_down(struct rconn_state *s, const char *why, const char *server,
    long long now, char *msg, size_t msgsize)
{
	return rconn_down(
	    s, "down", "it is back", why, server, now, msg, msgsize);
}

bool
rconn_went_up(struct rconn_state *s, const struct conf *c, const char *server,
    char *msg, size_t msgsize)
{
	bool log = !s->up;

	if (log)
		snprintf(msg, msgsize, "redis: up (server=%.160s db=%d)",
		    server, c->redis.db);
	s->up = true;
	s->logged_down = false;
	s->delay_ms = RCONN_BACKOFF_MIN_MS;
	return log;
}

bool
rconn_reply_failing(const redisReply *r)
{
	static const char *const codes[] = {"OOM ", "READONLY ", "LOADING ",
	    "MASTERDOWN ", "BUSY ", "MISCONF ", "NOAUTH ", "NOPERM ",
	    "WRONGPASS ", "CLUSTERDOWN ", "TRYAGAIN "};
	size_t i;

	if (r == NULL || r->type != REDIS_REPLY_ERROR || r->str == NULL)
		return false;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strncmp(r->str, codes[i], strlen(codes[i])) == 0)
			return true;
	return false;
}

bool
rconn_failing(struct rconn_state *s, const char *why, const char *server,
    long long now, char *msg, size_t msgsize)
{
	return rconn_down(
	    s, "failing", "it answers again", why, server, now, msg, msgsize);
}

bool
rconn_open_warning(struct rconn_state *s, const struct conf *c,
    const char *server, char *msg, size_t msgsize)
{
	if (s->warned_open || c->redis.password[0] != '\0' ||
	    strncmp(server, "unix:", 5) == 0)
		return false;
	s->warned_open = true;
	snprintf(msg, msgsize,
	    "redis: server=%.100s answers without a password: any local user "
	    "can lift its own block or exempt itself; give Redis a password "
	    "(redis.password) or use a unix socket only floodgate may open "
	    "(README: Protecting Redis)",
	    server);
	return true;
}

bool
rconn_may_connect(const struct rconn_state *s, long long now)
{
	return s->up || now >= s->retry_at;
}

long long
rconn_wait_ms(const struct conf *c, int replicas)
{
	if (replicas < 1)
		return 0;
	return c->redis.timeout_ms / 2 > 0 ? c->redis.timeout_ms / 2 : 1;
}
