/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confschema - the option rows are the spec: each is sound on its own
 * (default within its bounds, storage inside its struct, an inherited
 * option has its top-level source), the libconfuse tree holds exactly the
 * rows, and conf_load applies each row's bounds in its own section only
 * and stores each value where its row says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "confcheck.h"
#include "confopts.h"
#include "confschema.h"
#include "conffile.h"
#include "tap.h"

static const char *const sections[] = {
    "", "redis", "policyd", "milter", "notify", "limit"};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* qual - "name" or "section.name", for test names */
static const char *
qual(const struct confschema_row *r)
{
	static char buf[80];

	snprintf(buf, sizeof(buf), "%s%s%s", r->section,
	    r->section[0] != '\0' ? "." : "", r->name);
	return buf;
}

/* set - a file setting section.name = value last, after what a limit
 * needs (a later line wins); returns its line */
static int
set(char *text, size_t size, const char *section, const char *name,
    const char *value)
{
	if (section[0] == '\0') {
		snprintf(text, size, "node = \"n\"\n%s = %s\n", name, value);
		return 2;
	}
	if (strcmp(section, "limit") == 0) {
		snprintf(text, size,
		    "limit \"a\" {\n  subject = \"sasl\"\n  window = 1\n"
		    "  messages = 1\n  %s = %s\n}\n",
		    name, value);
		return 5;
	}
	snprintf(text, size, "%s {\n  %s = %s\n}\n", section, name, value);
	return 2;
}

/* number - a stored int, long long or bool */
static long long
number(const char *p, size_t size)
{
	long long ll = 0;
	int i = 0;
	bool b = false;

	if (size == sizeof(ll))
		memcpy(&ll, p, size);
	if (size == sizeof(i))
		memcpy(&i, p, size);
	if (size == sizeof(b))
		memcpy(&b, p, size);
	return size == sizeof(ll) ? ll : size == sizeof(i) ? i : b;
}

/* list_default_ok - each entry of a "{...}" default passes its row, and
 * there are min..max of them */
static bool
list_default_ok(const struct confschema_row *r, char *msg, size_t msgsize)
{
	char buf[256], *p, *q;
	long long n = 0;

	snprintf(buf, sizeof(buf), "%s", r->def);
	if (buf[0] != '{' || (p = strrchr(buf, '}')) == NULL)
		return false;
	*p = '\0';
	for (p = strtok(buf + 1, ","); p != NULL; p = strtok(NULL, ",")) {
		p += strspn(p, " \"");
		if ((q = strchr(p, '"')) != NULL)
			*q = '\0';
		if (confcheck_value(r, p, NULL, msg, msgsize) == -1)
			return false;
		n++;
	}
	return n >= r->min && n <= r->max;
}

/* rows - every row on its own */
static void
rows(void)
{
	const struct confschema_row *r, *s, *top;
	char msg[CONF_ERR_MAX];
	long long v;
	int n = 0;
	size_t i;

	for (r = confschema_rows(); r->name != NULL; r++, n++) {
		size_t whole = strcmp(r->section, "limit") == 0
		    ? sizeof(struct conf_limit)
		    : sizeof(struct conf);
		bool known = false;

		for (i = 0; i < NSECTIONS; i++)
			known = known || strcmp(r->section, sections[i]) == 0;
		ok(known && confschema_find(r->section, r->name) == r,
		    "%s: a known section, found by section and name", qual(r));
		for (s = r + 1; s->name != NULL; s++)
			if (strcmp(r->section, s->section) == 0 &&
			    strcmp(r->name, s->name) == 0)
				ok(0, "%s is a row twice", qual(r));
		ok(r->size > 0 && r->offset + r->size <= whole &&
		        r->count + sizeof(int) <= whole,
		    "%s is stored inside its struct", qual(r));
		msg[0] = '\0';
		if (r->def == NULL)
			ok(strcmp(r->section, "limit") == 0,
			    "%s: only a limit's option has no default",
			    qual(r));
		else if (confschema_is_list(r))
			ok(list_default_ok(r, msg, sizeof(msg)),
			    "%s: default %s within its bounds (%s)", qual(r),
			    r->def, msg);
		else
			ok(confcheck_value(r, r->def, &v, msg, sizeof(msg)) ==
			        0,
			    "%s: default '%s' within its bounds (%s)", qual(r),
			    r->def, msg);
		if (r->inherit) {
			top = confschema_find("", r->name);
			ok(top != NULL && top->type == r->type &&
			        top->size == r->size && r->def == NULL,
			    "limit.%s inherits a top-level option of its type",
			    r->name);
		}
		if (r->type == CONFSCHEMA_STR)
			is_int((long long)r->len, (long long)r->size - 1,
			    "a string takes what its char array takes");
		if (r->type == CONFSCHEMA_LIST)
			is_int((long long)r->size, (r->len + 1) * r->max,
			    "a list takes what its array takes");
		if (r->type == CONFSCHEMA_ENUM)
			ok(r->nwords > 0 && r->complaint != NULL &&
			        (r->size == sizeof(int) ||
			            r->size == sizeof(bool)),
			    "%s: words, a complaint, an int or bool field",
			    qual(r));
		if (r->type == CONFSCHEMA_INT || r->type == CONFSCHEMA_DURATION)
			ok(r->min <= r->max &&
			        (r->size == sizeof(long long) ||
			            (r->size == sizeof(int) &&
			                r->max <= 1 << 30)),
			    "%s: min <= max, and max fits its field", qual(r));
		if (r->valid != NULL)
			ok(r->complaint != NULL, "%s says what it wants",
			    qual(r));
	}
	ok(n > 40, "the schema has its rows (%d)", n);
}

