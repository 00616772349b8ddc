/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peer - policyd's trust boundary: the peer of each connection, checked
 * against allow_users and allow_networks, and counted per peer.
 *
 * Entry points: peer_identify, peer_rules_load, peer_check,
 * peer_verdict_name, peer_describe, peer_table_new/take/release/log/free.
 * A local TCP client is told by the owner of its socket (sock_diag), not
 * by its address: on a shared host every local user can connect from
 * 127.0.0.1. An owner the kernel cannot name is refused, never uid 0.
 * This host's addresses are local even when allow_networks covers them.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lrutab.h"
#include "peer.h"
#include "ratelog.h"
#include "sockdiag.h"
#include "str.h"

/* refused peers remembered for their log line: more are forgotten oldest
 * first, so a flood of distinct peers costs memory for this many only */
#define PEER_REFUSED_MAX 1024

struct peer_slot {
	struct lrutab_node node;
	char key[PEER_KEY_MAX];
	int n; /* open connections */
};

struct peer_refused {
	struct lrutab_node node;
	char key[PEER_KEY_MAX];
	struct ratelog rl;
};

struct peer_table {
	struct lrutab slots;   /* peers with open connections */
	struct lrutab refused; /* log slots of refused peers */
	unsigned long max;
};

/* peer_unmap - a v4-mapped IPv6 address as the IPv4 one it is */
static const struct sockaddr *
peer_unmap(const struct sockaddr *sa, struct sockaddr_in *v4)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return sa;
	memset(v4, 0, sizeof(*v4));
	v4->sin_family = AF_INET;
	v4->sin_port = s6->sin6_port;
	memcpy(&v4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	return (const struct sockaddr *)v4;
}

/* peer_owner - the uid owning the client socket of local TCP connection
 * fd (peer sa), asked on nlfd; 0, or -1 with errno */
static int
peer_owner(int fd, const struct sockaddr *sa, int nlfd, uid_t *uid)
{
	struct sockaddr_storage self;
	socklen_t len = sizeof(self);
	struct sockdiag_owner own;

	if (getsockname(fd, (struct sockaddr *)&self, &len) == -1)
		return -1;
	if (sockdiag_lookup_with(nlfd, sa, (struct sockaddr *)&self, &own) ==
	    -1)
		return -1;
	*uid = own.uid;
	return 0;
}

int
peer_identify(int fd, const struct sockaddr *sa, socklen_t salen, int nlfd,
    struct peer *p)
{
	struct sockaddr_in v4;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	memset(p, 0, sizeof(*p));
	p->kind = PEER_LOCAL;
	if (sa->sa_family == AF_UNIX) {
		str_lcpy(p->addr, "unix", sizeof(p->addr));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
			p->have_uid = true, p->uid = cred.uid;
		else
			p->err = errno;
	} else if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
		if (getnameinfo(sa, salen, p->addr, sizeof(p->addr), NULL, 0,
		        NI_NUMERICHOST) != 0)
			str_lcpy(p->addr, "?", sizeof(p->addr));
		if (!sockdiag_is_local(sa))
			p->kind = PEER_REMOTE;
		else if (peer_owner(fd, sa, nlfd, &p->uid) == 0)
			p->have_uid = true;
		else
			p->err = errno;
		/* a v4-mapped peer is matched and counted as its IPv4 */
		if (peer_unmap(sa, &v4) != sa)
			inet_ntop(
			    AF_INET, &v4.sin_addr, p->addr, sizeof(p->addr));
	} else
		return -1;
	if (p->kind == PEER_REMOTE)
		snprintf(p->key, sizeof(p->key), "ip:%s", p->addr);
	else if (p->have_uid)
		snprintf(
		    p->key, sizeof(p->key), "uid:%lu", (unsigned long)p->uid);
	else
		snprintf(p->key, sizeof(p->key), "local:%s", p->addr);
	return 0;
}

int
peer_rules_load(
    struct peer_rules *r, const struct conf *cf, char *msg, size_t msgsize)
{
	const char *name;
	struct passwd *pw;
	long long uid;
	int i, unknown = 0;

