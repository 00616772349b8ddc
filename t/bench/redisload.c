/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redisload - the Redis ceiling for floodgate's own work (make bench):
 * per simulated policy request, the same commands that floodgate-policyd
 * sends (the sasl subject with client ip and sender, the ip subject;
 * their follow-ups), from the same verdict (common/verdict.c) on the same
 * config, each subject pipelined on one connection like policyd's, with
 * -c requests in flight. No policy protocol, no parsing: what is left is
 * Redis itself.
 *
 * usage: redisload -f floodgate.conf [-c conc] [-n requests] [-w warmup]
 *                  [-u users] [-i ips] [-l label]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "clock.h"
#include "conf.h"
#include "local.h"
#include "rconn.h"
#include "verdict.h"

struct client;

/* one subject's round trips */
struct sub {
	struct client *c;
	int i; /* the subject in c->v */
	int n, got;
	bool follow, bad;
};

struct client {
	int id, pending, rcpt, nrcpt;
	long msg;
	unsigned int user, ip;
	uint64_t sent_ns;
	struct verdict v;
	struct sub sub[VERDICT_SUBJECTS];
	char uname[64], ipstr[32], sname[64];
};

static struct {
	struct event_base *base;
	redisAsyncContext *ac;
	struct conf *conf;
	struct local *local;
	long warmup, total, issued, done, nlat, errors, status[6];
	uint64_t *lat, t0, t1;
	unsigned int seed;
	int users, ips;
} g;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned int
rnd(void)
{
	g.seed ^= g.seed << 13;
	g.seed ^= g.seed >> 17;
	g.seed ^= g.seed << 5;
	return g.seed;
}

static void client_send(struct client *);
static void on_reply(redisAsyncContext *, void *, void *);

/* send_round - the commands the subject's limiter laid out now */
static void
send_round(struct sub *s)
{
	const struct limiter *l = s->c->v.sub[s->i].lim;
	const char *const *argv;
	const size_t *len;
	int i, argc;

	s->n = limiter_ncmd(l);
	s->got = 0;
	for (i = 0; i < s->n; i++) {
		limiter_cmd(l, i, &argc, &argv, &len);
		redisAsyncCommandArgv(
		    g.ac, on_reply, s, argc, (const char **)argv, len);
	}
}

/* sub_done - a subject decided and followed up; the last one of a
 * request starts the client's next */
static void
sub_done(struct sub *s)
{
	struct client *c = s->c;

	if (--c->pending > 0)
		return;
	verdict_free(&c->v);
	if (g.done >= g.warmup && g.nlat < g.total)
		g.lat[g.nlat++] = now_ns() - c->sent_ns;
	if (++g.done == g.warmup)
		g.t0 = now_ns();
	if (g.done >= g.warmup + g.total || g.errors > 0) {
		g.t1 = now_ns();
		event_base_loopbreak(g.base);
		return;
	}
	client_send(c);
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct sub *s = priv;
	struct verdict_subject *vs = &s->c->v.sub[s->i];

	(void)ac;
	if (!s->follow && (r == NULL || limiter_take(vs->lim, s->got, r) == -1))
		s->bad = true;
	if (++s->got < s->n)
		return;
	if (!s->follow) {
		if (s->bad ||
		    verdict_settle(&s->c->v, s->i, g.local, clock_mono_ms()) ==
		        -1)
			g.errors++;
		else if (g.done >= g.warmup)
			g.status[vs->res.status]++;
		s->follow = true;
		if (!s->bad && limiter_ncmd(vs->lim) > 0) {
			send_round(s);
			return;
		}
	}
	sub_done(s);
}

/* client_verdict - the request's subjects as policyd adds them, each
 * one's first round trip sent */
static void
client_verdict(struct client *c)
{
	const struct verdict_counts n = {
	    .messages = c->rcpt == 1, .recipients = 1};
	char why[SUBJECT_RAW_MAX];
	int i;

	verdict_init(&c->v, g.conf, "policyd");
	if (verdict_members(&c->v, c->ipstr, c->sname) == -1 ||
	    (verdict_limited(g.conf, SUBJECT_SASL) &&
	        verdict_add(&c->v, SUBJECT_SASL, c->uname, &n, why,
	            sizeof(why)) == -1) ||
	    (verdict_limited(g.conf, SUBJECT_IP) &&
	        verdict_add(
	            &c->v, SUBJECT_IP, c->ipstr, &n, why, sizeof(why)) == -1)) {
		g.errors++;
		return;
	}
	c->pending = c->v.n;
	for (i = 0; i < c->v.n; i++) {
		c->sub[i] = (struct sub){.c = c, .i = i};
		if (verdict_limiter(&c->v, i) == NULL) {
			g.errors++;
			return;
		}
		send_round(&c->sub[i]);
	}
}

