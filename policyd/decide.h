/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decide - policyd's decision flow for one request: subjects (sasl, ip),
 * exemptions, one limiter call per subject (pipelined on one Redis
 * connection), the on_failure policy when Redis is away, the combined
 * answer, refunds of subjects counted for a refused request, one log line
 * per non-DUNNO decision.
 *
 * decide_request() calls cb exactly once with the action text, maybe
 * before it returns. The decide_conn is the per-connection memory of the
 * current message (Postfix's instance attribute); the caller keeps it
 * alive until cb ran.
 */
#ifndef FG_DECIDE_H
#define FG_DECIDE_H

#include <event2/event.h>

#include "conf.h"
#include "local.h"
#include "metrics.h"
#include "notify.h"
#include "request.h"
#include "store.h"

struct decide;

struct decide_conn {
	char instance[REQUEST_VALUE_MAX + 1];
	bool counted; /* this instance counted one message */
	bool rcpt;    /* RCPT requests seen for this instance */
};

struct decide_stats {
	unsigned long long requests, dunno, over, blocked, failed, degraded;
};

typedef void decide_cb(void *arg, const char *action);

struct decide *decide_new(struct store *, struct local *, struct conf *);
void decide_free(struct decide *);
void decide_reconf(struct decide *, struct conf *);
const struct conf *decide_conf(const struct decide *);
void decide_request(struct decide *, struct decide_conn *,
    const struct request *, decide_cb *, void *arg);
void decide_stats(const struct decide *, struct decide_stats *);
/* decide_set_metrics - tally every answer into m (policyd/metrics.h) */
void decide_set_metrics(struct decide *, struct metrics *);
/* decide_set_notify - the notifier of the blocks this node creates */
void decide_set_notify(struct decide *, struct notify *);

#endif
