/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notefacts - what Redis knows of a subject just blocked, for its
 * notification: the distinct client ips and senders of its window and
 * when they were first and last seen (sasl), its top scripts (uid), and
 * from the milter's trace the first and last message seen and where
 * each script ran. One pipelined round trip on a blocking connection
 * (common/sconn.h); a fact Redis cannot give stays unknown. Never logs.
 */
#ifndef FG_NOTEFACTS_H
#define FG_NOTEFACTS_H

#include "conf.h"
#include "notetext.h"
#include "sconn.h"

/* newest trace entries read: Redis serves no one else meanwhile */
#define NOTEFACTS_TRACE_SCAN "200"

/* notefacts_gather - fill f's Redis facts (f's type, value and at set);
 * 0, or -1 when the connection broke (f keeps what it had) */
int notefacts_gather(struct sconn *, const struct conf *c, struct note_facts *f)
    __attribute__((warn_unused_result));

#endif
