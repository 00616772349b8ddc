/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cslotmap - the Redis Cluster slot map (common/cslot.c): CLUSTER SLOTS
 * replies accepted and refused (a table of shapes), MOVED applied to a
 * map, and random nested replies, mutated from good ones, that must
 * never crash the parser nor break the map's invariants.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cslot.h"
#include "redisreply.h"
#include "tap.h"

/* master - [host, port, id, []] of a CLUSTER SLOTS entry */
static redisReply *
master(const char *host, long long port)
{
	return rarr(
	    4, rstr(host), rnum(port), rstr("0123456789abcdef"), rarr(0));
}

/* range - [start, end, master, replicas...] with one replica */
static redisReply *
range(long long start, long long end, redisReply *m)
{
	return rarr(4, rnum(start), rnum(end), m, master("10.9.9.9", 7999));
}

/* map_sane - the invariants of any map parse leaves */
static bool
map_sane(const struct cslot_map *m)
{
	int i, j, s;

	if (m->nnodes < 0 || m->nnodes > CSLOT_NODES_MAX)
		return false;
	for (i = 0; i < m->nnodes; i++) {
		const struct cslot_node *n = &m->node[i];

		if (memchr(n->host, '\0', sizeof(n->host)) == NULL ||
		    n->host[0] == '\0' || n->port < 1 || n->port > 65535 ||
		    cslot_map_find(m, n->host, n->port) != i)
			return false;
		for (j = 0; j < i; j++)
			if (m->node[j].port == n->port &&
			    strcasecmp(m->node[j].host, n->host) == 0)
				return false;
	}
	for (s = 0; s < CSLOT_NSLOTS; s++)
		if (m->owner[s] < -1 || m->owner[s] >= m->nnodes)
			return false;
	return true;
}

/* map_empty - what a refused reply leaves */
static bool
map_empty(const struct cslot_map *m)
{
	int s;

	for (s = 0; s < CSLOT_NSLOTS; s++)
		if (m->owner[s] != -1)
			return false;
	return m->nnodes == 0;
}

/* node_is - node i of m is host:port */
static bool
node_is(const struct cslot_map *m, int i, const char *host, int port)
{
	return i >= 0 && i < m->nnodes && strcmp(m->node[i].host, host) == 0 &&
	    m->node[i].port == port;
}

static void
map_good(void)
{
	static struct cslot_map m;
	redisReply *r;
	char why[256];
	int a;

	/* Redis 7: three masters with one replica each, one master holding
	 * two ranges (once in another case), a hostname, an IPv6 one */
	r = rarr(5, range(0, 5460, master("127.0.0.1", 7000)),
	    range(5461, 10922, master("redis-2.example.com", 7001)),
	    range(10923, 12000, master("::1", 7002)),
	    range(12001, 16000, master("REDIS-2.example.com", 7001)),
	    range(16001, 16383, master("127.0.0.1", 7000)));
	is_int(cslot_map_parse(&m, r, "127.0.0.1", why, sizeof(why)), 0,
	    "a three-master reply parsed");
	is_int(m.nnodes, 3, "three nodes, replicas left out, names any case");
	ok(map_sane(&m), "the map is sane");
	ok(node_is(&m, cslot_map_node(&m, 0), "127.0.0.1", 7000) &&
	        node_is(&m, cslot_map_node(&m, 5460), "127.0.0.1", 7000) &&
	        node_is(&m, cslot_map_node(&m, 16383), "127.0.0.1", 7000),
	    "slots 0, 5460, 16383 on 127.0.0.1:7000");
	ok(node_is(&m, cslot_map_node(&m, 5461), "redis-2.example.com", 7001) &&
	        cslot_map_node(&m, 12001) == cslot_map_node(&m, 5461),
	    "slots 5461 and 12001 on redis-2.example.com:7001");
	ok(node_is(&m, cslot_map_node(&m, 11000), "::1", 7002),
	    "slot 11000 on [::1]:7002");
	is_int(cslot_map_find(&m, "Redis-2.Example.com", 7001),
	    cslot_map_node(&m, 5461), "find: a host name in any case");
	is_int(cslot_map_find(&m, "10.9.9.9", 7999), -1,
	    "find: a replica is no node");
	is_int(cslot_map_find(&m, "127.0.0.1", 7001), -1, "find: the port too");
	is_int(cslot_map_node(&m, -1), -1, "slot -1: none");
	is_int(cslot_map_node(&m, CSLOT_NSLOTS), -1, "slot 16384: none");
	rfree(r);

	/* "" and NULL: the host asked; "?": unknown; a gap; port string */
	r = rarr(4, range(0, 99, master("", 7000)),
	    range(100, 199, master(NULL, 7001)),
	    range(200, 299, master("?", 7002)),
	    rarr(3, rnum(300), rnum(300), rarr(2, rstr("h"), rstr("7003"))));
	is_int(cslot_map_parse(&m, r, "192.0.2.1", why, sizeof(why)), 0,
	    "empty, nil and unknown endpoints parsed");
	a = cslot_map_node(&m, 0);
	ok(node_is(&m, a, "192.0.2.1", 7000), "\"\": the host asked");
	ok(node_is(&m, cslot_map_node(&m, 199), "192.0.2.1", 7001),
	    "nil: the host asked");
	ok(cslot_map_node(&m, 200) == -1 && cslot_map_node(&m, 299) == -1,
	    "\"?\": its range unowned");
	is_int(cslot_map_find(&m, "?", 7002), -1, "\"?\": no node");
	ok(node_is(&m, cslot_map_node(&m, 300), "h", 7003),
	    "a port in a string, no id: read");
	is_int(cslot_map_node(&m, 301), -1, "a slot in no range: unowned");
	ok(map_sane(&m) && m.nnodes == 3, "three nodes");
	rfree(r);

	r = rarr(0);
	is_int(cslot_map_parse(&m, r, NULL, why, sizeof(why)), 0,
	    "no range at all (a fresh cluster): parsed, all unowned");
	ok(map_empty(&m), "and empty");
	rfree(r);
}

