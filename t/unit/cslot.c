/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cslot - Redis Cluster routing, where a key goes: CRC16 and key slots
 * against known vectors and the hash tag rules, every key of a subject
 * in one slot, command slots, and MOVED/ASK read or refused (a table,
 * then random mutations of good ones). The slot map: t/unit/cslotmap.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cslot.h"
#include "keys.h"
#include "redisreply.h"
#include "str.h"
#include "subject.h"
#include "tap.h"

/* slot - the slot of a C string */
static int
slot(const char *key)
{
	return cslot_keyslot(key, strlen(key));
}

/* slot_of - CRC16 of s[0..len) reduced to a slot, no hash tag rule */
static int
slot_of(const char *s, size_t len)
{
	return (int)(cslot_crc16(s, len) % CSLOT_NSLOTS);
}

static void
crc_and_keys(void)
{
	static const struct {
		const char *key, *hashed; /* NULL: the whole key */
	} tags[] = {
	    {"foo{}{bar}", NULL},
	    {"foo{{bar}}zap", "{bar"},
	    {"foo{bar}{zap}", "bar"},
	    {"{user1000}.following", "user1000"},
	    {"{}", NULL},
	    {"{", NULL},
	    {"}", NULL},
	    {"a}{", NULL},
	    {"{abc", NULL},
	    {"}{a}", "a"},
	    {"x{ }y", " "},
	    {"{{}}", "{"},
	    {"fg:{sasl:alice@example.com}:block", "sasl:alice@example.com"},
	};
	size_t i;

	is_int(cslot_crc16("123456789", 9), 0x31C3, "CRC16(123456789) 0x31C3");
	is_int(cslot_crc16("", 0), 0, "CRC16 of nothing");
	is_int(slot("foo"), 12182, "foo: 12182");
	is_int(slot("bar"), 5061, "bar: 5061");
	is_int(slot("somekey"), 11058, "somekey: 11058");
	is_int(slot("123456789"), 12739, "123456789: 12739");
	is_int(slot("foo{hash_tag}"), 2515, "foo{hash_tag}: 2515");
	is_int(slot("{user1000}.following"), 3443, "{user1000}.following");
	is_int(slot("{user1000}.followers"), slot("{user1000}.following"),
	    "followers and following share their tag's slot");
	is_int(slot(""), 0, "the empty key: slot 0");
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		const char *h = tags[i].hashed ? tags[i].hashed : tags[i].key;

		is_int(slot(tags[i].key), slot_of(h, strlen(h)), tags[i].key);
	}
	is_int(cslot_keyslot("a\0{b}c", 6), slot_of("b", 1),
	    "a NUL before the tag: still the tag");
	is_int(cslot_keyslot("{\0}x", 4), slot_of("\0", 1),
	    "a tag of one NUL byte");
	is_int(cslot_keyslot("ab{c}d", 2), slot_of("ab", 2),
	    "only len bytes are read");
	ok(slot("{bar}") != slot("bar{}"), "an empty tag is no tag");
}

static void
subject_keys(void)
{
	static const char *const raw[] = {"alice@example.com",
	    "Al}ice{x@example.com", "}{", "{}", "a%7b", "x:y:z"};
	static const char *const suffix[] = {KEYS_USAGE, KEYS_BLOCK,
	    KEYS_LIMITS, KEYS_IPS, KEYS_SENDERS, KEYS_SCRIPTS};
	static const struct subject_opts o = {32, 64};
	char v[SUBJECT_VALUE_MAX], key[1024], tag[1024];
	size_t i, j;

	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		int want, same = 1;

		if (subject_norm(SUBJECT_SASL, raw[i], &o, v, sizeof(v)) ==
		    -1) {
			ok(0, "subject '%s' normalised", raw[i]);
			continue;
		}
		snprintf(tag, sizeof(tag), "sasl:%s", v);
		want = slot_of(tag, strlen(tag));
		for (j = 0; j < sizeof(suffix) / sizeof(suffix[0]); j++)
			if (subject_key(key, sizeof(key), "fg:", SUBJECT_SASL,
			        v, suffix[j]) == -1 ||
			    slot(key) != want)
				same = 0;
		ok(same, "every key of sasl '%s' is in its tag's slot", raw[i]);
	}
}

