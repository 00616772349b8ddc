/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * verdict - the one decision both daemons make: for a policy request
 * (policyd) or a message (milter), its subjects -> exemptions -> the
 * limiter per subject, or the on_failure policy when Redis is away ->
 * block > over > failure -> refunds of what a refused request counted ->
 * the log lines of the decision.
 *
 * Transport-free, like the limiter: the caller adds subjects, then for
 * each one sends the commands of verdict_limiter() and hands the replies
 * to limiter_take(); verdict_settle() decides the subject and lays out
 * its follow-ups (send them, wait for them), or verdict_fallback() when
 * Redis failed it. verdict_decide() combines the subjects; when it
 * refused, verdict_refund() lays out the take-backs. policyd drives it
 * asynchronously (policyd/decide.c), the milter and limitctl on a
 * blocking connection (common/syncrun.c). Never logs: the lines come
 * back formatted.
 */
#ifndef FG_VERDICT_H
#define FG_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "limiter.h"
#include "local.h"
#include "notify.h"

#define VERDICT_SUBJECTS 3
#define VERDICT_LINE_MAX 1024

enum verdict_kind {
	VERDICT_PASS,    /* nothing refuses */
	VERDICT_BLOCKED, /* a subject is blocked */
	VERDICT_OVER,    /* a subject is over a limit */
	VERDICT_FAILURE, /* Redis away and on_failure = defer */
};

/* what one subject counts; NULL to verdict_add: the block only */
struct verdict_counts {
	long long messages, recipients, bytes;
	long long now_ms; /* 0: Redis' clock (tests pin it) */
};

struct verdict_subject {
	struct limiter_req req; /* type, value (normalised), counts */
	struct limiter_result res;
	char *value;         /* req.value, owned */
	struct limiter *lim; /* its commands, from verdict_limiter */
	bool counted;        /* counted in Redis: a refusal takes it back */
	bool failed;         /* Redis away, on_failure = defer */
	bool degraded;       /* decided without Redis */
};

struct verdict {
	const struct conf *c;
	const char *by;    /* "policyd", "milter" */
	long long share;   /* without Redis each limit is divided by it (1) */
	long long wait_ms; /* > 0: a block written waits for a replica */
	unsigned int gen;  /* the master's generation: a failover bumps it */
	int n;
	struct verdict_subject sub[VERDICT_SUBJECTS];
	char *ip, *sender; /* set members of a counted sasl subject */
};

struct verdict_decision {
	enum verdict_kind kind;
	int sub;             /* the subject that decided, -1 on PASS */
	const char *action;  /* policy action (access(5)); "DUNNO" on PASS */
	enum conf_mact mact; /* the milter's action; ACCEPT on PASS */
	bool enforced;       /* false: dry-run, the action is only logged */
	bool degraded;       /* some subject decided without Redis */
};

void verdict_init(struct verdict *, const struct conf *, const char *by);
/* verdict_free - the limiters and strings; v itself is the caller's */
void verdict_free(struct verdict *);
/* verdict_members - the client ip and sender a counted sasl subject
 * adds to its distinct-ip and distinct-sender sets (raw; "" none);
 * call before verdict_add; 0 or -1 (out of memory) */
int verdict_members(struct verdict *, const char *ip, const char *sender)
    __attribute__((warn_unused_result));
/* verdict_limited - some limit counts subject type t */
bool verdict_limited(const struct conf *, enum subject_type);
/* verdict_add - a subject from its raw value: 1 added, 0 skipped (empty,
 * exempt by the config, no room), -1 out of memory. A value that is not
 * valid (control bytes, overlong, no address) is added under its stand-in
 * (subject_standin), and why says so for the log ("" otherwise). counts
 * NULL: only its block is looked at. */
int verdict_add(struct verdict *, enum subject_type, const char *raw,
    const struct verdict_counts *, char *why, size_t whysize);
/* verdict_limiter - subject i's first round of commands; NULL: apply
 * verdict_fallback */
struct limiter *verdict_limiter(struct verdict *, int i);
/* verdict_settle - decide subject i from the replies taken; 0: its
 * follow-ups are laid out in its limiter (maybe none), -1: a reply was
 * missing or wrong, verdict_fallback applies. local learns the blocks
 * Redis showed. */
int verdict_settle(struct verdict *, int i, struct local *, long long mono_ms)
    __attribute__((warn_unused_result));
/* verdict_fallback - subject i without Redis: the on_failure policy
 * (local counters, dunno, defer) and the blocks local knows of */
void verdict_fallback(
    struct verdict *, int i, struct local *, long long mono_ms);
/* verdict_follow - reply r to follow-up command cmd of subject i; 0, or
 * -1 when it failed (the caller logs) */
int verdict_follow(struct verdict *, int i, int cmd, const redisReply *r)
    __attribute__((warn_unused_result));
/* verdict_followed - subject i's follow-ups are all answered: local
 * learns of a block no replica confirmed (rewritten if a failover loses
 * it) */
void verdict_followed(struct verdict *, int i, struct local *);
/* verdict_notify - subject i's block was created by this node's write
 * (its follow-ups answered): what its notification says, into b */
bool verdict_notify(const struct verdict *, int i, struct notify_block *b);
/* verdict_durable_line - "event=block_rewritten ..." when subject i's
 * block, lost in a failover, was written again from this node's cache;
 * "event=block_unconfirmed ..." when no replica confirmed a block written
 * now; false otherwise */
bool verdict_durable_line(
    const struct verdict *, int i, char *buf, size_t size);
/* verdict_decide - block > over > failure; d->sub names the subject */
void verdict_decide(const struct verdict *, struct verdict_decision *);
/* verdict_refund - when d refused: lay out the take-back of subject i
 * in its limiter; true when there are commands to send */
bool verdict_refund(struct verdict *, const struct verdict_decision *, int i);

/* verdict_line - "[dryrun=1 ]action=A decision=K rule=R subject="t:v"
 * what="w" value=V limit=L" of a refusing decision (the daemon adds its
 * context); false on PASS */
bool verdict_line(const struct verdict *, const struct verdict_decision *,
    char *buf, size_t size);
/* verdict_block_line - "[dryrun=1 ]event=block rule=R subject="t:v"
 * what="w" value=V limit=L" when subject i wrote a block now */
bool verdict_block_line(const struct verdict *, int i, char *buf, size_t size);
/* verdict_why - the reason in words (quarantine text, the milter's log):
 * "t:v blocked: reason", "t:v over limit R: what V > L",
 * "redis unavailable"; "" on PASS */
void verdict_why(const struct verdict *, const struct verdict_decision *,
    char *buf, size_t size);

/* verdict_bad_reply - the line for reply r to command cmd of subject i,
 * which the limiter refused: the subject (decided locally), the key and
 * what Redis said; both drivers log it */
void verdict_bad_reply(const struct verdict *, int i, int cmd,
    const redisReply *r, char *buf, size_t size);

#endif
