/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * blocked - floodgate blocked: every blocked subject, cluster-wide
 */
#ifndef FG_BLOCKED_H
#define FG_BLOCKED_H

#include "ctx.h"

/* blocked_main - the subcommand (argv[0] "blocked"); an exit status */
int blocked_main(struct ctx *, int argc, char **argv);

#endif
