/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qmatch - whether a queued message is a SUBJECT's, for floodgate queue:
 *   sasl:NAME      its sasl_username attribute
 *   ip:ADDR        its client_address (IPv4 by ipv4_prefix, 32 by
 *                  default: exact; IPv6 by ipv6_prefix, /64 by default)
 *   uid:NAME|N     Postfix's "from userid N" when the queue file has it
 *                  (sendmail, postdrop), else an X-Floodgate-Origin
 *                  stamp that verifies with a milter.keys key, names the
 *                  message's queue id and that uid (SMTP from a local
 *                  process); a uid is named as the milter names it
 *   sender:ADDR    its envelope sender; sender:<> the null sender
 * All compared in the daemons' normal form (common/subject.c), so a
 * message is found under the subject its limits counted it under.
 */
#ifndef FG_QMATCH_H
#define FG_QMATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "qfile.h"
#include "stamp.h"
#include "target.h"

struct qmatch {
	struct target t;  /* t.name: "sasl:alice@example.com", "sender:<>" */
	bool null_sender; /* sender:<> */
	long long uid;    /* a uid subject's number, -1 when it has none */
	struct subject_opts opts;
	struct stamp_key keys[STAMP_KEYS_MAX]; /* uid subjects */
	int nkeys;
	long long seen_uid; /* the last uid named (getpwuid is not free) */
	bool seen_match;
};

/* qmatch_init - q for SUBJECT arg under c (a uid subject loads c's
 * milter.keys); 0, or -1 + why */
int qmatch_init(struct qmatch *q, const struct conf *c, const char *arg,
    char *why, size_t whysize) __attribute__((warn_unused_result));
/* qmatch_test - message m, queue id qid, is q's subject's */
bool qmatch_test(struct qmatch *q, const char *qid, const struct qfile_msg *m);
/* qmatch_clear - the keys forgotten */
void qmatch_clear(struct qmatch *q);

#endif
