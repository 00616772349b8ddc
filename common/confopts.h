/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confopts - the libconfuse schema (a cfg_opt_t tree), derived from the
 * confschema rows for one load.
 */
#ifndef FG_CONFOPTS_H
#define FG_CONFOPTS_H

#include <stdbool.h>

#include <confuse.h>

/* confopts_new - the tree for cfg_init, every section carrying loader (see
 * confopts_loader); NULL when out of memory or a row's default is broken */
cfg_opt_t *confopts_new(void **loader) __attribute__((warn_unused_result));
void confopts_free(cfg_opt_t *);
/* confopts_loader - *loader of the tree cfg was made from, or NULL */
void *confopts_loader(cfg_t *);
/* confopts_is_loader - opt is the one confopts_new adds, not a row's */
bool confopts_is_loader(const cfg_opt_t *);

#endif
