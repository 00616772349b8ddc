/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * local - the per-node fallback limiter at window edges, denials, local
 * blocks and their TTL, the block cache fed from Redis answers.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "limiter.h"
#include "local.h"
#include "tap.h"

static struct conf c;

static long long share = 1;

static int
check(struct local *l, const char *who, long long now, long long msgs)
{
	struct limiter_req r = {.type = SUBJECT_SASL,
	    .value = who,
	    .messages = msgs,
	    .recipients = 1,
	    .by = "t"};
	struct limiter_result res;

	if (local_check(l, &c, &r, now, share, &res) == -1)
		return -1;
	return (int)res.status;
}

int
main(void)
{
	struct local *l = local_new();
	long long t0 = 1000LL * 100 * 1000; /* a bucket edge, in ms */
	int i, n;
	struct limiter_req r = {.type = SUBJECT_SASL, .value = "cached"};
	struct limiter_result res, got;

	c.nlimits = 1;
	c.redis.block_cache_time = 60;
	strcpy(c.limits[0].name, "L");
	c.limits[0].subject = SUBJECT_SASL;
	c.limits[0].window = 100;
	c.limits[0].messages = 10;
	c.limits[0].block_after = 3;

	for (n = 0, i = 0; i < 10; i++)
		n += check(l, "a", t0, 1) == LIMITER_PASS;
	is_int(n, 10, "10 messages pass in the first bucket");
	is_int(check(l, "a", t0 + 1, 1), LIMITER_OVER, "the 11th is over");
	is_int(check(l, "a", t0 + 1, 0), LIMITER_PASS,
	    "a recipient of a counted message is not a message");
	is_int(check(l, "a", t0 + 100000, 1), LIMITER_OVER,
	    "at the next bucket's edge the previous bucket counts fully");
	for (n = 0, i = 0; i < 6; i++)
		n += check(l, "b", t0, 1) == LIMITER_PASS;
	is_int(n, 6, "another subject is counted apart");
	/* the degraded share: a node of 3 enforces ceil(10 / 3) = 4 */
	share = 3;
	for (n = 0, i = 0; i < 10; i++)
		n += check(l, "s3", t0, 1) == LIMITER_PASS;
	is_int(n, 4, "a share of 3 lets ceil(10/3) = 4 pass");
	{
		struct limiter_req q = {.type = SUBJECT_SASL,
		    .value = "s3",
		    .messages = 1,
		    .by = "t"};

		ok(local_check(l, &c, &q, t0, share, &res) == 0 &&
		        res.status != LIMITER_PASS && res.limit == 4,
		    "and says its limit is 4");
	}
	share = 10;
	for (n = 0, i = 0; i < 10; i++)
		n += check(l, "s10", t0, 1) == LIMITER_PASS;
	is_int(n, 1, "a share of 10 lets 1 pass");
	share = 1;
	for (n = 0, i = 0; i < 10; i++)
		n += check(l, "h", t0, 1) == LIMITER_PASS;
	for (n = 0, i = 0; i < 6; i++)
		n += check(l, "h", t0 + 150000, 1) == LIMITER_PASS;
	is_int(n, 5, "half way through the next window 5 more fit");
	for (n = 0, i = 0; i < 10; i++)
		n += check(l, "h", t0 + 300000, 1) == LIMITER_PASS;
	is_int(n, 10, "two windows later the full limit is back");

	/* denials: the 3rd one in the window blocks locally */
	is_int(check(l, "h", t0 + 300001, 1), LIMITER_OVER, "1st denial");
	is_int(check(l, "h", t0 + 300002, 1), LIMITER_OVER, "2nd denial");
	is_int(check(l, "h", t0 + 300003, 1), LIMITER_OVER_BLOCK,
	    "3rd denial blocks");
	{
		struct limiter_req h = {.type = SUBJECT_SASL, .value = "h"};

		ok(local_blocked(l, &c, &h, t0 + 300004, &got) &&
		        got.status == LIMITER_BLOCKED &&
		        strcmp(got.rule, "L") == 0,
		    "then the subject is blocked locally, by rule L");
	}

	/* blocks seen in Redis are cached for block_cache_time */
	memset(&res, 0, sizeof(res));
	res.status = LIMITER_BLOCKED;
	strcpy(res.rule, "R");
	res.value = 51;
	res.limit = 50;
	local_note(l, &r, &res, t0);
	ok(local_blocked(l, &c, &r, t0 + 59000, &got), "cached block honoured");
	is_str(got.rule, "R", "with its rule");
	ok(got.value == 51 && got.limit == 50,
	    "and the value and limit its block hash said (logged)");
	ok(!local_blocked(l, &c, &r, t0 + 61000, &got),
	    "and forgotten after block_cache_time");
	local_note(l, &r, &res, t0);
	res.status = LIMITER_PASS;
	local_note(l, &r, &res, t0 + 1);
	ok(!local_blocked(l, &c, &r, t0 + 2, &got),
	    "a pass from Redis (admin lifted it) clears the cache");
	/* a flood of distinct subjects: an active spammer keeps its counters
	 * (least recently used ones go, one at a time) and a known block is
	 * kept apart from the counters (issue 11: the table once emptied itself
	 * whole, blocks included) */
	{
		struct limiter_req blk = {
		    .type = SUBJECT_SASL, .value = "boss"};
		struct local_stats st;
		char who[32];

		memset(&res, 0, sizeof(res));
		res.status = LIMITER_BLOCKED;
		strcpy(res.rule, "admin");
		local_note(l, &blk, &res, t0);
		for (n = 0, i = 0; i < 4 * LOCAL_MAX_SUBJECTS; i++) {
			snprintf(who, sizeof(who), "flood%d", i);
			(void)check(l, who, t0 + 1, 1);
			if (i % 1000 == 0)
				n += check(l, "spammer", t0 + 1, 1) ==
				    LIMITER_PASS;
		}
		is_int(n, 10, "a spammer among 200000 others: still 10 pass");
		ok(local_blocked(l, &c, &blk, t0 + 2, &got),
		    "and a cached block stays");
		local_stats(l, &st);
		ok(st.counters == LOCAL_MAX_SUBJECTS &&
		        st.counters_evicted >= 3 * LOCAL_MAX_SUBJECTS &&
		        st.blocks >= 1 && st.blocks_evicted == 0,
		    "counters bounded and evicted one at a time (%lu), no "
		    "block "
		    "evicted",
		    st.counters_evicted);
		local_clear(l);
		ok(local_blocked(l, &c, &blk, t0 + 3, &got),
		    "a reload (local_clear) forgets counters, not blocks");
	}
	local_clear(l);
	is_int(check(l, "h", t0 + 300005, 1), LIMITER_PASS,
	    "local_clear forgets counters");
	local_free(l);
	return tap_done();
}
