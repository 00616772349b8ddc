/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * syncrun - the verdict driven on a blocking connection (common/sconn.h:
 * one server or a cluster): the milter's threads and t/tools/limitctl
 * run exactly this.
 *
 * syncrun_verdict() sends every subject's first round in one pipeline,
 * settles each subject (or applies its fallback when its replies were
 * wrong), then sends every follow-up in a second pipeline and waits for
 * it, so the next request on any node sees a block. A failed connection
 * (hiredis error or timeout) applies the fallback to every subject not
 * yet settled and returns -1: the caller drops the connection. A wrong
 * reply fails only its subject. syncrun_refunds() sends the take-backs
 * of a refused decision. The first problem seen goes to err for the
 * caller to log; never logs.
 */
#ifndef FG_SYNCRUN_H
#define FG_SYNCRUN_H

#include <stdbool.h>

#include <hiredis/hiredis.h>

#include "sconn.h"

#include "verdict.h"

#define SYNCRUN_ERR_MAX 512

/* syncrun_verdict - 0, or -1 when the connection failed; *failing: a
 * reply said Redis as a whole cannot serve (rconn_reply_failing) */
int syncrun_verdict(struct verdict *, struct sconn *, struct local *,
    bool *failing, char *err, size_t errsize)
    __attribute__((warn_unused_result));
/* syncrun_refunds - take back what a refused decision counted; 0 or -1 */
int syncrun_refunds(struct verdict *, const struct verdict_decision *,
    struct sconn *, char *err, size_t errsize)
    __attribute__((warn_unused_result));
/* syncrun_limiter - send the commands a limiter laid out and wait for
 * their replies (not taken); 0, or -1 when the connection failed */
int syncrun_limiter(struct sconn *, const struct limiter *, char *err,
    size_t errsize) __attribute__((warn_unused_result));

#endif
