/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * helper - the privilege-separated half of floodgate-milter. A process
 * forked at start keeps only CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH and
 * answers two bounded questions over a SOCK_SEQPACKET socketpair: which
 * process of uid U holds socket inode I (with its exe, cwd, command line,
 * script and parents), and which uid submitted queue file Q (Postfix's own
 * Received record in $queue_directory/incoming/Q). The milter itself runs
 * unprivileged and never reads /proc or the queue. Thread-safe: queries
 * are serialised; each waits at most its budget plus HELPER_SLACK_MS.
 */
#ifndef FG_HELPER_H
#define FG_HELPER_H

#include <sys/types.h>

#include <stddef.h>

#include "conf.h"
#include "proc.h"
#include "qfile.h"

#define HELPER_SLACK_MS 200

/* helper_start - fork the helper; user: what it becomes ("" stays) */
int helper_start(const struct conf *, const char *user, char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* helper_proc - the process of uid holding socket inode; 0 or -1 */
int helper_proc(uid_t uid, unsigned long inode, int budget_ms,
    struct proc_info *) __attribute__((warn_unused_result));
/* helper_qfile - the origin of a sendmail submission; 0 or -1 + err */
int helper_qfile(const char *qid, struct qfile_origin *, char *err,
    size_t errsize) __attribute__((warn_unused_result));
void helper_stop(void);

#endif
