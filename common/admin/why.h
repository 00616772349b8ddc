/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * why - floodgate why SUBJECT: all floodgate knows of one subject
 */
#ifndef FG_WHY_H
#define FG_WHY_H

#include "ctx.h"

/* why_main - the subcommand (argv[0] "why"); an exit status */
int why_main(struct ctx *, int argc, char **argv);

#endif
