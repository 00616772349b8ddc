/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notefacts - a blocked subject's facts from its keys and the trace.
 *
 * The ip and sender sets are scored by the time (ms) each was last seen;
 * their oldest and newest scores bound the subject's activity in its
 * window. Replies of the wrong shape are skipped, never trusted.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "limiter.h"
#include "notefacts.h"
#include "resp.h"
#include "str.h"
#include "tracematch.h"

enum {
	NF_IPS,
	NF_NIPS,
	NF_OLDIP,
	NF_SENDERS,
	NF_NSENDERS,
	NF_OLDSENDER,
	NF_SCRIPTS,
	NF_TRACE,
	NF_N
};

/* notefacts_num - a count or a time Redis answered, or 0 */
#define notefacts_num(r) resp_count((r), 0, LIMITER_COUNT_MAX)

/* notefacts_seen - widen f's first and last seen with ms */
static void
notefacts_seen(struct note_facts *f, long long ms)
{
	long long s = ms / 1000;

	if (s <= 0)
		return;
	if (f->first_seen == 0 || s < f->first_seen)
		f->first_seen = s;
	if (s > f->last_seen)
		f->last_seen = s;
}

/* notefacts_set - newest members of a set (WITHSCORES) into list (NULL:
 * only their times); how many */
static int
notefacts_set(struct note_facts *f, const redisReply *z, char *list,
    size_t stride, size_t width)
{
	size_t i;
	int k = 0;

	if (z == NULL || z->type != REDIS_REPLY_ARRAY)
		return 0;
	for (i = 0; i + 1 < z->elements && k < NOTE_LIST_MAX; i += 2) {
		if (z->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if (list != NULL)
			str_lcpy(list + (size_t)k * stride, z->element[i]->str,
			    width);
		k++;
		notefacts_seen(f, notefacts_num(z->element[i + 1]));
	}
	return k;
}

/* notefacts_trace - first and last seen from the trace, and where each
 * of the uid's scripts ran */
static void
notefacts_trace(struct note_facts *f, const redisReply *r)
{
	struct cidr net;
	const struct cidr *np = tracematch_net(f->type, f->value, &net);
	size_t i;
	int s;

	for (i = 0;
	     r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements;
	     i++) {
		const redisReply *e = r->element[i], *kv;
		long long ms;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    (kv = e->element[1])->type != REDIS_REPLY_ARRAY ||
		    !tracematch(kv, f->type, f->value, np))
			continue;
		if (sscanf(e->element[0]->str, "%lld", &ms) == 1)
			notefacts_seen(f, ms);
		for (s = 0; s < f->kscripts; s++)
			if (f->scripts[s].where[0] == '\0' &&
			    (strcmp(tracematch_get(kv, "script"),
			         f->scripts[s].name) == 0 ||
			        strcmp(tracematch_get(kv, "exe"),
			            f->scripts[s].name) == 0))
				str_lcpy(f->scripts[s].where,
				    tracematch_get(kv, "cwd"),
				    sizeof(f->scripts[s].where));
	}
}

/* notefacts_user - the uid of the subject's user name */
static void
notefacts_user(struct note_facts *f)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	str_lcpy(f->user, f->value, sizeof(f->user));
	f->uid = -1;
	if (getpwnam_r(f->value, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL)
		f->uid = (long long)pw.pw_uid;
}

int
notefacts_gather(struct sconn *sc, const struct conf *c, struct note_facts *f)
{
	char k[3][LIMITER_KEY_MAX], tr[CONF_NAME_MAX + 16];
	const char *const sfx[3] = {KEYS_IPS, KEYS_SENDERS, KEYS_SCRIPTS};
	const char *argv[NF_N][6];
	int argc[NF_N], i, s, rc = 0;
	redisReply *r[NF_N] = {NULL};
	size_t x;

	if (f->type == SUBJECT_UID)
		notefacts_user(f);
	for (i = 0; i < 3; i++)
		if (subject_key(k[i], sizeof(k[i]), c->redis.prefix, f->type,
		        f->value, sfx[i]) == -1)
			return 0;
	snprintf(tr, sizeof(tr), "%s" KEYS_TRACE, c->redis.prefix);
#define NF_CMD(i, ...)                                                         \
	do {                                                                   \
		const char *a_[] = {__VA_ARGS__};                              \
		argc[i] = (int)(sizeof(a_) / sizeof(a_[0]));                   \
		memcpy(argv[i], a_, sizeof(a_));                               \
	} while (0)
	NF_CMD(NF_IPS, "ZREVRANGE", k[0], "0", "19", "WITHSCORES");
	NF_CMD(NF_NIPS, "ZCARD", k[0]);
	NF_CMD(NF_OLDIP, "ZRANGE", k[0], "0", "0", "WITHSCORES");
	NF_CMD(NF_SENDERS, "ZREVRANGE", k[1], "0", "19", "WITHSCORES");
	NF_CMD(NF_NSENDERS, "ZCARD", k[1]);
	NF_CMD(NF_OLDSENDER, "ZRANGE", k[1], "0", "0", "WITHSCORES");
	NF_CMD(NF_SCRIPTS, "ZREVRANGE", k[2], "0", "9", "WITHSCORES");
	NF_CMD(
	    NF_TRACE, "XREVRANGE", tr, "+", "-", "COUNT", NOTEFACTS_TRACE_SCAN);
#undef NF_CMD
	for (i = 0; i < NF_N; i++)
		if (sconn_append(sc, argc[i], argv[i], NULL) == -1)
			return -1;
	for (i = 0; i < NF_N; i++)
		if (sconn_get(sc, &r[i]) == -1) {
			rc = -1;
			break;
		}
	if (rc == 0) {
		f->kips = notefacts_set(f, r[NF_IPS], f->ips[0],
		    sizeof(f->ips[0]), sizeof(f->ips[0]));
		f->nips = notefacts_num(r[NF_NIPS]);
		(void)notefacts_set(f, r[NF_OLDIP], NULL, 0, 0);
		f->ksenders = notefacts_set(f, r[NF_SENDERS], f->senders[0],
		    sizeof(f->senders[0]), sizeof(f->senders[0]));
		f->nsenders = notefacts_num(r[NF_NSENDERS]);
		(void)notefacts_set(f, r[NF_OLDSENDER], NULL, 0, 0);
		for (x = 0, s = 0; r[NF_SCRIPTS]->type == REDIS_REPLY_ARRAY &&
		     x + 1 < r[NF_SCRIPTS]->elements && s < NOTE_SCRIPTS_MAX;
		     x += 2)
			if (r[NF_SCRIPTS]->element[x]->type ==
			    REDIS_REPLY_STRING) {
				str_lcpy(f->scripts[s].name,
				    r[NF_SCRIPTS]->element[x]->str,
				    sizeof(f->scripts[s].name));
				f->scripts[s++].n = notefacts_num(
				    r[NF_SCRIPTS]->element[x + 1]);
			}
		f->kscripts = s;
		notefacts_trace(f, r[NF_TRACE]);
	}
	for (i = 0; i < NF_N; i++)
		freeReplyObject(r[i]);
	return rc;
}
