/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * verdict - the decision both daemons share, as a table (pgbouncer's
 * hba_test shape): each row gives the state of the request's subjects
 * (sasl, ip), the on_failure policy and dry-run, and expects the action,
 * the milter's action, the decision line and how many subjects a refusal
 * takes back. Redis' replies are made by hand from each command laid out,
 * so no daemon and no Redis run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redisreply.h"
#include "str.h"
#include "tap.h"
#include "verdict.h"

enum state {
	UNDER,     /* counted, under every limit */
	OVER,      /* over its limit */
	OVERBLOCK, /* over, and this denial blocks it */
	BLOCKED,   /* a block hash is there (an admin's) */
	EXEMPT,    /* exempt in Redis */
	FAILED,    /* Redis failed this subject */
	ABSENT,    /* not in the request, or exempt by the config */
};

static const struct row {
	enum state sasl, ip;
	enum conf_failure on_failure;
	bool dryrun;
	const char *action; /* the access(5) action's first word */
	enum conf_mact mact;
	const char *line; /* verdict_line; "" none (pass) */
	int refunds;
} rows[] = {
    {UNDER, UNDER, CONF_FAIL_LOCAL, false, "DUNNO", CONF_MACT_ACCEPT, "", 0},
    {OVER, UNDER, CONF_FAIL_LOCAL, false, "DEFER_IF_PERMIT", CONF_MACT_REJECT,
        "action=DEFER_IF_PERMIT decision=over rule=sasl-hour "
        "subject=\"sasl:alice@example.com\" what=\"messages\" value=11 "
        "limit=10",
        1},
    {UNDER, OVER, CONF_FAIL_LOCAL, false, "DEFER_IF_PERMIT", CONF_MACT_REJECT,
        "action=DEFER_IF_PERMIT decision=over rule=ip-hour "
        "subject=\"ip:192.0.2.7\" what=\"messages\" value=11 limit=10",
        1},
    {OVER, OVER, CONF_FAIL_LOCAL, false, "DEFER_IF_PERMIT", CONF_MACT_REJECT,
        "action=DEFER_IF_PERMIT decision=over rule=sasl-hour "
        "subject=\"sasl:alice@example.com\" what=\"messages\" value=11 "
        "limit=10",
        0},
    {BLOCKED, OVER, CONF_FAIL_LOCAL, false, "REJECT", CONF_MACT_HOLD,
        "action=REJECT decision=blocked rule=admin "
        "subject=\"sasl:alice@example.com\" what=\"abuse??report\" "
        "value=7 limit=5",
        0},
    {UNDER, BLOCKED, CONF_FAIL_LOCAL, false, "REJECT", CONF_MACT_HOLD,
        "action=REJECT decision=blocked rule=admin "
        "subject=\"ip:192.0.2.7\" what=\"abuse??report\" value=7 limit=5",
        1},
    /* the denial that blocks still answers the limit's action */
    {OVERBLOCK, UNDER, CONF_FAIL_LOCAL, false, "DEFER_IF_PERMIT",
        CONF_MACT_REJECT,
        "action=DEFER_IF_PERMIT decision=over rule=sasl-hour "
        "subject=\"sasl:alice@example.com\" what=\"messages\" value=11 "
        "limit=10",
        1},
    {EXEMPT, OVER, CONF_FAIL_LOCAL, false, "DEFER_IF_PERMIT", CONF_MACT_REJECT,
        "action=DEFER_IF_PERMIT decision=over rule=ip-hour "
        "subject=\"ip:192.0.2.7\" what=\"messages\" value=11 limit=10",
        0},
    {EXEMPT, UNDER, CONF_FAIL_LOCAL, false, "DUNNO", CONF_MACT_ACCEPT, "", 0},
    {ABSENT, OVER, CONF_FAIL_LOCAL, false, "DEFER_IF_PERMIT", CONF_MACT_REJECT,
        "action=DEFER_IF_PERMIT decision=over rule=ip-hour "
        "subject=\"ip:192.0.2.7\" what=\"messages\" value=11 limit=10",
        0},
    {FAILED, UNDER, CONF_FAIL_LOCAL, false, "DUNNO", CONF_MACT_ACCEPT, "", 0},
    {FAILED, UNDER, CONF_FAIL_DUNNO, false, "DUNNO", CONF_MACT_ACCEPT, "", 0},
    {FAILED, UNDER, CONF_FAIL_DEFER, false, "DEFER_IF_PERMIT",
        CONF_MACT_TEMPFAIL,
        "action=DEFER_IF_PERMIT decision=failure rule=- "
        "subject=\"sasl:alice@example.com\" what=\"redis unavailable\" "
        "value=0 limit=0",
        1},
    {FAILED, OVER, CONF_FAIL_DEFER, false, "DEFER_IF_PERMIT", CONF_MACT_REJECT,
        "action=DEFER_IF_PERMIT decision=over rule=ip-hour "
        "subject=\"ip:192.0.2.7\" what=\"messages\" value=11 limit=10",
        0},
    {FAILED, BLOCKED, CONF_FAIL_DEFER, false, "REJECT", CONF_MACT_HOLD,
        "action=REJECT decision=blocked rule=admin "
        "subject=\"ip:192.0.2.7\" what=\"abuse??report\" value=7 limit=5",
        0},
    {OVER, UNDER, CONF_FAIL_LOCAL, true, "DEFER_IF_PERMIT", CONF_MACT_REJECT,
        "dryrun=1 action=DEFER_IF_PERMIT decision=over rule=sasl-hour "
        "subject=\"sasl:alice@example.com\" what=\"messages\" value=11 "
        "limit=10",
        0},
    {BLOCKED, UNDER, CONF_FAIL_LOCAL, true, "REJECT", CONF_MACT_HOLD,
        "dryrun=1 action=REJECT decision=blocked rule=admin "
        "subject=\"sasl:alice@example.com\" what=\"abuse??report\" "
        "value=7 limit=5",
        0},
};

