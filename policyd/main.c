/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * floodgate-policyd - Postfix policy delegation server that rate-limits
 * and blocks by SASL user and client IP through a shared Redis.
 *
 * main: options, config, sockets, privilege drop, signals (HUP reload,
 * TERM/INT drain and stop) and the periodic stats line. Everything else lives in
 * server.c (connections; listener.c its sockets, peer.c who may connect),
 * decide.c (decisions) and store.c (Redis).
 */
#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "decide.h"
#include "limiter.h"
#include "local.h"
#include "log.h"
#include "notify.h"
#include "subject.h"
#include "metrics.h"
#include "priv.h"
#include "prom.h"
#include "pulse.h"
#include "rconn.h"
#include "sdnotify.h"
#include "server.h"
#include "store.h"
#include "version.h"

struct daemon {
	struct event_base *base;
	struct store *store;
	struct pulse *pulse;
	struct metrics *metrics;
	struct local *local;
	struct decide *decide;
	struct server *server;
	struct notify *notify;
	struct event *stats;
	struct event *deadline; /* bounds the drain at stop */
	bool stopping;
	const char *path;
	unsigned long evicted; /* local counters evicted, at the last stats */
};

static __dead void
main_usage(void)
{
	fprintf(stderr,
	    "usage: floodgate-policyd [-f] [-n] [-v] [-c FILE] "
	    "[-V]\n");
	exit(2);
}

/* main_drop_privileges - become the user priv_resolve picks (after bind) */
static void
main_drop_privileges(const char *user)
{
	struct priv_user pu;
	char err[128];

	if (priv_resolve(user, "policyd.user", geteuid(), NULL, &pu) == -1)
		fatalx("%s", pu.msg);
	if (pu.log == PRIV_LOG_INFO)
		log_info("%s", pu.msg);
	else if (pu.log == PRIV_LOG_WARN)
		log_warnx("%s", pu.msg);
	if (priv_drop(pu.name, err, sizeof(err)) == -1)
		fatalx("policyd.user: %s", err);
}

/* main_metrics - the daemon's own samples of a scrape */
static void
main_metrics(void *arg, struct evbuffer *b)
{
	struct daemon *d = arg;
	struct decide_stats st;
	struct server_stats ss;

	decide_stats(d->decide, &st);
	server_stats(d->server, &ss);
	prom_family(b, "floodgate_policyd_requests_total", "counter",
	    "Policy requests decided");
	prom_sample(b, "floodgate_policyd_requests_total", st.requests, NULL);
	prom_family(b, "floodgate_policyd_degraded_total", "counter",
	    "Subjects decided without Redis (on_failure)");
	prom_sample(b, "floodgate_policyd_degraded_total", st.degraded, NULL);
	prom_family(b, "floodgate_policyd_redis_up", "gauge",
	    "1 when Redis answers (a cluster: every master), else 0");
	prom_sample(b, "floodgate_policyd_redis_up",
	    strcmp(store_state(d->store), "up") == 0, NULL);
	prom_family(b, "floodgate_policyd_redis_reconnects_total", "counter",
	    "Connections to Redis made again after the first");
	prom_sample(b, "floodgate_policyd_redis_reconnects_total",
	    store_reconnects(d->store), NULL);
	prom_family(b, "floodgate_policyd_connections", "gauge",
	    "Policy connections open");
	prom_sample(
	    b, "floodgate_policyd_connections", (uint64_t)ss.conns, NULL);
	prom_family(b, "floodgate_policyd_connections_refused_total", "counter",
	    "Connections refused: peer not allowed, or over a cap");
	prom_sample(b, "floodgate_policyd_connections_refused_total",
	    ss.refused + ss.capped + ss.full, NULL);
}

static void
main_stats_arm(struct daemon *d)
{
	const struct conf *c = decide_conf(d->decide);
	struct timeval tv = {c->policyd.stats_interval, 0};

	if (c->policyd.stats_interval > 0)
		evtimer_add(d->stats, &tv);
}

static void
main_on_stats(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon *d = arg;
	struct decide_stats st;
	struct local_stats ls;
	struct server_stats ss;

	(void)fd;
	(void)ev;
	decide_stats(d->decide, &st);
	local_stats(d->local, &ls);
	server_stats(d->server, &ss);
	log_info("stats requests=%llu dunno=%llu over=%llu blocked=%llu "
	         "failure=%llu degraded=%llu connections=%d refused=%lu "
	         "over_peer_limit=%lu over_max_connections=%lu timeouts=%lu "
	         "accept_paused=%lu redis=%s "
	         "local_counters=%lu local_blocks=%lu local_evicted=%lu "
	         "local_blocks_evicted=%lu",
	    st.requests, st.dunno, st.over, st.blocked, st.failed, st.degraded,
	    ss.conns, ss.refused, ss.capped, ss.full, ss.timeouts, ss.paused,
	    store_state(d->store), ls.counters, ls.blocks, ls.counters_evicted,
	    ls.blocks_evicted);
	if (ls.counters_evicted > d->evicted)
		log_warnx(
		    "local: %lu subjects' counters evicted since the last "
		    "stats line (the degraded-mode table holds %d)",
		    ls.counters_evicted - d->evicted, LOCAL_MAX_SUBJECTS);
	d->evicted = ls.counters_evicted;
	main_stats_arm(d);
}

