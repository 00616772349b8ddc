/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * verdict - subjects, exemptions, the limiter or the fallback per
 * subject, and their combined decision.
 *
 * Entry points: verdict_init, verdict_members, verdict_add,
 * verdict_limiter, verdict_settle, verdict_fallback, verdict_decide,
 * verdict_refund, verdict_line, verdict_block_line, verdict_why,
 * verdict_bad_reply, verdict_follow, verdict_followed,
 * verdict_durable_line, verdict_free. Order (DESIGN.md): exempt subjects are skipped; a block
 * on any subject wins over a limit, a limit over a Redis failure; the
 * first subject added wins a tie. A refused request takes back what it
 * counted on its other subjects; a dry run counts and refuses nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "topcount.h"
#include "verdict.h"

void
verdict_init(struct verdict *v, const struct conf *c, const char *by)
{
	memset(v, 0, sizeof(*v));
	v->c = c;
	v->by = by;
	v->share = 1;
}

void
verdict_free(struct verdict *v)
{
	int i;

	for (i = 0; i < v->n; i++) {
		limiter_free(v->sub[i].lim);
		free(v->sub[i].value);
	}
	free(v->ip);
	free(v->sender);
	v->n = 0;
	v->ip = v->sender = NULL;
}

int
verdict_members(struct verdict *v, const char *ip, const char *sender)
{
	/* a set member is the exact address, whatever the ip subject's
	 * prefix: two hosts of one /64 are two clients */
	static const struct subject_opts exact = {32, 128};
	char ipb[SUBJECT_VALUE_MAX], sb[SUBJECT_VALUE_MAX];

	if (subject_norm(SUBJECT_IP, ip, &exact, ipb, sizeof(ipb)) == -1)
		ipb[0] = '\0';
	if (subject_norm(
	        SUBJECT_SENDER, sender, &v->c->subject, sb, sizeof(sb)) == -1)
		sb[0] = '\0';
	free(v->ip);
	free(v->sender);
	v->ip = strdup(ipb);
	v->sender = strdup(sb);
	return v->ip != NULL && v->sender != NULL ? 0 : -1;
}

bool
verdict_limited(const struct conf *c, enum subject_type t)
{
	int i;

	for (i = 0; i < c->nlimits; i++)
		if (c->limits[i].subject == t)
			return true;
	return false;
}

int
verdict_add(struct verdict *v, enum subject_type t, const char *raw,
    const struct verdict_counts *n, char *why, size_t whysize)
{
	const struct conf *c = v->c;
	struct verdict_subject *s = &v->sub[v->n];
	char val[SUBJECT_VALUE_MAX], esc[96];
	bool counted_sasl = t == SUBJECT_SASL && n != NULL;

	why[0] = '\0';
	if (raw == NULL || raw[0] == '\0' || v->n == VERDICT_SUBJECTS)
		return 0;
	if (subject_norm(t, raw, &c->subject, val, sizeof(val)) == -1) {
		/* counted all the same: no value escapes its limit */
		if (subject_standin(t, raw, val, sizeof(val)) == -1)
			return -1;
		snprintf(why, whysize,
		    "%s subject \"%s\": not a valid value, counted as %s:%s",
		    subject_type_name(t),
		    str_escape(esc, sizeof(esc), raw, strlen(raw)),
		    subject_type_name(t), val);
	} else if ((t == SUBJECT_SASL && conf_exempt_user(c, val)) ||
	    (t == SUBJECT_IP &&
	        cidr_match(c->exempt_networks, c->nexempt_networks, raw)))
		return 0;
	memset(s, 0, sizeof(*s));
	if ((s->value = strdup(val)) == NULL)
		return -1;
	s->req.type = t;
	s->req.value = s->value;
	s->req.by = v->by;
	s->req.mode = c->dryrun ? LIMITER_DRYRUN : LIMITER_ENFORCE;
	s->req.block_only = n == NULL;
	s->req.wait_ms = v->wait_ms;
	if (n != NULL) {
		s->req.messages = n->messages;
		s->req.recipients = n->recipients;
		s->req.bytes = n->bytes;
		s->req.now_ms = n->now_ms;
	}
	s->req.ip = counted_sasl && v->ip != NULL ? v->ip : "";
	s->req.sender = counted_sasl && v->sender != NULL ? v->sender : "";
	v->n++;
	return 1;
}

struct limiter *
verdict_limiter(struct verdict *v, int i)
{
	struct verdict_subject *s = &v->sub[i];

	if (s->lim == NULL)
		s->lim = limiter_start(v->c, &s->req);
	return s->lim;
}

