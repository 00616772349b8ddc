/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * edit - the admin's writes, one command each, as the README shows them:
 *   unblock   DEL <subject>:block
 *   --reset   DEL <subject> <subject>:block <subject>:ips <subject>:senders
 *   exempt    HSET <subject>:limits exempt 1     (--off: HDEL ... exempt)
 *   limit     HSET <subject>:limits METRIC:WINDOW N  (--off: HDEL)
 * Every argument is checked before anything is written; a window no
 * limit of the subject's type has is refused (such an override would
 * never be read). The result is said on stdout, or as a JSON line.
 */
#include <stdio.h>
#include <string.h>

#include "edit.h"
#include "keys.h"
#include "out.h"
#include "str.h"
#include "target.h"

/* edit_said - the outcome, "SUBJECT: what" or a JSON line */
static void
edit_said(const struct ctx *x, const struct target *t, const char *action,
    const char *what, long long changed)
{
	if (x->json) {
		fputs("{\"subject\":", stdout);
		out_json_str(t->name);
		printf(
		    ",\"action\":\"%s\",\"changed\":%lld}\n", action, changed);
	} else
		printf("%s: %s\n", t->name, what);
}

/* edit_target - argv's SUBJECT; 0, or -1 (said) */
static int
edit_target(const struct ctx *x, const char *arg, struct target *t)
{
	char why[256];

	if (target_parse(x->c, arg, t, why, sizeof(why)) == -1) {
		ctx_error("%s", why);
		return -1;
	}
	return 0;
}

int
edit_unblock(struct ctx *x, int argc, char **argv)
{
	char k[4][LIMITER_KEY_MAX];
	const char *del[] = {"DEL", k[1], k[0], k[2], k[3]};
	struct target t;
	bool reset = argc == 3 && strcmp(argv[2], "--reset") == 0;
	redisReply *r;
	int rc;

	if (argc != 2 && !reset) {
		ctx_error("usage: floodgate unblock SUBJECT [--reset]");
		return CTX_ERR;
	}
	if (edit_target(x, argv[1], &t) == -1)
		return CTX_ERR;
	if (target_key(x->c, &t, KEYS_USAGE, k[0], sizeof(k[0])) == -1 ||
	    target_key(x->c, &t, KEYS_BLOCK, k[1], sizeof(k[1])) == -1 ||
	    target_key(x->c, &t, KEYS_IPS, k[2], sizeof(k[2])) == -1 ||
	    target_key(x->c, &t, KEYS_SENDERS, k[3], sizeof(k[3])) == -1) {
		ctx_error("%s: key too long", t.name);
		return CTX_ERR;
	}
	if (ctx_redis(x) == -1)
		return CTX_ERR;
	if (reset) {
		/* the block's existence first: the exit status says it */
		const char *ex[] = {"EXISTS", k[1]};

		if ((r = ctx_run(x, 2, ex)) == NULL)
			return CTX_ERR;
		rc = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
		freeReplyObject(r);
	}
	if ((r = ctx_run(x, reset ? 5 : 2, del)) == NULL)
		return CTX_ERR;
	if (!reset)
		rc = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	edit_said(x, &t, reset ? "unblock-reset" : "unblock",
	    rc ? (reset ? "unblocked, counters reset" : "unblocked")
	       : (reset ? "was not blocked; counters reset"
	                : "was not blocked"),
	    rc);
	return rc || reset ? CTX_OK : CTX_NONE;
}

/* edit_field - HSET field value of t's limits hash (value NULL: HDEL
 * field), as the README's recipes; Redis' count, or -1 (said) */
static long long
edit_field(
    struct ctx *x, const struct target *t, const char *field, const char *value)
{
	char k[LIMITER_KEY_MAX];
	const char *cmd[] = {value != NULL ? "HSET" : "HDEL", k, field, value};
	redisReply *r;
	long long n;

	if (target_key(x->c, t, KEYS_LIMITS, k, sizeof(k)) == -1) {
		ctx_error("%s: key too long", t->name);
		return -1;
	}
	if (ctx_redis(x) == -1 ||
	    (r = ctx_run(x, value != NULL ? 4 : 3, cmd)) == NULL)
		return -1;
	n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return n;
}

int
edit_exempt(struct ctx *x, int argc, char **argv)
{
	bool off = argc == 3 && strcmp(argv[2], "--off") == 0;
	struct target t;
	long long n;

	if (argc != 2 && !off) {
		ctx_error("usage: floodgate exempt SUBJECT [--off]");
		return CTX_ERR;
	}
	if (edit_target(x, argv[1], &t) == -1)
		return CTX_ERR;
	if ((n = edit_field(x, &t, KEYS_EXEMPT, off ? NULL : "1")) == -1)
		return CTX_ERR;
	edit_said(x, &t, off ? "exempt-off" : "exempt",
	    off ? "no longer exempt" : "exempt (no limit, no block applies)",
	    n);
	return CTX_OK;
}

/* edit_metric - "METRIC:WINDOW" checked against t's limits into field;
 * 0, or -1 (said) */
static int
edit_metric(const struct ctx *x, const struct target *t, const char *arg,
    char *field, size_t size)
{
	const char *colon = strchr(arg, ':');
	long long w;
	int i, m = -1;

	for (i = 0; colon != NULL && i < KEYS_NMETRIC; i++)
		if ((size_t)(colon - arg) == strlen(keys_metric_name[i]) &&
		    strncmp(arg, keys_metric_name[i], (size_t)(colon - arg)) ==
		        0)
			m = i;
	if (m == -1 || str_tonum(colon + 1, 1, 1LL << 40, &w) == -1) {
		ctx_error("%.64s: not METRIC:WINDOW (messages, recipients or "
		          "bytes, a window in seconds: messages:3600)",
		    arg);
		return -1;
	}
	for (i = 0; i < x->c->nlimits; i++)
		if (x->c->limits[i].subject == t->type &&
		    x->c->limits[i].window == w)
			break;
	if (i == x->c->nlimits) {
		ctx_error("no limit of type %s has a window of %lld s in %s: "
		          "the override would never be read",
		    subject_type_name(t->type), w, x->path);
		return -1;
	}
	snprintf(field, size, "%s:%lld", keys_metric_name[m], w);
	return 0;
}

int
edit_limit(struct ctx *x, int argc, char **argv)
{
	char f[64], what[128];
	bool off = argc == 4 && strcmp(argv[3], "--off") == 0;
	struct target t;
	long long n;

	if (argc != 4) {
		ctx_error(
		    "usage: floodgate limit SUBJECT METRIC:WINDOW N|--off");
		return CTX_ERR;
	}
	if (edit_target(x, argv[1], &t) == -1 ||
	    edit_metric(x, &t, argv[2], f, sizeof(f)) == -1)
		return CTX_ERR;
	if (!off && str_tonum(argv[3], 0, 1LL << 50, &n) == -1) {
		ctx_error("%.64s: not a number of 0 or more", argv[3]);
		return CTX_ERR;
	}
	if ((n = edit_field(x, &t, f, off ? NULL : argv[3])) == -1)
		return CTX_ERR;
	if (off)
		snprintf(
		    what, sizeof(what), "%s back to the config's limit", f);
	else
		snprintf(what, sizeof(what), "%s limited to %s", f, argv[3]);
	edit_said(x, &t, off ? "limit-off" : "limit", what, n);
	return CTX_OK;
}
