/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decide - from a parsed request to an access(5) action.
 *
 * Entry points: decide_new, decide_reconf, decide_request, decide_stats,
 * decide_free. Order (DESIGN.md): exempt subjects are skipped; a block on
 * any subject wins; then limits; never OK. Counting: RCPT counts one
 * recipient and, first in an instance, one message; DATA and
 * END-OF-MESSAGE count recipient_count and the message only when no RCPT
 * was seen for the instance, and END-OF-MESSAGE counts size as bytes.
 * A configuration stays alive (refcount) until its last request is done.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "decide.h"
#include "limiter.h"
#include "log.h"
#include "str.h"

#define NSUB 2

struct confref {
	struct conf *c;
	int refs;
};

struct decide {
	struct store *store;
	struct local *local;
	struct confref *cur;
	struct decide_stats st;
	bool degraded_logged;
};

struct dsub {
	struct dop *op;
	struct limiter_req req;
	char *value; /* normalised, in the op's pool */
	struct limiter_result res;
	bool counted_in_redis; /* PASS from Redis with increments */
	bool failed;           /* on_failure = defer applied */
	bool degraded;         /* decided without Redis */
	struct limiter *lim;   /* its commands; freed by finish */
	int ncmd, got;         /* commands of the round sent, replies in */
	bool bad;              /* a reply missing or of the wrong shape */
	bool following;        /* the round sent is the follow-ups */
};

struct dop {
	struct decide *d;
	struct confref *cr;
	struct decide_conn *dc;
	decide_cb *cb;
	void *arg;
	int pending;
	int nsub;
	struct dsub sub[NSUB];
	char *ip, *sender; /* normalised, in pool */
	char *pool;        /* the request's strings, exactly sized */
	char client[64];
	char instance[64];
	char sasl[128];
	enum request_state state;
	long long messages;
};

static void on_part(const redisReply *, void *);
static void refund_reply(const redisReply *, void *);
static int send_round(struct store *, struct dsub *, store_cb *, void *);

static void
confref_drop(struct confref *cr)
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
	confref_drop(d->cur);
	free(d);
}

/* decide_reconf - take ownership of c; the old one lives on while used */
void
decide_reconf(struct decide *d, struct conf *c)
{
	struct confref *cr = calloc(1, sizeof(*cr));

	if (cr == NULL) {
		log_warnx("reload: out of memory, keeping the old config");
		conf_free(c);
		return;
	}
	cr->c = c;
	cr->refs = 1;
	confref_drop(d->cur);
	d->cur = cr;
	local_clear(d->local);
}

const struct conf *
decide_conf(const struct decide *d)
{
	return d->cur->c;
}

void
decide_stats(const struct decide *d, struct decide_stats *out)
{
	*out = d->st;
}

/* block_action - the block action of the rule that wrote a block */
static const char *
block_action(const struct conf *c, const char *rule)
{
	const struct conf_limit *l = conf_limit_find(c, rule);

	return l != NULL ? l->block_action : c->block_action;
}

/* log_block - the line of a block this request wrote */
static void
log_block(const struct dop *op, const struct dsub *s, bool dry)
{
	char subj[160], what[200];

	str_escape(subj, sizeof(subj), s->req.value, strlen(s->req.value));
	str_escape(what, sizeof(what), s->res.what, strlen(s->res.what));
	log_info("%sevent=block rule=%s subject=\"%s:%s\" what=\"%s\" "
	         "value=%lld limit=%lld client=%s",
	    dry ? "dryrun=1 " : "", s->res.rule, subject_type_name(s->req.type),
	    subj, what, s->res.value, s->res.limit, op->client);
}

/* log_decision - one key=value line for a non-DUNNO decision */
static void
log_decision(const struct dop *op, const struct dsub *s, const char *kind,
    const char *action, bool dry)
{
	char subj[160], what[200], act[32];
	size_t n = strcspn(action, " ");

	snprintf(act, sizeof(act), "%.*s", (int)(n < 31 ? n : 31), action);
	str_escape(subj, sizeof(subj), s->req.value, strlen(s->req.value));
	str_escape(what, sizeof(what), s->res.what, strlen(s->res.what));
	log_info(
	    "%saction=%s decision=%s rule=%s subject=\"%s:%s\" what=\"%s\" "
	    "value=%lld limit=%lld client=%s sasl=%s instance=%s state=%s%s",
	    dry ? "dryrun=1 " : "", act, kind,
	    s->res.rule[0] ? s->res.rule : "-", subject_type_name(s->req.type),
	    subj, what, s->res.value, s->res.limit, op->client,
	    op->sasl[0] ? op->sasl : "-", op->instance[0] ? op->instance : "-",
	    request_state_name(op->state), s->degraded ? " degraded=1" : "");
}

