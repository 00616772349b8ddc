/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qscan - every message in this node's Postfix queues active, deferred,
 * incoming and hold (hashed subdirectories of any depth), read with
 * common/qfile.c. A file that vanished meanwhile (qmgr moved or delivered
 * it) is skipped silently; one not yet complete (incoming, being written)
 * or unreadable is skipped, the latter with a warning. Bounded in files
 * read; over the bound the scan fails rather than answer for part of the
 * queue. Reads only.
 */
#ifndef FG_QSCAN_H
#define FG_QSCAN_H

#include "qfile.h"

#define QSCAN_FILES_MAX 1000000 /* queue files read at most */
#define QSCAN_DEPTH_MAX 16      /* hashed subdirectory levels */

/* qscan_fn - one message: its queue's name, its queue id, what it is; 0,
 * or -1 to stop the scan (the callee said why) */
typedef int (*qscan_fn)(
    void *arg, const char *queue, const char *id, const struct qfile_msg *m);

/* qscan_run - fn on each message under queue directory qdir, reading
 * at most max files (QSCAN_FILES_MAX); 0, or -1 with the error said
 * (ctx_error) */
int qscan_run(const char *qdir, long long max, qscan_fn fn, void *arg)
    __attribute__((warn_unused_result));

#endif
