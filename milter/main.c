/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * floodgate-milter - a Postfix milter (smtpd_milters and non_smtpd_milters)
 * that attributes every message to the Unix user and process that sent
 * it, stamps and traces it, and limits and blocks per uid through the
 * Redis shared with floodgate-policyd.
 *
 * main: options, config, the privileged helper (forked before any
 * thread), the socket (opened before privileges are dropped), SIGUSR1
 * reload in a thread of its own (libmilter's signal thread takes HUP, INT
 * and TERM as "stop"). The callbacks live in filter.c.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "account.h"
#include "beat.h"
#include "filter.h"
#include "helper.h"
#include "limiter.h"
#include "log.h"
#include "subject.h"
#include "mconf.h"
#include "mmetrics.h"
#include "notify.h"
#include "priv.h"
#include "rconn.h"
#include "sdnotify.h"
#include "topcount.h"
#include "version.h"

static const char *conf_path = FLOODGATE_CONF;
static struct account *milter_acct;

static __dead void
main_usage(void)
{
	fprintf(
	    stderr, "usage: floodgate-milter [-f] [-n] [-v] [-c FILE] [-V]\n");
	exit(2);
}

/* main_reload_thread - SIGUSR1 loads the file again; a broken one is refused */
static void *
main_reload_thread(void *arg)
{
	sigset_t *set = arg;
	struct mconf *m, *old;
	char err[CONF_ERR_MAX], fixed[CONF_ERR_MAX];
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if ((m = mconf_read(conf_path, err, sizeof(err))) == NULL) {
			log_warnx(
			    "reload failed, keeping the old config: %s", err);
			continue;
		}
		old = mconf_get();
		if (old != NULL &&
		    conf_restart_needed(
		        old->c, m->c, "milter", fixed, sizeof(fixed)) > 0)
			log_warnx(
			    "reload: milter %s: changes need a restart", fixed);
		mconf_put(old);
		mconf_install(m);
		account_reconf(milter_acct, conf_path);
		log_info("reloaded %s (%d limits, %d keys%s)", conf_path,
		    m->c->nlimits, m->nkeys, m->c->dryrun ? ", dry-run" : "");
	}
	return NULL;
}

/* main_redis_up - Redis answers (for the metrics) */
static bool
main_redis_up(void)
{
	return account_redis_up(milter_acct);
}

/* main_beat_thread - this milter's heartbeat in Redis, at once and then
 * every BEAT_INTERVAL_MS (common/beat.h), and its "who sends most"
 * counts (common/topcount.h) */
static void *
main_beat_thread(void *arg)
{
	const struct timespec ts = {
	    TOPCOUNT_FLUSH_MS / 1000, (TOPCOUNT_FLUSH_MS % 1000) * 1000000L};
	struct mconf *m;
	long long tick;

	(void)arg;
	for (tick = 0;; tick++) {
		if ((m = mconf_get()) != NULL) {
			if (tick % (BEAT_INTERVAL_MS / TOPCOUNT_FLUSH_MS) == 0)
				account_beat(milter_acct, m->c);
			account_top(milter_acct, m->c);
			mconf_put(m);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* main_open_socket - the milter socket with its mode and group; fatal on error */
static void
main_open_socket(const struct conf *c)
{
	const char *spec = c->milter.socket;
	const char *path = strncmp(spec, "unix:", 5) == 0 ? spec + 5 : NULL;
	struct group *gr = NULL;
	char dir[CONF_PATH_MAX], *slash;

	if (path != NULL) {
		snprintf(dir, sizeof(dir), "%s", path);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) == -1 && errno != EEXIST)
				fatal("milter.socket: mkdir %s", dir);
		}
	}
	if (c->milter.socket_group[0] != '\0' &&
	    (gr = getgrnam(c->milter.socket_group)) == NULL)
		fatalx(
		    "milter.socket_group: no group %s", c->milter.socket_group);
	if (smfi_setconn((char *)spec) == MI_FAILURE)
		fatalx("milter.socket: cannot use %s", spec);
	/* a stuck session must not hold a thread for libmilter's 2 hours */
	if (smfi_settimeout((int)c->milter.timeout) == MI_FAILURE)
		fatalx("milter.timeout: not accepted by libmilter");
	umask(0777 & ~c->milter.socket_mode);
	if (smfi_opensocket(true) == MI_FAILURE)
		fatalx("milter.socket: cannot open %s", spec);
	umask(022);
	if (path != NULL &&
	    (chmod(path, (mode_t)c->milter.socket_mode) == -1 ||
	        (gr != NULL && chown(path, (uid_t)-1, gr->gr_gid) == -1)))
		fatal("milter.socket: %s", path);
}

