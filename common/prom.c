/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prom - Prometheus text format.
 *
 * Entry points: prom_listen, prom_family, prom_sample, prom_observe,
 * prom_hist_write.
 * Label values are escaped as the format says (backslash, double quote,
 * newline); names are the caller's constants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "prom.h"
#include "rconn.h"

/* what a scrape calls */
struct prom_site {
	prom_write_fn *fn;
	void *arg;
};

/* the buckets' upper bounds, in microseconds */
static const uint64_t prom_bound_us[PROM_BUCKETS] = {100, 250, 500, 1000, 2500,
    5000, 10000, 25000, 50000, 100000, 250000, 1000000};

void
prom_family(
    struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(
	    b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* prom_value - a label value, escaped */
static void
prom_value(struct evbuffer *b, const char *v)
{
	for (; *v != '\0'; v++)
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
}

void
prom_sample(struct evbuffer *b, const char *name, uint64_t value, ...)
{
	const char *k, *v;
	va_list ap;
	int n = 0;

	evbuffer_add_printf(b, "%s", name);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		evbuffer_add_printf(b, "%s%s=\"", n++ == 0 ? "{" : ",", k);
		prom_value(b, v != NULL ? v : "");
		evbuffer_add(b, "\"", 1);
	}
	va_end(ap);
	evbuffer_add_printf(
	    b, "%s %llu\n", n > 0 ? "}" : "", (unsigned long long)value);
}

void
prom_observe(struct prom_hist *h, uint64_t us)
{
	int i;

	for (i = 0; i < PROM_BUCKETS && us > prom_bound_us[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum_us += us;
}

void
prom_hist_write(struct evbuffer *b, const char *name, const char *help,
    const struct prom_hist *h)
{
	uint64_t cum = 0;
	int i;

	prom_family(b, name, "histogram", help);
	for (i = 0; i < PROM_BUCKETS; i++) {
		cum += h->bucket[i];
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    (double)prom_bound_us[i] / 1e6, (unsigned long long)cum);
	}
	cum += h->bucket[PROM_BUCKETS];
	evbuffer_add_printf(
	    b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	evbuffer_add_printf(b, "%s_sum %.6f\n%s_count %llu\n", name,
	    (double)h->sum_us / 1e6, name, (unsigned long long)h->count);
}

/* prom_on_request - evhttp's callback of every request */
static void
prom_on_request(struct evhttp_request *req, void *arg)
{
	const struct prom_site *site = arg;
	struct evbuffer *b;

	if (strcmp(evhttp_request_get_uri(req), "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics here");
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, "out of memory");
		return;
	}
	site->fn(site->arg, b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

struct evhttp *
prom_listen(struct event_base *base, const char *spec, const char *what,
    prom_write_fn *fn, void *arg, char *err, size_t errsize)
{
	static struct prom_site sites[4];
	static int nsites;
	struct rconn_addr a;
	struct evhttp *http;

	if (strncmp(spec, "inet:", 5) != 0 ||
	    rconn_addr_parse(spec + 5, &a, err, errsize) == -1 || a.is_unix) {
		snprintf(err, errsize, "%s: '%.100s' is not inet:HOST:PORT",
		    what, spec);
		return NULL;
	}
	if (nsites == (int)(sizeof(sites) / sizeof(sites[0])) ||
	    (http = evhttp_new(base)) == NULL) {
		snprintf(err, errsize, "%s: out of memory", what);
		return NULL;
	}
	sites[nsites] = (struct prom_site){fn, arg};
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(http, 10);
	evhttp_set_max_headers_size(http, 8192);
	evhttp_set_max_body_size(http, 0);
	evhttp_set_gencb(http, prom_on_request, &sites[nsites++]);
	if (evhttp_bind_socket(http, a.host, (ev_uint16_t)a.port) != 0) {
		snprintf(
		    err, errsize, "%s: cannot listen on %.100s", what, spec);
		evhttp_free(http);
		return NULL;
	}
	return http;
}
