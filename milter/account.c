/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * account - blocks, uid limits and the trace of one message.
 *
 * Entry points: account_new, account_message, account_reconf,
 * account_free. Pipelined round trips at end-of-message: first the
 * block lookups and the uid limiter's commands, then the limiter's
 * follow-ups when it has any (common/limiter.h), then the trace (XADD
 * fg:trace MAXLEN ~ N, ZINCRBY of the uid's scripts ZSET) carrying the
 * action taken. Never blocks longer than redis.timeout
 * per round trip; any failure falls back to the on_failure policy.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "account.h"
#include "limiter.h"
#include "local.h"
#include "log.h"
#include "pool.h"
#include "resp.h"
#include "str.h"
#include "subject.h"

#define SCRIPTS_TTL "2592000" /* 30 days after the last message */
#define TRACE_ARGS  48

enum { Q_SASL, Q_IP, Q_UID, NQ };

struct account {
	struct pool *pool;
	pthread_mutex_t mu; /* guards local */
	struct local *local;
};

struct query {
	bool used, is_limiter;
	enum subject_type type;
	char value[SUBJECT_VALUE_MAX];
	struct limiter_req req;
	struct limiter_result res;
	struct limiter *lim; /* is_limiter: its commands */
};

struct account *
account_new(void)
{
	struct account *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	if ((a->pool = pool_new()) == NULL ||
	    (a->local = local_new()) == NULL) {
		account_free(a);
		return NULL;
	}
	pthread_mutex_init(&a->mu, NULL);
	return a;
}

void
account_free(struct account *a)
{
	if (a == NULL)
		return;
	pool_free(a->pool);
	local_free(a->local);
	free(a);
}

void
account_reconf(struct account *a)
{
	pthread_mutex_lock(&a->mu);
	local_clear(a->local);
	pthread_mutex_unlock(&a->mu);
}

/* has_limits - some limit counts subject type t */
static bool
has_limits(const struct conf *c, enum subject_type t)
{
	int i;

	for (i = 0; i < c->nlimits; i++)
		if (c->limits[i].subject == t)
			return true;
	return false;
}

/* block_reply - an HGETALL of a block key: fill res when there is one */
static int
block_reply(const redisReply *r, struct limiter_result *res)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
		return -1;
	if (r->elements == 0)
		return 0;
	res->status = LIMITER_BLOCKED;
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];

		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "rule") == 0)
			str_lcpy(res->rule, v->str, sizeof(res->rule));
		else if (strcmp(k->str, "reason") == 0)
			str_lcpy(res->what, v->str, sizeof(res->what));
	}
	return 0;
}

/* append - the limiter's commands laid out now; 0 or -1 */
static int
append(redisContext *rc, const struct limiter *l)
{
	const char *const *argv;
	const size_t *len;
	int i, argc;

	for (i = 0; i < limiter_ncmd(l); i++) {
		limiter_cmd(l, i, &argc, &argv, &len);
		if (redisAppendCommandArgv(
		        rc, argc, (const char **)argv, len) != REDIS_OK)
			return -1;
	}
	return 0;
}

/* send_query - append one query to the pipeline; 0 or -1 */
static int
send_query(redisContext *rc, const struct conf *c, struct query *q)
{
	char key[LIMITER_KEY_MAX];

	if (q->is_limiter) {
		if ((q->lim = limiter_start(c, &q->req)) == NULL)
			return -1;
		return append(rc, q->lim);
	}
	if (subject_key(key, sizeof(key), c->redis.prefix, q->type, q->value,
	        ":block") == -1)
		return -1;
	return redisAppendCommand(rc, "HGETALL %s", key) == REDIS_OK ? 0 : -1;
}

/* ask_redis - every query in one round trip, then the limiter's
 * follow-ups (a block, the denial, rollover) in a second; 0, or -1 (use
 * the fallback; the connection is then not reused) */
