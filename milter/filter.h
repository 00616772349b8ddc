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
/*
 * Protocol steps asked of the MTA: skip the events there is no callback
 * for, and let it send MAIL, RCPT and each header without waiting for an
 * answer (they always continue). Every answer saved is a round trip and
 * two thread wake-ups on both sides, per header of every message.
 */
#define FILTER_STEPS                                                           \
	(SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH |         \
	    SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR)

/* filter_desc - the smfiDesc to register; acct is used by every callback */
struct smfiDesc *filter_desc(struct account *acct);

#endif
