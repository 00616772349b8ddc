/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loadgen - a Postfix-like policy load generator (make bench, and a smoke
 * run in make check).
 *
 * C persistent connections, each sending one RCPT-state request and
 * waiting for its reply, like Postfix's smtpd processes. Requests look
 * real: a message per instance with 1-3 recipients, sasl users drawn from
 * -u users, client IPs from -i addresses, sender, queue id, size (-r 1:
 * one recipient per message). After
 * -w warm-up requests, -n requests are timed; the result is one key=value
 * line: req/s, p50/p99/p99.9 latency in microseconds, the count of each
 * action, malformed replies, connection errors, how many connections
 * were served at all (a pre-forked server may leave some waiting) and
 * how many requests were sent in all (warm-up and the last in flight).
 *
 * usage: loadgen -s inet:HOST:PORT|unix:PATH [-c conns] [-n requests]
 *                [-w warmup] [-u users] [-i ips] [-r max recipients]
 *                [-l label] [-S seed]
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#define REPLY_MAX 512

enum act { A_DUNNO, A_DEFER, A_REJECT, A_HOLD, A_OTHER, A_BAD, NACT };
static const char *const act_name[NACT] = {
    "dunno", "defer", "reject", "hold", "other", "malformed"};

struct conn {
	int id;
	struct bufferevent *bev;
	uint64_t sent_ns;
	long msg;        /* message number on this connection */
	int rcpt, nrcpt; /* recipient index within the message */
	unsigned int user, ip;
	int served; /* got a reply */
};

