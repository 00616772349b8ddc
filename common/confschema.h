/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confschema - floodgate.conf as a table: one row an option, with its
 * section, type, default, bounds, validator, where struct conf keeps it and
 * whether a reload applies it (pgbouncer's CF_ABS rows, Postfix's
 * CONFIG_*_TABLE). Everything else about options is derived from the rows:
 * the libconfuse schema (confopts), the checks (confcheck), the copy into
 * struct conf (conf), the doc test (t/unit/confdoc).
 */
#ifndef FG_CONFSCHEMA_H
#define FG_CONFSCHEMA_H

#include <stdbool.h>
#include <stddef.h>

enum confschema_type {
	CONFSCHEMA_STR,      /* char[size] */
	CONFSCHEMA_INT,      /* int or long long, in [min,max] */
	CONFSCHEMA_DURATION, /* a number in unit, or with ms s m h d w */
	CONFSCHEMA_BOOL,     /* bool */
	CONFSCHEMA_ENUM,     /* a word of words[]; its index, stored by size */
	CONFSCHEMA_MODE,     /* "0660" in the file, an int */
	CONFSCHEMA_LIST,     /* char[max][size] with an int count */
	CONFSCHEMA_USERS,    /* char ** of normalised sasl names, int count */
	CONFSCHEMA_NETWORKS, /* struct cidr *, int count */
};

enum confschema_unit {
	CONFSCHEMA_NOUNIT,
	CONFSCHEMA_SEC,
	CONFSCHEMA_MSEC,
};

struct confschema_row {
	const char *section; /* "" for the top level */
	const char *name;
	enum confschema_type type;
	/* as written in floodgate.conf ("{...}" for lists); NULL: required,
	 * or the top-level option of the same name (inherit) */
	const char *def;
	long long min, max; /* numbers: value in unit; lists: entries */
	enum confschema_unit unit;
	size_t len; /* strings, list entries: longest; 0: not checked */
	const char *const *words; /* enums: the word of each code, or NULL */
	int nwords;
	bool (*valid)(const char *); /* strings and list entries, or NULL */
	const char *complaint;       /* "name: 'value' <complaint>" */
	/* into struct conf, or struct conf_limit for section "limit" */
	size_t offset, size;
	size_t count; /* lists: offset of their int count */
	bool inherit; /* unset in a limit: the top-level value */
	bool reload;  /* a reload applies it; otherwise a restart does */
};

/* confschema_rows - every row, then one whose name is NULL */
const struct confschema_row *confschema_rows(void);
/* confschema_find - the row of section.name, or NULL */
const struct confschema_row *confschema_find(
    const char *section, const char *name);
bool confschema_is_list(const struct confschema_row *);
/* confschema_code - the index of word in an enum row, or -1 */
int confschema_code(const struct confschema_row *, const char *word);

#endif