static const char *const state_name[] = {
    "under", "over", "overblock", "blocked", "exempt", "failed", "absent"};

/* reply - what Redis answers command i for a subject in state st */
static redisReply *
reply(const struct limiter *l, int i, enum state st)
{
	static const char *const block[] = {"rule", "admin", "reason",
	    "abuse\r\nreport", "value", "7", "limit", "5"};
	const char *const *argv;
	const size_t *len;
	redisReply *r;
	int argc, a;

	limiter_cmd(l, i, &argc, &argv, &len);
	if (strcmp(argv[0], "HGETALL") == 0) {
		r = rarr_of(st == BLOCKED ? 8 : 0);
		for (a = 0; st == BLOCKED && a < 8; a++)
			r->element[a] = rstr(block[a]);
		return r;
	}
	if (strcmp(argv[0], "HMGET") == 0) {
		r = rarr_of((size_t)argc - 2);
		for (a = 2; a < argc; a++)
			r->element[a - 2] = rstr(
			    strcmp(argv[a], "exempt") == 0 && st == EXEMPT ? "1"
			        : strncmp(argv[a], "d:", 2) == 0 &&
			            st == OVERBLOCK
			        ? "5"
			        : NULL);
		return r;
	}
	return rnum(
	    strcmp(argv[0], "HINCRBY") == 0 && (st == OVER || st == OVERBLOCK)
	        ? 11
	        : 1);
}

/* feed - subject i through Redis in state st, or its fallback */
static int
feed(struct verdict *v, int i, enum state st, struct local *local)
{
	struct limiter *l = verdict_limiter(v, i);
	int j, bad = 0;

	if (l == NULL)
		return -1;
	if (st == FAILED) {
		verdict_fallback(v, i, local, 1000);
		return 0;
	}
	for (j = 0; j < limiter_ncmd(l); j++) {
		redisReply *r = reply(l, j, st);

		bad |= limiter_take(l, j, r) == -1;
		rfree(r);
	}
	return bad ? -1 : verdict_settle(v, i, local, 1000);
}

static void
conf_row(struct conf *c, const struct row *r)
{
	static char *exempt[] = {"boss@example.com"};
	struct conf_limit *l;

	memset(c, 0, sizeof(*c));
	str_lcpy(c->redis.prefix, "fg:", sizeof(c->redis.prefix));
	str_lcpy(c->node, "n1", sizeof(c->node));
	c->subject = (struct subject_opts){32, 64};
	str_lcpy(
	    c->block_action, "REJECT 5.7.1 blocked", sizeof(c->block_action));
	str_lcpy(c->redis.failure_action, "DEFER_IF_PERMIT 4.3.0 try later",
	    sizeof(c->redis.failure_action));
	c->redis.on_failure = r->on_failure;
	c->redis.block_cache_time = 300;
	c->dryrun = r->dryrun;
	c->exempt_users = exempt;
	c->nexempt_users = 1;
	c->milter.on_block = CONF_MACT_HOLD;
	c->milter.on_limit = CONF_MACT_REJECT;
	l = &c->limits[c->nlimits++];
	str_lcpy(l->name, "sasl-hour", sizeof(l->name));
	l->subject = SUBJECT_SASL;
	l->window = 3600;
	l->messages = 10;
	l->block_after = 3;
	str_lcpy(
	    l->action, "DEFER_IF_PERMIT 4.7.1 slow down", sizeof(l->action));
	str_lcpy(l->block_action, "HOLD blocked", sizeof(l->block_action));
	l = &c->limits[c->nlimits++];
	str_lcpy(l->name, "ip-hour", sizeof(l->name));
	l->subject = SUBJECT_IP;
	l->window = 3600;
	l->messages = 10;
	str_lcpy(
	    l->action, "DEFER_IF_PERMIT 4.7.1 slow down", sizeof(l->action));
	str_lcpy(l->block_action, "REJECT ip", sizeof(l->block_action));
}

