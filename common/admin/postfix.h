/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * postfix - this node's Postfix, through its own commands: the queue
 * directory (postconf -h queue_directory) and postsuper acting on queue
 * ids given on its standard input. Both run without a shell and inherit
 * the environment, so MAIL_CONFIG picks the Postfix instance as it does
 * for Postfix's commands. Never prints; errors go to the caller's buffer.
 */
#ifndef FG_POSTFIX_H
#define FG_POSTFIX_H

#include <stddef.h>

#define POSTFIX_PATH_MAX 1024

enum postfix_act { POSTFIX_HOLD, POSTFIX_RELEASE, POSTFIX_DELETE };

/* postfix_queue_dir - queue_directory into dir (an absolute path); 0, or
 * -1 + err (postconf's own message) */
int postfix_queue_dir(char *dir, size_t size, char *err, size_t errsize)
    __attribute__((warn_unused_result));
/* postfix_super - postsuper -h, -H or -d on ids[0..n); the number it says
 * it acted on into *done; 0, or -1 + err (postsuper's message) */
int postfix_super(enum postfix_act, const char *const *ids, size_t n,
    long long *done, char *err, size_t errsize)
    __attribute__((warn_unused_result));

#endif
