/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confcheck - floodgate.conf values checked against their schema rows;
 * libconfuse callbacks installed by confopts.
 */
#ifndef FG_CONFCHECK_H
#define FG_CONFCHECK_H

#include <stddef.h>

#include <confuse.h>

#include "confschema.h"

int confcheck_value(const struct confschema_row *, const char *raw,
    long long *num, char *msg, size_t msgsize)
    __attribute__((warn_unused_result));
int confcheck_num(cfg_t *, cfg_opt_t *, const char *value, void *result);
int confcheck_str(cfg_t *, cfg_opt_t *);
int confcheck_limit(cfg_t *, cfg_opt_t *);
int confcheck_policyd(cfg_t *, cfg_opt_t *);
int confcheck_redis(cfg_t *, cfg_opt_t *);

#endif
