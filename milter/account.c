/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * account - blocks, uid limits and the trace of one message.
 *
 * Entry points: account_new, account_message, account_reconf,
 * account_beat, account_top, account_set_notify, account_redis_up, account_free. At end-of-message the shared verdict (common/verdict.h)
 * runs on a pooled blocking connection (common/syncrun.h): the SASL
 * user's and remote client's blocks, the uid's limits; then the
 * take-backs of a refused message and the trace (XADD fg:trace MAXLEN ~
 * N, ZINCRBY of the uid's scripts ZSET) carrying the action taken. Never
 * blocks longer than redis.timeout per round trip; a failed connection
 * falls back to the on_failure policy.
 */
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "beat.h"
#include "clock.h"
#include "keys.h"
#include "local.h"
#include "log.h"
#include "pool.h"
#include "priv.h"
#include "rconn.h"
#include "str.h"
#include "subject.h"
#include "syncrun.h"
#include "verdict.h"

#define SCRIPTS_TTL "2592000" /* 30 days after the last message */
#define TRACE_ARGS  48

/* warnings Redis can repeat per message: a line a minute each */
static struct ratelog account_rl_redis = RATELOG_INIT,
                      account_rl_trace = RATELOG_INIT,
                      account_rl_evict = RATELOG_INIT;

struct account {
	struct pool *pool;
	struct local *local;   /* thread-safe */
	unsigned long evicted; /* local counters evicted, last seen */
	struct notify *notify; /* thread-safe; NULL: none */
	/* policyd's user, whose mail (notifications) is not counted */
	pthread_mutex_t mu;
	char pd_conf[CONF_NAME_MAX]; /* policyd.user it was resolved from */
	long long pd_uid;            /* -1: none */
	bool pd_known;
};

struct account *
account_new(void)
{
	struct account *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	pthread_mutex_init(&a->mu, NULL);
	if ((a->pool = pool_new()) == NULL ||
	    (a->local = local_new()) == NULL) {
		account_free(a);
		return NULL;
	}
	return a;
}

void
account_free(struct account *a)
{
	if (a == NULL)
		return;
	pool_free(a->pool);
	local_free(a->local);
	notify_free(a->notify);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

bool
account_redis_up(struct account *a)
{
	return pool_up(a->pool);
}

void
account_beat(struct account *a, const struct conf *c)
{
	pool_beat(a->pool, c);
}

void
account_top(struct account *a, const struct conf *c)
{
	pool_top(a->pool, c);
}

void
account_reconf(struct account *a, const char *path)
{
	local_clear(a->local);
	notify_reload(a->notify, path);
}

void
account_set_notify(struct account *a, struct notify *n)
{
	a->notify = n;
}

/* account_own - uid is floodgate's own: the milter's user or policyd's
 * (policyd.user resolved as policyd does, once per value): their mail,
 * the notifications, is never counted nor held */
static bool
account_own(struct account *a, const struct conf *c, long long uid)
{
	struct priv_user pu;
	struct passwd pw, *res = NULL;
	char buf[1024];
	bool own;

	if (uid == (long long)geteuid())
		return true;
	pthread_mutex_lock(&a->mu);
	if (!a->pd_known || strcmp(a->pd_conf, c->policyd.user) != 0) {
		a->pd_uid = -1;
		if (priv_resolve(
		        c->policyd.user, "policyd.user", 0, NULL, &pu) == 0 &&
		    getpwnam_r(pu.name, &pw, buf, sizeof(buf), &res) == 0 &&
		    res != NULL)
			a->pd_uid = (long long)pw.pw_uid;
		str_lcpy(a->pd_conf, c->policyd.user, sizeof(a->pd_conf));
		a->pd_known = true;
	}
	own = a->pd_uid == uid && uid != 0;
	pthread_mutex_unlock(&a->mu);
	return own;
}

/* account_evictions - the degraded-mode counters evicted since the last
 * line, logged at most once a minute (the milter has no stats line) */
static void
account_evictions(struct account *a)
{
	struct local_stats st;
	unsigned long last, skipped;

	local_stats(a->local, &st);
	last = __atomic_load_n(&a->evicted, __ATOMIC_RELAXED);
	if (st.counters_evicted <= last ||
	    !ratelog_take(&account_rl_evict, clock_mono_ms(), &skipped))
		return;
	__atomic_store_n(&a->evicted, st.counters_evicted, __ATOMIC_RELAXED);
	log_warnx("local: %lu subjects' counters evicted since the last such "
	          "line (the degraded-mode table holds %d)",
	    st.counters_evicted - last, LOCAL_MAX_SUBJECTS);
}

/* account_subjects - the message's subjects: its SASL user and remote
 * client ip (their blocks), its uid (counted by the uid limits) */
static void
account_subjects(struct account *a, struct verdict *v, const struct origin *o)
{
	const struct verdict_counts n = {
	    .messages = 1, .recipients = o->nrcpt, .bytes = o->size};
	char why[SUBJECT_RAW_MAX];

	(void)verdict_add(v, SUBJECT_SASL, o->auth, NULL, why, sizeof(why));
	if (o->remote)
		(void)verdict_add(
		    v, SUBJECT_IP, o->client, NULL, why, sizeof(why));
	if (o->uid >= 0 && !account_own(a, v->c, o->uid))
		(void)verdict_add(v, SUBJECT_UID, o->user,
		    verdict_limited(v->c, SUBJECT_UID) ? &n : NULL, why,
		    sizeof(why));
}

/* account_trace - XADD and ZINCRBY in one round trip; failures only logged */
static void
account_trace(struct sconn *sc, const struct conf *c, const struct origin *o,
    const char *user, const struct account_verdict *v)
{
	const struct proc_info *p = o->have_proc ? &o->proc : NULL;
	static const char *const act[] = {
	    "accept", "hold", "tempfail", "reject"};
	const char *argv[TRACE_ARGS], *zinc[4], *exp[3];
	char key[LIMITER_KEY_MAX], skey[LIMITER_KEY_MAX], maxlen[24], uid[24],
	    pid[24], n[24], sz[24];
	redisReply *r;
	int argc = 0, sent = 0;

#define F(k, val)                                                              \
	do {                                                                   \
		if ((val) != NULL && (val)[0] != '\0') {                       \
			argv[argc++] = (k);                                    \
			argv[argc++] = (val);                                  \
		}                                                              \
	} while (0)
	if (c->milter.trace_maxlen > 0) {
		snprintf(
		    maxlen, sizeof(maxlen), "%lld", c->milter.trace_maxlen);
		snprintf(key, sizeof(key), "%s" KEYS_TRACE, c->redis.prefix);
		snprintf(uid, sizeof(uid), "%lld", o->uid);
		snprintf(pid, sizeof(pid), "%lld",
		    p != NULL ? (long long)p->pid : 0LL);
		snprintf(n, sizeof(n), "%d", o->nrcpt);
		snprintf(sz, sizeof(sz), "%lld", o->size);
		argv[argc++] = "XADD";
		argv[argc++] = key;
		argv[argc++] = "MAXLEN";
		argv[argc++] = "~";
		argv[argc++] = maxlen;
		argv[argc++] = "*";
		F("qid", o->qid);
		F("host", c->node);
		F("src", origin_src_name(o->src));
		F("uid", o->uid >= 0 ? uid : NULL);
		F("user", user);
		F("pid", p != NULL && p->pid > 0 ? pid : NULL);
		F("exe", p != NULL ? p->exe : NULL);
		F("cwd", p != NULL ? p->cwd : NULL);
		F("script", p != NULL ? p->script : NULL);
		F("claimed", o->claimed);
		F("auth", o->auth);
		F("sender", o->sender);
		F("client", o->client);
		F("rcpts", n);
		F("size", sz);
		F("action", act[v->act]);
		F("rule", v->rule);
		if (sconn_append(sc, argc, argv, NULL) == 0)
			sent++;
	}
#undef F
	/* their arguments live until the replies are in (sconn_append) */
	if (user[0] != '\0' &&
	    subject_key(skey, sizeof(skey), c->redis.prefix, SUBJECT_UID, user,
	        KEYS_SCRIPTS) == 0) {
		zinc[0] = "ZINCRBY";
		zinc[1] = skey;
		zinc[2] = "1";
		zinc[3] = origin_label(o);
		exp[0] = "EXPIRE";
		exp[1] = skey;
		exp[2] = SCRIPTS_TTL;
		if (sconn_append(sc, 4, zinc, NULL) == 0)
			sent++;
		if (sconn_append(sc, 3, exp, NULL) == 0)
			sent++;
	}
	while (sent-- > 0) {
		if (sconn_get(sc, &r) == -1)
			return;
		if (r->type == REDIS_REPLY_ERROR)
			log_warnx_every(
			    &account_rl_trace, "redis: trace: %s", r->str);
		freeReplyObject(r);
	}
}

void
account_message(struct account *a, const struct conf *c, const struct origin *o,
    struct account_verdict *av)
{
	struct verdict v;
	struct verdict_decision d;
	struct pool_view pv;
	struct pool_conn *pc;
	char err[SYNCRUN_ERR_MAX], line[VERDICT_LINE_MAX], qid[64], why[300];
	struct notify_block nb;
	const char *uid;
	bool failing;
	int i;

	memset(av, 0, sizeof(*av));
	verdict_init(&v, c, "milter");
	pool_view(a->pool, &pv);
	v.share = beat_share(c->redis.degraded_share, pv.nodes);
	v.gen = pv.gen;
	v.wait_ms = rconn_wait_ms(c, pv.replicas);
	account_subjects(a, &v, o);
	pc = pool_get(a->pool, c); /* the trace needs it too */
	if (pc == NULL)
		for (i = 0; i < v.n; i++)
			verdict_fallback(&v, i, a->local, clock_mono_ms());
	else if (syncrun_verdict(
	             &v, pc->sc, a->local, &failing, err, sizeof(err)) == -1) {
		pool_put(a->pool, pc, false);
		pc = NULL;
	} else if (failing)
		pool_failing(a->pool, err); /* a state: one line per change */
	else {
		pool_answered(a->pool, c);
		if (err[0] != '\0')
			log_warnx_every(&account_rl_redis, "redis: %s", err);
	}
	verdict_decide(&v, &d);
	if (d.degraded)
		account_evictions(a);
	str_escape_word(qid, sizeof(qid), o->qid, strlen(o->qid));
	for (i = 0; i < v.n; i++) {
		if (verdict_block_line(&v, i, line, sizeof(line)))
			log_info("%s qid=%s", line, qid);
		if (verdict_durable_line(&v, i, line, sizeof(line)))
			log_warnx("%s qid=%s", line, qid);
		if (verdict_notify(&v, i, &nb))
			notify_push(a->notify, &nb);
	}
	av->act = d.mact;
	av->blocked = d.kind == VERDICT_BLOCKED;
	av->degraded = d.degraded;
	if (d.kind != VERDICT_PASS)
		str_lcpy(av->rule, v.sub[d.sub].res.rule, sizeof(av->rule));
	verdict_why(&v, &d, av->why, sizeof(av->why));
	if (!d.enforced && av->act != CONF_MACT_ACCEPT) {
		log_info("dryrun=1 qid=%s would=%s why=\"%s\"", qid,
		    av->blocked ? "block" : "limit",
		    str_escape(why, sizeof(why), av->why, strlen(av->why)));
		av->act = CONF_MACT_ACCEPT;
	}
	if (pc != NULL &&
	    syncrun_refunds(&v, &d, pc->sc, err, sizeof(err)) == -1) {
		pool_put(a->pool, pc, false);
		pc = NULL;
	}
	if (pc != NULL) {
		for (i = 0, uid = ""; i < v.n; i++)
			if (v.sub[i].req.type == SUBJECT_UID)
				uid = v.sub[i].req.value;
		account_trace(pc->sc, c, o, uid, av);
		pool_put(a->pool, pc, sconn_ok(pc->sc));
	}
	verdict_free(&v);
}