/* main_on_hup - reload; a broken file keeps the running config */
static void
main_on_hup(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon *d = arg;
	const struct conf *old = decide_conf(d->decide);
	char err[CONF_ERR_MAX], fixed[CONF_ERR_MAX];
	struct conf *c;

	(void)fd;
	(void)ev;
	if (d->stopping)
		return;
	if ((c = conf_load(d->path, err, sizeof(err))) == NULL) {
		log_warnx("reload failed, keeping the old config: %s", err);
		return;
	}
	if (conf_restart_needed(old, c, "policyd", fixed, sizeof(fixed)) > 0)
		log_warnx("reload: policyd %s: changes need a restart", fixed);
	store_reconf(d->store, c); /* before old is released */
	server_reconf(d->server, c);
	decide_reconf(d->decide, c);
	notify_reload(d->notify, d->path);
	log_info("reloaded %s (%d limits%s)", d->path, c->nlimits,
	    c->dryrun ? ", dry-run" : "");
	evtimer_del(d->stats);
	main_stats_arm(d);
}

static void
main_on_drained(void *arg)
{
	struct daemon *d = arg;

	event_base_loopbreak(d->base);
}

static void
main_on_deadline(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	log_warnx("stop: requests still pending, closing them");
	main_on_drained(arg);
}

/*
 * main_on_term - stop accepting, answer what is in flight (bounded by the Redis
 * timeout plus a second), then exit; a second signal exits at once.
 */
static void
main_on_term(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon *d = arg;
	long long ms = decide_conf(d->decide)->redis.timeout_ms + 1000;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	(void)fd;
	(void)ev;
	if (d->stopping) {
		event_base_loopbreak(d->base);
		return;
	}
	d->stopping = true;
	log_info("stopping: %d connections open", server_nconns(d->server));
	evtimer_del(d->stats);
	evtimer_add(d->deadline, &tv);
	server_drain(d->server, main_on_drained, d);
}

int
main(int argc, char *argv[])
{
	struct daemon d = {.path = FLOODGATE_CONF};
	struct event *sighup, *sigterm, *sigint;
	bool foreground = false, check = false;
	char err[CONF_ERR_MAX], where[CONF_PATH_MAX + CONF_NAME_MAX];
	struct conf *c;
	int ch, verbose = 0;

	while ((ch = getopt(argc, argv, "c:fnvV")) != -1) {
		switch (ch) {
		case 'c':
			d.path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("floodgate-policyd %s\n", FLOODGATE_VERSION);
			return 0;
		default:
			main_usage();
		}
	}
	if (optind != argc)
		main_usage();
	log_init("floodgate-policyd", foreground || check, verbose);
	if (subject_init() == -1)
		fatalx("OpenSSL: no SHA-256 digest");
	if ((c = conf_load(d.path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "floodgate-policyd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok (%d limits)\n", d.path, c->nlimits);
		conf_free(c);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	if ((d.base = event_base_new()) == NULL ||
	    (d.local = local_new()) == NULL)
		fatalx("out of memory");
	if ((d.store = store_new(d.base, c)) == NULL ||
	    (d.pulse = pulse_new(d.base, d.store)) == NULL ||
	    (d.decide = decide_new(d.store, d.local, c)) == NULL ||
	    (d.server = server_new(d.base, d.decide)) == NULL)
		fatalx("out of memory");
	if (server_listen(d.server, c, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((d.metrics = metrics_new()) == NULL)
		fatalx("out of memory");
	decide_set_metrics(d.decide, d.metrics);
	if (c->policyd.metrics_listen[0] != '\0' &&
	    metrics_listen(d.metrics, d.base, c->policyd.metrics_listen,
	        main_metrics, &d, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* the notifier reads the config now, as the daemon does */
	if ((d.notify = notify_new(d.path, log_say, err, sizeof(err))) == NULL)
		fatalx("notify: %s", err);
	decide_set_notify(d.decide, d.notify);
	main_drop_privileges(c->policyd.user);
	sighup = evsignal_new(d.base, SIGHUP, main_on_hup, &d);
	sigterm = evsignal_new(d.base, SIGTERM, main_on_term, &d);
	sigint = evsignal_new(d.base, SIGINT, main_on_term, &d);
	d.stats = evtimer_new(d.base, main_on_stats, &d);
	d.deadline = evtimer_new(d.base, main_on_deadline, &d);
	if (sighup == NULL || sigterm == NULL || sigint == NULL ||
	    d.stats == NULL || d.deadline == NULL ||
	    evsignal_add(sighup, NULL) == -1 ||
	    evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sigint, NULL) == -1)
		fatalx("cannot set up signals");
	main_stats_arm(&d);
	if (sdnotify_ready(err, sizeof(err)) == -1)
		log_warnx("sd_notify: %s", err);
	log_info("started %s: %d limits, %d sockets, redis %s%s",
	    FLOODGATE_VERSION, c->nlimits, c->policyd.nlisten,
	    rconn_where(c, where, sizeof(where)), c->dryrun ? ", dry-run" : "");
	event_base_dispatch(d.base);
	signal(SIGTERM, SIG_IGN); /* stopping anyway: exit 0, not by signal */
	signal(SIGINT, SIG_IGN);
	store_free(d.store); /* pending decisions get answered first */
	pulse_free(d.pulse); /* after: its heartbeat's answer too */
	metrics_free(d.metrics);
	server_free(d.server);
	decide_free(d.decide);
	notify_free(d.notify);
	local_free(d.local);
	event_free(sighup);
	event_free(sigterm);
	event_free(sigint);
	event_free(d.stats);
	event_free(d.deadline);
	event_base_free(d.base);
	return 0;
}