int
main(int argc, char *argv[])
{
	bool foreground = false, check = false;
	char err[CONF_ERR_MAX], where[CONF_PATH_MAX + CONF_NAME_MAX];
	struct priv_user pu;
	struct mconf *m;
	pthread_t tid;
	sigset_t set, old;
	struct notify *n;
	int ch, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "c:fnvV")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
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
			printf("floodgate-milter %s\n", FLOODGATE_VERSION);
			return 0;
		default:
			main_usage();
		}
	}
	if (optind != argc)
		main_usage();
	log_init("floodgate-milter", foreground || check, verbose);
	if (subject_init() == -1)
		fatalx("OpenSSL: no SHA-256 digest");
	if ((m = mconf_read(conf_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "floodgate-milter: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok (%d limits, %d keys)\n", conf_path,
		    m->c->nlimits, m->nkeys);
		mconf_install(m);
		mconf_put(m);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	mconf_install(m);
	if (m->nkeys == 0)
		log_warnx("milter.keys is empty: stamps are not signed");
	/* one user for the milter and its helper (priv.h: the default) */
	if (priv_resolve(
	        m->c->milter.user, "milter.user", geteuid(), NULL, &pu) == -1)
		fatalx("%s", pu.msg);
	if (pu.log == PRIV_LOG_INFO)
		log_info("%s", pu.msg);
	else if (pu.log == PRIV_LOG_WARN)
		log_warnx("%s", pu.msg);
	if (helper_start(m->c, pu.name, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((milter_acct = account_new()) == NULL)
		fatalx("out of memory");
	if (smfi_register(*filter_desc(milter_acct)) == MI_FAILURE)
		fatalx("smfi_register failed");
	main_open_socket(m->c);
	/* the notifier's thread reads the config as root, like this one,
	 * and takes no signal (every one blocked while it starts) */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if ((n = notify_new(conf_path, log_say, err, sizeof(err))) == NULL)
		fatalx("notify: %s", err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	account_set_notify(milter_acct, n);
	if (priv_drop(pu.name, err, sizeof(err)) == -1)
		fatalx("milter.user: %s", err);

	/*
	 * Every thread inherits this mask: SIGUSR1 goes to the reload thread
	 * only, HUP/INT/TERM to libmilter's signal thread (sigwait) only, so
	 * no signal ever takes its default action in another thread.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (pthread_create(&tid, NULL, main_reload_thread, &set) != 0)
		fatalx("cannot start the reload thread");
	pthread_detach(tid);
	if (pthread_create(&tid, NULL, main_beat_thread, NULL) != 0)
		fatalx("cannot start the heartbeat thread");
	pthread_detach(tid);
	/* after the mask: no signal may end the process in its thread */
	if (m->c->milter.metrics_listen[0] != '\0' &&
	    mmetrics_start(m->c->milter.metrics_listen, main_redis_up, err,
	        sizeof(err)) == -1)
		fatalx("%s", err);
	if (sdnotify_ready(err, sizeof(err)) == -1)
		log_warnx("sd_notify: %s", err);
	log_info("started %s: %d limits, socket %s, redis %s%s",
	    FLOODGATE_VERSION, m->c->nlimits, m->c->milter.socket,
	    rconn_where(m->c, where, sizeof(where)),
	    m->c->dryrun ? ", dry-run" : "");
	rc = smfi_main();
	log_info("stopping");
	helper_stop();
	return rc == MI_SUCCESS ? 0 : 1;
}
