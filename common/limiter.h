/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limiter - the shared sliding-window limiter, on plain Redis commands.
 *
 * One subject's decision is a struct limiter. limiter_start() lays out
 * the commands of its round trip: the limits hash (exempt, overrides),
 * the block hash, an HINCRBY of each current bucket (the reply is the
 * count with every node's requests in it), one HMGET of the previous
 * buckets, denials and last buckets, and the ip and sender sets. The
 * caller sends them pipelined on one connection, in order, and hands each
 * reply to limiter_take(). limiter_finish() decides exactly as a single
 * atomic check would for requests one after another, and lays out the
 * follow-up commands: what a refused request added taken back, the
 * denial counted, a block written (hash and event), bucket rollover
 * (stale fields, TTLs). The caller sends those and waits for them before
 * answering, so the next request on any node sees them.
 * limiter_refund() lays out the commands that take a counted request back.
 *
 * Transport-free (policyd's async client, the milter's sync one and the
 * bench share it); never logs. The buckets follow Redis' clock
 * (common/clock.h), so node clocks do not matter. Key and field names are
 * those of DESIGN.md.
 */
#ifndef FG_LIMITER_H
#define FG_LIMITER_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "subject.h"

#define LIMITER_KEY_MAX  (CONF_NAME_MAX + SUBJECT_VALUE_MAX + 32)
#define LIMITER_WHAT_MAX 96
/* the largest count, bucket or time taken from a reply (2^50): a reply
 * beyond it is refused as of the wrong shape */
#define LIMITER_COUNT_MAX (1LL << 50)

enum limiter_status {
	LIMITER_PASS = 0,       /* counted */
	LIMITER_OVER = 1,       /* over a limit, nothing counted */
	LIMITER_BLOCKED = 2,    /* a block was already there */
	LIMITER_EXEMPT = 3,     /* exempt in Redis */
	LIMITER_BLOCK_NOW = 4,  /* a compromise signal blocked it now */
	LIMITER_OVER_BLOCK = 5, /* over a limit, and this denial blocked it */
};

enum limiter_mode {
	LIMITER_ENFORCE,
	LIMITER_DRYRUN,
};

struct limiter_req {
	enum subject_type type;
	const char *value;  /* normalised (subject_norm) */
	long long messages; /* increments */
	long long recipients;
	long long bytes;
	const char *ip;     /* normalised client ip, or "" */
	const char *sender; /* normalised sender, or "" */
	const char *by;     /* "policyd" or "milter" */
	enum limiter_mode mode;
	bool block_only;   /* no limit: the exemption and the block only */
	long long wait_ms; /* > 0: a block written waits this long for one
	                    * replica to have it (WAIT 1 wait_ms) */
	long long now_ms;  /* 0: clock_now_ms() (tests pin the clock) */
};

struct limiter_result {
	enum limiter_status status;
	char rule[CONF_NAME_MAX];
	char what
	    [LIMITER_WHAT_MAX]; /* metric, or a block's reason (printable) */
	long long value;        /* a block: what its hash says */
	long long limit;
	long long now_ms;
};

struct limiter;

/* limiter_start - the first round trip of one subject; NULL when out of
 * memory or the subject makes no valid key. c and the strings of r are
 * borrowed until limiter_free. */
struct limiter *limiter_start(const struct conf *c, const struct limiter_req *r)
    __attribute__((warn_unused_result));
/* limiter_ncmd, limiter_cmd - the commands laid out now, to send in
 * order; the arguments are C strings (argvlen is NULL, as hiredis and
 * resp_format take it) */
int limiter_ncmd(const struct limiter *);
void limiter_cmd(const struct limiter *, int i, int *argc,
    const char *const **argv, const size_t **argvlen);
/* limiter_take - reply i of the first round trip; 0, or -1 for a reply
 * of the wrong shape (the decision is then not to be trusted) */
int limiter_take(struct limiter *, int i, const redisReply *)
    __attribute__((warn_unused_result));
/* limiter_messages - the messages this request counts against a limit
 * (0: its subject's type has none, or only its block is looked at) */
long long limiter_messages(const struct limiter *);
/* limiter_finish - the decision, and the follow-up commands; 0 or -1 */
int limiter_finish(struct limiter *, struct limiter_result *)
    __attribute__((warn_unused_result));
/* limiter_refund - the commands taking back a counted request; 0 or -1 */
int limiter_refund(struct limiter *) __attribute__((warn_unused_result));
/* limiter_restore - after the first round, before limiter_finish: Redis
 * has no block but this node wrote one that no replica confirmed and a
 * failover came since (cached: what the block said): the subject is
 * blocked, and its block is written again (ttl s, 0 none) */
void limiter_restore(
    struct limiter *, const struct limiter_result *cached, long long ttl);
/* limiter_restored - limiter_restore applied */
bool limiter_restored(const struct limiter *);
/* limiter_follow - reply r to follow-up command i; 0, or -1 for an error
 * or a missing reply (the follow-up may not have been done) */
int limiter_follow(struct limiter *, int i, const redisReply *r)
    __attribute__((warn_unused_result));
/* limiter_notifies - this node's write created the block's "notified"
 * field: it sends the one notification (common/notify.h); the reason
 * the block hash gives, or NULL */
const char *limiter_notifies(const struct limiter *);
/* limiter_unconfirmed - a block was written with a WAIT that no replica
 * answered in time: a failover may lose it */
bool limiter_unconfirmed(const struct limiter *);
/* limiter_waited - a block was written with a WAIT (whether a replica
 * confirmed it: limiter_unconfirmed) */
bool limiter_waited(const struct limiter *);
void limiter_free(struct limiter *);

#endif
