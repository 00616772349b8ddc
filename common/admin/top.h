/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * top - floodgate top [-n N] [--subject TYPE]: who sends most right now
 */
#ifndef FG_TOP_H
#define FG_TOP_H

#include "ctx.h"

/* top_main - the subcommand (argv[0] "top"); an exit status */
int top_main(struct ctx *, int argc, char **argv);

#endif
