/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decide - policyd's async driver of the verdict (common/verdict.h).
 *
 * Entry points: decide_new, decide_reconf, decide_request, decide_stats,
 * decide_set_metrics, decide_set_notify,
 * decide_free. Each subject's round trips are their own pipeline on the
 * one async connection, so no subject waits for another's; the verdict
 * decides (never OK). Counting: RCPT counts one
 * recipient and, first in an instance, one message; DATA and
 * END-OF-MESSAGE count recipient_count and the message only when no RCPT
 * was seen for the instance, and END-OF-MESSAGE counts size as bytes.
 * A configuration stays alive (refcount) until its last request is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "beat.h"
#include "clock.h"
#include "decide.h"
#include "log.h"
#include "rconn.h"
#include "str.h"
#include "verdict.h"

/* warnings Redis or clients can repeat: a line a minute each */
static struct ratelog decide_rl_reply = RATELOG_INIT,
                      decide_rl_follow = RATELOG_INIT,
                      decide_rl_refused = RATELOG_INIT,
                      decide_rl_oom = RATELOG_INIT;

struct decide_confref {
	struct conf *c;
	int refs;
};

struct decide {
	struct store *store;
	struct local *local;
	struct decide_confref *cur;
	struct decide_stats st;
	struct metrics *m;
	struct notify *notify; /* NULL: none */
};

/* one subject's round trips on the async connection */
struct decide_part {
	struct decide_op *op;
	int sub;        /* its index in op->v */
	int ncmd, got;  /* commands of the round sent, replies in */
	bool bad;       /* a reply missing or of the wrong shape */
	bool following; /* the round sent is the follow-ups */
};

/* one request being decided */
struct decide_op {
	struct decide *d;
	struct decide_confref *cr;
	struct decide_conn *dc;
	decide_cb *cb;
	void *arg;
	int pending;
	struct verdict v;
	struct decide_part part[VERDICT_SUBJECTS];
	char client[64], instance[64], sasl[128];
	enum request_state state;
	long long messages;
	long long t0_us; /* when the request was read */
	int refunding;   /* refund commands not answered yet */
	bool answered;   /* cb ran */
};

static void decide_reply(const redisReply *, int, void *);

static void
decide_confref_drop(struct decide_confref *cr)
{
	if (--cr->refs == 0) {
		conf_free(cr->c);
		free(cr);
	}
}

struct decide *
decide_new(struct store *s, struct local *l, struct conf *c)
{
	struct decide *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->cur = calloc(1, sizeof(*d->cur))) == NULL) {
		free(d);
		return NULL;
	}
	d->store = s;
	d->local = l;
	d->cur->c = c;
	d->cur->refs = 1;
	return d;
}

void
decide_free(struct decide *d)
{
	if (d == NULL)
		return;
	decide_confref_drop(d->cur);
	free(d);
}

/* decide_reconf - take ownership of c; the old one lives on while used */
void
decide_reconf(struct decide *d, struct conf *c)
{
	struct decide_confref *cr = calloc(1, sizeof(*cr));

	if (cr == NULL) {
		log_warnx("reload: out of memory, keeping the old config");
		conf_free(c);
		return;
	}
	cr->c = c;
	cr->refs = 1;
	decide_confref_drop(d->cur);
	d->cur = cr;
	local_clear(d->local);
}

const struct conf *
decide_conf(const struct decide *d)
{
	return d->cur->c;
}

/* decide_now_us - the monotonic clock in microseconds */
static long long
decide_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
decide_set_notify(struct decide *d, struct notify *n)
{
	d->notify = n;
}

void
decide_set_metrics(struct decide *d, struct metrics *m)
{
	d->m = m;
}

void
decide_stats(const struct decide *d, struct decide_stats *out)
{
	*out = d->st;
}

/* decide_cmd - store_pipeline's view of a limiter's commands */
static void
decide_cmd(
    void *l, int i, int *argc, const char *const **argv, const size_t **argvlen)
{
	limiter_cmd(l, i, argc, argv, argvlen);
}

/* decide_send - the commands the subject's limiter laid out now,
 * pipelined; each reply to cb (part as arg); -1 when none was sent */
static int
decide_send(struct decide_part *p, store_cb *cb)
{
	struct limiter *l = p->op->v.sub[p->sub].lim;

	p->ncmd = limiter_ncmd(l);
	p->got = 0;
	return store_pipeline(p->op->d->store, p->ncmd, decide_cmd, l, cb, p);
}

/* decide_op_free - the op, its verdict and its config reference */
static void
decide_op_free(struct decide_op *op)
{
	verdict_free(&op->v);
	decide_confref_drop(op->cr);
	free(op);
}

/* decide_ignore - a refund's answer: the last one frees the op */
static void
decide_ignore(const redisReply *r, int i, void *arg)
{
	struct decide_part *p = arg;

	(void)r;
	(void)i;
	if (--p->op->refunding == 0 && p->op->answered)
		decide_op_free(p->op);
}

