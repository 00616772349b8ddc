/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cslot - Redis Cluster routing: key and command slots, the slot map
 * from CLUSTER SLOTS, MOVED/ASK redirections (the Redis Cluster
 * specification: "Keys distribution model", "Hash tags", "Redirection
 * and resharding"; the CLUSTER SLOTS command reference).
 *
 * Entry points: cslot_crc16, cslot_keyslot, cslot_cmd_slot,
 * cslot_map_parse, cslot_map_node, cslot_map_find, cslot_map_move,
 * cslot_redirect_parse.
 * Never connects, allocates or logs; replies are read within their
 * stated lengths and every number through resp_int or str_tonum.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cslot.h"
#include "resp.h"
#include "str.h"

/* a redirection is "ASK <slot> <host>:<port>": anything longer is not
 * one */
#define CSLOT_REDIRECT_MAX (sizeof("MOVED 16383 :65535") + CSLOT_HOST_MAX)

/* commands whose arguments are no keys: those floodgate sends and a
 * cluster client's own; every other command's key is its argv[1] */
static const char *const cslot_keyless[] = {"ASKING", "AUTH", "CLUSTER", "ECHO",
    "HELLO", "INFO", "PING", "READONLY", "READWRITE", "ROLE", "SELECT", "TIME",
    "WAIT"};

unsigned int
cslot_crc16(const char *buf, size_t len)
{
	unsigned int crc = 0;
	size_t i;
	int b;

	/* bit by bit: a floodgate key is some 50 bytes, a table would save
	 * nanoseconds per command */
	for (i = 0; i < len; i++) {
		crc ^= (unsigned int)(unsigned char)buf[i] << 8;
		for (b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
		crc &= 0xffff;
	}
	return crc;
}

int
cslot_keyslot(const char *key, size_t len)
{
	const char *open, *close;

	if (len == 0)
		return 0; /* the CRC16 of nothing; key may be NULL then */
	if ((open = memchr(key, '{', len)) != NULL &&
	    (close = memchr(open + 1, '}', len - (size_t)(open + 1 - key))) !=
	        NULL &&
	    close > open + 1) {
		key = open + 1;
		len = (size_t)(close - key);
	}
	return (int)(cslot_crc16(key, len) & (CSLOT_NSLOTS - 1));
}

/* cslot_is_keyless - a command whose arguments are no keys */
static bool
cslot_is_keyless(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(cslot_keyless) / sizeof(cslot_keyless[0]); i++)
		if (strlen(cslot_keyless[i]) == len &&
		    strncasecmp(cslot_keyless[i], name, len) == 0)
			return true;
	return false;
}

int
cslot_cmd_slot(int argc, const char *const *argv, const size_t *argvlen)
{
	size_t n0, n1;

	if (argc < 2 || argv == NULL || argv[0] == NULL || argv[1] == NULL)
		return -1;
	n0 = argvlen != NULL ? argvlen[0] : strlen(argv[0]);
	n1 = argvlen != NULL ? argvlen[1] : strlen(argv[1]);
	if (cslot_is_keyless(argv[0], n0))
		return -1;
	return cslot_keyslot(argv[1], n1);
}

/* cslot_why - the reason in why; returns -1 */
__attribute__((format(printf, 3, 4))) static int
cslot_why(char *why, size_t whysize, const char *fmt, ...)
{
	va_list ap;

	if (whysize == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	return -1;
}

/* cslot_host_ok - s[0..len) can be a host name or an address: not
 * empty, within CSLOT_HOST_MAX, letters, digits and ".-:_%" only (no
 * NUL, space or control byte reaches a connect or a log line) */
static bool
cslot_host_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= CSLOT_HOST_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 'a' || c > 'z') && (c < 'A' || c > 'Z') &&
		    (c < '0' || c > '9') && c != '.' && c != '-' && c != ':' &&
		    c != '_' && c != '%')
			return false;
	}
	return true;
}

/* cslot_node_set - n as host[0..len):port, an empty host meaning
 * reached; 0, or -1 when either is malformed */
