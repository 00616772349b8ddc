/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keys - every Redis key suffix and field name floodgate reads or writes
 * (DESIGN.md "Subjects and keys"; the README's admin recipes use them).
 *
 * A subject's keys are "<prefix>{<type>:<value>}<suffix>" (subject_key);
 * the shared ones are "<prefix><name>". Changing a name here changes the
 * schema every node and every admin recipe depends on.
 */
#ifndef FG_KEYS_H
#define FG_KEYS_H

/* suffixes of a subject's keys; "" is its usage hash */
#define KEYS_USAGE   ""
#define KEYS_BLOCK   ":block"   /* HASH: the block, and why */
#define KEYS_LIMITS  ":limits"  /* HASH: overrides, exempt */
#define KEYS_IPS     ":ips"     /* ZSET: client ips seen, by time */
#define KEYS_SENDERS ":senders" /* ZSET: senders seen, by time */
#define KEYS_SCRIPTS ":scripts" /* ZSET: uid's scripts, by messages */

/* shared keys, after the prefix */
#define KEYS_EVENTS "events" /* STREAM: block events */
#define KEYS_TRACE  "trace"  /* STREAM: one entry per stamped message */
#define KEYS_NODES  "nodes:" /* ZSET "nodes:<kind>": node, last beat (ms) */
#define KEYS_BLOCKED                                                           \
	"blocked" /* ZSET: "<type>:<value>" of each block, by
                                 * its expiry (s; +inf: until lifted) */

/* the block hash's field naming the node that notifies it */
#define KEYS_NOTIFIED "notified"
/* fields of the limits hash: exempt, and "<metric name>:<window>" */
#define KEYS_EXEMPT "exempt"
/* fields of the usage hash: "<metric letter>:<window>:<bucket>",
 * denials "d:<rule>:<bucket>", last bucket seen "L:<rule>" */
#define KEYS_DENIALS "d:"
#define KEYS_LAST    "L:"

/* the metrics: index 0 messages, 1 recipients, 2 bytes */
#define KEYS_NMETRIC 3
extern const char *const keys_metric_letter[KEYS_NMETRIC];
extern const char *const keys_metric_name[KEYS_NMETRIC];

#endif