/* tree_row - the row of a libconfuse option of section, checked for type */
static bool
tree_row(const char *section, const cfg_opt_t *o)
{
	const struct confschema_row *r = confschema_find(section, o->name);

	if (r == NULL)
		return false;
	switch (r->type) {
	case CONFSCHEMA_INT:
	case CONFSCHEMA_DURATION:
		return o->type == CFGT_INT;
	case CONFSCHEMA_BOOL:
		return o->type == CFGT_BOOL;
	default:
		return o->type == CFGT_STR &&
		    ((o->flags & CFGF_LIST) != 0) == confschema_is_list(r);
	}
}

/* tree_find - the option called name in section of the tree, or NULL */
static const cfg_opt_t *
tree_find(const cfg_opt_t *root, const char *section, const char *name)
{
	const cfg_opt_t *o, *opts = section[0] == '\0' ? root : NULL;

	for (o = root; opts == NULL && o->name != NULL; o++)
		if (o->type == CFGT_SEC && strcmp(o->name, section) == 0)
			opts = o->subopts;
	for (o = opts; o != NULL && o->name != NULL; o++)
		if (o->type != CFGT_SEC && strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* tree - every row is in the libconfuse tree and every option of the tree
 * (but the loader) is a row; the loader reaches every section */
static void
tree(void)
{
	const struct confschema_row *r;
	const cfg_opt_t *o, *s;
	int loader = 42, secs = 0;
	void *p = &loader;
	cfg_opt_t *root = confopts_new(&p);
	cfg_t *cfg;

	if (!ok(root != NULL, "confopts_new"))
		return;
	for (r = confschema_rows(); r->name != NULL; r++)
		ok(tree_find(root, r->section, r->name) != NULL,
		    "row %s is in the libconfuse tree", qual(r));
	for (o = root; o->name != NULL; o++) {
		if (o->type != CFGT_SEC) {
			ok(confopts_is_loader(o) || tree_row("", o),
			    "option %s is a row of its type", o->name);
			continue;
		}
		secs++;
		for (s = o->subopts; s->name != NULL; s++)
			ok(confopts_is_loader(s) || tree_row(o->name, s),
			    "option %s.%s is a row of its type", o->name,
			    s->name);
	}
	is_int(secs, NSECTIONS - 1, "every section is in the tree");
	cfg = cfg_init(root, CFGF_NONE);
	confopts_free(root); /* cfg_init copied it */
	ok(cfg != NULL && confopts_loader(cfg) == p &&
	        confopts_loader(cfg_getsec(cfg, "redis")) == p &&
	        confopts_loader(cfg_getsec(cfg, "milter")) == p,
	    "the top level and a section reach the loader");
	cfg_free(cfg);
}

/*
 * by_section - a row's bounds apply in its own section, and its name is
 * unknown (with file:line) in a section without such a row: no check
 * finds a row by its bare name.
 */
static void
by_section(void)
{
	const struct confschema_row *r = confschema_find("redis", "timeout");
	char err[CONF_ERR_MAX], text[512], v[32];
	struct conf *c;
	size_t i;
	int line;

	ok(r != NULL && r->unit == CONFSCHEMA_MSEC && r->max == 60000 &&
	        confschema_find("", "timeout") == NULL &&
	        confschema_find("policyd", "timeout") == NULL,
	    "timeout is redis' alone, in ms");
	ok(confschema_find("", "block_ttl") !=
	            confschema_find("limit", "block_ttl") &&
	        confschema_find("policyd", "socket_mode") !=
	            confschema_find("milter", "socket_mode"),
	    "a name in two sections is two rows");
	for (r = confschema_rows(); r->name != NULL; r++) {
		if (r->type != CONFSCHEMA_INT && r->type != CONFSCHEMA_DURATION)
			continue;
		snprintf(v, sizeof(v), "%lld", r->max + 1);
		line = set(text, sizeof(text), r->section, r->name, v);
		c = load(text, err, sizeof(err));
		snprintf(v, sizeof(v), "(%lld..%lld", r->min, r->max);
		ok(c == NULL && has_prefix(err, line) &&
		        strstr(err, r->name) != NULL && strstr(err, v) != NULL,
		    "%s = max + 1 is out of its own range (%s)", qual(r), err);
		conf_free(c);
		for (i = 0; i < NSECTIONS; i++) {
			if (confschema_find(sections[i], r->name) != NULL)
				continue;
			line =
			    set(text, sizeof(text), sections[i], r->name, "1");
			c = load(text, err, sizeof(err));
			ok(c == NULL && has_prefix(err, line) &&
			        strstr(err, "no such option") != NULL &&
			        strstr(err, r->name) != NULL,
			    "%s is unknown in section '%s' (%s)", r->name,
			    sections[i], err);
			conf_free(c);
		}
	}
}

/* stored - a number or word set in a file lands where its row says */
static void
stored(void)
{
	const struct confschema_row *r;
	char err[CONF_ERR_MAX], text[512], v[40];
	struct conf *c;
	const char *base;
	long long want;
	int i;

	for (r = confschema_rows(); r->name != NULL; r++) {
		for (i = 0; i < (r->type == CONFSCHEMA_ENUM ? r->nwords : 1);
		     i++) {
			if (r->type == CONFSCHEMA_INT ||
			    r->type == CONFSCHEMA_DURATION) {
				snprintf(v, sizeof(v), "%lld", r->max);
				want = r->max;
			} else if (r->type == CONFSCHEMA_ENUM &&
			    r->words[i] != NULL) {
				snprintf(v, sizeof(v), "\"%s\"", r->words[i]);
				want = i;
			} else {
				continue;
			}
			set(text, sizeof(text), r->section, r->name, v);
			c = load(text, err, sizeof(err));
			base = c == NULL ? NULL
			    : strcmp(r->section, "limit") == 0
			    ? (char *)c->limits
			    : (char *)c;
			ok(c != NULL &&
			        number(base + r->offset, r->size) == want,
			    "%s = %s is stored where its row says (%s)",
			    qual(r), v, err);
			conf_free(c);
		}
	}
}

/* restart - conf_restart_needed names the changed options a reload does
 * not apply, and only those */
static void
restart(void)
{
	char err[CONF_ERR_MAX], names[128];
	struct conf *a =
	    load("policyd {\n  user = \"a\"\n}\n", err, sizeof(err));
	struct conf *b =
	    load("policyd {\n  user = \"b\"\n  listen = {\"unix:/run/p\"}\n"
	         "  stats_interval = 1\n}\nmilter {\n  user = \"b\"\n}\n",
	        err, sizeof(err));

	if (!ok(a != NULL && b != NULL, "two configs load (%s)", err))
		goto out;
	is_int(conf_restart_needed(a, b, "policyd", names, sizeof(names)), 2,
	    "two policyd options need a restart");
	is_str(names, "listen, user", "listen and user (not stats_interval)");
	is_int(conf_restart_needed(a, a, "policyd", names, sizeof(names)), 0,
	    "nothing changed, nothing to restart");
	is_str(names, "", "and no names");
	is_int(conf_restart_needed(a, b, "milter", names, sizeof(names)), 1,
	    "milter.user needs a restart");
	is_int(conf_restart_needed(a, b, "", names, sizeof(names)), 0,
	    "the top level reloads");
out:
	conf_free(a);
	conf_free(b);
}

int
main(void)
{
	if (!ok(conffile_make(), "a temporary config file"))
		return tap_done();
	rows();
	tree();
	by_section();
	stored();
	restart();
	unlink(path);
	return tap_done();
}