static void
client_send(struct client *c)
{
	if (g.issued >= g.warmup + g.total)
		return;
	g.issued++;
	if (c->rcpt >= c->nrcpt) {
		c->msg++;
		c->rcpt = 0;
		c->nrcpt = 1 + (int)(rnd() % 3);
		c->user = rnd() % (unsigned int)g.users;
		c->ip = rnd() % (unsigned int)g.ips;
	}
	c->rcpt++;
	snprintf(c->uname, sizeof(c->uname), "user%u@example.com", c->user);
	snprintf(c->ipstr, sizeof(c->ipstr), "10.%u.%u.%u", (c->ip >> 16) & 255,
	    (c->ip >> 8) & 255, c->ip & 255);
	snprintf(c->sname, sizeof(c->sname), "user%u@example.com", c->user);
	c->sent_ns = now_ns();
	client_verdict(c);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	return g.nlat > 0
	    ? (double)g.lat[(long)(p * (double)(g.nlat - 1))] / 1000.0
	    : 0;
}

int
main(int argc, char *argv[])
{
	const char *path = NULL, *label = "redis-ceiling", *srv;
	struct client *cs;
	char err[512];
	struct rconn_addr addr;
	redisContext *sc;
	redisReply *r;
	double secs;
	int ch, i, conc = 16;

	g.total = 100000;
	g.warmup = -1;
	g.users = 50000;
	g.ips = 10000;
	g.seed = 2463534242u;
	while ((ch = getopt(argc, argv, "f:c:n:w:u:i:l:")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'n':
			g.total = atol(optarg);
			break;
		case 'w':
			g.warmup = atol(optarg);
			break;
		case 'u':
			g.users = atoi(optarg);
			break;
		case 'i':
			g.ips = atoi(optarg);
			break;
		case 'l':
			label = optarg;
			break;
		default:
			path = NULL;
			optind = argc;
			break;
		}
	}
	if (path == NULL || conc < 1 || g.total < 1 || g.users < 1 ||
	    g.ips < 1) {
		fprintf(stderr,
		    "usage: redisload -f CONF [-c conc] [-n n] "
		    "[-w warmup] [-u users] [-i ips] [-l label]\n");
		return 2;
	}
	if (g.warmup < 0)
		g.warmup = g.total / 10;
	if ((g.conf = conf_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "redisload: %s\n", err);
		return 1;
	}
	srv = g.conf->redis.server;
	if (rconn_addr_parse(srv, &addr, err, sizeof(err)) == -1 ||
	    (g.local = local_new()) == NULL) {
		fprintf(stderr, "redisload: %s\n", err);
		return 1;
	}
	/* Redis' clock, as policyd learns it at connect */
	sc = addr.is_unix ? redisConnectUnix(addr.host)
	                  : redisConnect(addr.host, addr.port);
	if (sc == NULL || sc->err) {
		fprintf(stderr, "redisload: cannot connect to %s\n", srv);
		return 1;
	}
	r = redisCommand(sc, "TIME");
	if (clock_learn(r) == -1) {
		fprintf(stderr, "redisload: TIME failed\n");
		return 1;
	}
	freeReplyObject(r);
	redisFree(sc);
	g.base = event_base_new();
	g.ac = addr.is_unix ? redisAsyncConnectUnix(addr.host)
	                    : redisAsyncConnect(addr.host, addr.port);
	if (g.base == NULL || g.ac == NULL || g.ac->err ||
	    redisLibeventAttach(g.ac, g.base) != REDIS_OK ||
	    (g.lat = calloc((size_t)g.total, sizeof(*g.lat))) == NULL ||
	    (cs = calloc((size_t)conc, sizeof(*cs))) == NULL) {
		fprintf(stderr, "redisload: set-up failed\n");
		return 1;
	}
	if (g.warmup == 0)
		g.t0 = now_ns();
	for (i = 0; i < conc; i++) {
		cs[i].id = i;
		client_send(&cs[i]);
	}
	event_base_dispatch(g.base);
	secs = (double)(g.t1 - g.t0) / 1e9;
	qsort(g.lat, (size_t)g.nlat, sizeof(*g.lat), cmp_u64);
	printf("system=%s conc=%d requests=%ld secs=%.3f rps=%.0f p50_us=%.0f "
	       "p99_us=%.0f p999_us=%.0f pass=%ld over=%ld blocked=%ld "
	       "errors=%ld\n",
	    label, conc, g.nlat, secs, secs > 0 ? (double)g.nlat / secs : 0,
	    pct(0.50), pct(0.99), pct(0.999), g.status[0], g.status[1],
	    g.status[2] + g.status[4] + g.status[5], g.errors);
	redisAsyncDisconnect(g.ac);
	event_base_free(g.base);
	conf_free(g.conf);
	local_free(g.local);
	free(cs);
	free(g.lat);
	return g.errors > 0 || g.nlat < g.total;
}