static int
ask_redis(redisContext *rc, const struct conf *c, struct query *qs)
{
	struct limiter *lim;
	redisReply *r;
	int i, j, n, rc2;

	for (i = 0; i < NQ; i++)
		if (qs[i].used && send_query(rc, c, &qs[i]) == -1)
			return -1;
	for (i = 0; i < NQ; i++) {
		if (!qs[i].used)
			continue;
		n = qs[i].is_limiter ? limiter_ncmd(qs[i].lim) : 1;
		for (j = 0; j < n; j++) {
			if (redisGetReply(rc, (void **)&r) != REDIS_OK)
				return -1;
			rc2 = qs[i].is_limiter ? limiter_take(qs[i].lim, j, r)
			                       : block_reply(r, &qs[i].res);
			if (rc2 == -1)
				log_warnx("redis: unexpected reply (%s)",
				    r != NULL && r->type == REDIS_REPLY_ERROR
				        ? r->str
				        : "bad shape");
			freeReplyObject(r);
			if (rc2 == -1)
				return -1;
		}
	}
	lim = qs[Q_UID].used && qs[Q_UID].is_limiter ? qs[Q_UID].lim : NULL;
	if (lim == NULL)
		return 0;
	if (limiter_finish(lim, &qs[Q_UID].res) == -1 || append(rc, lim) == -1)
		return -1;
	for (j = 0; j < limiter_ncmd(lim); j++) {
		if (redisGetReply(rc, (void **)&r) != REDIS_OK)
			return -1;
		if (r->type == REDIS_REPLY_ERROR)
			log_warnx("redis: limiter follow-up: %s", r->str);
		freeReplyObject(r);
	}
	return 0;
}

/* fallback - Redis unusable: on_failure with local counters (locked) */
static void
fallback(struct account *a, const struct conf *c, struct query *qs,
    struct account_verdict *v)
{
	long long now = clock_mono_ms();
	int i;

	v->degraded = true;
	pthread_mutex_lock(&a->mu);
	for (i = 0; i < NQ; i++) {
		struct query *q = &qs[i];

		memset(&q->res, 0, sizeof(q->res));
		if (!q->used ||
		    local_blocked(a->local, c, &q->req, now, &q->res))
			continue;
		if (q->is_limiter && c->redis.on_failure == CONF_FAIL_LOCAL &&
		    local_check(a->local, c, &q->req, now, &q->res) == -1)
			memset(&q->res, 0, sizeof(q->res));
	}
	pthread_mutex_unlock(&a->mu);
	if (c->redis.on_failure == CONF_FAIL_DEFER) {
		v->act = CONF_MACT_TEMPFAIL;
		str_lcpy(v->why, "redis unavailable", sizeof(v->why));
	}
}

/* verdict - the strongest result: a block, then a limit */
static void
verdict(const struct conf *c, struct query *qs, struct account_verdict *v)
{
	int i;

	for (i = 0; i < NQ; i++) {
		const struct limiter_result *r = &qs[i].res;

		if (!qs[i].used)
			continue;
		if (r->status == LIMITER_BLOCKED ||
		    r->status == LIMITER_BLOCK_NOW) {
			v->act = c->milter.on_block;
			v->blocked = true;
			str_lcpy(v->rule, r->rule, sizeof(v->rule));
			snprintf(v->why, sizeof(v->why),
			    "%s:%.60s blocked: %.80s",
			    subject_type_name(qs[i].type), qs[i].value,
			    r->what);
			return;
		}
	}
	for (i = 0; i < NQ; i++) {
		const struct limiter_result *r = &qs[i].res;

		if (qs[i].used &&
		    (r->status == LIMITER_OVER ||
		        r->status == LIMITER_OVER_BLOCK)) {
			v->act = c->milter.on_limit;
			str_lcpy(v->rule, r->rule, sizeof(v->rule));
			snprintf(v->why, sizeof(v->why),
			    "%s:%.60s over limit %s: %.20s %lld > %lld",
			    subject_type_name(qs[i].type), qs[i].value, r->rule,
			    r->what, r->value, r->limit);
			if (r->status == LIMITER_OVER_BLOCK)
				log_info(
				    "%sevent=block rule=%s subject=\"uid:%s\" "
				    "what=\"%s\" value=%lld limit=%lld",
				    c->dryrun ? "dryrun=1 " : "", r->rule,
				    qs[i].value, r->what, r->value, r->limit);
			return;
		}
	}
}

/* add_query - a subject of the message, when valid */
static void
add_query(const struct conf *c, struct query *q, enum subject_type t,
    const char *raw, const struct account_msg *m)
{
	if (raw == NULL || raw[0] == '\0' ||
	    subject_norm(t, raw, &c->subject, q->value, sizeof(q->value)) == -1)
		return;
	if ((t == SUBJECT_SASL && conf_exempt_user(c, q->value)) ||
	    (t == SUBJECT_IP &&
	        cidr_match(c->exempt_networks, c->nexempt_networks, raw)))
		return;
	q->used = true;
	q->type = t;
	q->req.type = t;
	q->req.value = q->value;
	q->req.ip = "";
	q->req.sender = "";
	q->req.by = "milter";
	q->req.mode = c->dryrun ? LIMITER_DRYRUN : LIMITER_ENFORCE;
	if (t == SUBJECT_UID && has_limits(c, t)) {
		q->is_limiter = true;
		q->req.messages = 1;
		q->req.recipients = m->nrcpt;
		q->req.bytes = m->size;
	}
}