int
verdict_settle(struct verdict *v, int i, struct local *local, long long now)
{
	struct verdict_subject *s = &v->sub[i];
	struct limiter_result cached;
	const struct conf_limit *cl;

	if (s->lim == NULL)
		return -1;
	/* a block of ours no replica had, lost by a failover: again */
	if (local_lost(local, v->c, &s->req, v->gen, now, &cached)) {
		cl = conf_limit_find(v->c, cached.rule);
		limiter_restore(s->lim, &cached,
		    cl != NULL ? cl->block_ttl : v->c->block_ttl);
	}
	if (limiter_finish(s->lim, &s->res) == -1)
		return -1;
	local_note(local, &s->req, &s->res, now);
	/* who sends most (floodgate top): what Redis counted, refused or
	 * not, exempt not */
	if (s->res.status != LIMITER_EXEMPT)
		topcount_add(s->req.type, s->req.value,
		    limiter_messages(s->lim), s->res.now_ms);
	s->counted = s->res.status == LIMITER_PASS &&
	    s->req.mode == LIMITER_ENFORCE &&
	    (s->req.messages > 0 || s->req.recipients > 0 || s->req.bytes > 0);
	return 0;
}

void
verdict_fallback(struct verdict *v, int i, struct local *local, long long now)
{
	const struct conf *c = v->c;
	struct verdict_subject *s = &v->sub[i];

	memset(&s->res, 0, sizeof(s->res));
	s->counted = false;
	s->degraded = true;
	if (local_blocked(local, c, &s->req, now, &s->res))
		return;
	switch (c->redis.on_failure) {
	case CONF_FAIL_LOCAL:
		if (!s->req.block_only &&
		    local_check(local, c, &s->req, now, v->share, &s->res) ==
		        -1)
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

/* verdict_block_action - the block action of the rule that wrote a block
 * (an admin's or another config's rule: the global one) */
static const char *
verdict_block_action(const struct conf *c, const char *rule)
{
	const struct conf_limit *l = conf_limit_find(c, rule);

	return l != NULL ? l->block_action : c->block_action;
}

void
verdict_decide(const struct verdict *v, struct verdict_decision *d)
{
	const struct conf *c = v->c;
	int i, blk = -1, over = -1, fail = -1;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < v->n; i++) {
		const struct verdict_subject *s = &v->sub[i];

		d->degraded |= s->degraded;
		if (s->failed && fail == -1)
			fail = i;
		switch (s->res.status) {
		case LIMITER_BLOCKED:
		case LIMITER_BLOCK_NOW:
			if (blk == -1)
				blk = i;
			break;
		case LIMITER_OVER:
		case LIMITER_OVER_BLOCK:
			if (over == -1)
				over = i;
			break;
		default:
			break;
		}
	}
	d->enforced = !c->dryrun;
	if (blk != -1) {
		d->kind = VERDICT_BLOCKED;
		d->sub = blk;
		d->action = verdict_block_action(c, v->sub[blk].res.rule);
		d->mact = c->milter.on_block;
	} else if (over != -1) {
		const struct conf_limit *l =
		    conf_limit_find(c, v->sub[over].res.rule);

		d->kind = VERDICT_OVER;
		d->sub = over;
		d->action = l != NULL ? l->action : CONF_DEFAULT_ACTION;
		d->mact = c->milter.on_limit;
	} else if (fail != -1) {
		d->kind = VERDICT_FAILURE;
		d->sub = fail;
		d->action = c->redis.failure_action;
		d->mact = CONF_MACT_TEMPFAIL;
	} else {
		d->kind = VERDICT_PASS;
		d->sub = -1;
		d->action = "DUNNO";
		d->mact = CONF_MACT_ACCEPT;
	}
}

bool
verdict_refund(struct verdict *v, const struct verdict_decision *d, int i)
{
	struct verdict_subject *s = &v->sub[i];

	if (d->kind == VERDICT_PASS || !d->enforced || !s->counted ||
	    s->lim == NULL)
		return false;
	s->counted = false;
	return limiter_refund(s->lim) == 0 && limiter_ncmd(s->lim) > 0;
}

/* verdict_rule - the rule as an unquoted field (a block hash's rule is
 * anyone's with Redis access); "-" for none */
static const char *
verdict_rule(const struct verdict_subject *s, char *buf, size_t size)
{
	if (s->res.rule[0] == '\0')
		return "-";
	return str_escape_word(buf, size, s->res.rule, strlen(s->res.rule));
}

void
verdict_bad_reply(const struct verdict *v, int i, int cmd, const redisReply *r,
    char *buf, size_t size)
{
	const struct verdict_subject *s = &v->sub[i];
	const char *const *argv;
	const size_t *len;
	char esc[160];
	int argc;

	limiter_cmd(s->lim, cmd, &argc, &argv, &len);
	snprintf(buf, size, "%s:%s decided locally: %s %s (%.100s)",
	    subject_type_name(s->req.type),
	    str_escape_word(
	        esc, sizeof(esc), s->req.value, strlen(s->req.value)),
	    argv[0], argc > 1 ? argv[1] : "",
	    r == NULL                          ? "no reply"
	        : r->type == REDIS_REPLY_ERROR ? r->str
	                                       : "a reply of the wrong shape");
}

/* verdict_fields - subject="t:v" what="w" value=V limit=L, escaped */
static void
verdict_fields(const struct verdict_subject *s, char *buf, size_t size)
{
	char subj[160], what[200];

	str_escape(subj, sizeof(subj), s->req.value, strlen(s->req.value));
	str_escape(what, sizeof(what), s->res.what, strlen(s->res.what));
	snprintf(buf, size,
	    "subject=\"%s:%s\" what=\"%s\" value=%lld "
	    "limit=%lld",
	    subject_type_name(s->req.type), subj, what, s->res.value,
	    s->res.limit);
}

bool
verdict_line(const struct verdict *v, const struct verdict_decision *d,
    char *buf, size_t size)
{
	static const char *const kind[] = {
	    "pass", "blocked", "over", "failure"};
	const struct verdict_subject *s;
	char fields[512], act[32], rule[CONF_NAME_MAX * 4];
	size_t n;

	if (d->kind == VERDICT_PASS)
		return false;
	s = &v->sub[d->sub];
	n = strcspn(d->action, " ");
	snprintf(act, sizeof(act), "%.*s", (int)(n < 31 ? n : 31), d->action);
	verdict_fields(s, fields, sizeof(fields));
	snprintf(buf, size, "%saction=%s decision=%s rule=%s %s",
	    d->enforced ? "" : "dryrun=1 ", act, kind[d->kind],
	    verdict_rule(s, rule, sizeof(rule)), fields);
	return true;
}

bool
verdict_block_line(const struct verdict *v, int i, char *buf, size_t size)
{
	const struct verdict_subject *s = &v->sub[i];
	char fields[512], rule[CONF_NAME_MAX * 4];

	if (s->res.status != LIMITER_OVER_BLOCK &&
	    s->res.status != LIMITER_BLOCK_NOW)
		return false;
	verdict_fields(s, fields, sizeof(fields));
	snprintf(buf, size, "%sevent=block rule=%s %s",
	    v->c->dryrun ? "dryrun=1 " : "",
	    verdict_rule(s, rule, sizeof(rule)), fields);
	return true;
}

void
verdict_why(const struct verdict *v, const struct verdict_decision *d,
    char *buf, size_t size)
{
	const struct verdict_subject *s;

	buf[0] = '\0';
	if (d->kind == VERDICT_PASS)
		return;
	s = &v->sub[d->sub];
	if (d->kind == VERDICT_BLOCKED)
		snprintf(buf, size, "%s:%.60s blocked: %.80s",
		    subject_type_name(s->req.type), s->req.value, s->res.what);
	else if (d->kind == VERDICT_OVER)
		snprintf(buf, size, "%s:%.60s over limit %s: %.20s %lld > %lld",
		    subject_type_name(s->req.type), s->req.value, s->res.rule,
		    s->res.what, s->res.value, s->res.limit);
	else
		snprintf(buf, size, "%s", s->res.what);
}

int
verdict_follow(struct verdict *v, int i, int cmd, const redisReply *r)
{
	return v->sub[i].lim != NULL ? limiter_follow(v->sub[i].lim, cmd, r)
	                             : -1;
}

void
verdict_followed(struct verdict *v, int i, struct local *local)
{
	const struct verdict_subject *s = &v->sub[i];

	if (s->lim != NULL && limiter_waited(s->lim))
		local_unconfirmed(
		    local, &s->req, v->gen, limiter_unconfirmed(s->lim));
}

bool
verdict_notify(const struct verdict *v, int i, struct notify_block *b)
{
	const struct verdict_subject *s = &v->sub[i];
	const char *reason;

	if (s->lim == NULL || (reason = limiter_notifies(s->lim)) == NULL)
		return false;
	memset(b, 0, sizeof(*b));
	b->type = s->req.type;
	str_lcpy(b->value, s->req.value, sizeof(b->value));
	str_lcpy(b->rule, s->res.rule, sizeof(b->rule));
	str_lcpy(b->reason, reason, sizeof(b->reason));
	b->count = s->res.value;
	b->limit = s->res.limit;
	b->at = s->res.now_ms / 1000;
	str_lcpy(b->by, v->by != NULL ? v->by : "", sizeof(b->by));
	return true;
}

bool
verdict_durable_line(const struct verdict *v, int i, char *buf, size_t size)
{
	const struct verdict_subject *s = &v->sub[i];
	char fields[512], rule[CONF_NAME_MAX * 4];
	bool restored, unconfirmed;

	if (s->lim == NULL)
		return false;
	restored = limiter_restored(s->lim);
	unconfirmed = limiter_unconfirmed(s->lim);
	if (!restored && !unconfirmed)
		return false;
	verdict_fields(s, fields, sizeof(fields));
	snprintf(buf, size, "event=%s rule=%s %s%s",
	    restored ? "block_rewritten" : "block_unconfirmed",
	    verdict_rule(s, rule, sizeof(rule)), fields,
	    restored ? " why=\"lost by Redis in a failover; written again "
	               "from this node's cache\""
	             : " why=\"no replica confirmed it in time; this node "
	               "writes it again if a failover loses it\"");
	return true;
}
