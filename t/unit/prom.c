/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prom - the Prometheus text format: samples with escaped label values
 * (a rule name comes from a block hash in Redis), the histogram's
 * cumulative buckets, sum and count.
 */
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "tap.h"

/* text - b's contents as a string (freed by the caller) */
static char *
text(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = calloc(1, n + 1);

	evbuffer_remove(b, s, n);
	return s;
}

int
main(void)
{
	struct evbuffer *b = evbuffer_new();
	struct prom_hist h = {0};
	char *s;

	prom_family(b, "x_total", "counter", "What x is");
	prom_sample(
	    b, "x_total", 3, "rule", "a\"b\\c\nd", "decision", "over", NULL);
	prom_sample(b, "x_total", 7, NULL);
	s = text(b);
	is_str(s,
	    "# HELP x_total What x is\n# TYPE x_total counter\n"
	    "x_total{rule=\"a\\\"b\\\\c\\nd\",decision=\"over\"} 3\n"
	    "x_total 7\n",
	    "a label value's quote, backslash and newline are escaped");
	free(s);

	prom_observe(&h, 50);      /* <= 0.0001 */
	prom_observe(&h, 100);     /* on the bound: in it */
	prom_observe(&h, 3000);    /* <= 0.005 */
	prom_observe(&h, 5000000); /* above every bound */
	prom_hist_write(b, "t_seconds", "Time", &h);
	s = text(b);
	ok(strstr(s, "t_seconds_bucket{le=\"0.0001\"} 2\n") != NULL,
	    "a bucket counts what is at or under its bound");
	ok(strstr(s, "t_seconds_bucket{le=\"0.005\"} 3\n") != NULL,
	    "buckets are cumulative");
	ok(strstr(s, "t_seconds_bucket{le=\"1\"} 3\n") != NULL &&
	        strstr(s, "t_seconds_bucket{le=\"+Inf\"} 4\n") != NULL,
	    "+Inf holds what is above every bound");
	ok(strstr(s, "t_seconds_sum 5.003150\nt_seconds_count 4\n") != NULL,
	    "sum in seconds, and count");
	free(s);
	evbuffer_free(b);
	return tap_done();
}