/* map_many - a reply of n masters of one slot each */
static redisReply *
map_many(int n, char host[][16])
{
	redisReply *r = rarr_of((size_t)n);
	int i;

	for (i = 0; i < n; i++) {
		snprintf(host[i], 16, "10.0.0.%d", i);
		r->element[i] = range(i, i, master(host[i], 6379));
	}
	return r;
}

/* refuse - r from reached is refused, why says so, m is emptied; r freed */
static void
refuse(redisReply *r, const char *reached, const char *name, const char *say)
{
	static struct cslot_map m;
	char why[256] = "";

	m.nnodes = 7;
	m.owner[5] = 3;
	is_int(cslot_map_parse(&m, r, reached, why, sizeof(why)), -1, name);
	if (!ok(strstr(why, say) != NULL && map_empty(&m),
	        "and says why, the map emptied"))
		printf("#   why: %s\n", why);
	if (r != NULL)
		rfree(r);
}

static void
map_bad(void)
{
	static struct cslot_map m;
	static char host[CSLOT_NODES_MAX + 1][16];
	static char longhost[CSLOT_HOST_MAX + 1];
	const char *at = "127.0.0.1", *bad = "no range within";
	const char *nomaster = "its master is not", *nohost = "not a host name";
	redisReply *r;
	char why[256];
	size_t i;

	refuse(rstr("OK"), at, "not an array", "not an array");
	refuse(rerr("ERR This instance has cluster support disabled\r\n"), at,
	    "an error",
	    "CLUSTER SLOTS: ERR This instance has cluster support "
	    "disabled\\x0d\\x0a");
	refuse(rarr(1, rnum(1)), at, "an entry not an array", "entry 0 is not");
	refuse(rarr(1, rarr(2, rnum(0), rnum(1))), at, "an entry of two",
	    "entry 0 is not");
	refuse(rarr(2, range(0, 10, master("h", 1)), rstr(NULL)), at,
	    "a nil entry", "entry 1 is not");
	refuse(rarr(1, rarr(3, rstr("x"), rnum(1), master("h", 1))), at,
	    "start junk", bad);
	refuse(rarr(1, range(-1, 1, master("h", 1))), at, "start -1", bad);
	refuse(rarr(1, range(0, 16384, master("h", 1))), at, "end 16384", bad);
	refuse(
	    rarr(1, range(9, 8, master("h", 1))), at, "start after end", bad);
	refuse(rarr(1, rarr(3, rnum(0), rstr(NULL), master("h", 1))), at,
	    "end nil", bad);
	refuse(rarr(1, range(0, 1, rstr("h:1"))), at, "master not an array",
	    nomaster);
	refuse(rarr(1, range(0, 1, rarr(1, rstr("h")))), at,
	    "master without port", nomaster);
	refuse(rarr(1, range(0, 1, rarr(2, rnum(1), rnum(1)))), at,
	    "host an integer", nomaster);
	refuse(rarr(1, range(0, 1, master("h", 0))), at, "port 0", nomaster);
	refuse(rarr(1, range(0, 1, master("h", 65536))), at, "port 65536",
	    nomaster);
	refuse(rarr(1, range(0, 1, rarr(2, rstr("h"), rstr("63x")))), at,
	    "port junk", nomaster);
	refuse(rarr(1, range(0, 1, master("h x", 1))), at, "host with a space",
	    nohost);
	r = rarr(1, range(0, 1, master("h", 1)));
	r->element[0]->element[2]->element[0]->str = "h\0x";
	r->element[0]->element[2]->element[0]->len = 3;
	refuse(r, at, "host with a NUL", nohost);
	memset(longhost, 'a', CSLOT_HOST_MAX);
	refuse(rarr(1, range(0, 1, master(longhost, 1))), at, "host too long",
	    nohost);
	refuse(rarr(1, range(0, 1, master("[::1]", 1))), at, "host bracketed",
	    nohost);
	refuse(rarr(1, range(0, 1, master("", 1))), NULL,
	    "\"\" with no host asked", "unknown or malformed");
	refuse(rarr(1, range(0, 1, master(NULL, 1))), "a b",
	    "nil asked on a malformed host", "unknown or malformed");
	refuse(rarr(2, range(0, 10, master("h", 1)),
	           range(10, 20, master("h", 2))),
	    at, "overlapping ranges", "entry 1: slot 10 is owned twice");
	refuse(map_many(CSLOT_NODES_MAX + 1, host), at, "65 masters",
	    "more than 64 masters");
	r = rarr_of(CSLOT_NSLOTS + 1);
	for (i = 0; i <= CSLOT_NSLOTS; i++)
		r->element[i] = rnum(0);
	refuse(r, at, "16385 ranges", "more ranges than slots");
	refuse(NULL, at, "no reply", "CLUSTER SLOTS: no reply");

	r = map_many(CSLOT_NODES_MAX, host);
	ok(cslot_map_parse(&m, r, NULL, why, sizeof(why)) == 0 &&
	        m.nnodes == CSLOT_NODES_MAX && map_sane(&m),
	    "64 masters: parsed");
	rfree(r);
	longhost[CSLOT_HOST_MAX - 1] = '\0';
	r = rarr(1, range(0, 1, master(longhost, 1)));
	ok(cslot_map_parse(&m, r, NULL, why, sizeof(why)) == 0 &&
	        strlen(m.node[0].host) == CSLOT_HOST_MAX - 1,
	    "a host of 255 bytes: parsed");
	rfree(r);
}

