/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf - load floodgate.conf into a struct conf the caller owns.
 *
 * Entry points: conf_load, conf_load_text, conf_free, conf_limit_find,
 * conf_exempt_user, conf_restart_needed. The file is read whole (at most
 * CONF_FILE_MAX bytes) and pre-scanned by conflex, which refuses what
 * libconfuse 3.3 would drop in silence and blanks the comments it would
 * miscount lines after. libconfuse parses the rest with the tree confopts
 * derives from the schema rows, and confcheck validates while it parses,
 * so every bad value is reported as file:line: message. Then one loop over
 * the rows copies each option to where its row says; only what spans
 * options is code here (a limit's inherited values, node's fallback to the
 * host name). Never logs; the first error is written to the caller's
 * buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>

#include "conf.h"
#include "confcheck.h"
#include "conflex.h"
#include "confopts.h"
#include "confschema.h"
#include "str.h"

/* one conf_load: what its functions and libconfuse's callbacks share */
struct conf_loader {
	char *err; /* the caller's; the first error only */
	size_t errsize;
	cfg_t *root;
	struct conf *c; /* c->path names the file in errors */
	void *self;     /* the loader, bound to every section (confopts) */
};

/* conf_errfunc - keep the first error, as file:line: message */
static void __attribute__((format(printf, 2, 0)))
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct conf_loader *ld = cfg != NULL ? confopts_loader(cfg) : NULL;
	char msg[CONF_ERR_MAX];

	if (ld == NULL || ld->err[0] != '\0')
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* cfg, even a section, has the lexer's line */
	snprintf(
	    ld->err, ld->errsize, "%s:%d: %s", ld->c->path, cfg->line, msg);
}

/* conf_nomem - out of memory, said once; returns -1 */
static int
conf_nomem(struct conf_loader *ld)
{
	snprintf(ld->err, ld->errsize, "%s: out of memory", ld->c->path);
	return -1;
}

/* conf_copy_str - a config string into a char[size]; returns 0 or -1 */
static int
conf_copy_str(struct conf_loader *ld, const struct confschema_row *r, char *dst,
    size_t size, const char *src)
{
	if (str_lcpy(dst, src != NULL ? src : "", size) < size)
		return 0;
	snprintf(ld->err, ld->errsize, "%s: %s%s%s: value too long (max %zu)",
	    ld->c->path, r->section, r->section[0] != '\0' ? "." : "", r->name,
	    size - 1);
	return -1;
}

/* conf_store_number - v into the int, long long or bool at dst */
static void
conf_store_number(void *dst, size_t size, long long v)
{
	int i = (int)v;
	bool b = v != 0;

	if (size == sizeof(v))
		memcpy(dst, &v, size);
	else if (size == sizeof(i))
		memcpy(dst, &i, size);
	else if (size == sizeof(b))
		memcpy(dst, &b, size);
}

/* conf_store_entry - entry i of list row r kept at dst; returns 0 or -1 */
static int
conf_store_entry(struct conf_loader *ld, const struct confschema_row *r,
    char *dst, unsigned int i, const char *s)
{
	char v[SUBJECT_VALUE_MAX], **users;
	struct cidr *nets;

	switch (r->type) {
	case CONFSCHEMA_USERS:
		memcpy(&users, dst, sizeof(users));
		if (subject_norm(
		        SUBJECT_SASL, s, &ld->c->subject, v, sizeof(v)) == -1)
			return -1; /* confcheck_str refused it */
		return (users[i] = strdup(v)) != NULL ? 0 : conf_nomem(ld);
	case CONFSCHEMA_NETWORKS:
		memcpy(&nets, dst, sizeof(nets));
		return cidr_parse(s, &nets[i]); /* confcheck_str refused -1 */
	default:
		return conf_copy_str(
		    ld, r, dst + i * (r->len + 1), r->len + 1, s);
	}
}

/* conf_store_list - a list row's entries and count; an array of users or
 * networks is allocated here and freed by conf_free; returns 0 or -1 */
static int
conf_store_list(struct conf_loader *ld, const struct confschema_row *r,
    cfg_t *sec, char *base)
{
	unsigned int i, n = cfg_size(sec, r->name);
	size_t entry = r->type == CONFSCHEMA_USERS ? sizeof(char *)
	    : r->type == CONFSCHEMA_NETWORKS       ? sizeof(struct cidr)
	                                           : 0;
	void *array;

	if (n > r->max)
		return -1; /* confcheck_str refused it: guards the array */
	if (entry > 0) {
		if ((array = calloc(n + 1, entry)) == NULL)
			return conf_nomem(ld);
		memcpy(base + r->offset, &array, sizeof(array));
	}
	for (i = 0; i < n; i++) {
		if (conf_store_entry(ld, r, base + r->offset, i,
		        cfg_getnstr(sec, r->name, i)) == -1)
			return -1;
		/* count what is there so far: conf_free frees it */
		conf_store_number(base + r->count, sizeof(int), i + 1);
	}
	return 0;
}

/* conf_store - one option of sec to where its row says, in base (struct
 * conf, or struct conf_limit); returns 0 or -1 */
