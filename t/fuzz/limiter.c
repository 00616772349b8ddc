/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limiter - libFuzzer target: the limiter's reply intake (common/limiter.c
 * limiter_take, limiter_finish, limiter_refund) with Redis replies built
 * from the input, as syncrun.c drives it: every command of the first
 * round gets a reply, the first one of the wrong shape stops the taking,
 * else the decision and its follow-up commands are made. Replies are
 * freed as soon as they are taken, so ASan sees one kept too long.
 *
 * The input, read a byte at a time (all zero past its end): the subject
 * type, mode and block_only; the time; the increments; then per command a
 * selector (below 0xe0: the right shape; above: nil, an error, a wrong
 * type or a wrong count) and its values: counts small, raw 64-bit, at
 * LIMITER_COUNT_MAX and past it, as integers or decimal strings; block
 * hash fields by name. Replies are t/redisreply.h's; their strings are
 * freed with them.
 */
#include <limits.h>

#include "conf.h"
#include "fuzz.h"
#include "limiter.h"
#include "redisreply.h"
#include "resp.h"

static const char limiter_conf_text[] =
    "node = \"fuzz\"\n"
    "limit \"sasl-min\" {\n subject = \"sasl\"\n window = 1m\n"
    " messages = 5\n recipients = 20\n bytes = 1000000\n"
    " max_client_ips = 3\n max_senders = 2\n block_after = 2\n"
    " block_ttl = 1h\n}\n"
    "limit \"sasl-day\" {\n subject = \"sasl\"\n window = 1d\n"
    " messages = 100\n}\n"
    "limit \"ip-hour\" {\n subject = \"ip\"\n window = 1h\n"
    " messages = 50\n recipients = 100\n block_after = 1\n}\n"
    "limit \"uid-31d\" {\n subject = \"uid\"\n window = 31d\n"
    " bytes = 1000000000\n block_after = 1\n}\n"
    "limit \"sender-1s\" {\n subject = \"sender\"\n window = 1\n"
    " messages = 1\n}\n";

#define INPUT_STRS_MAX 4096 /* strings in one round's replies */

struct input {
	const uint8_t *d;
	size_t n, off;
	char *strs[INPUT_STRS_MAX];
	int nstrs;
};

/* in_byte - the next byte, 0 past the end */
static uint8_t
in_byte(struct input *in)
{
	return in->off < in->n ? in->d[in->off++] : 0;
}

/* in_bits - the next k bytes as a big-endian number */
static unsigned long long
in_bits(struct input *in, int k)
{
	unsigned long long v = 0;

	while (k-- > 0)
		v = v << 8 | in_byte(in);
	return v;
}

/* in_count - a count as Redis may hold one: small, raw, at the bounds */
static long long
in_count(struct input *in)
{
	static const long long edge[] = {LIMITER_COUNT_MAX,
	    LIMITER_COUNT_MAX + 1, -LIMITER_COUNT_MAX, -LIMITER_COUNT_MAX - 1,
	    LLONG_MAX, LLONG_MIN, -1, 0};

	switch (in_byte(in) % 4) {
	case 0:
		return in_byte(in);
	case 1:
		return (long long)in_bits(in, 8);
	case 2:
		return edge[in_byte(in) % 8];
	default:
		return (long long)in_bits(in, 6) - (1LL << 47);
	}
}

/* in_str - a string reply of n bytes of s, kept until in_drop; NULL: nil */
static redisReply *
in_str(struct input *in, const char *s, size_t n)
{
	redisReply *r;
	char *copy;

	if (s == NULL || in->nstrs == INPUT_STRS_MAX)
		return rstr(NULL);
	if ((copy = malloc(n + 1)) == NULL)
		abort();
	memcpy(copy, s, n);
	copy[n] = '\0';
	in->strs[in->nstrs++] = copy;
	r = rstr(copy);
	r->len = n;
	return r;
}

/* in_drop - the strings of the replies taken: freed, so a limiter that
 * kept one is a use after free */
static void
in_drop(struct input *in)
{
	while (in->nstrs > 0)
		free(in->strs[--in->nstrs]);
}

/* reply_elem - an element of a hash read: nil, a count, raw bytes */
static redisReply *
reply_elem(struct input *in)
{
	char buf[256];
	uint8_t c = in_byte(in);
	size_t n, i;

	if (c < 0x80) {
		n = (size_t)snprintf(buf, sizeof(buf), "%lld", in_count(in));
		return in_str(in, buf, n);
	}
	if (c < 0xa0)
		return in_str(in, NULL, 0);
	if (c < 0xb0)
		return in_str(in, "1", 1);
	n = in_byte(in) % 32;
	for (i = 0; i < n; i++)
		buf[i] = (char)in_byte(in);
	return in_str(in, buf, n);
}

/* reply_array - an array of n elements made by make */
static redisReply *
reply_array(struct input *in, size_t n, redisReply *(*make)(struct input *))
{
	redisReply *r = rarr_of(n);
	size_t i;

	for (i = 0; i < n; i++)
		r->element[i] = make(in);
	return r;
}