static void
moves(void)
{
	static struct cslot_map m;
	struct cslot_node to = {"10.0.0.1", 7000};
	redisReply *r;
	char why[256];
	int s;

	r = rarr(1, range(0, 16383, master("10.0.0.1", 7000)));
	if (cslot_map_parse(&m, r, NULL, why, sizeof(why)) == -1)
		printf("# %s\n", why);
	rfree(r);
	strcpy(to.host, "10.0.0.2");
	ok(cslot_map_move(&m, 3999, &to) == 0 && m.nnodes == 2 &&
	        node_is(&m, cslot_map_node(&m, 3999), "10.0.0.2", 7000) &&
	        node_is(&m, cslot_map_node(&m, 4000), "10.0.0.1", 7000),
	    "a MOVED to a new node: that slot only, the node added");
	strcpy(to.host, "10.0.0.1");
	ok(cslot_map_move(&m, 3999, &to) == 0 && m.nnodes == 2 &&
	        cslot_map_node(&m, 3999) == 0,
	    "a MOVED back: no node added");
	is_int(cslot_map_move(&m, CSLOT_NSLOTS, &to), -1, "slot 16384");
	is_int(cslot_map_move(&m, -1, &to), -1, "slot -1");
	to.port = 0;
	ok(cslot_map_move(&m, 5, &to) == -1 && cslot_map_node(&m, 5) == -1,
	    "to port 0: refused, the slot unowned");
	to.port = 7000;
	memset(to.host, 'a', sizeof(to.host));
	ok(cslot_map_move(&m, 6, &to) == -1 && cslot_map_node(&m, 6) == -1,
	    "to's host unterminated: refused");
	for (s = 0; m.nnodes < CSLOT_NODES_MAX; s++) {
		snprintf(to.host, sizeof(to.host), "10.1.0.%d", s);
		if (cslot_map_move(&m, s, &to) == -1)
			break;
	}
	is_int(m.nnodes, CSLOT_NODES_MAX, "moves fill the map to 64 nodes");
	strcpy(to.host, "10.2.0.1");
	ok(cslot_map_move(&m, 100, &to) == -1 &&
	        cslot_map_node(&m, 100) == -1 && m.nnodes == CSLOT_NODES_MAX,
	    "a 65th node: no room, the slot unowned");
	ok(map_sane(&m), "the map is sane");
}