/* finish - combine the subjects' results, answer, refund, free */
static void
finish(struct dop *op)
{
	const struct conf *c = op->cr->c;
	struct decide *d = op->d;
	struct dsub *blk = NULL, *over = NULL, *fail = NULL;
	const char *action = "DUNNO", *kind = NULL;
	char buf[CONF_ACTION_MAX + 16];
	int i;

	for (i = 0; i < op->nsub; i++) {
		struct dsub *s = &op->sub[i];

		if (s->failed && fail == NULL)
			fail = s;
		switch (s->res.status) {
		case LIMITER_BLOCKED:
		case LIMITER_BLOCK_NOW:
			if (blk == NULL)
				blk = s;
			break;
		case LIMITER_OVER:
		case LIMITER_OVER_BLOCK:
			if (over == NULL)
				over = s;
			break;
		default:
			break;
		}
		if (s->res.status == LIMITER_OVER_BLOCK ||
		    s->res.status == LIMITER_BLOCK_NOW)
			log_block(op, s, c->dryrun);
	}
	if (blk != NULL) {
		action = block_action(c, blk->res.rule);
		kind = "blocked";
		log_decision(op, blk, kind, action, c->dryrun);
		d->st.blocked++;
	} else if (over != NULL) {
		const struct conf_limit *l = conf_limit_find(c, over->res.rule);

		action = l != NULL ? l->action : CONF_DEFAULT_ACTION;
		kind = "over";
		log_decision(op, over, kind, action, c->dryrun);
		d->st.over++;
	} else if (fail != NULL) {
		action = c->redis.failure_action;
		kind = "failure";
		log_decision(op, fail, kind, action, c->dryrun);
		d->st.failed++;
	} else {
		d->st.dunno++;
	}
	if (c->dryrun)
		action = "DUNNO";
	if (strcmp(action, "DUNNO") == 0) {
		if (op->messages > 0 && op->dc != NULL)
			op->dc->counted = true;
	} else {
		/* refused: take back what other subjects counted */
		for (i = 0; i < op->nsub; i++) {
			struct dsub *s = &op->sub[i];

			if (s->counted_in_redis &&
			    (limiter_refund(s->lim) == -1 ||
			        send_round(d->store, s, refund_reply, NULL) ==
			            -1))
				log_debug(
				    "refund of %s not sent", s->req.value);
		}
	}
	for (i = 0; i < op->nsub; i++)
		limiter_free(op->sub[i].lim);
	free(op->pool);
	snprintf(buf, sizeof(buf), "%s", action);
	op->cb(op->arg, buf);
	confref_drop(op->cr);
	free(op);
}

/* sub_fallback - Redis unusable for this subject: on_failure policy */
static void
sub_fallback(struct dop *op, struct dsub *s)
{
	const struct conf *c = op->cr->c;
	struct decide *d = op->d;
	long long now = clock_mono_ms();

	d->st.degraded++;
	s->degraded = true;
	if (local_blocked(d->local, c, &s->req, now, &s->res))
		return;
	switch (c->redis.on_failure) {
	case CONF_FAIL_LOCAL:
		if (local_check(d->local, c, &s->req, now, &s->res) == -1)
			memset(&s->res, 0, sizeof(s->res));
		break;
	case CONF_FAIL_DEFER:
		s->failed = true;
		str_lcpy(s->res.what, "redis unavailable", sizeof(s->res.what));
		break;
	case CONF_FAIL_DUNNO:
		break;
	}
}

static void
sub_done(struct dop *op)
{
	if (--op->pending == 0)
		finish(op);
}

/* lim_cmd - store_pipeline's view of the limiter's commands */
static void
lim_cmd(
    void *l, int i, int *argc, const char *const **argv, const size_t **argvlen)
{
	limiter_cmd(l, i, argc, argv, argvlen);
}

/* send_round - the limiter's commands laid out now, pipelined; each reply
 * goes to cb(reply, arg) (arg NULL: s); -1 when none was sent */