static void
commands(void)
{
	static const char *const keyed[] = {"HMGET", "HGETALL", "HINCRBY",
	    "HSET", "HDEL", "PEXPIRE", "EXPIRE", "ZADD", "ZCOUNT",
	    "ZREMRANGEBYSCORE", "XADD", "XRANGE", "XREVRANGE", "DEL", "EXISTS",
	    "GET", "SET", "hmget", "Xadd"};
	static const char *const keyless[] = {"TIME", "PING", "WAIT", "ROLE",
	    "INFO", "CLUSTER", "ASKING", "AUTH", "SELECT", "ping", "Cluster",
	    "READONLY", "HELLO", "ECHO"};
	const char *key = "fg:{sasl:bob}:ips";
	const char *argv[4];
	size_t len[4], i;

	for (i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
		argv[0] = keyed[i];
		argv[1] = key;
		argv[2] = "x";
		is_int(
		    cslot_cmd_slot(3, argv, NULL), slot("sasl:bob"), keyed[i]);
	}
	for (i = 0; i < sizeof(keyless) / sizeof(keyless[0]); i++) {
		argv[0] = keyless[i];
		argv[1] = key;
		is_int(cslot_cmd_slot(2, argv, NULL), -1, keyless[i]);
	}
	argv[0] = "GET";
	is_int(cslot_cmd_slot(1, argv, NULL), -1, "GET alone: no key");
	is_int(cslot_cmd_slot(0, argv, NULL), -1, "no command");
	is_int(cslot_cmd_slot(2, NULL, NULL), -1, "no argv");
	argv[0] = "PINGX";
	argv[1] = "k";
	is_int(cslot_cmd_slot(2, argv, NULL), slot("k"),
	    "a name is matched whole (PINGX is keyed)");
	/* lengths given: binary keys, a name not NUL-terminated there */
	argv[0] = "GETRANGE";
	argv[1] = "k{\0}";
	len[0] = 3;
	len[1] = 4;
	is_int(cslot_cmd_slot(2, argv, len), slot_of("\0", 1),
	    "argvlen: the key's bytes, NUL included");
	argv[0] = "PINGPONG";
	len[0] = 4;
	is_int(cslot_cmd_slot(2, argv, len), -1, "argvlen: the name's bytes");
}

static void
redirects(void)
{
	static char longer[CSLOT_HOST_MAX + 16];
	static const struct {
		const char *err, *reached, *want; /* "": CSLOT_NONE */
	} cases[] = {
	    {"MOVED 3999 127.0.0.1:6381", NULL, "MOVED 3999 127.0.0.1 6381"},
	    {"ASK 3999 127.0.0.1:6381", NULL, "ASK 3999 127.0.0.1 6381"},
	    {"MOVED 3999 ::1:6381", NULL, "MOVED 3999 ::1 6381"},
	    {"ASK 0 2001:db8::5:7000", NULL, "ASK 0 2001:db8::5 7000"},
	    {"MOVED 16383 fe80::1%eth0:1", NULL, "MOVED 16383 fe80::1%eth0 1"},
	    {"MOVED 12 redis-2.example.com:65535", NULL,
	        "MOVED 12 redis-2.example.com 65535"},
	    {"MOVED 3999 :6381", "10.0.0.1", "MOVED 3999 10.0.0.1 6381"},
	    {"ASK 7 :6381", "::1", "ASK 7 ::1 6381"},
	    {"MOVED 3999 :6381", NULL, ""},
	    {"MOVED 3999 :6381", "", ""},
	    {"MOVED 3999 :6381", "bad host", ""},
	};
	/* refused whoever is asked */
	static const char *const refused[] = {"MOVED 3999 ?:6381",
	    "MOVED 3999 [::1]:6381", "MOVED", "MOVED ", "MOVED 3999",
	    "MOVED 3999 ", "MOVED 16384 h:1", "MOVED -1 h:1", "MOVED +1 h:1",
	    "MOVED 99999999 h:1", "MOVED 3999 h:0", "MOVED 3999 h:65536",
	    "MOVED 3999 h:", "MOVED 3999 h", "MOVED 3999 h:63x",
	    "MOVED 3999 h:-1", "MOVED 03999 h:1", "MOVED 3999 h:06381",
	    "MOVED 3999 h:6381 x", "MOVED 3999 h :6381", "MOVED  3999 h:6381",
	    "MOVED 3999  h:6381", "MOVED 3999 h:6381\r\n", "moved 3999 h:6381",
	    "MOVEDX 3999 h:6381", "ASKING", "ERR unknown command",
	    "CLUSTERDOWN Hash slot not served", ""};
	struct cslot_node to;
	redisReply *r;
	char got[CSLOT_HOST_MAX + 32];
	size_t i;
	int s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cslot_redirect k;

		r = rerr(cases[i].err);
		k = cslot_redirect_parse(r, cases[i].reached, &s, &to);
		if (k == CSLOT_NONE)
			got[0] = '\0';
		else
			snprintf(got, sizeof(got), "%s %d %s %d",
			    k == CSLOT_MOVED ? "MOVED" : "ASK", s, to.host,
			    to.port);
		ok(strcmp(got, cases[i].want) == 0, "'%s' (asked %s): %s",
		    cases[i].err, cases[i].reached ? cases[i].reached : "none",
		    got[0] ? got : "refused");
		rfree(r);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		r = rerr(refused[i]);
		ok(cslot_redirect_parse(r, "10.0.0.1", &s, &to) == CSLOT_NONE,
		    "'%s': refused",
		    str_escape(
		        got, sizeof(got), refused[i], strlen(refused[i])));
		rfree(r);
	}
	r = rerr("MOVED 1 h\0x:6381");
	r->len = 15;
	is_int(cslot_redirect_parse(r, NULL, &s, &to), CSLOT_NONE,
	    "a NUL in the host: refused");
	r->len = 11; /* "MOVED 1 h\0x" cut before the port */
	is_int(cslot_redirect_parse(r, NULL, &s, &to), CSLOT_NONE,
	    "only len bytes are read");
	r->type = REDIS_REPLY_STATUS;
	r->str = "MOVED 1 h:1";
	r->len = strlen(r->str);
	is_int(cslot_redirect_parse(r, NULL, &s, &to), CSLOT_NONE,
	    "a status is no redirection");
	r->type = REDIS_REPLY_STRING;
	is_int(cslot_redirect_parse(r, NULL, &s, &to), CSLOT_NONE,
	    "a string is no redirection");
	rfree(r);
	is_int(
	    cslot_redirect_parse(NULL, NULL, &s, &to), CSLOT_NONE, "no reply");
	memcpy(longer, "MOVED 1 ", 8);
	memset(longer + 8, 'a', CSLOT_HOST_MAX - 1);
	memcpy(longer + 8 + CSLOT_HOST_MAX - 1, ":1", 3);
	r = rerr(longer);
	is_int(cslot_redirect_parse(r, NULL, &s, &to), CSLOT_MOVED,
	    "a host of 255 bytes: read");
	longer[8 + CSLOT_HOST_MAX - 1] = 'a';
	memcpy(longer + 8 + CSLOT_HOST_MAX, ":1", 3);
	r->len = strlen(longer);
	is_int(cslot_redirect_parse(r, NULL, &s, &to), CSLOT_NONE,
	    "a host of 256 bytes: refused");
	rfree(r);
}