static uint32_t fuzz_state = 2463534242u;

/* fuzz_rand - xorshift32 below n: the same replies every run */
static uint32_t
fuzz_rand(uint32_t n)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 17;
	fuzz_state ^= fuzz_state << 5;
	return fuzz_state % n;
}

/* fuzz_reply - a random reply, arrays nested up to depth 4 */
static redisReply *
fuzz_reply(int depth)
{
	static const char *const strs[] = {"", "?", "127.0.0.1", "::1", "h",
	    "7000", "-1", "16384", "x y", "h\x01", "[::1]", NULL};
	static const long long nums[] = {
	    -1, 0, 1, 5460, 16383, 16384, 65535, 65536, INT64_MIN, INT64_MAX};
	redisReply *r;
	size_t i, n;

	switch (fuzz_rand(depth < 4 ? 5 : 3)) {
	case 0:
		return rnum(nums[fuzz_rand(10)]);
	case 1:
		r = rstr(strs[fuzz_rand(sizeof(strs) / sizeof(strs[0]))]);
		if (r->type == REDIS_REPLY_STRING && fuzz_rand(4) == 0)
			r->type = REDIS_REPLY_STATUS + (int)fuzz_rand(2);
		return r;
	case 2:
		return rarr(0);
	default:
		r = rarr_of(n = fuzz_rand(6));
		for (i = 0; i < n; i++)
			r->element[i] = fuzz_reply(depth + 1);
		return r;
	}
}

/* fuzz_slots - a good CLUSTER SLOTS reply of up to 8 ranges, hosts and
 * ports drawn from few, then up to 3 of its parts swapped for random
 * replies */
static redisReply *
fuzz_slots(void)
{
	static const char *const hosts[] = {"", "?", "10.0.0.1", "10.0.0.2",
	    "::1", "redis-1.example.com", "REDIS-1.example.com", NULL};
	size_t i, n = 1 + fuzz_rand(8);
	redisReply *r = rarr_of(n), *p;
	int start = 0, m, depth;

	for (i = 0; i < n; i++) {
		int end = start + (int)fuzz_rand(4000);

		r->element[i] = range(start, end > 16383 ? 16383 : end,
		    master(hosts[fuzz_rand(8)], 7000 + fuzz_rand(3)));
		start = (end > 16383 ? 16383 : end) + (int)fuzz_rand(2);
	}
	for (m = (int)fuzz_rand(4); m > 0; m--) {
		for (p = r, depth = 0; p->elements > 0; depth++) {
			i = fuzz_rand((uint32_t)p->elements);
			if (p->element[i]->type != REDIS_REPLY_ARRAY ||
			    fuzz_rand(3) == 0) {
				rfree(p->element[i]);
				p->element[i] = fuzz_reply(depth);
				break;
			}
			p = p->element[i];
		}
	}
	return r;
}

static void
fuzz(void)
{
	static struct cslot_map m;
	char why[256];
	int i, parsed = 0, bad = 0;

	for (i = 0; i < 20000; i++) {
		redisReply *r = i % 10 == 0 ? fuzz_reply(0) : fuzz_slots();
		int rc = cslot_map_parse(
		    &m, r, fuzz_rand(2) ? "10.0.0.9" : NULL, why, sizeof(why));

		if (rc == 0)
			parsed++;
		if ((rc != 0 && rc != -1) || !map_sane(&m) ||
		    (rc == -1 && (!map_empty(&m) || why[0] == '\0')))
			bad++;
		why[0] = '\0';
		rfree(r);
	}
	is_int(bad, 0, "20000 random replies: no broken map");
	ok(parsed > 1000 && parsed < 19000, "some parsed (%d), some refused",
	    parsed);
}

int
main(void)
{
	map_good();
	map_bad();
	moves();
	fuzz();
	return tap_done();
}