static void
run_row(const struct row *r)
{
	static struct conf c;
	const struct verdict_counts n = {
	    .messages = 1, .recipients = 1, .now_ms = 1700000000000LL};
	struct local *local = local_new();
	struct verdict v;
	struct verdict_decision d;
	char name[128], line[VERDICT_LINE_MAX], why[128];
	int i, refunds = 0, bad = 0;

	conf_row(&c, r);
	snprintf(name, sizeof(name), "sasl %s, ip %s, on_failure %d%s",
	    state_name[r->sasl], state_name[r->ip], (int)r->on_failure,
	    r->dryrun ? ", dry run" : "");
	verdict_init(&v, &c, "policyd");
	bad |= verdict_members(&v, "192.0.2.7", "x@example.com") == -1;
	bad |= verdict_add(&v, SUBJECT_SASL,
	           r->sasl == ABSENT ? "boss@example.com" : "Alice@Example.COM",
	           &n, why, sizeof(why)) != (r->sasl == ABSENT ? 0 : 1);
	bad |=
	    verdict_add(&v, SUBJECT_IP, "192.0.2.7", &n, why, sizeof(why)) != 1;
	for (i = 0; i < v.n; i++)
		bad |= feed(&v, i,
		           v.sub[i].req.type == SUBJECT_SASL ? r->sasl : r->ip,
		           local) == -1;
	verdict_decide(&v, &d);
	for (i = 0; i < v.n; i++)
		refunds += verdict_refund(&v, &d, i);
	if (!verdict_line(&v, &d, line, sizeof(line)))
		line[0] = '\0';
	ok(!bad && strncmp(d.action, r->action, strlen(r->action)) == 0 &&
	        d.mact == r->mact && strcmp(line, r->line) == 0 &&
	        refunds == r->refunds && d.enforced == !r->dryrun,
	    "%s: %s", name, r->action);
	if (strcmp(line, r->line) != 0)
		printf("# line: %s\n", line);
	if (refunds != r->refunds || bad)
		printf("# refunds %d, bad %d\n", refunds, bad);
	verdict_free(&v);
	local_free(local);
}