/* decide_finish - the decision: log it, refund, answer, free */
static void
decide_finish(struct decide_op *op)
{
	struct decide *d = op->d;
	struct verdict *v = &op->v;
	struct verdict_decision vd;
	const char *action;
	char line[VERDICT_LINE_MAX], buf[CONF_ACTION_MAX + 16];
	int i, n;

	verdict_decide(v, &vd);
	for (i = 0; i < v->n; i++) {
		if (verdict_block_line(v, i, line, sizeof(line))) {
			log_info("%s client=%s", line, op->client);
			if (d->m != NULL && !v->c->dryrun)
				metrics_block(d->m, v->sub[i].res.rule);
		}
		if (verdict_durable_line(v, i, line, sizeof(line)))
			log_warnx("%s client=%s", line, op->client);
	}
	if (verdict_line(v, &vd, line, sizeof(line)))
		log_info("%s client=%s sasl=%s instance=%s state=%s%s", line,
		    op->client, op->sasl[0] ? op->sasl : "-",
		    op->instance[0] ? op->instance : "-",
		    request_state_name(op->state),
		    vd.degraded ? " degraded=1" : "");
	switch (vd.kind) {
	case VERDICT_BLOCKED:
		d->st.blocked++;
		break;
	case VERDICT_OVER:
		d->st.over++;
		break;
	case VERDICT_FAILURE:
		d->st.failed++;
		break;
	default:
		d->st.dunno++;
	}
	action = vd.enforced ? vd.action : "DUNNO";
	if (d->m != NULL) {
		static const char *const kind[] = {
		    "pass", "blocked", "over", "failure"};

		if (vd.kind != VERDICT_PASS)
			metrics_decision(
			    d->m, v->sub[vd.sub].res.rule, kind[vd.kind]);
		metrics_answer(d->m, op->state, action,
		    (uint64_t)(decide_now_us() - op->t0_us));
	}
	if (strcmp(action, "DUNNO") == 0) {
		if (op->messages > 0 && op->dc != NULL)
			op->dc->counted = true;
	} else
		/* refused: take back what other subjects counted */
		for (i = 0; i < v->n; i++)
			if (verdict_refund(v, &vd, i)) {
				/* counted first: a command no link takes is
				 * answered inside the send */
				n = limiter_ncmd(v->sub[i].lim);
				op->refunding += n;
				if (decide_send(&op->part[i], decide_ignore) ==
				    -1) {
					op->refunding -= n;
					log_debug("refund of %s not sent",
					    v->sub[i].req.value);
				}
			}
	snprintf(buf, sizeof(buf), "%s", action);
	op->cb(op->arg, buf);
	op->answered = true;
	/* a refund redirected in a cluster reads its limiter again: the
	 * op lives until every refund command is answered */
	if (op->refunding == 0)
		decide_op_free(op);
}

/* decide_done - one subject decided; the last one finishes */
static void
decide_done(struct decide_op *op)
{
	if (--op->pending == 0)
		decide_finish(op);
}

/* decide_fallback - Redis unusable for subject i: on_failure policy */
static void
decide_fallback(struct decide_op *op, int i)
{
	op->d->st.degraded++;
	verdict_fallback(&op->v, i, op->d->local, clock_mono_ms());
	decide_done(op);
}

/* decide_reply - one reply of a subject's round; the last one decides */
static void
decide_reply(const redisReply *r, int i, void *arg)
{
	struct decide_part *p = arg;
	struct decide_op *op = p->op;
	struct verdict_subject *s = &op->v.sub[p->sub];
	char line[VERDICT_LINE_MAX];

	/* a reply that says Redis cannot serve: the store's state */
	if (!p->following && !p->bad && limiter_take(s->lim, i, r) == -1) {
		p->bad = true;
		if (r != NULL && !rconn_reply_failing(r)) { /* this subject's */
			verdict_bad_reply(
			    &op->v, p->sub, i, r, line, sizeof(line));
			log_warnx_every(&decide_rl_reply, "redis: %s", line);
		}
	}
	if (p->following && !p->bad &&
	    verdict_follow(&op->v, p->sub, i, r) == -1) {
		p->bad = true;
		if (!rconn_reply_failing(r))
			log_warnx_every(&decide_rl_follow,
			    "redis: follow-up of %s:%s not done (a block or "
			    "count may be missing): %.100s",
			    subject_type_name(s->req.type), s->req.value,
			    r == NULL                          ? "no reply"
			        : r->type == REDIS_REPLY_ERROR ? r->str
			                                       : "bad reply");
	}
	if (++p->got < p->ncmd)
		return;
	if (p->following) {
		struct notify_block nb;

		verdict_followed(&op->v, p->sub, op->d->local);
		if (verdict_notify(&op->v, p->sub, &nb))
			notify_push(op->d->notify, &nb);
		decide_done(op);
		return;
	}
	if (p->bad ||
	    verdict_settle(&op->v, p->sub, op->d->local, clock_mono_ms()) ==
	        -1) {
		decide_fallback(op, p->sub);
		return;
	}
	/* follow-ups (a block, the denial, rollover) land before the answer,
	 * so the next request on any node sees them */
	p->following = true;
	p->bad = false;
	if (limiter_ncmd(s->lim) == 0)
		decide_done(op);
	else if (decide_send(p, decide_reply) == -1) {
		log_warnx_every(&decide_rl_follow,
		    "redis: follow-up of %s:%s not sent (a block or count "
		    "may be missing)",
		    subject_type_name(s->req.type), s->req.value);
		decide_done(op);
	}
}