/* redirect_rand - xorshift32 below n: the same mutations every run */
static uint32_t
redirect_rand(uint32_t n)
{
	static uint32_t x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x % n;
}

/* redirect_mutate - buf, of len bytes, with a byte changed, deleted or
 * added, or cut; its new length */
static size_t
redirect_mutate(char *buf, size_t len, size_t size)
{
	static const char bytes[] = " :0123456789{}-.%aZ?[\r\n\xff";
	size_t at = redirect_rand((uint32_t)len + 1);
	char c = bytes[redirect_rand(sizeof(bytes))]; /* NUL included */

	switch (redirect_rand(4)) {
	case 0:
		if (at < len)
			buf[at] = c;
		return len;
	case 1:
		if (at < len)
			memmove(buf + at, buf + at + 1, len - at - 1);
		return at < len ? len - 1 : len;
	case 2:
		if (len + 1 >= size)
			return len;
		memmove(buf + at + 1, buf + at, len - at);
		buf[at] = c;
		return len + 1;
	default:
		return at;
	}
}

/* redirect_fuzz - good redirections mutated: whatever is read is what
 * the bytes say, written back the same, within every bound */
static void
redirect_fuzz(void)
{
	static const char *const good[] = {"MOVED 3999 127.0.0.1:6381",
	    "ASK 0 ::1:1", "MOVED 16383 :65535", "ASK 12 redis-2.ex.com:7000",
	    "MOVED 1 fe80::1%eth0:6379"};
	const char *reached = "10.0.0.9";
	struct cslot_node to;
	redisReply r = {.type = REDIS_REPLY_ERROR};
	char buf[64], back[CSLOT_HOST_MAX + 32], asked[32];
	const char *kind;
	int i, m, s, read = 0, bad = 0;

	for (i = 0; i < 200000; i++) {
		enum cslot_redirect k;
		const char *g = good[redirect_rand(5)];

		r.len = strlen(g);
		memcpy(buf, g, r.len);
		for (m = 1 + (int)redirect_rand(3); m > 0; m--)
			r.len = redirect_mutate(buf, r.len, sizeof(buf));
		buf[r.len] = '\0';
		r.str = buf;
		if ((k = cslot_redirect_parse(&r, reached, &s, &to)) ==
		    CSLOT_NONE)
			continue;
		read++;
		/* written back: the host as read, or empty for the one asked */
		kind = k == CSLOT_MOVED ? "MOVED" : "ASK";
		snprintf(back, sizeof(back), "%s %d %s:%d", kind, s, to.host,
		    to.port);
		snprintf(asked, sizeof(asked), "%s %d :%d", kind, s, to.port);
		if (strlen(buf) != r.len ||
		    (strcmp(back, buf) != 0 &&
		        (strcmp(to.host, reached) != 0 ||
		            strcmp(asked, buf) != 0)))
			bad++;
		if (s < 0 || s >= CSLOT_NSLOTS || to.port < 1 ||
		    to.port > 65535 || to.host[0] == '\0' ||
		    strchr(to.host, ' ') != NULL)
			bad++;
	}
	is_int(bad, 0, "200000 mutated redirections: all read back the same");
	ok(read > 1000, "and some were read (%d)", read);
}

int
main(void)
{
	crc_and_keys();
	subject_keys();
	commands();
	redirects();
	redirect_fuzz();
	return tap_done();
}
