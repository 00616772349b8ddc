/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify - the notifier's thread, its queue and its rate.
 *
 * The queue is a ring under one mutex; a full queue counts the block
 * for the summary. The window starts with the first notification and
 * lasts notify.window; its summary goes when it ends (the thread wakes
 * every second to see), and the next notification starts a new one.
 */
#include <sys/resource.h>
#include <sys/syscall.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notefacts.h"
#include "notetext.h"
#include "notify.h"
#include "runprog.h"
#include "sconn.h"
#include "str.h"

struct notify {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	notify_say_fn *say;
	bool stop;
	char reload[CONF_PATH_MAX]; /* "" none pending */
	struct notify_block q[NOTIFY_QUEUE_MAX];
	int head, n;
	long long overflow; /* blocks the full queue could not take */
	/* the thread's own */
	struct conf *c;
	struct sconn *sc;
	bool redis_failed; /* said once until it works again */
	long long wstart, sent;
	struct note_facts *f;   /* the one being sent */
	struct note_facts *sum; /* the summary being gathered */
	char *mail;
};

/* notify_line - say a formatted line */
__attribute__((format(printf, 3, 4))) static void
notify_line(struct notify *n, bool warn, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n->say(warn, line);
}

/* notify_run - run cmd (a config line) with extra arguments, env and
 * stdin; how it ended, in words, into out; true when it exited 0 */
static bool
notify_run(struct notify *n, const char *cmd, const char *const *extra,
    char **env, const char *in, char *out, size_t size)
{
	char buf[CONF_PATH_MAX], why[160], *argv[RUNPROG_ARGS_MAX];
	int k, st;

	if ((k = runprog_split(
	         cmd, buf, sizeof(buf), argv, RUNPROG_ARGS_MAX - 6)) == -1) {
		snprintf(out, size, "not run: bad command");
		return false;
	}
	for (; extra != NULL && *extra != NULL; extra++)
		argv[k++] = (char *)*extra;
	argv[k] = NULL;
	switch (runprog_run(argv, env, in, in != NULL ? strlen(in) : 0,
	    n->c->notify.timeout * 1000, &st, why, sizeof(why))) {
	case RUNPROG_EXITED:
		snprintf(out, size, "exit %d", st);
		return st == 0;
	case RUNPROG_SIGNALED:
		snprintf(out, size, "signal %d", st);
		return false;
	case RUNPROG_KILLED:
		snprintf(out, size, "killed after %llds", n->c->notify.timeout);
		return false;
	default:
		snprintf(out, size, "not run: %.80s", why);
		return false;
	}
}

/* notify_deliver - f by mail and exec, one line said */
static void
notify_deliver(struct notify *n, struct note_facts *f)
{
	static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *mailenv[] = {path_env, NULL}, *env[NOTE_ENV_MAX];
	const char *extra[] = {"-t", "-i", "-f", n->c->notify.from, NULL};
	char mres[96] = "-", eres[96] = "-";
	bool ok = true;

	notetext_mail(n->c, f, n->mail, NOTE_MAIL_MAX);
	if (n->c->notify.mail[0] != '\0')
		ok &= notify_run(n, n->c->notify.sendmail, extra, mailenv,
		    n->mail, mres, sizeof(mres));
	if (n->c->notify.exec[0] != '\0' && geteuid() == 0) {
		snprintf(eres, sizeof(eres), "not run as root");
		ok = false;
	} else if (n->c->notify.exec[0] != '\0') {
		if (notetext_env(f, n->mail, env) == -1) {
			snprintf(eres, sizeof(eres), "not run: out of memory");
			ok = false;
		} else {
			ok &= notify_run(n, n->c->notify.exec, NULL, env, NULL,
			    eres, sizeof(eres));
			notetext_env_free(env);
		}
	}
	notify_line(n, !ok,
	    "notify: event=%s subject=%.300s%s%.64s suppressed=%lld "
	    "mail=\"%s\" "
	    "exec=\"%s\"",
	    f->event, f->subject[0] ? f->subject : "-",
	    f->rule[0] ? " rule=" : "", f->rule, f->suppressed, mres, eres);
}

/* notify_redis - the thread's connection, made when needed; NULL when
 * Redis cannot be reached (said once until it can) */
static struct sconn *
notify_redis(struct notify *n)
{
	char why[256];

	if (n->sc != NULL && !sconn_ok(n->sc)) {
		sconn_free(n->sc);
		n->sc = NULL;
	}
	if (n->sc == NULL &&
	    (n->sc = sconn_reach(n->c, why, sizeof(why))) == NULL) {
		if (!n->redis_failed)
			notify_line(n, true,
			    "notify: redis: %s; notifications go without "
			    "the facts Redis holds",
			    why);
		n->redis_failed = true;
		return NULL;
	}
	n->redis_failed = false;
	return n->sc;
}

/* notify_summary - the window's summary, when it is over and owed */
static void
notify_summary(struct notify *n, long long now)
{
	if (n->sum->suppressed == 0 || now < n->wstart + n->c->notify.window)
		return;
	str_lcpy(n->sum->event, "summary", sizeof(n->sum->event));
	str_lcpy(n->sum->node, n->c->node, sizeof(n->sum->node));
	n->sum->at = now;
	notify_deliver(n, n->sum);
	memset(n->sum, 0, sizeof(*n->sum));
	n->wstart = 0;
}

