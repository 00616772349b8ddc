/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify - one notification per block (floodgate.conf notify { }): a
 * thread of its own takes the blocks this node won (the HSETNX of the
 * block hash's "notified" field, common/limitfollow.c), gathers the
 * facts from Redis on its own connection (notefacts.c), sends the mail
 * through sendmail -t and runs notify.exec (runprog.c: each bounded by
 * notify.timeout), and keeps to notify.max notifications a
 * notify.window, the rest counted and listed in one summary when the
 * window ends. notify_push never waits for any of it: a policy answer
 * or a milter reply is never delayed, and the thread runs at a lower
 * priority (NOTIFY_NICE), its programs too. The thread reads its own copy of
 * the config (notify_reload). What it does is said through the
 * daemon's say function, one line a notification.
 */
#ifndef FG_NOTIFY_H
#define FG_NOTIFY_H

#include <stdbool.h>

#include "conf.h"
#include "limiter.h"
#include "subject.h"

#define NOTIFY_QUEUE_MAX 256 /* blocks waiting; more go to the summary */
#define NOTIFY_NICE      10  /* the thread's and its programs' niceness */

/* what the decision path knows of a block it created */
struct notify_block {
	enum subject_type type;
	char value[SUBJECT_VALUE_MAX];
	char rule[CONF_NAME_MAX];
	char reason[LIMITER_WHAT_MAX];
	long long count, limit, at; /* at: unix seconds */
	char by[16];
};

/* notify_say_fn - a line for the daemon's log (warn: a failure) */
typedef void notify_say_fn(bool warn, const char *line);

struct notify;

/* notify_new - the notifier of the config at path (read now, and by
 * notify_reload), its thread started; NULL with why */
struct notify *notify_new(
    const char *path, notify_say_fn *say, char *why, size_t whysize);
/* notify_push - a block this node created; copied, never waits */
void notify_push(struct notify *, const struct notify_block *);
/* notify_reload - read the config at path before the next notification */
void notify_reload(struct notify *, const char *path);
/* notify_free - stop the thread (after the notification under way) */
void notify_free(struct notify *);

#endif
