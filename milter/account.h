/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * account - what a stamped message means for the shared state: blocks on
 * its uid, SASL user and client IP subjects (written by any node, by
 * policyd or the milter), the uid limits, all through the verdict both
 * daemons share (common/verdict.h), then one fg:trace entry and a count
 * in the uid's scripts ZSET. When Redis is unusable the redis.on_failure
 * policy applies, with per-process counters and the blocks Redis showed
 * recently. Thread-safe.
 */
#ifndef FG_ACCOUNT_H
#define FG_ACCOUNT_H

#include <stdbool.h>

#include "conf.h"
#include "notify.h"
#include "origin.h"

struct account;

struct account_verdict {
	enum conf_mact act; /* CONF_MACT_ACCEPT: let it pass */
	char rule[CONF_NAME_MAX];
	char why[256]; /* for the log and the quarantine reason */
	bool blocked;  /* a block, not a limit */
	bool degraded; /* decided without Redis */
};

struct account *account_new(void);
void account_free(struct account *);
/* account_message - decide, count and trace one message of origin o
 * (origin_eom done) */
void account_message(struct account *, const struct conf *,
    const struct origin *o, struct account_verdict *);
/* account_reconf - the config at path was reloaded: the set of limits
 * may have changed, the notifier reads it too */
void account_reconf(struct account *, const char *path);
/* account_set_notify - the notifier of the blocks this milter creates
 * (owned from now on) */
void account_set_notify(struct account *, struct notify *);
/* account_redis_up - Redis answers (the pool's state) */
bool account_redis_up(struct account *);
/* account_top - write the "who sends most" counts (the beat thread) */
void account_top(struct account *, const struct conf *);
/* account_beat - this milter's heartbeat (the beat thread, every
 * BEAT_INTERVAL_MS) */
void account_beat(struct account *, const struct conf *);

#endif