/* notify_block - one block this node created */
static void
notify_block(struct notify *n, const struct notify_block *b)
{
	struct note_facts *f = n->f;
	long long now = (long long)time(NULL);
	struct sconn *sc;

	notify_summary(n, now);
	if (n->wstart == 0 || now >= n->wstart + n->c->notify.window) {
		n->wstart = now;
		n->sent = 0;
	}
	if (n->sent >= n->c->notify.max) { /* for the summary */
		if (n->sum->knames < NOTE_SUMMARY_MAX)
			snprintf(n->sum->names[n->sum->knames++],
			    sizeof(n->sum->names[0]), "%s:%.700s rule %.60s",
			    subject_type_name(b->type), b->value, b->rule);
		n->sum->suppressed++;
		return;
	}
	n->sent++;
	memset(f, 0, sizeof(*f));
	str_lcpy(f->event, "block", sizeof(f->event));
	f->type = b->type;
	str_lcpy(f->value, b->value, sizeof(f->value));
	snprintf(f->subject, sizeof(f->subject), "%s:%s",
	    subject_type_name(b->type), b->value);
	str_lcpy(f->rule, b->rule, sizeof(f->rule));
	str_lcpy(f->reason, b->reason, sizeof(f->reason));
	f->count = b->count;
	f->limit = b->limit;
	f->at = b->at;
	str_lcpy(f->node, n->c->node, sizeof(f->node));
	str_lcpy(f->by, b->by, sizeof(f->by));
	f->uid = -1;
	if ((sc = notify_redis(n)) != NULL &&
	    notefacts_gather(sc, n->c, f) == -1)
		(void)notify_redis(n); /* said if it stays away */
	notify_deliver(n, f);
}

/* notify_reconf - read the config anew (a failure keeps the old one) */
static void
notify_reconf(struct notify *n, const char *path)
{
	char err[CONF_ERR_MAX];
	struct conf *c = conf_load(path, err, sizeof(err));

	if (c == NULL) {
		notify_line(n, true, "notify: %s; the old config stays", err);
		return;
	}
	if (n->sc != NULL)
		sconn_free(n->sc);
	n->sc = NULL;
	conf_free(n->c);
	n->c = c;
}

/* notify_main - the thread: a block, a reload or a summary at a time */
static void *
notify_main(void *arg)
{
	struct notify *n = arg;
	struct notify_block b;
	char path[CONF_PATH_MAX];
	struct timespec ts;
	bool have;

	/* background work: this thread and the programs it runs yield the
	 * CPU to the decisions (Linux: nice is per thread) */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), NOTIFY_NICE) ==
	    -1)
		notify_line(n, false, "notify: nice %d: %s", NOTIFY_NICE,
		    strerror(errno));
	pthread_mutex_lock(&n->mu);
	while (!n->stop) {
		have = false;
		path[0] = '\0';
		if (n->reload[0] != '\0') {
			str_lcpy(path, n->reload, sizeof(path));
			n->reload[0] = '\0';
		} else if (n->n > 0) {
			b = n->q[n->head];
			n->head = (n->head + 1) % NOTIFY_QUEUE_MAX;
			n->n--;
			have = true;
		} else {
			n->sum->suppressed += n->overflow;
			n->overflow = 0;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&n->cv, &n->mu, &ts);
		}
		pthread_mutex_unlock(&n->mu);
		if (path[0] != '\0')
			notify_reconf(n, path);
		else if (have &&
		    (n->c->notify.mail[0] != '\0' ||
		        n->c->notify.exec[0] != '\0'))
			notify_block(n, &b);
		else if (!have)
			notify_summary(n, (long long)time(NULL));
		pthread_mutex_lock(&n->mu);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

struct notify *
notify_new(const char *path, notify_say_fn *say, char *why, size_t whysize)
{
	struct notify *n = calloc(1, sizeof(*n));

	if (n == NULL || (n->f = calloc(1, sizeof(*n->f))) == NULL ||
	    (n->sum = calloc(1, sizeof(*n->sum))) == NULL ||
	    (n->mail = malloc(NOTE_MAIL_MAX)) == NULL) {
		snprintf(why, whysize, "out of memory");
		goto fail;
	}
	if ((n->c = conf_load(path, why, whysize)) == NULL)
		goto fail;
	n->say = say;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	if (pthread_create(&n->thread, NULL, notify_main, n) != 0) {
		snprintf(why, whysize, "no thread");
		conf_free(n->c);
		goto fail;
	}
	return n;
fail:
	if (n != NULL) {
		free(n->f);
		free(n->sum);
		free(n->mail);
	}
	free(n);
	return NULL;
}

void
notify_push(struct notify *n, const struct notify_block *b)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	if (n->n == NOTIFY_QUEUE_MAX)
		n->overflow++;
	else {
		n->q[(n->head + n->n) % NOTIFY_QUEUE_MAX] = *b;
		n->n++;
	}
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void
notify_reload(struct notify *n, const char *path)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	str_lcpy(n->reload, path, sizeof(n->reload));
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	if (n->sc != NULL)
		sconn_free(n->sc);
	conf_free(n->c);
	free(n->f);
	free(n->sum);
	free(n->mail);
	free(n);
}