/* the block line, the reason in words, an invalid subject */
static void
lines(void)
{
	static struct conf c;
	static const struct row r = {.sasl = OVERBLOCK};
	const struct verdict_counts n = {.messages = 1, .now_ms = 1};
	struct local *local = local_new();
	struct verdict v;
	struct verdict_decision d;
	char line[VERDICT_LINE_MAX], big[SUBJECT_RAW_MAX + 10], first[40];

	conf_row(&c, &r);
	verdict_init(&v, &c, "milter");
	/* no value escapes its limit: a refused one counts under a stand-in,
	 * the same for the same bytes on every node */
	is_int(
	    verdict_add(&v, SUBJECT_SASL, "evil\"\x01", &n, line, sizeof(line)),
	    1, "a subject with a control character is counted");
	ok(strncmp(line,
	       "sasl subject \"evil\\x22\\x01\": not a valid value, counted "
	       "as sasl:%!",
	       63) == 0,
	    "and the log says why, escaped, and under what");
	ok(strncmp(v.sub[0].req.value, "%!", 2) == 0 &&
	        strlen(v.sub[0].req.value) == 34,
	    "under a stand-in no valid value can be (%s)", v.sub[0].req.value);
	ok(strstr(line, v.sub[0].req.value) != NULL, "the one logged");
	snprintf(first, sizeof(first), "%s", v.sub[0].req.value);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(verdict_add(
	           &v, SUBJECT_IP, "not an address", &n, line, sizeof(line)),
	    1, "an unparsable client address is counted");
	is_int(verdict_add(&v, SUBJECT_UID, big, &n, line, sizeof(line)), 1,
	    "an overlong value too");
	ok(strcmp(v.sub[0].req.value, v.sub[1].req.value) != 0 &&
	        strcmp(v.sub[1].req.value, v.sub[2].req.value) != 0,
	    "each under its own");
	verdict_free(&v);
	verdict_init(&v, &c, "milter");
	is_int(
	    verdict_add(&v, SUBJECT_SASL, "evil\"\x01", &n, line, sizeof(line)),
	    1, "the same bytes again");
	is_str(v.sub[0].req.value, first, "the same stand-in");
	verdict_free(&v);
	verdict_init(&v, &c, "milter");
	is_int(verdict_add(&v, SUBJECT_SASL, "alice", &n, line, sizeof(line)),
	    1, "a valid one is added");
	is_str(line, "", "with nothing to log");
	is_int(feed(&v, 0, OVERBLOCK, local), 0, "over, blocking");
	ok(verdict_block_line(&v, 0, line, sizeof(line)), "a block line");
	is_str(line,
	    "event=block rule=sasl-hour subject=\"sasl:alice\" "
	    "what=\"messages\" value=11 limit=10",
	    "names rule, subject, what, value and limit");
	verdict_decide(&v, &d);
	verdict_why(&v, &d, line, sizeof(line));
	is_str(line, "sasl:alice over limit sasl-hour: messages 11 > 10",
	    "the reason in words");
	verdict_free(&v);

	/* the milter's sasl and ip subjects: their block, nothing counted */
	verdict_init(&v, &c, "milter");
	is_int(
	    verdict_add(&v, SUBJECT_IP, "192.0.2.9", NULL, line, sizeof(line)),
	    1, "a subject for its block only");
	ok(verdict_limiter(&v, 0) != NULL &&
	        limiter_ncmd(verdict_limiter(&v, 0)) == 2,
	    "two commands: the exemption and the block");
	is_int(feed(&v, 0, BLOCKED, local), 0, "blocked");
	verdict_decide(&v, &d);
	ok(d.kind == VERDICT_BLOCKED && d.mact == CONF_MACT_HOLD,
	    "the milter's block action");
	verdict_why(&v, &d, line, sizeof(line));
	is_str(line, "ip:192.0.2.9 blocked: abuse??report",
	    "the quarantine reason, cleaned like every output of it");
	verdict_free(&v);
	local_free(local);
}

/* follows - the follow-ups of subject i: whether one is argv0 (and the
 * argument after it, when arg), and the WAIT's reply acked */
static bool
follows(struct verdict *v, int i, const char *argv0, const char *arg,
    long long acked)
{
	struct limiter *l = v->sub[i].lim;
	const char *const *argv;
	const size_t *len;
	bool found = false;
	int j, argc;

	for (j = 0; j < limiter_ncmd(l); j++) {
		redisReply *r;

		limiter_cmd(l, j, &argc, &argv, &len);
		if (strcmp(argv[0], argv0) == 0 &&
		    (arg == NULL || (argc > 1 && strcmp(argv[1], arg) == 0)))
			found = true;
		r = rnum(strcmp(argv[0], "WAIT") == 0 ? acked : 1);
		if (verdict_follow(v, i, j, r) == -1)
			found = false;
		rfree(r);
	}
	return found;
}

/* durable - a block waits for a replica; one no replica confirmed, lost
 * by a failover (another master generation), is written again from the
 * local cache, once; one an admin lifted on the same master is not */
