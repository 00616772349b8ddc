/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * priv - dropping root once the sockets are open (both daemons).
 */
#ifndef FG_PRIV_H
#define FG_PRIV_H

#include <stddef.h>

/* priv_drop - become user ("" keeps the current user); 0, or -1 + err */
int priv_drop(const char *user, char *err, size_t errsize)
    __attribute__((warn_unused_result));

#endif
