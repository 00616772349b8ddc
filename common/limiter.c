/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limiter - argument vectors for, and replies of, common/limiter.lua.
 *
 * Entry points: limiter_init (script SHA1), limiter_args, limiter_parse,
 * limiter_noscript. The script body is compiled in (limiter_lua.c, made
 * from limiter.lua by the Makefile). Never logs, never allocates.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "limiter.h"
#include "str.h"

static char limiter_sha1[2 * SHA_DIGEST_LENGTH + 1];

/* limiter_init - hex SHA1 of the script, for EVALSHA; returns 0 */
int
limiter_init(void)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	int i;

	SHA1((const unsigned char *)limiter_lua, strlen(limiter_lua), md);
	for (i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(limiter_sha1 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

const char *
limiter_sha(void)
{
	return limiter_sha1;
}

/* push - one borrowed argument */
static void
push(struct limiter_args *a, const char *s)
{
	a->argv[a->argc] = s;
	a->argvlen[a->argc] = strlen(s);
	a->argc++;
}

/* pushnum - one number, stored in a */
static void
pushnum(struct limiter_args *a, int *slot, long long v)
{
	snprintf(a->nums[*slot], sizeof(a->nums[0]), "%lld", v);
	push(a, a->nums[(*slot)++]);
}

/* limiter_args - EVALSHA (or EVAL) argv for one subject; returns 0 or -1 */
int
limiter_args(struct limiter_args *a, const struct conf *c,
    const struct limiter_req *r, bool evalsha)
{
	static const char *const suffix[LIMITER_NKEYS] = {
	    "", ":block", ":limits", ":ips", ":senders", NULL};
	static const char *const flags[] = {"", "d", "r"};
	int i, slot = 0, nk;

	a->argc = 0;
	a->nlimits = 0;
	push(a, evalsha ? "EVALSHA" : "EVAL");
	push(a, evalsha ? limiter_sha1 : limiter_lua);
	push(a, "6");
	for (i = 0; i < LIMITER_NKEYS; i++) {
		if (suffix[i] != NULL) {
			if (subject_key(a->keys[i], LIMITER_KEY_MAX,
			        c->redis.prefix, r->type, r->value,
			        suffix[i]) == -1)
				return -1;
		} else {
			nk = snprintf(a->keys[i], LIMITER_KEY_MAX, "%sevents",
			    c->redis.prefix);
			if (nk < 0 || nk >= LIMITER_KEY_MAX)
				return -1;
		}
		push(a, a->keys[i]);
	}
	if ((size_t)snprintf(a->subject, sizeof(a->subject), "%s:%s",
	        subject_type_name(r->type), r->value) >= sizeof(a->subject))
		return -1;
	push(a, flags[r->mode]);
	pushnum(a, &slot, r->now_ms);
	pushnum(a, &slot, r->messages);
	pushnum(a, &slot, r->recipients);
	pushnum(a, &slot, r->bytes);
	push(a, c->node);
	push(a, r->by);
	push(a, a->subject);
	push(a, r->ip != NULL ? r->ip : "");
	push(a, r->sender != NULL ? r->sender : "");
	push(a, "0"); /* number of limits, set below */
	for (i = 0; i < c->nlimits; i++) {
		const struct conf_limit *l = &c->limits[i];

		if (l->subject != r->type)
			continue;
		push(a, l->name);
		pushnum(a, &slot, l->window);
		pushnum(a, &slot, l->messages);
		pushnum(a, &slot, l->recipients);
		pushnum(a, &slot, l->bytes);
		pushnum(a, &slot, l->max_client_ips);
		pushnum(a, &slot, l->max_senders);
		pushnum(a, &slot, l->block_after);
		pushnum(a, &slot, l->block_ttl);
		a->nlimits++;
	}
	snprintf(a->nums[slot], sizeof(a->nums[0]), "%d", a->nlimits);
	a->argv[3 + LIMITER_NKEYS + LIMITER_NFIXED - 1] = a->nums[slot];
	a->argvlen[3 + LIMITER_NKEYS + LIMITER_NFIXED - 1] =
	    strlen(a->nums[slot]);
	return 0;
}

/* limiter_noscript - the reply asks for the script body (EVAL) */
bool
limiter_noscript(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ERROR && r->str != NULL &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0;
}

/* elem_str - copy a string or integer element; returns 0 or -1 */
static int
elem_str(const redisReply *e, char *dst, size_t size)
{
	size_t i;

	if (e->type == REDIS_REPLY_INTEGER) {
		snprintf(dst, size, "%lld", e->integer);
		return 0;
	}
	if (e->type != REDIS_REPLY_STRING || e->len >= size)
		return -1;
	for (i = 0; i < e->len; i++) /* printable ASCII only */
		dst[i] =
		    e->str[i] >= 0x20 && e->str[i] < 0x7f ? e->str[i] : '?';
	dst[i] = '\0';
	return 0;
}

/* limiter_parse - strict check of the script's reply; returns 0 or -1 */
int
limiter_parse(const redisReply *r, struct limiter_result *out)
{
	memset(out, 0, sizeof(*out));
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 6)
		return -1;
	if (r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[0]->integer < LIMITER_PASS ||
	    r->element[0]->integer > LIMITER_OVER_BLOCK)
		return -1;
	out->status = (enum limiter_status)r->element[0]->integer;
	if (elem_str(r->element[1], out->rule, sizeof(out->rule)) == -1 ||
	    elem_str(r->element[2], out->what, sizeof(out->what)) == -1)
		return -1;
	if (r->element[3]->type != REDIS_REPLY_INTEGER ||
	    r->element[4]->type != REDIS_REPLY_INTEGER ||
	    r->element[5]->type != REDIS_REPLY_INTEGER)
		return -1;
	out->value = r->element[3]->integer;
	out->limit = r->element[4]->integer;
	out->now_ms = r->element[5]->integer;
	return 0;
}
