/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filter - floodgate-milter's libmilter callbacks: per-connection state
 * through smfi_setpriv, origin discovery at connect, stamp removal and
 * insertion, accounting and the action at end-of-message.
 */
#ifndef FG_FILTER_H
#define FG_FILTER_H

#include <libmilter/mfapi.h>

#include "account.h"

#define FILTER_NAME "floodgate"

/* filter_desc - the smfiDesc to register; acct is used by every callback */
struct smfiDesc *filter_desc(struct account *acct);

#endif
