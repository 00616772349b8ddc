/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * events - floodgate events [-f] [-n N]: the block events stream
 */
#ifndef FG_EVENTS_H
#define FG_EVENTS_H

#include "ctx.h"

/* events_main - the subcommand (argv[0] "events"); an exit status */
int events_main(struct ctx *, int argc, char **argv);

#endif
