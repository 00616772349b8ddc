/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * edit - floodgate unblock, exempt and limit: the writes of the README's
 * admin recipes, exactly (t/admin.t compares the two ways' Redis state).
 */
#ifndef FG_EDIT_H
#define FG_EDIT_H

#include "ctx.h"

/* edit_unblock - unblock SUBJECT [--reset]; an exit status */
int edit_unblock(struct ctx *, int argc, char **argv);
/* edit_exempt - exempt SUBJECT [--off]; an exit status */
int edit_exempt(struct ctx *, int argc, char **argv);
/* edit_limit - limit SUBJECT METRIC:WINDOW N|--off; an exit status */
int edit_limit(struct ctx *, int argc, char **argv);

#endif
