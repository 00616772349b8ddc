/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listener - bind, listen and accept, for the server.
 *
 * Entry points: listener_open, listener_free, listener_paused,
 * listener_fds. On EMFILE/ENFILE (or any accept error but the retriable
 * ones) every socket stops accepting for LISTENER_PAUSE_MS: without it
 * libevent retried at once and logged each failure (measured before this
 * module: 70% of a core, 31 MB/s of log). The pause is logged when it
 * starts and when an accept works again, not per attempt.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/listener.h>

#include "listener.h"
#include "log.h"
#include "str.h"

#define LISTENER_PAUSE_MS 250
/* descriptors besides connections: stdio, the event base, signals, the
 * listen sockets, Redis connections, syslog, a sock_diag lookup */
#define LISTENER_FDS_SPARE 32
/* listen(2) caps a backlog at net.core.somaxconn: ask for the most the
 * system gives (libevent's -1 would mean 128) */
#define LISTENER_BACKLOG INT_MAX

struct listener {
	struct evconnlistener *ls[CONF_LISTEN_MAX];
	int n;
	struct event *resume;
	listener_accept_cb *cb;
	void *arg;
	bool paused;           /* since the last failed accept */
	unsigned long npaused; /* pauses in all */
	unsigned long failed;  /* accepts failed in this state */
};

/* listener_on_accept - libevent's: hand fd over; leave a paused state */
static void
listener_on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener *lr = arg;

	(void)l;
	if (lr->paused) {
		lr->paused = false;
		log_info("accepting connections again (%lu accepts failed "
		         "for want of file descriptors)",
		    lr->failed);
		lr->failed = 0;
	}
	lr->cb(fd, sa, salen, lr->arg); /* may free lr (drain) */
}

/* listener_on_error - accept failed for another reason than a retriable
 * one: stop accepting for a moment rather than spin on it */
static void
listener_on_error(struct evconnlistener *l, void *arg)
{
	struct listener *lr = arg;
	int err = EVUTIL_SOCKET_ERROR(), i;
	struct timeval tv = {0, LISTENER_PAUSE_MS * 1000};

	(void)l;
	lr->failed++;
	lr->npaused++;
	if (!lr->paused) {
		lr->paused = true;
		log_warnx("accept: %s; pausing new connections %d ms at a "
		          "time until it works again",
		    strerror(err), LISTENER_PAUSE_MS);
	}
	for (i = 0; i < lr->n; i++)
		evconnlistener_disable(lr->ls[i]);
	evtimer_add(lr->resume, &tv);
}

/* listener_on_resume - the pause is over: try again */
static void
listener_on_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct listener *lr = arg;
	int i;

	(void)fd;
	(void)ev;
	for (i = 0; i < lr->n; i++)
		evconnlistener_enable(lr->ls[i]);
}

/* listener_ids - the uid and gid of socket_owner and socket_group (-1:
 * unchanged); returns 0 or -1 with err */
static int
listener_ids(
    const struct conf *cf, uid_t *uid, gid_t *gid, char *err, size_t errsize)
{
	struct passwd *pw;
	struct group *gr;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (cf->policyd.socket_owner[0] != '\0') {
		if ((pw = getpwnam(cf->policyd.socket_owner)) == NULL) {
			snprintf(err, errsize, "socket_owner: no user %s",
			    cf->policyd.socket_owner);
			return -1;
		}
		*uid = pw->pw_uid;
	}
	if (cf->policyd.socket_group[0] != '\0') {
		if ((gr = getgrnam(cf->policyd.socket_group)) == NULL) {
			snprintf(err, errsize, "socket_group: no group %s",
			    cf->policyd.socket_group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* listener_bind - one socket of spec ("unix:/PATH" with the configured
 * mode and owner, or "inet:HOST:PORT"); NULL with err */
static struct evconnlistener *
listener_bind(struct event_base *base, struct listener *lr,
    const struct conf *cf, const char *spec, char *err, size_t errsize)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	int sslen = sizeof(ss);
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
	struct evconnlistener *l;
	const char *path = spec + 5;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	memset(&ss, 0, sizeof(ss));
	if (strncmp(spec, "unix:", 5) == 0) {
		if (listener_ids(cf, &uid, &gid, err, errsize) == -1)
			return NULL;
		sun->sun_family = AF_UNIX;
		if (str_lcpy(sun->sun_path, path, sizeof(sun->sun_path)) >=
		    sizeof(sun->sun_path)) {
			snprintf(err, errsize, "%s: path too long", spec);
			return NULL;
		}
		sslen = sizeof(*sun);
		unlink(path);
	} else if (evutil_parse_sockaddr_port(
	               spec + 5, (struct sockaddr *)&ss, &sslen) == -1) {
		snprintf(err, errsize, "%s: not HOST:PORT", spec);
		return NULL;
	} else
		flags |= LEV_OPT_REUSEABLE;
	l = evconnlistener_new_bind(base, listener_on_accept, lr, flags,
	    LISTENER_BACKLOG, (struct sockaddr *)&ss, sslen);
	if (l == NULL) {
		snprintf(err, errsize, "%s: %s", spec, strerror(errno));
		return NULL;
	}
	if (ss.ss_family == AF_UNIX &&
	    (chmod(path, (mode_t)cf->policyd.socket_mode) == -1 ||
	        ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	            chown(path, uid, gid) == -1))) {
		snprintf(err, errsize, "%s: %s", spec, strerror(errno));
		evconnlistener_free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l, listener_on_error);
	return l;
}

struct listener *
listener_open(struct event_base *base, const struct conf *cf,
    listener_accept_cb *cb, void *arg, char *err, size_t errsize)
{
	struct listener *lr = calloc(1, sizeof(*lr));
	int i;

	if (lr == NULL ||
	    (lr->resume = evtimer_new(base, listener_on_resume, lr)) == NULL) {
		snprintf(err, errsize, "out of memory");
		free(lr);
		return NULL;
	}
	lr->cb = cb;
	lr->arg = arg;
	for (i = 0; i < cf->policyd.nlisten; i++) {
		lr->ls[lr->n] = listener_bind(
		    base, lr, cf, cf->policyd.listen[i], err, errsize);
		if (lr->ls[lr->n] == NULL) {
			listener_free(lr);
			return NULL;
		}
		lr->n++;
	}
	return lr;
}

void
listener_free(struct listener *lr)
{
	int i;

	if (lr == NULL)
		return;
	for (i = 0; i < lr->n; i++)
		evconnlistener_free(lr->ls[i]);
	event_free(lr->resume);
	free(lr);
}

unsigned long
listener_paused(const struct listener *lr)
{
	return lr == NULL ? 0 : lr->npaused;
}

int
listener_fds(int want, char *msg, size_t msgsize)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + LISTENER_FDS_SPARE;
	int fit;

	msg[0] = '\0';
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need
		    ? need
		    : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return want;
	fit = rl.rlim_cur > 2 * LISTENER_FDS_SPARE
	    ? (int)(rl.rlim_cur - LISTENER_FDS_SPARE)
	    : (int)(rl.rlim_cur / 2);
	if (fit < 1)
		fit = 1;
	snprintf(msg, msgsize,
	    "max_connections %d needs %llu file descriptors, the limit "
	    "(RLIMIT_NOFILE) is %llu: serving %d connections at most",
	    want, (unsigned long long)need, (unsigned long long)rl.rlim_cur,
	    fit);
	return fit;
}
