/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * syncrun - the verdict's round trips on a blocking connection.
 *
 * Entry points: syncrun_verdict, syncrun_refunds, syncrun_limiter. Two
 * pipelines a message: every subject's first round, then every subject's
 * follow-ups; replies are read in the order the commands went out.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "rconn.h"
#include "str.h"
#include "syncrun.h"

/* syncrun_note - keep the first problem for the caller's log */
static void
syncrun_note(char *err, size_t size, const char *what, const redisReply *r)
{
	if (err[0] != '\0')
		return;
	snprintf(err, size, "%s (%.100s)", what,
	    r == NULL                          ? "no reply"
	        : r->type == REDIS_REPLY_ERROR ? r->str
	                                       : "bad shape");
}

/* syncrun_append - queue the commands laid out now; 0 or -1 */
static int
syncrun_append(struct sconn *sc, const struct limiter *l)
{
	const char *const *argv;
	const size_t *len;
	int i, argc;

	for (i = 0; i < limiter_ncmd(l); i++) {
		limiter_cmd(l, i, &argc, &argv, &len);
		if (sconn_append(sc, argc, argv, len) == -1)
			return -1;
	}
	return 0;
}

/* syncrun_drain - read n replies, errors noted; 0 or -1 */
static int
syncrun_drain(struct sconn *sc, int n, char *err, size_t errsize)
{
	redisReply *r;

	while (n-- > 0) {
		if (sconn_get(sc, &r) == -1)
			return -1;
		if (r->type == REDIS_REPLY_ERROR)
			syncrun_note(err, errsize, "follow-up failed", r);
		freeReplyObject(r);
	}
	return 0;
}

int
syncrun_limiter(
    struct sconn *sc, const struct limiter *l, char *err, size_t errsize)
{
	if (syncrun_append(sc, l) == -1)
		return -1;
	return syncrun_drain(sc, limiter_ncmd(l), err, errsize);
}

/* syncrun_follow - the follow-ups' replies, subject by subject, in the
 * order they were sent; 0 or -1 */
static int
syncrun_follow(struct verdict *v, const bool *settled, struct sconn *sc,
    struct local *local, char *err, size_t errsize)
{
	redisReply *r;
	int i, j;

	for (i = 0; i < v->n; i++) {
		if (!settled[i])
			continue;
		for (j = 0; j < limiter_ncmd(v->sub[i].lim); j++) {
			if (sconn_get(sc, &r) == -1)
				return -1;
			if (verdict_follow(v, i, j, r) == -1)
				syncrun_note(
				    err, errsize, "follow-up failed", r);
			freeReplyObject(r);
		}
		verdict_followed(v, i, local);
	}
	return 0;
}

int
syncrun_verdict(struct verdict *v, struct sconn *sc, struct local *local,
    bool *failing, char *err, size_t errsize)
{
	struct limiter *lim[VERDICT_SUBJECTS] = {NULL};
	bool settled[VERDICT_SUBJECTS] = {false};
	int i, j, nfollow = 0;
	redisReply *r;
	bool bad;

	err[0] = '\0';
	*failing = false;
	for (i = 0; i < v->n; i++)
		if ((lim[i] = verdict_limiter(v, i)) != NULL &&
		    syncrun_append(sc, lim[i]) == -1)
			goto failed;
	for (i = 0; i < v->n; i++) {
		if (lim[i] == NULL)
			continue;
		for (j = 0, bad = false; j < limiter_ncmd(lim[i]); j++) {
			if (sconn_get(sc, &r) == -1)
				goto failed;
			if (!bad && limiter_take(lim[i], j, r) == -1) {
				*failing |= rconn_reply_failing(r);
				if (err[0] == '\0')
					verdict_bad_reply(
					    v, i, j, r, err, errsize);
				bad = true;
			}
			freeReplyObject(r);
		}
		if (bad || verdict_settle(v, i, local, clock_mono_ms()) == -1)
			lim[i] = NULL; /* its fallback below */
		else if (syncrun_append(sc, lim[i]) == -1)
			goto failed;
		else
			nfollow += limiter_ncmd(lim[i]);
		settled[i] = lim[i] != NULL;
	}
	for (i = 0; i < v->n; i++)
		if (!settled[i])
			verdict_fallback(v, i, local, clock_mono_ms());
	return nfollow > 0 ? syncrun_follow(v, settled, sc, local, err, errsize)
	                   : 0;

failed:
	for (i = 0; i < v->n; i++)
		if (!settled[i])
			verdict_fallback(v, i, local, clock_mono_ms());
	return -1;
}

int
syncrun_refunds(struct verdict *v, const struct verdict_decision *d,
    struct sconn *sc, char *err, size_t errsize)
{
	int i, n = 0;

	for (i = 0; i < v->n; i++)
		if (verdict_refund(v, d, i)) {
			if (syncrun_append(sc, v->sub[i].lim) == -1)
				return -1;
			n += limiter_ncmd(v->sub[i].lim);
		}
	return syncrun_drain(sc, n, err, errsize);
}