/* reply_field - a block hash's field name or value */
static redisReply *
reply_field(struct input *in)
{
	static const char *const names[] = {
	    "rule", "reason", "value", "limit", "at", "by", "node"};
	uint8_t c = in_byte(in);

	if (c < 0xc0)
		return in_str(in, names[c % 7], strlen(names[c % 7]));
	return reply_elem(in);
}

/* reply_make - the reply to command argv of argc arguments */
static redisReply *
reply_make(struct input *in, int argc, const char *const *argv)
{
	uint8_t sel = in_byte(in);
	size_t want = (size_t)argc - 2;
	redisReply *r;

	if (sel >= 0xf8)
		return reply_array(
		    in, sel & 1 && want > 0 ? want - 1 : want + 1, reply_elem);
	if (sel >= 0xf0) {
		r = in_str(in, "ERR fuzz", 8);
		r->type = sel & 1 ? REDIS_REPLY_ERROR : REDIS_REPLY_STATUS;
		return r;
	}
	if (sel >= 0xe8)
		return rstr(NULL);
	if (sel >= 0xe0)
		return rnum(in_count(in));
	if (strcmp(argv[0], "HMGET") == 0)
		return reply_array(in, want, reply_elem);
	if (strcmp(argv[0], "HGETALL") == 0)
		return reply_array(in, 2 * (sel % 5), reply_field);
	return rnum(in_count(in));
}

/* cmds_ok - the commands laid out now are whole and can be sent */
static void
cmds_ok(const struct limiter *l)
{
	static char buf[64 * 1024];
	const char *const *argv;
	const size_t *len;
	int i, a, argc;

	for (i = 0; i < limiter_ncmd(l); i++) {
		limiter_cmd(l, i, &argc, &argv, &len);
		FUZZ_CHECK(argc >= 2);
		for (a = 0; a < argc; a++)
			FUZZ_CHECK(argv[a] != NULL);
		FUZZ_CHECK(resp_format(buf, sizeof(buf), argc, argv, len) > 0);
	}
}

/* result_ok - what a decision promises its caller */
static void
result_ok(const struct conf *c, const struct limiter_result *res, long long now)
{
	size_t i;

	FUZZ_CHECK(
	    res->status >= LIMITER_PASS && res->status <= LIMITER_OVER_BLOCK);
	FUZZ_CHECK(res->now_ms == now);
	FUZZ_CHECK(strlen(res->rule) < sizeof(res->rule));
	for (i = 0; res->what[i] != '\0'; i++)
		FUZZ_CHECK(res->what[i] >= 0x20 && res->what[i] < 0x7f);
	if (res->status == LIMITER_OVER || res->status == LIMITER_OVER_BLOCK ||
	    res->status == LIMITER_BLOCK_NOW) {
		FUZZ_CHECK(conf_limit_find(c, res->rule) != NULL);
		FUZZ_CHECK(res->limit > 0 && res->value >= res->limit);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf *c;
	static struct input in;
	struct limiter_req rq = {.value = "alice@example.com",
	    .ip = "203.0.113.0/24",
	    .sender = "bob@example.org",
	    .by = "fuzz"};
	struct limiter_result res;
	const char *const *argv;
	const size_t *len;
	struct limiter *l;
	redisReply *r;
	char err[CONF_ERR_MAX];
	int i, argc, rc = 0;
	uint8_t how;

	if (c == NULL)
		FUZZ_CHECK(
		    (c = conf_load_text("limiter.conf", limiter_conf_text,
		         sizeof(limiter_conf_text) - 1, err, sizeof(err))) !=
		    NULL);
	in.d = data;
	in.n = size;
	in.off = 0;
	how = in_byte(&in);
	rq.type = (enum subject_type)(how % SUBJECT_NTYPES);
	rq.mode = how & 0x10 ? LIMITER_DRYRUN : LIMITER_ENFORCE;
	rq.block_only = (how & 0x20) != 0;
	/* Redis' TIME, range-checked by the clock: up to 2^40 s */
	rq.now_ms = 1 + (long long)(in_bits(&in, 8) % (1000LL << 40));
	rq.messages = in_byte(&in) % 2;
	rq.recipients = (long long)in_bits(&in, 3) % 1000001;
	rq.bytes = (long long)in_bits(&in, 7) % ((1LL << 50) + 1);
	if ((l = limiter_start(c, &rq)) == NULL)
		return 0;
	cmds_ok(l);
	for (i = 0; i < limiter_ncmd(l) && rc == 0; i++) {
		limiter_cmd(l, i, &argc, &argv, &len);
		r = reply_make(&in, argc, argv);
		rc = limiter_take(l, i, r);
		rfree(r);
		in_drop(&in);
	}
	if (rc == 0 && limiter_finish(l, &res) == 0) {
		result_ok(c, &res, rq.now_ms);
		cmds_ok(l);
		if (in_byte(&in) & 1 && limiter_refund(l) == 0)
			cmds_ok(l);
	}
	limiter_free(l);
	return 0;
}
