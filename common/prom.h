/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prom - the Prometheus text exposition format (version 0.0.4), written
 * into a libevent buffer: a metric family's HELP and TYPE lines, samples
 * with escaped label values, and latency histograms with fixed buckets
 * (seconds), and the HTTP endpoint that serves them (evhttp). Never
 * logs.
 */
#ifndef FG_PROM_H
#define FG_PROM_H

#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#define PROM_BUCKETS 12

/* a latency histogram: counts per bucket (not cumulative), sum in us */
struct prom_hist {
	uint64_t bucket[PROM_BUCKETS + 1]; /* the last: above every bound */
	uint64_t count;
	uint64_t sum_us;
};

/* the body of a scrape: every sample into b */
typedef void prom_write_fn(void *arg, struct evbuffer *b);

/* prom_listen - serve GET /metrics on spec ("inet:HOST:PORT") with
 * libevent's evhttp on base (any other path: 404); the server, or NULL
 * with err (what names the option) */
struct evhttp *prom_listen(struct event_base *, const char *spec,
    const char *what, prom_write_fn *, void *arg, char *err, size_t errsize);

/* prom_family - "# HELP name help" and "# TYPE name type" */
void prom_family(
    struct evbuffer *, const char *name, const char *type, const char *help);
/* prom_sample - "name{labels} value": labels as "k1", "v1", ... NULL
 * (values escaped) */
void prom_sample(struct evbuffer *, const char *name, uint64_t value, ...);
/* prom_observe - one latency of us microseconds */
void prom_observe(struct prom_hist *, uint64_t us);
/* prom_hist_write - the family of h (name_bucket, _sum, _count) */
void prom_hist_write(struct evbuffer *, const char *name, const char *help,
    const struct prom_hist *h);

#endif