static int
conf_store(struct conf_loader *ld, const struct confschema_row *r, cfg_t *sec,
    char *base)
{
	char *dst = base + r->offset;
	const char *s;

	switch (r->type) {
	case CONFSCHEMA_STR:
		return conf_copy_str(
		    ld, r, dst, r->size, cfg_getstr(sec, r->name));
	case CONFSCHEMA_INT:
	case CONFSCHEMA_DURATION:
		conf_store_number(dst, r->size, cfg_getint(sec, r->name));
		return 0;
	case CONFSCHEMA_BOOL:
		conf_store_number(dst, r->size, cfg_getbool(sec, r->name));
		return 0;
	case CONFSCHEMA_ENUM:
	case CONFSCHEMA_MODE:
		if ((s = cfg_getstr(sec, r->name)) == NULL)
			return -1; /* confcheck_limit requires it */
		conf_store_number(dst, r->size,
		    r->type == CONFSCHEMA_ENUM ? confschema_code(r, s)
		                               : strtol(s, NULL, 8));
		return 0;
	case CONFSCHEMA_LIST:
	case CONFSCHEMA_USERS:
	case CONFSCHEMA_NETWORKS:
		return conf_store_list(ld, r, sec, base);
	}
	return -1;
}

/* conf_copy_limit - one limit section into l; an option it leaves unset
 * that inherits takes the top level's value */
static int
conf_copy_limit(struct conf_loader *ld, cfg_t *sec, struct conf_limit *l)
{
	const struct confschema_row *r, *top;

	str_lcpy(l->name, cfg_title(sec), sizeof(l->name));
	for (r = confschema_rows(); r->name != NULL; r++) {
		if (strcmp(r->section, "limit") != 0)
			continue;
		if (!r->inherit || cfg_size(sec, r->name) > 0) {
			if (conf_store(ld, r, sec, (char *)l) == -1)
				return -1;
			continue;
		}
		if ((top = confschema_find("", r->name)) == NULL ||
		    top->size != r->size)
			return -1; /* t/unit/confschema.c rules it out */
		memcpy((char *)l + r->offset, (char *)ld->c + top->offset,
		    r->size);
	}
	return 0;
}

/* conf_copy - the parsed tree into ld->c; returns 0 or -1 with err set */
static int
conf_copy(struct conf_loader *ld, cfg_t *cfg)
{
	const struct confschema_row *r;
	struct conf *c = ld->c;
	unsigned int i, n;
	cfg_t *sec;

	/* the top level first: limits inherit from it */
	for (r = confschema_rows(); r->name != NULL; r++) {
		if (strcmp(r->section, "limit") == 0)
			continue;
		sec = r->section[0] == '\0' ? cfg : cfg_getsec(cfg, r->section);
		if (sec == NULL || conf_store(ld, r, sec, (char *)c) == -1)
			return -1;
	}
	if (c->node[0] == '\0' && gethostname(c->node, sizeof(c->node)) == -1)
		str_lcpy(c->node, "unknown", sizeof(c->node));
	c->node[sizeof(c->node) - 1] = '\0';
	n = cfg_size(cfg, "limit");
	if (n > CONF_LIMITS_MAX)
		return -1; /* confcheck_limit refused it: guards limits[] */
	for (i = 0; i < n; i++)
		if (conf_copy_limit(ld, cfg_getnsec(cfg, "limit", i),
		        &c->limits[c->nlimits++]) == -1)
			return -1;
	return 0;
}

/* conf_stop_line - the line libconfuse stopped at: the lexer counts the
 * lines of the section it reads, which a section passes up only when it
 * ends well, so the furthest of the top level and its sections */
static int
conf_stop_line(cfg_t *root)
{
	int line = root->line;
	unsigned int i;
	cfg_opt_t *o;

	for (o = root->opts; o != NULL && o->name != NULL; o++)
		for (i = 0; o->type == CFGT_SEC && i < cfg_opt_size(o); i++)
			if (cfg_opt_getnsec(o, i)->line > line)
				line = cfg_opt_getnsec(o, i)->line;
	return line;
}

/* conf_parse - text, pre-scanned, into a new cfg_t; NULL with err set */
static cfg_t *
conf_parse(struct conf_loader *ld, const char *text)
{
	const char *path = ld->c->path;
	cfg_opt_t *opts = confopts_new(&ld->self);
	int rc;

	if (opts == NULL) {
		snprintf(ld->err, ld->errsize,
		    "%s: cannot build the option table", path);
		return NULL;
	}
	ld->root = cfg_init(opts, CFGF_NONE);
	confopts_free(opts); /* cfg_init made its own copy */
	if (ld->root == NULL) {
		snprintf(ld->err, ld->errsize, "%s: out of memory", path);
		return NULL;
	}
	cfg_set_error_function(ld->root, conf_errfunc);
	rc = cfg_parse_buf(ld->root, text);
	if (rc == CFG_FILE_ERROR)
		snprintf(ld->err, ld->errsize, "%s: %s", path, strerror(errno));
	else if (rc != CFG_SUCCESS && ld->err[0] == '\0') /* said nothing */
		snprintf(ld->err, ld->errsize, "%s:%d: syntax error", path,
		    conf_stop_line(ld->root));
	if (rc == CFG_SUCCESS)
		return ld->root;
	cfg_free(ld->root);
	return NULL;
}