static int
send_round(struct store *st, struct dsub *s, store_cb *cb, void *arg)
{
	s->ncmd = limiter_ncmd(s->lim);
	s->got = 0;
	return store_pipeline(
	    st, s->ncmd, lim_cmd, s->lim, cb, arg != NULL ? arg : s);
}

/* on_part - one reply of a subject's round trip; the last one decides */
static void
on_part(const redisReply *r, void *arg)
{
	struct dsub *s = arg;
	struct dop *op = s->op;

	if (!s->following && !s->bad && limiter_take(s->lim, s->got, r) == -1) {
		s->bad = true;
		if (r != NULL)
			log_warnx("redis: unexpected limiter reply (%s)",
			    r->type == REDIS_REPLY_ERROR ? r->str
			                                 : "bad shape");
	}
	if (s->following && r == NULL)
		s->bad = true;
	if (++s->got < s->ncmd)
		return;
	if (s->following) {
		if (s->bad)
			log_warnx("redis: follow-up of %s:%s not done (a block "
			          "or count may be missing)",
			    subject_type_name(s->req.type), s->req.value);
		sub_done(op);
		return;
	}
	if (s->bad || limiter_finish(s->lim, &s->res) == -1) {
		sub_fallback(op, s);
		sub_done(op);
		return;
	}
	local_note(op->d->local, &s->req, &s->res, clock_mono_ms());
	s->counted_in_redis = s->res.status == LIMITER_PASS &&
	    (s->req.messages > 0 || s->req.recipients > 0 ||
	        s->req.bytes > 0) &&
	    s->req.mode == LIMITER_ENFORCE;
	/* follow-ups (a block, the denial, rollover) land before the answer,
	 * so the next request on any node sees them */
	s->following = true;
	s->bad = false;
	if (limiter_ncmd(s->lim) == 0)
		sub_done(op);
	else if (send_round(op->d->store, s, on_part, NULL) == -1) {
		log_warnx("redis: follow-up of %s:%s not sent (a block or "
		          "count may be missing)",
		    subject_type_name(s->req.type), s->req.value);
		sub_done(op);
	}
}

/* refund_reply - nothing to do with a refund's answer */
static void
refund_reply(const redisReply *r, void *arg)
{
	(void)r;
	(void)arg;
}

/* sub_send - the subject's round trip; on failure the fallback */
static void
sub_send(struct dop *op, struct dsub *s)
{
	s->lim = limiter_start(op->cr->c, &s->req);
	if (s->lim == NULL ||
	    send_round(op->d->store, s, on_part, NULL) == -1) {
		sub_fallback(op, s);
		sub_done(op);
	}
}

/* add_sub - one subject of the request, unless refused or exempt; its
 * normalised value goes to buf (SUBJECT_VALUE_MAX) for now */
static void
add_sub(struct dop *op, enum subject_type t, const char *raw, char *buf)
{
	const struct conf *c = op->cr->c;
	struct dsub *s = &op->sub[op->nsub];
	char esc[96];
	int i;

	if (raw[0] == '\0')
		return;
	for (i = 0; i < c->nlimits; i++)
		if (c->limits[i].subject == t)
			break;
	if (i == c->nlimits)
		return; /* no limit counts this subject */
	s->value = buf;
	if (subject_norm(t, raw, &c->subject, s->value, SUBJECT_VALUE_MAX) ==
	    -1) {
		log_warnx("refused %s subject \"%s\" client=%s: not a valid "
		          "value",
		    subject_type_name(t),
		    str_escape(esc, sizeof(esc), raw, strlen(raw)), op->client);
		return;
	}
	if ((t == SUBJECT_SASL && conf_exempt_user(c, s->value)) ||
	    (t == SUBJECT_IP &&
	        cidr_match(c->exempt_networks, c->nexempt_networks, raw)))
		return;
	s->op = op;
	s->req.type = t;
	s->req.value = s->value;
	s->req.by = "policyd";
	s->req.mode = c->dryrun ? LIMITER_DRYRUN : LIMITER_ENFORCE;
	op->nsub++;
}