/* decide_increments - what this request counts (see the file comment) */
static void
decide_increments(
    struct decide_conn *dc, const struct request *r, struct verdict_counts *n)
{
	memset(n, 0, sizeof(*n));
	if (strcmp(dc->instance, r->attr[RA_INSTANCE]) != 0) {
		str_lcpy(
		    dc->instance, r->attr[RA_INSTANCE], sizeof(dc->instance));
		dc->counted = dc->rcpt = false;
	}
	switch (r->state) {
	case RS_RCPT:
		dc->rcpt = true;
		n->recipients = 1;
		n->messages = dc->counted ? 0 : 1;
		break;
	case RS_DATA:
	case RS_END_OF_MESSAGE:
		if (!dc->rcpt && !dc->counted) {
			n->messages = 1;
			n->recipients = r->rcpt_count;
		}
		if (r->state == RS_END_OF_MESSAGE)
			n->bytes = r->msgsize;
		break;
	default:
		break; /* blocks are still checked */
	}
}

/* decide_subject - a subject of the request, when some limit counts it */
static void
decide_subject(struct decide_op *op, enum subject_type t, const char *raw,
    const struct verdict_counts *n)
{
	char why[SUBJECT_RAW_MAX];

	if (!verdict_limited(op->cr->c, t))
		return;
	if (verdict_add(&op->v, t, raw, n, why, sizeof(why)) == -1)
		log_warnx_every(&decide_rl_oom,
		    "out of memory: a %s subject not counted",
		    subject_type_name(t));
	else if (why[0] != '\0')
		log_warnx_every(
		    &decide_rl_refused, "%s client=%s", why, op->client);
}

/* decide_request - start deciding; cb(arg, action) runs exactly once */
void
decide_request(struct decide *d, struct decide_conn *dc,
    const struct request *r, decide_cb *cb, void *arg)
{
	struct decide_op *op = calloc(1, sizeof(*op));
	struct verdict_counts n;
	int i;

	d->st.requests++;
	if (op == NULL) {
		log_warnx_every(
		    &decide_rl_oom, "out of memory: answering DUNNO");
		cb(arg, "DUNNO");
		return;
	}
	op->d = d;
	op->t0_us = decide_now_us();
	op->cr = d->cur;
	op->cr->refs++;
	op->dc = dc;
	op->cb = cb;
	op->arg = arg;
	op->state = r->state;
	/* unquoted log fields: nothing a client sends may forge another */
	str_escape_word(op->client, sizeof(op->client),
	    r->attr[RA_CLIENT_ADDRESS], strlen(r->attr[RA_CLIENT_ADDRESS]));
	str_escape_word(op->instance, sizeof(op->instance),
	    r->attr[RA_INSTANCE], strlen(r->attr[RA_INSTANCE]));
	str_escape_word(op->sasl, sizeof(op->sasl), r->attr[RA_SASL_USERNAME],
	    strlen(r->attr[RA_SASL_USERNAME]));
	decide_increments(dc, r, &n);
	op->messages = n.messages;
	verdict_init(&op->v, op->cr->c, "policyd");
	op->v.share =
	    beat_share(op->cr->c->redis.degraded_share, store_nodes(d->store));
	op->v.gen = store_gen(d->store);
	op->v.wait_ms = rconn_wait_ms(op->cr->c, store_replicas(d->store));
	op->pending = 1; /* finish only after the loop */
	if (verdict_members(
	        &op->v, r->attr[RA_CLIENT_ADDRESS], r->attr[RA_SENDER]) == -1) {
		log_warnx_every(
		    &decide_rl_oom, "out of memory: answering DUNNO");
		decide_done(op);
		return;
	}
	decide_subject(op, SUBJECT_SASL, r->attr[RA_SASL_USERNAME], &n);
	decide_subject(op, SUBJECT_IP, r->attr[RA_CLIENT_ADDRESS], &n);
	op->pending += op->v.n;
	for (i = 0; i < op->v.n; i++) {
		struct decide_part *p = &op->part[i];

		p->op = op;
		p->sub = i;
		if (!store_up(d->store) || verdict_limiter(&op->v, i) == NULL ||
		    decide_send(p, decide_reply) == -1)
			decide_fallback(op, i);
	}
	decide_done(op);
}
