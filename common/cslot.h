/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cslot - Redis Cluster routing, sans I/O: which of 16384 slots a key or
 * a command belongs to (CRC16/XMODEM of the key or of its hash tag), the
 * slot map read from a CLUSTER SLOTS reply, and the -MOVED / -ASK
 * redirections a node answers with.
 *
 * cslot_keyslot() and cslot_cmd_slot() place keys and commands;
 * cslot_map_parse() builds a map, cslot_map_node() and cslot_map_find()
 * look it up, cslot_map_move() applies one MOVED until the caller next
 * refreshes the whole map; cslot_redirect_parse() reads a redirection.
 * Never connects, never allocates, never logs; every reply is untrusted.
 */
#ifndef FG_CSLOT_H
#define FG_CSLOT_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#define CSLOT_NSLOTS    16384
#define CSLOT_NODES_MAX 64  /* a map with more masters is refused */
#define CSLOT_HOST_MAX  256 /* a host name or address, with its NUL */

/* a master, as clients reach it: a host name or an IP address, a port */
struct cslot_node {
	char host[CSLOT_HOST_MAX];
	int port;
};

/* the owner of every slot; nodes are distinct by host (any case) and
 * port */
struct cslot_map {
	int nnodes;
	struct cslot_node node[CSLOT_NODES_MAX];
	int replicas[CSLOT_NODES_MAX]; /* of each node, as listed */
	int16_t owner[CSLOT_NSLOTS];   /* an index into node, -1: none known */
};

enum cslot_redirect { CSLOT_NONE, CSLOT_MOVED, CSLOT_ASK };

/* cslot_crc16 - CRC16/XMODEM of buf (poly 0x1021, init 0, no reflection,
 * no final xor): the hash Redis Cluster places keys with */
unsigned int cslot_crc16(const char *buf, size_t len);
/* cslot_keyslot - the slot of a key: of what lies between its first '{'
 * and the first '}' after it when that is not empty, else of the whole
 * key */
int cslot_keyslot(const char *key, size_t len);
/* cslot_cmd_slot - the slot of a command as floodgate sends them (the key
 * is argv[1]); -1 for a keyless command (AUTH, CLUSTER, INFO, PING,
 * SELECT, TIME, WAIT...) or one without arguments. argvlen NULL: the
 * arguments are C strings */
int cslot_cmd_slot(int argc, const char *const *argv, const size_t *argvlen);

/* cslot_map_parse - m from a CLUSTER SLOTS reply got from reached_host
 * (which a master listed with a NULL or "" endpoint is reached on; NULL:
 * such a master is refused). Only the master of each range is kept; a
 * master listed as "?" (set to be reached by a hostname it was never
 * given) leaves its range unowned. Returns 0, or -1 with why, m then emptied (parse into a
 * spare map to keep the old one) */
int cslot_map_parse(struct cslot_map *m, const redisReply *slots,
    const char *reached_host, char *why, size_t whysize)
    __attribute__((warn_unused_result));
/* cslot_map_node - the index of the node owning slot; -1 when none is
 * known or slot is out of range */
int cslot_map_node(const struct cslot_map *, int slot);
/* cslot_map_find - the index of host:port among m's nodes, or -1 */
int cslot_map_find(const struct cslot_map *m, const char *host, int port);
/* cslot_map_move - a MOVED: slot is to's from now on, to added to the
 * nodes when new. Returns 0, or -1 (slot out of range, to malformed, or
 * no room for a new node: the slot is then unowned until the map is
 * refreshed) */
int cslot_map_move(struct cslot_map *, int slot, const struct cslot_node *to)
    __attribute__((warn_unused_result));

/* cslot_redirect_parse - r as "MOVED <slot> <host>:<port>" or "ASK ...",
 * the port after the last ':' (so "::1:6381" is [::1]:6381) and an empty
 * host meaning reached_host: CSLOT_MOVED or CSLOT_ASK with slot and to
 * filled; CSLOT_NONE for any other reply or a malformed one */
enum cslot_redirect cslot_redirect_parse(const redisReply *r,
    const char *reached_host, int *slot, struct cslot_node *to)
    __attribute__((warn_unused_result));

#endif
