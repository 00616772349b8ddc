/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * why - one subject: its block hash, whether and why it is exempt, its
 * count against each limit of its type in the current sliding window
 * (the limiter's own estimate, common/window.c), the overrides, the
 * distinct client ips and senders seen (sasl), the top scripts (uid) and
 * its last trace entries. One pipelined round trip; reads only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "keys.h"
#include "out.h"
#include "resp.h"
#include "str.h"
#include "target.h"
#include "trail.h"
#include "why.h"
#include "window.h"

#define WHY_FIELDS_MAX (CONF_LIMITS_MAX * (2 * KEYS_NMETRIC + 2))
#define WHY_SEEN_MAX   "20" /* ips, senders listed at most */

enum { W_BLOCK, W_TTL, W_LIMITS, W_USAGE, W_IPS, W_SENDERS, W_SCRIPTS, W_N };

struct why {
	struct ctx *x;
	struct target t;
	char keys[W_N][LIMITER_KEY_MAX];
	char fields[WHY_FIELDS_MAX][CONF_NAME_MAX + 48];
	const char *usage[WHY_FIELDS_MAX + 2];
	int nusage;
	long long seen_s; /* the window of ips and senders seen */
	redisReply *r[W_N];
	bool found;
};

/* why_num - a count, a time or a TTL Redis answered, or 0 */
#define why_num(r) resp_count((r), -LIMITER_COUNT_MAX, LIMITER_COUNT_MAX)

/* why_layout - the usage fields asked, the window of ips seen */
static void
why_layout(struct why *w)
{
	const struct conf *c = w->x->c;
	int i, j;

	w->nusage = 0;
	w->usage[w->nusage++] = "HMGET";
	w->usage[w->nusage++] = w->keys[W_USAGE];
	w->seen_s = 0;
	for (i = 0; i < c->nlimits; i++) {
		const struct conf_limit *cl = &c->limits[i];
		long long b = window_bucket(w->x->now_ms, cl->window * 1000);

		if (cl->subject != w->t.type)
			continue;
		if (cl->window > w->seen_s &&
		    (cl->max_client_ips > 0 || cl->max_senders > 0 ||
		        w->seen_s == 0))
			w->seen_s = cl->window;
		for (j = 0; j < 2 * KEYS_NMETRIC + 2; j++) {
			char *f = w->fields[w->nusage - 2];

			if (j < 2 * KEYS_NMETRIC)
				snprintf(f, sizeof(w->fields[0]),
				    "%s:%lld:%lld", keys_metric_letter[j / 2],
				    cl->window, b - j % 2);
			else
				snprintf(f, sizeof(w->fields[0]),
				    KEYS_DENIALS "%s:%lld", cl->name,
				    b - j % 2);
			w->usage[w->nusage++] = f;
		}
	}
	if (w->seen_s == 0)
		w->seen_s = 3600;
	if (w->nusage == 2) /* no limit of the type: nothing to ask */
		w->usage[0] = "EXISTS";
}

/* why_block - the block hash, as a table */
static int
why_block(struct why *w)
{
	static const struct out_col cols[] = {{"RULE", "rule", false},
	    {"REASON", "reason", false}, {"VALUE", "value", true},
	    {"LIMIT", "limit", true}, {"SINCE", "at", true},
	    {"NODE", "node", false}, {"BY", "by", false},
	    {"EXPIRES", "ttl", true}};
	const redisReply *h = w->r[W_BLOCK];
	char since[48], ttl[48], t[32];
	const char *v[8], *at;
	long long ttls = why_num(w->r[W_TTL]), n = 0;
	struct out *o;
	int rc;

	if (h->type != REDIS_REPLY_ARRAY || h->elements == 0)
		return 0;
	w->found = true;
	at = resp_field(h, "at");
	if (at != NULL && str_tonum(at, 0, LIMITER_COUNT_MAX, &n) == -1)
		n = 0;
	if (w->x->json) {
		str_lcpy(since, at != NULL ? at : "", sizeof(since));
		snprintf(ttl, sizeof(ttl), "%lld", ttls >= 0 ? ttls : -1);
	} else {
		snprintf(since, sizeof(since), "%s ago",
		    ctx_age(w->x->now_ms / 1000 - n, t, sizeof(t)));
		if (ttls >= 0)
			snprintf(ttl, sizeof(ttl), "in %s",
			    ctx_age(ttls, t, sizeof(t)));
		else
			str_lcpy(ttl, "until lifted", sizeof(ttl));
	}
	v[0] = resp_field(h, "rule");
	v[1] = resp_field(h, "reason");
	v[2] = resp_field(h, "value");
	v[3] = resp_field(h, "limit");
	v[4] = since;
	v[5] = resp_field(h, "node");
	v[6] = resp_field(h, "by");
	v[7] = ttl;
	if ((o = out_new("block", "blocked:", 8, cols, w->x->json)) == NULL)
		return -1;
	rc = out_row(o, v);
	out_end(o);
	return rc;
}

/* why_exempt - exempt in Redis, in the config, or not at all */
static int
why_exempt(struct why *w)
{
	static const struct out_col cols[] = {
	    {"EXEMPT", "exempt", false}, {"BY", "source", false}};
	const struct conf *c = w->x->c;
	const char *e = resp_field(w->r[W_LIMITS], KEYS_EXEMPT);
	const char *v[2] = {"no", ""};
	struct out *o;
	int rc;

	if (e != NULL && strcmp(e, "1") == 0)
		v[0] = "yes", v[1] = "redis (limits hash: exempt 1)";
	else if (w->t.type == SUBJECT_SASL && conf_exempt_user(c, w->t.value))
		v[0] = "yes", v[1] = "config (exempt_users)";
	else if (w->t.type == SUBJECT_IP &&
	    cidr_match(c->exempt_networks, c->nexempt_networks, w->t.raw))
		v[0] = "yes", v[1] = "config (exempt_networks)";
	if ((o = out_new("exempt", "exemption:", 2, cols, w->x->json)) == NULL)
		return -1;
	rc = out_row(o, v);
	out_end(o);
	return rc;
}

/* why_limits - each limit of the subject's type: count and limit */
static int
why_limits(struct why *w)
{
	static const struct out_col cols[] = {{"RULE", "rule", false},
	    {"WINDOW", "window", true}, {"METRIC", "metric", false},
	    {"COUNT", "count", true}, {"LIMIT", "limit", true},
	    {"OVERRIDE", "override", false}, {"DENIALS", "denials", true},
	    {"BLOCK_AFTER", "block_after", true}};
	const struct conf *c = w->x->c;
	const redisReply *u = w->r[W_USAGE];
	struct out *o = out_new("limit",
	    "limits (count in the sliding window):", 8, cols, w->x->json);
	size_t f = 0;
	int i, j, rc = 0;

	if (o == NULL)
		return -1;
	for (i = 0; i < c->nlimits && rc == 0; i++) {
		const struct conf_limit *cl = &c->limits[i];
		const long long max[KEYS_NMETRIC] = {
		    cl->messages, cl->recipients, cl->bytes};
		double wt = window_weight(w->x->now_ms, cl->window * 1000);
		char win[24], cnt[24], lim[24], den[24], aft[24], ovf[96];
		const char *ov;

		if (cl->subject != w->t.type)
			continue;
		if (u->type != REDIS_REPLY_ARRAY ||
		    u->elements < f + 2 * KEYS_NMETRIC + 2)
			break;
		snprintf(win, sizeof(win), "%lld", cl->window);
		snprintf(den, sizeof(den), "%.0f",
		    window_estimate((double)why_num(u->element[f + 6]),
		        (double)why_num(u->element[f + 7]), wt));
		snprintf(aft, sizeof(aft), "%lld", cl->block_after);
		for (j = 0; j < KEYS_NMETRIC && rc == 0; j++) {
			long long cur = why_num(u->element[f + 2 * j]);
			long long prev = why_num(u->element[f + 2 * j + 1]);
			long long m = max[j];
			const char *v[8];

			snprintf(ovf, sizeof(ovf), "%s:%lld",
			    keys_metric_name[j], cl->window);
			ov = resp_field(w->r[W_LIMITS], ovf);
			if (ov != NULL &&
			    str_tonum(ov, 0, LIMITER_COUNT_MAX, &m) == -1)
				m = max[j];
			if (m == 0 && cur == 0 && prev == 0)
				continue;
			if (cur != 0 || prev != 0)
				w->found = true;
			snprintf(cnt, sizeof(cnt), "%.0f",
			    window_estimate((double)cur, (double)prev, wt));
			snprintf(lim, sizeof(lim), "%lld", m);
			v[0] = cl->name;
			v[1] = win;
			v[2] = keys_metric_name[j];
			v[3] = cnt;
			v[4] = m > 0 ? lim : "";
			v[5] = ov != NULL ? ov : "";
			v[6] = den;
			v[7] = aft;
			rc = out_row(o, v);
		}
		f += 2 * KEYS_NMETRIC + 2;
	}
	if (!w->x->json && out_rows(o) == 0)
		printf(
		    "limits: none of type %s\n", subject_type_name(w->t.type));
	out_end(o);
	return rc;
}

/* why_pairs - a reply of pairs as a table of two columns (swap: value
 * first, as a score before its member; seen: the value is a time in ms,
 * shown as an age, or as unix seconds in JSON) */
static int
why_pairs(struct why *w, const redisReply *z, const char *kind,
    const char *title, const struct out_col *cols, bool swap, bool seen)
{
	char age[48], t[32];
	struct out *o;
	size_t i;
	int rc = 0;

	if (z->type != REDIS_REPLY_ARRAY || z->elements == 0)
		return 0;
	w->found = true;
	if ((o = out_new(kind, title, 2, cols, w->x->json)) == NULL)
		return -1;
	for (i = 0; i + 1 < z->elements && rc == 0; i += 2) {
		const char *v[2] = {ctx_str(z->element[i + swap]),
		    ctx_str(z->element[i + !swap])};
		long long ms = why_num(z->element[i + 1]);

		if (seen && w->x->json)
			snprintf(age, sizeof(age), "%lld", ms / 1000);
		else if (seen)
			snprintf(age, sizeof(age), "%s ago",
			    ctx_age((w->x->now_ms - ms) / 1000, t, sizeof(t)));
		if (seen)
			v[1] = age;
		rc = out_row(o, v);
	}
	out_end(o);
	return rc;
}

/* why_overrides - every field of the limits hash */
static int
why_overrides(struct why *w)
{
	static const struct out_col cols[] = {
	    {"FIELD", "field", false}, {"VALUE", "value", false}};

	return why_pairs(w, w->r[W_LIMITS], "override",
	    "overrides (limits hash):", cols, false, false);
}

/* why_seen - a ZSET of members by time (ms, WITHSCORES) as a table */
static int
why_seen(struct why *w, int k, const char *kind, const char *what)
{
	static const struct out_col ipc[] = {
	    {"CLIENT IP", "ip", false}, {"LAST SEEN", "last", true}};
	static const struct out_col sdc[] = {
	    {"SENDER", "sender", false}, {"LAST SEEN", "last", true}};
	char title[128], t[32];

	snprintf(title, sizeof(title),
	    "%s seen in the last %s (newest %s):", what,
	    ctx_age(w->seen_s, t, sizeof(t)), WHY_SEEN_MAX);
	return why_pairs(
	    w, w->r[k], kind, title, k == W_IPS ? ipc : sdc, false, true);
}

/* why_scripts - the uid's scripts by messages */
static int
why_scripts(struct why *w)
{
	static const struct out_col cols[] = {
	    {"MESSAGES", "messages", true}, {"SCRIPT", "script", false}};

	return why_pairs(
	    w, w->r[W_SCRIPTS], "script", "top scripts:", cols, true, false);
}

/* why_ask - the one pipelined round trip; 0, or -1 (said) */
static int
why_ask(struct why *w)
{
	char from[32];
	const char *hb[] = {"HGETALL", w->keys[W_BLOCK]};
	const char *ttl[] = {"TTL", w->keys[W_BLOCK]};
	const char *hl[] = {"HGETALL", w->keys[W_LIMITS]};
	const char *zi[] = {"ZREVRANGEBYSCORE", w->keys[W_IPS], "+inf", from,
	    "WITHSCORES", "LIMIT", "0", WHY_SEEN_MAX};
	const char *zs[] = {"ZREVRANGEBYSCORE", w->keys[W_SENDERS], "+inf",
	    from, "WITHSCORES", "LIMIT", "0", WHY_SEEN_MAX};
	const char *sc[] = {
	    "ZREVRANGE", w->keys[W_SCRIPTS], "0", "9", "WITHSCORES"};
	const char *const *av[W_N] = {hb, ttl, hl, w->usage, zi, zs, sc};
	int ac[W_N] = {2, 2, 2, w->nusage, 8, 8, 5};
	int i;

	snprintf(from, sizeof(from), "%lld", w->x->now_ms - w->seen_s * 1000);
	if (ctx_batch(w->x, W_N, ac, av, w->r) == -1)
		return -1;
	for (i = 0; i < W_N; i++)
		if (w->r[i]->type == REDIS_REPLY_ERROR) {
			ctx_error("redis: %s %s: %.200s", av[i][0], av[i][1],
			    w->r[i]->str);
			return -1;
		}
	return 0;
}

int
why_main(struct ctx *x, int argc, char **argv)
{
	static const char *const sfx[W_N] = {KEYS_BLOCK, KEYS_BLOCK,
	    KEYS_LIMITS, KEYS_USAGE, KEYS_IPS, KEYS_SENDERS, KEYS_SCRIPTS};
	struct why *w;
	char why[256];
	int i, rc = CTX_ERR;

	if (argc != 2) {
		ctx_error("usage: floodgate [-j] why SUBJECT");
		return CTX_ERR;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		ctx_error("out of memory");
		return CTX_ERR;
	}
	w->x = x;
	if (target_parse(x->c, argv[1], &w->t, why, sizeof(why)) == -1) {
		ctx_error("%s", why);
		free(w);
		return CTX_ERR;
	}
	for (i = 0; i < W_N; i++)
		if (target_key(x->c, &w->t, sfx[i], w->keys[i],
		        sizeof(w->keys[i])) == -1) {
			ctx_error("%s: key too long", w->t.name);
			free(w);
			return CTX_ERR;
		}
	if (ctx_redis(x) == -1)
		goto done;
	why_layout(w);
	if (why_ask(w) == -1)
		goto done;
	if (!x->json)
		printf("subject: %s\n", w->t.name);
	if (why_block(w) == -1 || why_exempt(w) == -1 || why_limits(w) == -1 ||
	    why_overrides(w) == -1 ||
	    why_seen(w, W_IPS, "ip", "client ips") == -1 ||
	    why_seen(w, W_SENDERS, "sender", "senders") == -1 ||
	    why_scripts(w) == -1) {
		ctx_error("out of memory");
		goto done;
	}
	switch (trail_show(x, &w->t)) {
	case -1:
		goto done;
	case 1:
		w->found = true;
		break;
	}
	rc = w->found ? CTX_OK : CTX_NONE;
done:
	for (i = 0; i < W_N; i++)
		freeReplyObject(w->r[i]);
	free(w);
	return rc;
}
