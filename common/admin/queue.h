/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * queue - floodgate queue: a subject's messages in this node's Postfix
 * queue, listed, held, released or deleted.
 */
#ifndef FG_QUEUE_H
#define FG_QUEUE_H

#include "ctx.h"

/* queue_main - floodgate queue SUBJECT [--hold | --release | --delete
 * --yes]; CTX_OK found (and acted on), CTX_NONE none, CTX_ERR */
int queue_main(struct ctx *, int argc, char **argv);

#endif