/* trace - XADD and ZINCRBY in one round trip; failures only logged */
static void
trace(redisContext *rc, const struct conf *c, const struct account_msg *m,
    const char *user, const struct account_verdict *v)
{
	static const char *const act[] = {
	    "accept", "hold", "tempfail", "reject"};
	const char *argv[TRACE_ARGS];
	char key[LIMITER_KEY_MAX], maxlen[24], uid[24], pid[24], n[24], sz[24];
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
		snprintf(key, sizeof(key), "%strace", c->redis.prefix);
		snprintf(uid, sizeof(uid), "%lld", m->uid);
		snprintf(pid, sizeof(pid), "%lld", m->pid);
		snprintf(n, sizeof(n), "%d", m->nrcpt);
		snprintf(sz, sizeof(sz), "%lld", m->size);
		argv[argc++] = "XADD";
		argv[argc++] = key;
		argv[argc++] = "MAXLEN";
		argv[argc++] = "~";
		argv[argc++] = maxlen;
		argv[argc++] = "*";
		F("qid", m->qid);
		F("host", m->host);
		F("src", m->src);
		F("uid", m->uid >= 0 ? uid : NULL);
		F("user", user);
		F("pid", m->pid > 0 ? pid : NULL);
		F("exe", m->exe);
		F("cwd", m->cwd);
		F("script", m->script);
		F("claimed", m->claimed);
		F("auth", m->auth);
		F("sender", m->sender);
		F("client", m->client);
		F("rcpts", n);
		F("size", sz);
		F("action", act[v->act]);
		F("rule", v->rule);
		if (redisAppendCommandArgv(rc, argc, argv, NULL) == REDIS_OK)
			sent++;
	}
#undef F
	if (user[0] != '\0' &&
	    subject_key(key, sizeof(key), c->redis.prefix, SUBJECT_UID, user,
	        ":scripts") == 0) {
		if (redisAppendCommand(rc, "ZINCRBY %s 1 %s", key, m->label) ==
		    REDIS_OK)
			sent++;
		if (redisAppendCommand(rc, "EXPIRE %s %s", key, SCRIPTS_TTL) ==
		    REDIS_OK)
			sent++;
	}
	while (sent-- > 0) {
		if (redisGetReply(rc, (void **)&r) != REDIS_OK)
			return;
		if (r->type == REDIS_REPLY_ERROR)
			log_warnx("redis: trace: %s", r->str);
		freeReplyObject(r);
	}
}

void
account_message(struct account *a, const struct conf *c,
    const struct account_msg *m, struct account_verdict *v)
{
	struct query qs[NQ];
	struct pool_conn *pc;
	long long now = clock_mono_ms();
	int i;

	memset(v, 0, sizeof(*v));
	memset(qs, 0, sizeof(qs));
	add_query(c, &qs[Q_SASL], SUBJECT_SASL, m->auth, m);
	if (m->client_counts)
		add_query(c, &qs[Q_IP], SUBJECT_IP, m->client, m);
	add_query(c, &qs[Q_UID], SUBJECT_UID, m->user, m);

	pc = pool_get(a->pool, c);
	if (pc == NULL || ask_redis(pc->c, c, qs) == -1) {
		pool_put(a->pool, pc, false);
		pc = NULL;
		fallback(a, c, qs, v);
	} else {
		pthread_mutex_lock(&a->mu);
		for (i = 0; i < NQ; i++)
			if (qs[i].used)
				local_note(
				    a->local, &qs[i].req, &qs[i].res, now);
		pthread_mutex_unlock(&a->mu);
	}
	verdict(c, qs, v);
	if (c->dryrun && v->act != CONF_MACT_ACCEPT) {
		log_info("dryrun=1 qid=%s would %s: %s", m->qid,
		    v->blocked ? "block" : "limit", v->why);
		v->act = CONF_MACT_ACCEPT;
	}
	if (pc != NULL) {
		trace(pc->c, c, m, qs[Q_UID].used ? qs[Q_UID].value : "", v);
		pool_put(a->pool, pc, pc->c->err == 0);
	}
	limiter_free(qs[Q_UID].lim);
}