/* conf_load_buf - text[0..len), NUL-terminated, ours to blank, loaded as
 * the file path; a new conf, or NULL with err */
static struct conf *
conf_load_buf(
    const char *path, char *text, size_t len, char *err, size_t errsize)
{
	struct conf_loader ld = {.err = err, .errsize = errsize};
	cfg_t *cfg;

	ld.self = &ld;
	err[0] = '\0';
	if ((ld.c = calloc(1, sizeof(*ld.c))) == NULL) {
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	if (str_lcpy(ld.c->path, path, sizeof(ld.c->path)) >=
	    sizeof(ld.c->path)) {
		snprintf(err, errsize, "%s: path: value too long (max %zu)",
		    path, sizeof(ld.c->path) - 1);
		free(ld.c);
		return NULL;
	}
	if (conflex_scan(text, len, path, err, errsize) == -1 ||
	    (cfg = conf_parse(&ld, text)) == NULL) {
		free(ld.c);
		return NULL;
	}
	if (conf_copy(&ld, cfg) == 0) {
		cfg_free(cfg);
		return ld.c;
	}
	if (err[0] == '\0') /* a guard behind a validator tripped */
		snprintf(err, errsize, "%s: invalid configuration", path);
	cfg_free(cfg);
	conf_free(ld.c);
	return NULL;
}

/* conf_load_text - text[0..len) as if it were the file name */
struct conf *
conf_load_text(
    const char *name, const char *text, size_t len, char *err, size_t errsize)
{
	char *copy = malloc(len + 1);
	struct conf *c;

	if (copy == NULL) {
		snprintf(err, errsize, "%s: out of memory", name);
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	c = conf_load_buf(name, copy, len, err, errsize);
	free(copy);
	return c;
}

/* conf_load - read path (at most CONF_FILE_MAX bytes) and load it */
struct conf *
conf_load(const char *path, char *err, size_t errsize)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	struct conf *c = NULL;
	size_t len = 0;

	if (f == NULL || (text = malloc(CONF_FILE_MAX + 1)) == NULL)
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
	else if ((len = fread(text, 1, CONF_FILE_MAX + 1, f)) > CONF_FILE_MAX)
		snprintf(err, errsize, "%s: larger than %d bytes", path,
		    CONF_FILE_MAX);
	else if (ferror(f))
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
	else {
		text[len] = '\0';
		c = conf_load_buf(path, text, len, err, errsize);
	}
	if (f != NULL)
		fclose(f);
	free(text);
	return c;
}

void
conf_free(struct conf *c)
{
	const struct confschema_row *r;
	char **users;
	void *array;
	int i, n;

	if (c == NULL)
		return;
	/* the arrays conf_store_list allocated (limits have none) */
	for (r = confschema_rows(); r->name != NULL; r++) {
		if ((r->type != CONFSCHEMA_USERS &&
		        r->type != CONFSCHEMA_NETWORKS) ||
		    strcmp(r->section, "limit") == 0)
			continue;
		memcpy(&array, (char *)c + r->offset, sizeof(array));
		memcpy(&n, (char *)c + r->count, sizeof(n));
		if (r->type == CONFSCHEMA_USERS && array != NULL) {
			users = array;
			for (i = 0; i < n; i++)
				free(users[i]);
		}
		free(array);
	}
	free(c);
}

/* conf_limit_find - limit by name, or NULL */
const struct conf_limit *
conf_limit_find(const struct conf *c, const char *name)
{
	int i;

	for (i = 0; i < c->nlimits; i++)
		if (strcmp(c->limits[i].name, name) == 0)
			return &c->limits[i];
	return NULL;
}

/* conf_exempt_user - a normalised sasl name is in exempt_users */
bool
conf_exempt_user(const struct conf *c, const char *user)
{
	int i;

	for (i = 0; i < c->nexempt_users; i++)
		if (strcmp(c->exempt_users[i], user) == 0)
			return true;
	return false;
}

/*
 * conf_restart_needed - the options of section that differ between old and
 * new but that a reload does not apply, as "listen, user" in names;
 * returns how many.
 */
int
conf_restart_needed(const struct conf *old, const struct conf *new,
    const char *section, char *names, size_t size)
{
	const struct confschema_row *r;
	const char *o = (const char *)old, *n = (const char *)new;
	int count = 0;

	names[0] = '\0';
	for (r = confschema_rows(); r->name != NULL; r++) {
		if (r->reload || strcmp(r->section, section) != 0)
			continue;
		/* calloc'd: the bytes after a string's NUL are zeroes */
		if (memcmp(o + r->offset, n + r->offset, r->size) == 0 &&
		    (r->count == 0 ||
		        memcmp(o + r->count, n + r->count, sizeof(int)) == 0))
			continue;
		snprintf(names + strlen(names), size - strlen(names), "%s%s",
		    count++ > 0 ? ", " : "", r->name);
	}
	return count;
}