	memset(r, 0, sizeof(*r));
	msg[0] = '\0';
	for (i = 0; i < cf->policyd.nallow_users && i < CONF_ALLOW_MAX; i++) {
		name = cf->policyd.allow_users[i];
		if (str_tonum(name, 0, 0x7fffffff, &uid) == 0)
			r->uids[r->nuids++] = (uid_t)uid;
		else if ((pw = getpwnam(name)) != NULL)
			r->uids[r->nuids++] = pw->pw_uid;
		else
			snprintf(msg + strlen(msg), msgsize - strlen(msg),
			    "%s%s", unknown++ > 0 ? ", " : "", name);
	}
	for (i = 0; i < cf->policyd.nallow_networks && i < CONF_ALLOW_MAX; i++)
		r->nets[r->nnets++] = cf->policyd.allow_networks[i];
	return unknown;
}

enum peer_verdict
peer_check(const struct peer_rules *r, const struct peer *p)
{
	int i;

	if (p->kind == PEER_REMOTE)
		return cidr_match(r->nets, r->nnets, p->addr)
		    ? PEER_ALLOW
		    : PEER_NOT_ALLOWED_NETWORK;
	if (!p->have_uid)
		return PEER_UNKNOWN_USER;
	for (i = 0; i < r->nuids; i++)
		if (r->uids[i] == p->uid)
			return PEER_ALLOW;
	return PEER_NOT_ALLOWED_USER;
}

const char *
peer_verdict_name(enum peer_verdict v)
{
	switch (v) {
	case PEER_ALLOW:
		return "allowed";
	case PEER_NOT_ALLOWED_USER:
		return "not in policyd.allow_users";
	case PEER_UNKNOWN_USER:
		return "owner unknown";
	case PEER_NOT_ALLOWED_NETWORK:
		return "not in policyd.allow_networks";
	}
	return "?";
}

void
peer_describe(const struct peer *p, char *buf, size_t size)
{
	if (p->kind == PEER_REMOTE)
		snprintf(buf, size, "%s", p->addr);
	else if (p->have_uid)
		snprintf(
		    buf, size, "uid=%lu (%s)", (unsigned long)p->uid, p->addr);
	else
		snprintf(
		    buf, size, "uid=? (%s: %s)", p->addr, strerror(p->err));
}

/* peer_drop - lrutab's: entries are malloc'd */
static void
peer_drop(struct lrutab_node *n)
{
	free(n);
}

struct peer_table *
peer_table_new(int max_conns)
{
	struct peer_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->max = max_conns > 0 ? (unsigned long)max_conns : 1;
	if (lrutab_init(&t->slots, t->max, peer_drop) == -1) {
		free(t);
		return NULL;
	}
	if (lrutab_init(&t->refused, PEER_REFUSED_MAX, peer_drop) == -1) {
		lrutab_free(&t->slots);
		free(t);
		return NULL;
	}
	return t;
}

void
peer_table_free(struct peer_table *t)
{
	if (t == NULL)
		return;
	lrutab_free(&t->slots);
	lrutab_free(&t->refused);
	free(t);
}

struct peer_slot *
peer_table_take(struct peer_table *t, const char *key, int cap)
{
	struct peer_slot *s = (struct peer_slot *)lrutab_get(&t->slots, key);

	if (s != NULL) {
		if (s->n >= cap)
			return NULL;
		s->n++;
		return s;
	}
	/* a slot in use is never evicted: a peer per open connection at most */
	if (cap < 1 || t->slots.n >= t->max ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	str_lcpy(s->key, key, sizeof(s->key));
	s->node.key = s->key;
	s->n = 1;
	lrutab_put(&t->slots, &s->node);
	return s;
}

void
peer_table_release(struct peer_table *t, struct peer_slot *s)
{
	if (s != NULL && --s->n <= 0)
		lrutab_del(&t->slots, &s->node);
}

bool
peer_table_log(struct peer_table *t, const char *key, unsigned long *skipped)
{
	struct peer_refused *r =
	    (struct peer_refused *)lrutab_get(&t->refused, key);
	static const struct ratelog fresh = RATELOG_INIT;

	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL) {
			*skipped = 0;
			return false;
		}
		str_lcpy(r->key, key, sizeof(r->key));
		r->node.key = r->key;
		r->rl = fresh;
		lrutab_put(&t->refused, &r->node);
	}
	return ratelog_take(&r->rl, clock_mono_ms(), skipped);
}
