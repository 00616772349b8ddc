/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confcheck - libconfuse callbacks that validate floodgate.conf as it is
 * parsed (used by conf.c only).
 */
#ifndef FG_CONFCHECK_H
#define FG_CONFCHECK_H

#include <stddef.h>

#include <confuse.h>

#include "conf.h"

int confcheck_num(cfg_t *, cfg_opt_t *, const char *value, void *result);
int confcheck_str(cfg_t *, cfg_opt_t *);
int confcheck_limit(cfg_t *, cfg_opt_t *);
int confcheck_policyd(cfg_t *, cfg_opt_t *);
int confcheck_braces(const char *path, char *err, size_t errsize)
    __attribute__((warn_unused_result));

#endif
