/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trail - a subject's last entries in the milter's trace stream
 */
#ifndef FG_TRAIL_H
#define FG_TRAIL_H

#include "ctx.h"
#include "target.h"

#define TRAIL_SCAN "2000" /* newest trace entries looked at */
#define TRAIL_SHOW 10     /* a subject's entries shown at most */

/* trail_show - t's last trace entries as a table; 1 shown, 0 none, -1
 * an error (said) */
int trail_show(struct ctx *, const struct target *t)
    __attribute__((warn_unused_result));

#endif
