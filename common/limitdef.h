/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitdef - the limiter's inside, shared by its two halves: limiter.c
 * (the layout of a subject's keys, its first round trip, the replies)
 * and limitfollow.c (the decision and the follow-up commands). Not for
 * any other file: the limiter's interface is limiter.h.
 */
#ifndef FG_LIMITDEF_H
#define FG_LIMITDEF_H

#include <stdbool.h>

#include "cmdbuf.h"
#include "keys.h"
#include "limiter.h"

#define NMETRIC       KEYS_NMETRIC
#define EVENTS_MAXLEN "10000"
/* fields of a block hash read at most (ours are 8; an admin may add) */
#define BLOCK_FIELDS_MAX 64

enum limitdef_kind {
	C_LIMITS,
	C_BLOCK,
	C_INCR,
	C_USAGE,
	C_ZADD,
	C_ZCOUNT,
	C_FOLLOW,
	C_WAIT,  /* a follow-up: WAIT for a replica after a block */
	C_NOTIFY /* a follow-up: HSETNX "notified": this node notifies */
};

/* one limit of the subject: the config and what Redis answered */
struct limiter_limit {
	const struct conf_limit *cl;
	long long wms, b, last, dcur, dprev;
	double frac;
	const char *ws, *cur[NMETRIC], *prev[NMETRIC], *dcurf, *dprevf, *lastf;
	int incr[NMETRIC];        /* C_INCR command of cur[j] */
	bool own[NMETRIC];        /* that command is this limit's */
	long long count[NMETRIC]; /* cur after this request's increment */
	long long prevv[NMETRIC]; /* previous bucket */
	long long over[NMETRIC];  /* override, or -1 */
	long long zcount[2];      /* distinct ips, senders; -1 not asked */
};

struct limiter {
	const struct conf *c;
	struct limiter_req r;
	long long now, maxw;
	int n, k, metric[NMETRIC]; /* active metrics: 0 m, 1 r, 2 B */
	long long inc[NMETRIC];
	const char *usage, *blockk, *limk, *setk[2], *evk, *idxk, *subj;
	bool exempt, blocked, zadded[2];
	bool restored;  /* the block is this node's cached one, rewritten */
	long long rttl; /* its ttl (s; 0 none) */
	int waited;     /* WAIT after the block: 0 none, 1 sent, 2 acked */
	bool notify;    /* this node's HSETNX created "notified" */
	const char *wreason; /* the reason a block written gives (in cb) */
	char brule[CONF_NAME_MAX], breason[LIMITER_WHAT_MAX];
	long long bvalue, blimit;
	struct cmdbuf cb; /* the commands and every string they use */
	struct limiter_limit l[];
};

/* C_ZADD, C_ZCOUNT: the set (0 ips, 1 senders) and the limit, in aux */
#define AUX(set, lim) ((lim)*2 + (set))

#endif
