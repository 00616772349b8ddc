/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * beat - the heartbeat's commands and replies, and the degraded share.
 *
 * Entry points: beat_start, beat_take, beat_share, beat_share_line.
 * The set's TTL is four intervals past the last beat, so a cluster that
 * stopped leaves nothing behind. ROLE's reply is read by rconn_role.
 */
#include <stdio.h>
#include <string.h>

#include "beat.h"
#include "keys.h"
#include "rconn.h"
#include "resp.h"

enum beat_cmd { BEAT_ZADD, BEAT_ZREM, BEAT_ZCARD, BEAT_PEXPIRE, BEAT_ROLE };

void
beat_start(struct beat *b, const struct conf *c, const char *kind,
    long long now, bool role)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->key, sizeof(b->key), "%s%s%s", c->redis.prefix, KEYS_NODES,
	    kind);
	snprintf(b->now, sizeof(b->now), "%lld", now);
	snprintf(b->dead, sizeof(b->dead), "(%lld", now - BEAT_LIVE_MS);
	snprintf(b->ttl, sizeof(b->ttl), "%d", 4 * BEAT_LIVE_MS);
	b->nodes = 1;
	b->replicas = -1;
#define BEAT_CMD(...)                                                          \
	do {                                                                   \
		const char *a_[] = {__VA_ARGS__};                              \
		b->argc[b->ncmd] = (int)(sizeof(a_) / sizeof(a_[0]));          \
		memcpy(b->argv[b->ncmd++], a_, sizeof(a_));                    \
	} while (0)
	snprintf(b->node, sizeof(b->node), "%s", c->node);
	BEAT_CMD("ZADD", b->key, b->now, b->node);
	BEAT_CMD("ZREMRANGEBYSCORE", b->key, "-inf", b->dead);
	BEAT_CMD("ZCARD", b->key);
	BEAT_CMD("PEXPIRE", b->key, b->ttl);
	if (role)
		BEAT_CMD("ROLE");
#undef BEAT_CMD
}

int
beat_take(struct beat *b, int i, const redisReply *r, char *why, size_t whysize)
{
	long long v;

	if (r == NULL) {
		snprintf(why, whysize, "%s: no reply", b->argv[i][0]);
		return BEAT_BAD;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, whysize, "%s: %.100s", b->argv[i][0], r->str);
		return BEAT_BAD;
	}
	switch (i) {
	case BEAT_ZCARD:
		if (resp_int(r, 0, 1LL << 31, &v) == -1)
			break;
		b->nodes = v > 0 ? v : 1;
		return BEAT_OK;
	case BEAT_ROLE:
		if (r->type != REDIS_REPLY_ARRAY)
			break;
		if (rconn_role(r, &b->replicas, why, whysize) == 0)
			return BEAT_OK;
		b->replicas = -1;
		return BEAT_NOT_MASTER;
	default:
		if (r->type == REDIS_REPLY_INTEGER)
			return BEAT_OK;
	}
	snprintf(why, whysize, "%s: unexpected reply", b->argv[i][0]);
	return BEAT_BAD;
}

long long
beat_share(enum conf_share how, long long nodes)
{
	if (how == CONF_SHARE_FULL || nodes < 1)
		return 1;
	return nodes;
}

void
beat_share_line(enum conf_share how, const char *kind, long long nodes,
    char *buf, size_t size)
{
	long long n = beat_share(how, nodes);

	if (n == 1)
		snprintf(buf, size,
		    "redis: degraded: this %s enforces every limit in full "
		    "(%lld %s node%s seen alive, degraded_share = %s)",
		    kind, nodes, kind, nodes == 1 ? "" : "s",
		    how == CONF_SHARE_FULL ? "full" : "auto");
	else
		snprintf(buf, size,
		    "redis: degraded: this %s enforces 1/%lld of every limit, "
		    "rounded up (%lld %s nodes seen alive, degraded_share = "
		    "auto)",
		    kind, n, nodes, kind);
}
