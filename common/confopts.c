/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confopts - the libconfuse option tree of floodgate.conf, built from the
 * confschema rows each time a file is loaded.
 *
 * Entry points: confopts_new, confopts_free, confopts_loader,
 * confopts_is_loader. Each row becomes one cfg_opt_t: its default, its
 * type, and confcheck's callbacks (which find the row again by section
 * and name). cfg_init copies the tree, so it may be freed right after.
 * Never logs.
 *
 * libconfuse 3.3 hands its callbacks no pointer of the caller's. So that
 * conf.c's error function can reach the load it reports for without a
 * global, every section gets one more option, CONFOPTS_LOADER, a "simple"
 * pointer option bound to the loader. Its '|' keeps it out of any file:
 * cfg_getopt reads "a|b" as option b of section a.
 */
#include <stdlib.h>
#include <string.h>

#include "confcheck.h"
#include "confopts.h"
#include "confschema.h"

#define CONFOPTS_LOADER "floodgate|loader"

/* the sections under the top level, and their flags and whole checks */
static const struct {
	const char *name;
	cfg_flag_t flags;
	cfg_validate_callback_t check;
} confopts_sections[] = {
    {"redis", CFGF_NONE, confcheck_redis},
    {"policyd", CFGF_NONE, confcheck_policyd},
    {"milter", CFGF_NONE, NULL},
    {"notify", CFGF_NONE, NULL},
    {"limit", CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES, confcheck_limit},
};

#define CONFOPTS_NSECTIONS                                                     \
	(sizeof(confopts_sections) / sizeof(confopts_sections[0]))

/* confopts_row - o for row r; returns 0, or -1 when its default is bad */
static int
confopts_row(const struct confschema_row *r, cfg_opt_t *o)
{
	cfg_opt_t end = CFG_END();
	char msg[128];
	long long v = 0;

	*o = end;
	o->name = r->name;
	o->flags = r->def == NULL ? CFGF_NODEFAULT : CFGF_NONE;
	if (r->def != NULL && !confschema_is_list(r) &&
	    confcheck_value(r, r->def, &v, msg, sizeof(msg)) == -1)
		return -1;
	switch (r->type) {
	case CONFSCHEMA_INT:
	case CONFSCHEMA_DURATION:
		o->type = CFGT_INT;
		o->def.number = (long)v;
		o->parsecb = confcheck_num;
		break;
	case CONFSCHEMA_BOOL:
		o->type = CFGT_BOOL;
		o->def.boolean = r->def != NULL && strcmp(r->def, "true") == 0
		    ? cfg_true
		    : cfg_false;
		break;
	case CONFSCHEMA_LIST:
	case CONFSCHEMA_USERS:
	case CONFSCHEMA_NETWORKS:
		o->type = CFGT_STR;
		o->flags |= CFGF_LIST;
		o->def.parsed = (char *)r->def; /* cfg_init copies it */
		o->validcb = confcheck_str;
		break;
	case CONFSCHEMA_STR:
	case CONFSCHEMA_ENUM:
	case CONFSCHEMA_MODE:
		o->type = CFGT_STR;
		o->def.string = r->def;
		o->validcb = confcheck_str;
		break;
	}
	return 0;
}

/* confopts_section - the options of one section: its rows, the loader,
 * room for `more`, CFG_END(); NULL on failure */
static cfg_opt_t *
confopts_section(const char *section, size_t more, void **loader)
{
	const struct confschema_row *r;
	cfg_opt_t *opts, *o;
	size_t n = 2;

	for (r = confschema_rows(); r->name != NULL; r++)
		n += strcmp(r->section, section) == 0;
	if ((opts = calloc(n + more, sizeof(*opts))) == NULL)
		return NULL;
	o = opts;
	for (r = confschema_rows(); r->name != NULL; r++)
		if (strcmp(r->section, section) == 0 &&
		    confopts_row(r, o++) == -1) {
			free(opts);
			return NULL;
		}
	o->name = CONFOPTS_LOADER;
	o->type = CFGT_PTR;
	o->simple_value.ptr = loader;
	return opts; /* calloc: the CFG_END() after is all zeroes */
}

/* confopts_new - the top level's options, then a CFGT_SEC a section */
cfg_opt_t *
confopts_new(void **loader)
{
	cfg_opt_t *root = confopts_section("", CONFOPTS_NSECTIONS, loader), *o;
	size_t i;

	if (root == NULL)
		return NULL;
	for (o = root; o->name != NULL; o++)
		;
	/* confopts_section left room for the sections before CFG_END() */
	for (i = 0; i < CONFOPTS_NSECTIONS; i++, o++) {
		o->name = confopts_sections[i].name;
		o->type = CFGT_SEC;
		o->flags = confopts_sections[i].flags;
		o->validcb = confopts_sections[i].check;
		if ((o->subopts = confopts_section(
		         confopts_sections[i].name, 0, loader)) == NULL) {
			confopts_free(root);
			return NULL;
		}
	}
	return root;
}

void
confopts_free(cfg_opt_t *root)
{
	cfg_opt_t *o;

	if (root == NULL)
		return;
	for (o = root; o->name != NULL; o++)
		if (o->type == CFGT_SEC)
			free(o->subopts);
	free(root);
}

bool
confopts_is_loader(const cfg_opt_t *o)
{
	return o->type == CFGT_PTR && strcmp(o->name, CONFOPTS_LOADER) == 0;
}

/* confopts_loader - what the loader option of cfg's section points at */
void *
confopts_loader(cfg_t *cfg)
{
	cfg_opt_t *o;

	/* not cfg_getopt: its errors would come back to the caller */
	for (o = cfg->opts; o != NULL && o->name != NULL; o++)
		if (confopts_is_loader(o) && o->simple_value.ptr != NULL)
			return *o->simple_value.ptr;
	return NULL;
}