/* increments - what this request counts (see the file comment) */
static void
increments(struct decide_conn *dc, const struct request *r, long long *msgs,
    long long *rcpts, long long *bytes)
{
	*msgs = *rcpts = *bytes = 0;
	if (strcmp(dc->instance, r->attr[RA_INSTANCE]) != 0) {
		str_lcpy(
		    dc->instance, r->attr[RA_INSTANCE], sizeof(dc->instance));
		dc->counted = dc->rcpt = false;
	}
	switch (r->state) {
	case RS_RCPT:
		dc->rcpt = true;
		*rcpts = 1;
		*msgs = dc->counted ? 0 : 1;
		break;
	case RS_DATA:
	case RS_END_OF_MESSAGE:
		if (!dc->rcpt && !dc->counted) {
			*msgs = 1;
			*rcpts = r->rcpt_count;
		}
		if (r->state == RS_END_OF_MESSAGE)
			*bytes = r->msgsize;
		break;
	default:
		break; /* blocks are still checked */
	}
}

/* keep - s copied at *p (sized by the caller); the copy */
static char *
keep(char **p, const char *s)
{
	char *d = *p;
	size_t n = strlen(s) + 1;

	memcpy(d, s, n);
	*p += n;
	return d;
}

/* decide_request - start deciding; cb(arg, action) runs exactly once */
void
decide_request(struct decide *d, struct decide_conn *dc,
    const struct request *r, decide_cb *cb, void *arg)
{
	struct dop *op = calloc(1, sizeof(*op));
	char ipb[SUBJECT_VALUE_MAX], sb[SUBJECT_VALUE_MAX];
	char vb[NSUB][SUBJECT_VALUE_MAX], *p;
	long long m, rc, b;
	size_t n;
	int i;

	d->st.requests++;
	if (op == NULL) {
		log_warnx("out of memory: answering DUNNO");
		cb(arg, "DUNNO");
		return;
	}
	op->d = d;
	op->cr = d->cur;
	op->cr->refs++;
	op->dc = dc;
	op->cb = cb;
	op->arg = arg;
	op->state = r->state;
	str_escape(op->client, sizeof(op->client), r->attr[RA_CLIENT_ADDRESS],
	    strlen(r->attr[RA_CLIENT_ADDRESS]));
	str_escape(op->instance, sizeof(op->instance), r->attr[RA_INSTANCE],
	    strlen(r->attr[RA_INSTANCE]));
	str_escape(op->sasl, sizeof(op->sasl), r->attr[RA_SASL_USERNAME],
	    strlen(r->attr[RA_SASL_USERNAME]));
	increments(dc, r, &m, &rc, &b);
	op->messages = m;
	if (subject_norm(SUBJECT_IP, r->attr[RA_CLIENT_ADDRESS],
	        &(struct subject_opts){32, 128}, ipb, sizeof(ipb)) == -1)
		ipb[0] = '\0';
	if (subject_norm(SUBJECT_SENDER, r->attr[RA_SENDER],
	        &op->cr->c->subject, sb, sizeof(sb)) == -1)
		sb[0] = '\0';
	add_sub(op, SUBJECT_SASL, r->attr[RA_SASL_USERNAME], vb[op->nsub]);
	add_sub(op, SUBJECT_IP, r->attr[RA_CLIENT_ADDRESS], vb[op->nsub]);
	/* the strings, exactly sized: a thousand requests in flight must not
	 * each hold four maximal buffers */
	n = strlen(ipb) + strlen(sb) + 2;
	for (i = 0; i < op->nsub; i++)
		n += strlen(vb[i]) + 1;
	if ((op->pool = p = malloc(n)) == NULL) {
		log_warnx("out of memory: answering DUNNO");
		op->nsub = 0;
		op->pending = 1;
		sub_done(op);
		return;
	}
	op->ip = keep(&p, ipb);
	op->sender = keep(&p, sb);
	for (i = 0; i < op->nsub; i++) {
		op->sub[i].value = keep(&p, vb[i]);
		op->sub[i].req.value = op->sub[i].value;
	}
	op->pending = op->nsub + 1; /* +1: finish only after the loop */
	for (i = 0; i < op->nsub; i++) {
		struct dsub *s = &op->sub[i];

		s->req.messages = m;
		s->req.recipients = rc;
		s->req.bytes = b;
		if (s->req.type == SUBJECT_SASL) {
			s->req.ip = op->ip;
			s->req.sender = op->sender;
		} else {
			s->req.ip = s->req.sender = "";
		}
		if (store_up(d->store)) {
			sub_send(op, s);
		} else {
			sub_fallback(op, s);
			sub_done(op);
		}
	}
	sub_done(op);
}