static void
durable(void)
{
	static struct conf c;
	static const struct row r = {.sasl = OVERBLOCK};
	const struct verdict_counts n = {.messages = 1, .now_ms = 1};
	struct local *local = local_new();
	struct verdict v;
	struct verdict_decision d;
	char line[VERDICT_LINE_MAX];

	conf_row(&c, &r);
	verdict_init(&v, &c, "policyd");
	v.wait_ms = 100;
	v.gen = 1;
	(void)verdict_add(&v, SUBJECT_SASL, "alice", &n, line, sizeof(line));
	is_int(feed(&v, 0, OVERBLOCK, local), 0, "over, blocking");
	ok(follows(&v, 0, "WAIT", "1", 1), "the block waits for 1 replica");
	verdict_followed(&v, 0, local);
	ok(!verdict_durable_line(&v, 0, line, sizeof(line)),
	    "a confirmed block: nothing to say");
	verdict_free(&v);

	verdict_init(&v, &c, "policyd");
	v.wait_ms = 100;
	v.gen = 1;
	(void)verdict_add(&v, SUBJECT_SASL, "bob", &n, line, sizeof(line));
	is_int(feed(&v, 0, OVERBLOCK, local), 0, "bob over, blocking");
	ok(follows(&v, 0, "WAIT", "1", 0), "no replica acks");
	verdict_followed(&v, 0, local);
	ok(verdict_durable_line(&v, 0, line, sizeof(line)) &&
	        strncmp(line,
	            "event=block_unconfirmed rule=sasl-hour "
	            "subject=\"sasl:bob\"",
	            52) == 0,
	    "the unconfirmed block is said (%s)", line);
	verdict_free(&v);

	/* the same master, no block in Redis: an admin lifted it */
	verdict_init(&v, &c, "policyd");
	v.gen = 1;
	(void)verdict_add(&v, SUBJECT_SASL, "bob", &n, line, sizeof(line));
	is_int(feed(&v, 0, UNDER, local), 0, "bob again, same master");
	verdict_decide(&v, &d);
	is_int(d.kind, VERDICT_PASS, "lifted on the same master: passes");
	verdict_free(&v);

	/* lost in a failover: bob's block again, unconfirmed */
	verdict_init(&v, &c, "policyd");
	v.wait_ms = 100;
	v.gen = 1;
	(void)verdict_add(&v, SUBJECT_SASL, "bob", &n, line, sizeof(line));
	is_int(feed(&v, 0, OVERBLOCK, local), 0, "bob blocks again");
	ok(follows(&v, 0, "XADD", NULL, 0), "with its event; unconfirmed");
	verdict_followed(&v, 0, local);
	verdict_free(&v);
	verdict_init(&v, &c, "policyd");
	v.wait_ms = 100;
	v.gen = 2; /* a failover came */
	(void)verdict_add(&v, SUBJECT_SASL, "bob", &n, line, sizeof(line));
	is_int(feed(&v, 0, UNDER, local), 0, "bob after the failover");
	verdict_decide(&v, &d);
	ok(d.kind == VERDICT_BLOCKED &&
	        strcmp(v.sub[0].res.rule, "sasl-hour") == 0,
	    "the block the new master lost still refuses");
	ok(follows(&v, 0, "HSET", "fg:{sasl:bob}:block", 1),
	    "and is written again");
	ok(!follows(&v, 0, "XADD", NULL, 1), "without a second event");
	ok(follows(&v, 0, "HINCRBY", "fg:{sasl:bob}", 1),
	    "and what this request counted is taken back");
	verdict_followed(&v, 0, local);
	ok(verdict_durable_line(&v, 0, line, sizeof(line)) &&
	        strncmp(line, "event=block_rewritten rule=sasl-hour", 36) == 0,
	    "the rewrite is said (%s)", line);
	verdict_free(&v);
	verdict_init(&v, &c, "policyd");
	v.gen = 2;
	(void)verdict_add(&v, SUBJECT_SASL, "bob", &n, line, sizeof(line));
	is_int(feed(&v, 0, BLOCKED, local), 0, "Redis shows it now");
	ok(!verdict_durable_line(&v, 0, line, sizeof(line)),
	    "nothing more to write");
	verdict_free(&v);

	/* carol: unconfirmed, then seen once more on the same master, then
	 * lost by a failover: seeing it did not confirm it */
	verdict_init(&v, &c, "policyd");
	v.wait_ms = 100;
	v.gen = 2;
	(void)verdict_add(&v, SUBJECT_SASL, "carol", &n, line, sizeof(line));
	is_int(feed(&v, 0, OVERBLOCK, local), 0, "carol blocks");
	ok(follows(&v, 0, "WAIT", "1", 0), "no replica acks");
	verdict_followed(&v, 0, local);
	verdict_free(&v);
	verdict_init(&v, &c, "policyd");
	v.gen = 2;
	(void)verdict_add(&v, SUBJECT_SASL, "carol", &n, line, sizeof(line));
	is_int(feed(&v, 0, BLOCKED, local), 0, "carol's block seen again");
	verdict_free(&v);
	verdict_init(&v, &c, "policyd");
	v.gen = 3;
	(void)verdict_add(&v, SUBJECT_SASL, "carol", &n, line, sizeof(line));
	is_int(feed(&v, 0, UNDER, local), 0, "carol after a failover");
	verdict_decide(&v, &d);
	is_int(d.kind, VERDICT_BLOCKED,
	    "a block only seen again is still rewritten when lost");
	verdict_free(&v);
	local_free(local);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	lines();
	durable();
	return tap_done();
}