static int
cslot_node_set(struct cslot_node *n, const char *host, size_t len,
    const char *reached, long long port)
{
	if (len == 0 && reached != NULL) {
		host = reached;
		len = strlen(reached);
	}
	if (!cslot_host_ok(host, len) || port < 1 || port > 65535)
		return -1;
	memcpy(n->host, host, len);
	n->host[len] = '\0';
	n->port = (int)port;
	return 0;
}

int
cslot_map_find(const struct cslot_map *m, const char *host, int port)
{
	int i;

	for (i = 0; i < m->nnodes; i++)
		if (m->node[i].port == port &&
		    strcasecmp(m->node[i].host, host) == 0)
			return i;
	return -1;
}

/* cslot_map_add - the index of n in m, added when new; -1 when m is full */
static int
cslot_map_add(struct cslot_map *m, const struct cslot_node *n)
{
	int i;

	if ((i = cslot_map_find(m, n->host, n->port)) != -1)
		return i;
	if (m->nnodes >= CSLOT_NODES_MAX)
		return -1;
	m->node[m->nnodes] = *n;
	m->replicas[m->nnodes] = 0;
	return m->nnodes++;
}

/* cslot_map_clear - no node, no slot owned */
static void
cslot_map_clear(struct cslot_map *m)
{
	int s;

	m->nnodes = 0;
	for (s = 0; s < CSLOT_NSLOTS; s++)
		m->owner[s] = -1;
}

/* cslot_map_range - entry i of a CLUSTER SLOTS reply, [start, end,
 * [host, port, id, metadata...], replicas...], into m; 0 or -1 with
 * why */
static int
cslot_map_range(struct cslot_map *m, const redisReply *e, size_t i,
    const char *reached, char *why, size_t whysize)
{
	const redisReply *h;
	struct cslot_node n;
	long long start, end, port;
	size_t hlen;
	int idx, s, nrep;
	bool fresh;

	if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
	    e->element == NULL)
		return cslot_why(why, whysize,
		    "CLUSTER SLOTS: entry %zu is not [start, end, master...]",
		    i);
	if (e->element[0] == NULL || e->element[1] == NULL ||
	    resp_int(e->element[0], 0, CSLOT_NSLOTS - 1, &start) == -1 ||
	    resp_int(e->element[1], 0, CSLOT_NSLOTS - 1, &end) == -1 ||
	    start > end)
		return cslot_why(why, whysize,
		    "CLUSTER SLOTS: entry %zu: no range within 0..%d", i,
		    CSLOT_NSLOTS - 1);
	nrep = e->elements - 3 > 1000 ? 1000 : (int)(e->elements - 3);
	if ((e = e->element[2]) == NULL || e->type != REDIS_REPLY_ARRAY ||
	    e->elements < 2 || e->element == NULL ||
	    (h = e->element[0]) == NULL ||
	    (h->type != REDIS_REPLY_STRING && h->type != REDIS_REPLY_NIL) ||
	    (h->type == REDIS_REPLY_STRING && h->str == NULL) ||
	    e->element[1] == NULL ||
	    resp_int(e->element[1], 1, 65535, &port) == -1)
		return cslot_why(why, whysize,
		    "CLUSTER SLOTS: entry %zu: its master is not "
		    "[host, port 1..65535, ...]",
		    i);
	hlen = h->type == REDIS_REPLY_STRING ? h->len : 0;
	if (hlen == 1 && h->str[0] == '?')
		return 0; /* an endpoint the node does not know: unowned */
	if (cslot_node_set(&n, hlen > 0 ? h->str : "", hlen, reached, port) ==
	    -1)
		return cslot_why(why, whysize,
		    hlen > 0 ? "CLUSTER SLOTS: entry %zu: its master's host is "
		               "not a host name or an address"
		             : "CLUSTER SLOTS: entry %zu: its master is on the "
		               "host asked, which is unknown or malformed",
		    i);
	fresh = cslot_map_find(m, n.host, n.port) == -1;
	if ((idx = cslot_map_add(m, &n)) == -1)
		return cslot_why(why, whysize,
		    "CLUSTER SLOTS: more than %d masters", CSLOT_NODES_MAX);
	/* a master's replicas: the fewest any of its ranges lists */
	if (fresh || nrep < m->replicas[idx])
		m->replicas[idx] = nrep;
	for (s = (int)start; s <= (int)end; s++) {
		if (m->owner[s] != -1)
			return cslot_why(why, whysize,
			    "CLUSTER SLOTS: entry %zu: slot %d is owned twice",
			    i, s);
		m->owner[s] = (int16_t)idx;
	}
	return 0;
}

