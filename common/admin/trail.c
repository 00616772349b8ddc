/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trail - the milter's trace stream (fg:trace, one entry per message)
 * filtered for one subject: its SASL user (auth), client ip or network
 * (client), local user (user) or envelope sender (sender). Only the
 * newest TRAIL_SCAN entries are read: the stream is shared by every
 * node and capped, and an incident is recent.
 */
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "out.h"
#include "str.h"
#include "trail.h"
#include "tracematch.h"

static const struct out_col trail_cols[] = {{"TIME", "time", true},
    {"QID", "qid", false}, {"NODE", "host", false}, {"SRC", "src", false},
    {"USER", "user", false}, {"SCRIPT", "script", false},
    {"SENDER", "sender", false}, {"RCPTS", "rcpts", true},
    {"ACTION", "action", false}};
static const char *const trail_fields[] = {
    "", "qid", "host", "src", "user", "script", "sender", "rcpts", "action"};

int
trail_show(struct ctx *x, const struct target *t)
{
	char key[CONF_NAME_MAX + 16], when[48], tb[32];
	const char *xr[] = {"XREVRANGE", key, "+", "-", "COUNT", TRAIL_SCAN};
	struct cidr net;
	const struct cidr *np = tracematch_net(t->type, t->value, &net);
	struct out *o;
	redisReply *r;
	size_t i;
	int j, rc = 0;

	snprintf(key, sizeof(key), "%s" KEYS_TRACE, x->c->redis.prefix);
	if ((r = ctx_run(x, 6, xr)) == NULL)
		return -1;
	o = out_new("trace", "last messages (trace):", 9, trail_cols, x->json);
	for (i = 0; o != NULL && r->type == REDIS_REPLY_ARRAY &&
	     i < r->elements && out_rows(o) < TRAIL_SHOW && rc == 0;
	     i++) {
		const redisReply *e = r->element[i], *kv;
		const char *v[9];
		long long ms;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    (kv = e->element[1])->type != REDIS_REPLY_ARRAY ||
		    !tracematch(kv, t->type, t->value, np))
			continue;
		if (sscanf(ctx_str(e->element[0]), "%lld", &ms) != 1)
			ms = 0;
		if (x->json)
			snprintf(when, sizeof(when), "%lld", ms / 1000);
		else
			snprintf(when, sizeof(when), "%s ago",
			    ctx_age((x->now_ms - ms) / 1000, tb, sizeof(tb)));
		v[0] = when;
		for (j = 1; j < 9; j++)
			v[j] = tracematch_get(kv, trail_fields[j]);
		rc = out_row(o, v);
	}
	if (o == NULL || rc == -1) {
		ctx_error("out of memory");
		rc = -1;
	} else
		rc = out_rows(o) > 0;
	out_end(o);
	freeReplyObject(r);
	return rc;
}
