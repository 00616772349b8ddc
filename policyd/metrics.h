/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics - policyd's Prometheus metrics on policyd.metrics_listen
 * ("inet:HOST:PORT", off by default), served by libevent's evhttp on the
 * daemon's event_base: GET /metrics answers the text format.
 *
 * decide.c tallies each answer (metrics_answer: protocol state, action,
 * latency) and each refusal and block (metrics_decision, metrics_block);
 * the daemon adds its gauges at each scrape through the more callback.
 * Rule labels are bounded: at most METRICS_RULES distinct rule names (a
 * block hash's rule comes from Redis), the rest count as "other".
 */
#ifndef FG_METRICS_H
#define FG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "request.h"

#define METRICS_RULES 64

struct metrics;
typedef void metrics_more_fn(void *arg, struct evbuffer *);

struct metrics *metrics_new(void);
void metrics_free(struct metrics *);
/* metrics_listen - serve on spec ("inet:HOST:PORT"); more adds the
 * daemon's own samples; 0, or -1 with err */
int metrics_listen(struct metrics *, struct event_base *, const char *spec,
    metrics_more_fn *more, void *arg, char *err, size_t errsize)
    __attribute__((warn_unused_result));
/* metrics_answer - an answer of action (its first word counts) to a
 * request in state, us microseconds after the request was read */
void metrics_answer(
    struct metrics *, enum request_state, const char *action, uint64_t us);
/* metrics_decision - a refusal: decision "over", "blocked", "failure" */
void metrics_decision(struct metrics *, const char *rule, const char *decision);
/* metrics_block - a block written by this node */
void metrics_block(struct metrics *, const char *rule);
/* metrics_write - every sample into b (the scrape's body) */
void metrics_write(struct metrics *, struct evbuffer *b);

#endif