static struct {
	struct event_base *base;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int conns, users, ips, maxrcpt;
	long warmup, total, issued, done;
	uint64_t *lat; /* ns, one per timed request */
	long nlat;
	long acts[NACT];
	long errors;
	uint64_t t0, t1;
	unsigned int seed;
	const char *label;
} g;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* rnd - xorshift32: fast, reproducible with -S */
static unsigned int
rnd(unsigned int *s)
{
	unsigned int x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static void conn_send(struct conn *);

static void
finish(void)
{
	g.t1 = now_ns();
	event_base_loopbreak(g.base);
}

/* classify - the action word of a reply line */
static enum act
classify(const char *line)
{
	if (strncmp(line, "action=", 7) != 0)
		return A_BAD;
	line += 7;
	if (strncasecmp(line, "DUNNO", 5) == 0 ||
	    strncasecmp(line, "OK", 2) == 0)
		return A_DUNNO;
	if (strncasecmp(line, "DEFER", 5) == 0 || line[0] == '4')
		return A_DEFER;
	if (strncasecmp(line, "REJECT", 6) == 0 || line[0] == '5')
		return A_REJECT;
	if (strncasecmp(line, "HOLD", 4) == 0)
		return A_HOLD;
	return A_OTHER;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr p;
	char line[REPLY_MAX];
	size_t n;

	for (;;) {
		p = evbuffer_search(in, "\n\n", 2, NULL);
		if (p.pos < 0) {
			if (evbuffer_get_length(in) > REPLY_MAX) {
				g.acts[A_BAD]++;
				evbuffer_drain(in, evbuffer_get_length(in));
			}
			return;
		}
		n = (size_t)p.pos < sizeof(line) - 1 ? (size_t)p.pos
		                                     : sizeof(line) - 1;
		evbuffer_copyout(in, line, n);
		line[n] = '\0';
		evbuffer_drain(in, (size_t)p.pos + 2);
		c->served = 1;
		if (g.done >= g.warmup) {
			g.acts[classify(line)]++;
			if (g.nlat < g.total)
				g.lat[g.nlat++] = now_ns() - c->sent_ns;
		}
		if (++g.done == g.warmup)
			g.t0 = now_ns();
		if (g.done >= g.warmup + g.total) {
			finish();
			return;
		}
		conn_send(c);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		conn_send(c);
		return;
	}
	g.errors++;
	fprintf(stderr, "loadgen: connection %d: %s\n", c->id,
	    what & BEV_EVENT_EOF
	        ? "closed by the server"
	        : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	finish();
}

/* conn_send - the next request of this connection's current message */
static void
conn_send(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	/* keep sending until enough replies are in: a connection the server
	 * never serves (a pre-forked server with fewer children than
	 * connections) must not stall the others */
	if (g.done >= g.warmup + g.total)
		return;
	g.issued++;
	if (c->rcpt >= c->nrcpt) { /* a new message */
		c->msg++;
		c->rcpt = 0;
		c->nrcpt = 1 + (int)(rnd(&g.seed) % (unsigned int)g.maxrcpt);
		c->user = rnd(&g.seed) % (unsigned int)g.users;
		c->ip = rnd(&g.seed) % (unsigned int)g.ips;
	}
	c->rcpt++;
	evbuffer_add_printf(out,
	    "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\n"
	    "protocol_name=ESMTP\n"
	    "client_address=10.%u.%u.%u\n"
	    "client_name=unknown\n"
	    "reverse_client_name=unknown\n"
	    "helo_name=client%u.example.net\n"
	    "sender=user%u@example.com\n"
	    "recipient=rcpt%d-%ld@example.org\n"
	    "recipient_count=0\n"
	    "queue_id=\n"
	    "instance=lg.%d.%ld\n"
	    "size=%u\n"
	    "etrn_domain=\n"
	    "stress=\n"
	    "sasl_method=PLAIN\n"
	    "sasl_username=user%u@example.com\n"
	    "sasl_sender=\n"
	    "ccert_subject=\n"
	    "ccert_issuer=\n"
	    "ccert_fingerprint=\n"
	    "encryption_protocol=TLSv1.3\n"
	    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	    "encryption_keysize=256\n"
	    "\n",
	    (c->ip >> 16) & 255, (c->ip >> 8) & 255, c->ip & 255, c->ip,
	    c->user, c->rcpt, c->msg, c->id, c->msg, 1000 + c->user % 50000,
	    c->user);
	c->sent_ns = now_ns();
}

static int
parse_target(const char *t)
{
	memset(&g.ss, 0, sizeof(g.ss));
	if (strncmp(t, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&g.ss;

		if (strlen(t + 5) >= sizeof(sun->sun_path))
			return -1;
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", t + 5);
		g.sslen = sizeof(*sun);
		return 0;
	}
	if (strncmp(t, "inet:", 5) == 0) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&g.ss;
		char host[64];
		const char *colon = strrchr(t + 5, ':');

		if (colon == NULL || (size_t)(colon - t - 5) >= sizeof(host))
			return -1;
		memcpy(host, t + 5, (size_t)(colon - t - 5));
		host[colon - t - 5] = '\0';
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		g.sslen = sizeof(*sin);
		return 0;
	}
	return -1;
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
	long i = (long)(p * (double)(g.nlat - 1));

	return g.nlat > 0 ? (double)g.lat[i] / 1000.0 : 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -s inet:HOST:PORT|unix:PATH [-c conns] "
	    "[-n requests] [-w warmup] [-u users] [-i ips] "
	    "[-l label] [-S seed]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct conn *cs;
	const char *target = NULL;
	double secs;
	int ch, i, one = 1, served;

	g.conns = 16;
	g.total = 100000;
	g.warmup = -1;
	g.users = 50000;
	g.ips = 10000;
	g.maxrcpt = 3;
	g.seed = 2463534242u;
	g.label = "-";
	while ((ch = getopt(argc, argv, "s:c:n:w:u:i:r:l:S:")) != -1) {
		switch (ch) {
		case 's':
			target = optarg;
			break;
		case 'c':
			g.conns = atoi(optarg);
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
		case 'r':
			g.maxrcpt = atoi(optarg);
			break;
		case 'l':
			g.label = optarg;
			break;
		case 'S':
			g.seed = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (target == NULL || parse_target(target) == -1 || g.conns < 1 ||
	    g.conns > 10000 || g.total < 1 || g.users < 1 || g.ips < 1 ||
	    g.maxrcpt < 1 || g.seed == 0)
		usage();
	if (g.warmup < 0)
		g.warmup = g.total / 10;
	if ((g.lat = calloc((size_t)g.total, sizeof(*g.lat))) == NULL ||
	    (cs = calloc((size_t)g.conns, sizeof(*cs))) == NULL ||
	    (g.base = event_base_new()) == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 1;
	}
	for (i = 0; i < g.conns; i++) {
		cs[i].id = i;
		cs[i].bev =
		    bufferevent_socket_new(g.base, -1, BEV_OPT_CLOSE_ON_FREE);
		if (cs[i].bev == NULL)
			return 1;
		bufferevent_setcb(cs[i].bev, on_read, NULL, on_event, &cs[i]);
		bufferevent_enable(cs[i].bev, EV_READ | EV_WRITE);
		if (bufferevent_socket_connect(cs[i].bev,
		        (struct sockaddr *)&g.ss, (int)g.sslen) == -1) {
			fprintf(stderr, "loadgen: connect %s: %s\n", target,
			    strerror(errno));
			return 1;
		}
		if (g.ss.ss_family == AF_INET)
			setsockopt(bufferevent_getfd(cs[i].bev), IPPROTO_TCP,
			    TCP_NODELAY, &one, sizeof(one));
	}
	if (g.warmup == 0)
		g.t0 = now_ns();
	event_base_dispatch(g.base);
	secs = (double)(g.t1 - g.t0) / 1e9;
	qsort(g.lat, (size_t)g.nlat, sizeof(*g.lat), cmp_u64);
	printf("system=%s conc=%d requests=%ld secs=%.3f rps=%.0f p50_us=%.0f "
	       "p99_us=%.0f p999_us=%.0f",
	    g.label, g.conns, g.nlat, secs,
	    secs > 0 ? (double)g.nlat / secs : 0, pct(0.50), pct(0.99),
	    pct(0.999));
	for (i = 0; i < NACT; i++)
		printf(" %s=%ld", act_name[i], g.acts[i]);
	for (i = 0, served = 0; i < g.conns; i++)
		served += cs[i].served;
	/* issued: every request sent, warm-up and the last in flight
	 * included, the divisor of the server's own work per request */
	printf(" errors=%ld served=%d", g.errors, served);
	printf(" issued=%ld\n", g.issued);
	for (i = 0; i < g.conns; i++)
		bufferevent_free(cs[i].bev);
	event_base_free(g.base);
	free(cs);
	free(g.lat);
	return g.errors > 0 || g.nlat < g.total;
}
