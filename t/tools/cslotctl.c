/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cslotctl - common/cslot.c by hand against a real Redis Cluster node
 * (t/cslot.t):
 *
 *   cslotctl keyslot           keys on stdin, one a line in hex (any
 *                              bytes): prints each one's slot
 *   cslotctl slots HOST PORT   CLUSTER SLOTS from HOST:PORT, parsed as
 *                              reached on HOST: "nodes N", then one
 *                              "START END HOST PORT" per owned range
 *   cslotctl send HOST PORT COMMAND ARGS...
 *                              sends the command: "slot S" (its slot,
 *                              cslot_cmd_slot), then "MOVED S HOST PORT",
 *                              "ASK S HOST PORT" or "reply TYPE" (array,
 *                              status, error or other)
 * Exits 1 when Redis cannot be reached or a reply is refused, 2 on
 * usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cslot.h"
#include "str.h"

/* unhex - the bytes of the hex digits in line into out; their count, or
 * -1 */
static long
unhex(const char *line, char *out, size_t size)
{
	size_t i, n = strcspn(line, "\r\n");
	unsigned int b;

	if (n % 2 != 0 || n / 2 > size)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(line + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (char)b;
	}
	return (long)(n / 2);
}

/* keyslot - the slot of every hex key on stdin */
static int
keyslot(void)
{
	static char line[2 * 65536 + 4], key[65536];
	long n;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((n = unhex(line, key, sizeof(key))) < 0) {
			fprintf(
			    stderr, "cslotctl: not a hex key: %.40s\n", line);
			return 1;
		}
		printf("%d\n", cslot_keyslot(key, (size_t)n));
	}
	return 0;
}

/* connect_to - a connection to host:port, or exit */
static redisContext *
connect_to(const char *host, const char *port)
{
	struct timeval tv = {5, 0};
	redisContext *c;
	long long p;

	if (str_tonum(port, 1, 65535, &p) == -1) {
		fprintf(stderr, "cslotctl: bad port %s\n", port);
		exit(2);
	}
	if ((c = redisConnectWithTimeout(host, (int)p, tv)) == NULL || c->err) {
		fprintf(
		    stderr, "cslotctl: cannot connect to %s:%s\n", host, port);
		exit(1);
	}
	return c;
}

/* slots - the map a node's CLUSTER SLOTS makes, range by range */
static int
slots(const char *host, const char *port)
{
	static struct cslot_map m;
	redisContext *c = connect_to(host, port);
	redisReply *r = redisCommand(c, "CLUSTER SLOTS");
	char why[256];
	int s, e, rc = 0;

	if (cslot_map_parse(&m, r, host, why, sizeof(why)) == -1) {
		fprintf(stderr, "cslotctl: %s\n", why);
		rc = 1;
	} else {
		printf("nodes %d\n", m.nnodes);
		for (s = 0; s < CSLOT_NSLOTS; s = e + 1) {
			for (e = s; e + 1 < CSLOT_NSLOTS &&
			     m.owner[e + 1] == m.owner[s];
			     e++)
				;
			if (m.owner[s] != -1)
				printf("%d %d %s %d\n", s, e,
				    m.node[m.owner[s]].host,
				    m.node[m.owner[s]].port);
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return rc;
}

/* send_cmd - one command, its slot and the redirection it got */
static int
send_cmd(const char *host, const char *port, int argc, const char **argv)
{
	redisContext *c = connect_to(host, port);
	redisReply *r;
	struct cslot_node to;
	enum cslot_redirect k;
	int s;

	printf("slot %d\n", cslot_cmd_slot(argc, argv, NULL));
	if ((r = redisCommandArgv(c, argc, argv, NULL)) == NULL) {
		fprintf(stderr, "cslotctl: no reply from %s:%s\n", host, port);
		return 1;
	}
	if ((k = cslot_redirect_parse(r, host, &s, &to)) != CSLOT_NONE)
		printf("%s %d %s %d\n", k == CSLOT_MOVED ? "MOVED" : "ASK", s,
		    to.host, to.port);
	else
		printf("reply %s\n",
		    r->type == REDIS_REPLY_ARRAY        ? "array"
		        : r->type == REDIS_REPLY_STATUS ? "status"
		        : r->type == REDIS_REPLY_ERROR  ? "error"
		                                        : "other");
	freeReplyObject(r);
	redisFree(c);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "keyslot") == 0)
		return keyslot();
	if (argc == 4 && strcmp(argv[1], "slots") == 0)
		return slots(argv[2], argv[3]);
	if (argc >= 5 && strcmp(argv[1], "send") == 0)
		return send_cmd(
		    argv[2], argv[3], argc - 4, (const char **)argv + 4);
	fprintf(stderr, "usage: see t/tools/cslotctl.c\n");
	return 2;
}
