/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peer - who is at the other end of a policy connection, whether it may
 * ask, and how many connections each peer holds.
 *
 * peer_identify() reads the facts of an accepted socket: a unix peer's
 * uid (SO_PEERCRED), the owner of a TCP client socket on this host
 * (sock_diag), or a remote client's address. peer_check() is the decision,
 * from those facts and the rules of allow_users / allow_networks alone (a
 * table in t/unit/peer.c). A peer_table counts open connections per peer
 * (a local uid, a remote address) against a cap and keeps a rate-limited
 * log slot per refused peer. Never logs; never blocks but for the
 * microseconds of a sock_diag lookup.
 */
#ifndef FG_PEER_H
#define FG_PEER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "conf.h"

#define PEER_ADDR_MAX 64 /* "unix", a numeric IPv4/IPv6 address */
#define PEER_KEY_MAX  80 /* "uid:65534", "ip:2001:db8::1" */

enum peer_kind {
	PEER_LOCAL,  /* a unix socket, or TCP from an address of this host */
	PEER_REMOTE, /* TCP from another host */
};

struct peer {
	enum peer_kind kind;
	bool have_uid; /* local: the kernel named the owner */
	uid_t uid;
	int err; /* local without uid: errno of the lookup */
	char addr[PEER_ADDR_MAX];
	char key[PEER_KEY_MAX]; /* what the per-peer cap counts */
};

struct peer_rules {
	uid_t uids[CONF_ALLOW_MAX];
	int nuids;
	struct cidr nets[CONF_ALLOW_MAX];
	int nnets;
};

enum peer_verdict {
	PEER_ALLOW,
	PEER_NOT_ALLOWED_USER,    /* local, its uid not in allow_users */
	PEER_UNKNOWN_USER,        /* local, the kernel could not say */
	PEER_NOT_ALLOWED_NETWORK, /* remote, not in allow_networks */
};

/* peer_identify - the facts of accepted socket fd from sa, a local TCP
 * peer's owner asked on netlink socket nlfd (sockdiag_open; -1: one of its
 * own); returns 0, or -1 when sa is of no family policyd listens on */
int peer_identify(int fd, const struct sockaddr *sa, socklen_t salen, int nlfd,
    struct peer *) __attribute__((warn_unused_result));
/* peer_rules_load - allow_users (names resolved now) and allow_networks
 * of cf; returns how many names are unknown (skipped; listed in msg) */
int peer_rules_load(
    struct peer_rules *, const struct conf *cf, char *msg, size_t msgsize);
enum peer_verdict peer_check(const struct peer_rules *, const struct peer *);
/* peer_verdict_name - why, for the log: "not in allow_users" ... */
const char *peer_verdict_name(enum peer_verdict);
/* peer_describe - "uid=107 (unix)", "uid=0 (127.0.0.1)", "192.0.2.7" */
void peer_describe(const struct peer *, char *buf, size_t size);

struct peer_table;
struct peer_slot;

/* peer_table_new - counts for at most max_conns open connections */
struct peer_table *peer_table_new(int max_conns);
void peer_table_free(struct peer_table *);
/* peer_table_take - one more connection of key; NULL when key holds cap
 * already (or out of memory) */
struct peer_slot *peer_table_take(
    struct peer_table *, const char *key, int cap);
/* peer_table_release - that connection is closed */
void peer_table_release(struct peer_table *, struct peer_slot *);
/* peer_table_log - log a refusal of key now? *skipped gets those of key
 * left out before it (one line a RATELOG_INTERVAL_MS per peer) */
bool peer_table_log(
    struct peer_table *, const char *key, unsigned long *skipped);

#endif
