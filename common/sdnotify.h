/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sdnotify - tell systemd (Type=notify) that a daemon is ready.
 */
#ifndef FG_SDNOTIFY_H
#define FG_SDNOTIFY_H

#include <stddef.h>

/*
 * sdnotify_ready - send "READY=1" to $NOTIFY_SOCKET; 0 when sent or when
 * NOTIFY_SOCKET is not set (not started by systemd), -1 with err
 */
int sdnotify_ready(char *err, size_t errsize)
    __attribute__((warn_unused_result));

#endif