int
cslot_map_parse(struct cslot_map *m, const redisReply *slots,
    const char *reached_host, char *why, size_t whysize)
{
	char esc[128];
	size_t i;

	cslot_map_clear(m);
	if (slots == NULL)
		return cslot_why(why, whysize, "CLUSTER SLOTS: no reply");
	if (slots->type == REDIS_REPLY_ERROR && slots->str != NULL)
		return cslot_why(why, whysize, "CLUSTER SLOTS: %s",
		    str_escape(esc, sizeof(esc), slots->str, slots->len));
	if (slots->type != REDIS_REPLY_ARRAY ||
	    (slots->elements > 0 && slots->element == NULL))
		return cslot_why(
		    why, whysize, "CLUSTER SLOTS: the reply is not an array");
	if (slots->elements > CSLOT_NSLOTS)
		return cslot_why(why, whysize,
		    "CLUSTER SLOTS: more ranges than slots (%zu)",
		    slots->elements);
	for (i = 0; i < slots->elements; i++)
		if (cslot_map_range(m, slots->element[i], i, reached_host, why,
		        whysize) == -1) {
			cslot_map_clear(m);
			return -1;
		}
	return 0;
}

int
cslot_map_node(const struct cslot_map *m, int slot)
{
	if (slot < 0 || slot >= CSLOT_NSLOTS)
		return -1;
	return m->owner[slot];
}

int
cslot_map_move(struct cslot_map *m, int slot, const struct cslot_node *to)
{
	int idx;

	if (slot < 0 || slot >= CSLOT_NSLOTS)
		return -1;
	if (memchr(to->host, '\0', sizeof(to->host)) == NULL ||
	    !cslot_host_ok(to->host, strlen(to->host)) || to->port < 1 ||
	    to->port > 65535 || (idx = cslot_map_add(m, to)) == -1) {
		m->owner[slot] = -1;
		return -1;
	}
	m->owner[slot] = (int16_t)idx;
	return 0;
}

/* cslot_redirect_num - the digits s[0..len), no sign nor leading zero
 * (Redis writes none), as a number in [min, max]; 0 or -1 */
static int
cslot_redirect_num(
    const char *s, size_t len, long long min, long long max, long long *v)
{
	char buf[8];
	size_t i;

	if (len == 0 || len >= sizeof(buf) || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return str_tonum(buf, min, max, v);
}

enum cslot_redirect
cslot_redirect_parse(const redisReply *r, const char *reached_host, int *slot,
    struct cslot_node *to)
{
	enum cslot_redirect kind;
	const char *p, *end, *sp, *colon;
	long long s, port;

	if (r == NULL || r->type != REDIS_REPLY_ERROR || r->str == NULL ||
	    r->len > CSLOT_REDIRECT_MAX)
		return CSLOT_NONE;
	p = r->str;
	end = r->str + r->len;
	if (r->len > 6 && memcmp(p, "MOVED ", 6) == 0) {
		kind = CSLOT_MOVED;
		p += 6;
	} else if (r->len > 4 && memcmp(p, "ASK ", 4) == 0) {
		kind = CSLOT_ASK;
		p += 4;
	} else {
		return CSLOT_NONE;
	}
	/* "<slot> <host>:<port>", the host possibly empty or holding ':' */
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    cslot_redirect_num(p, (size_t)(sp - p), 0, CSLOT_NSLOTS - 1, &s) ==
	        -1)
		return CSLOT_NONE;
	p = sp + 1;
	if ((colon = memrchr(p, ':', (size_t)(end - p))) == NULL ||
	    cslot_redirect_num(
	        colon + 1, (size_t)(end - colon - 1), 1, 65535, &port) == -1 ||
	    cslot_node_set(to, p, (size_t)(colon - p), reached_host, port) ==
	        -1)
		return CSLOT_NONE;
	*slot = (int)s;
	return kind;
}
