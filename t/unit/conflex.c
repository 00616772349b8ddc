/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conflex - conf_load() on files that libconfuse 3.3's lexer would read
 * short in silence: one table row per lexer state a file can end in or be
 * fooled by (comment, string, ${...}, escape, section, list, word), each
 * refused at the line its construct starts on; lines counted right after
 * comments; what the lexer reads well still loads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conffile.h"
#include "tap.h"

/* a whole limit section of five lines, named n */
#define LIMIT(n)                                                               \
	"limit \"" n "\" {\n  subject = \"sasl\"\n  window = 1\n"              \
	"  messages = 1\n}\n"
/* a limit "a" cut after its body: its '{' is on line 1 */
#define CUT(body) "limit \"a\" {\n  subject = \"sasl\"\n" body

static const struct {
	const char *text;
	int line;
	const char *what; /* the error must mention it */
} cut[] = {
    /* comment: the second limit was silently dropped ("ok (1 limits)") */
    {LIMIT("a") "/* b is off for now\n" LIMIT("b"), 6, "/* comment"},
    {"node = \"n\"\n/* cut", 2, "/* comment is never closed"},
    /* "/ * /" opens a comment and does not close it */
    {"node = \"n\"\n/*/ ipv4_prefix = 24\n", 2, "never closed"},
    /* a '}' inside a comment closes nothing */
    {CUT("  window = 1\n  messages = 1\n/*/ } */\n"), 1, "'{'"},
    {CUT("  window = 1\n  messages = 1\n# }\n"), 1, "'{'"},
    /* double-quoted string */
    {"mode = \"dryrun\"\nnode = \"mx\n", 2, "\" string is never closed"},
    {"redis {\n  server = \"unix:/run/r.sock\n}\n", 2, "never closed"},
    {"node = \"a\\\"\n", 1, "never closed"},
    {"node = \"a\\", 1, "never closed"},
    /* ${...}: one token to the next '}', over '"' and line breaks */
    {CUT("  action = \"REJECT ${X\"} now\"\n  window = 1\n"
         "  messages = 1\n"),
        1, "'{'"},
    {"node = ${FG_NODE\n" LIMIT("a"), 1, "${"},
    {"node = \"${FG_NODE\"\n" LIMIT("a"), 1, "${"},
    {"node = \"n\"\nmode = \"${FG_MO", 2, "${"},
    {"node = ${FG_NO", 1, "${"},
    /* single-quoted string and its escapes */
    {CUT("  action = 'REJECT it\\'}'\n  window = 1\n  messages = 1\n"), 1,
        "'{'"},
    {"mode = 'dryrun'\nnode = 'mx\n", 2, "' string is never closed"},
    {"node = 'a\\'\n", 1, "never closed"},
    /* section and list */
    {"node = \"n\"\npolicyd {\n  listen = { \"inet:127.0.0.1:1\" }\n", 2,
        "'{' is never closed"},
    {"exempt_users = { \"a\",\n  \"b\"\n", 1, "'{' is never closed"},
    {"exempt_users = { 'a\\'}'\n", 1, "'{' is never closed"},
    {"exempt_users = { \"a\" /*/ } */\n", 1, "'{' is never closed"},
    {"node = \"n\"\n{{{{{{{{{\n", 2, "braces open"},
    /* cut inside a word or a '#' comment: no line break at the end */
    {"node = \"n\"\nipv4_prefix = 2", 2, "line break"},
    {"ipv4_prefix = 24\n# the end of the fi", 2, "line break"},
    /* an error after comments names its own line */
    {"# one\n# two\nnode = \"n\"\ncolour = 1\n", 4, "colour"},
    {"/* one\n   two */\ncolour = 1\n", 3, "colour"},
    {"node = \"n\" // here\n# and here\nmode = \"x\"\n", 3, "mode"},
    {"node = \"n\" # }\n" LIMIT("a") "colour = 1\n", 7, "colour"},
};

/* cut_files - each row refused at its line, naming what is wrong */
static void
cut_files(void)
{
	char label[32];
	size_t i;

	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		snprintf(label, sizeof(label), "cut %zu", i);
		refused(cut[i].text, cut[i].line, cut[i].what, label);
	}
}

/* good_files - what the lexer reads whole loads as it reads it */
static void
good_files(void)
{
	char err[CONF_ERR_MAX];
	struct conf *c;

	c = load("exempt_users = { \"a\", # the first\n"
	         "  \"b\" /* the second */ }\n",
	    err, sizeof(err));
	ok(c != NULL && c->nexempt_users == 2,
	    "comments between a list's entries (%s)", err);
	conf_free(c);
	unsetenv("FG_CONFLEX_UNSET");
	c = load("node = \"${FG_CONFLEX_UNSET:-mx1}\"\n" LIMIT("a"), err,
	    sizeof(err));
	ok(c != NULL && strcmp(c->node, "mx1") == 0 && c->nlimits == 1,
	    "${VAR:-default} in a string (%s)", err);
	conf_free(c);
	c = load("node = mx1#x\n/**/ipv4_prefix /**/=/**/24 // }\n"
	         "mode = \"a /* b\" # c\nmode = 'dryrun'\n",
	    err, sizeof(err));
	ok(c == NULL && has_prefix(err, 3) && strstr(err, "mode") != NULL,
	    "comment marks in a string are the string's (%s)", err);
	conf_free(c);
	c = load("node = mx1#x\n/**/ipv4_prefix /**/=/**/24 // }\n"
	         "mode = 'dry\\run'\n",
	    err, sizeof(err));
	ok(c == NULL && has_prefix(err, 3), "an escape in ' ' (%s)", err);
	conf_free(c);
	c = load("node = mx1#x\n/**/ipv4_prefix /**/=/**/24 // }\n", err,
	    sizeof(err));
	ok(c != NULL && strcmp(c->node, "mx1") == 0 &&
	        c->subject.ipv4_prefix == 24,
	    "comments right after words (%s)", err);
	conf_free(c);
	c = load("", err, sizeof(err));
	ok(c != NULL, "an empty file (%s)", err);
	conf_free(c);
	c = conf_load_text(
	    "mem.conf", "node = \"a\0b\"\n", 13, err, sizeof(err));
	ok(c == NULL && strncmp(err, "mem.conf:1: NUL", 15) == 0,
	    "a NUL byte is refused (%s)", err);
	conf_free(c);
}

int
main(void)
{
	if (!ok(conffile_make(), "a temporary config file"))
		return tap_done();
	cut_files();
	good_files();
	unlink(path);
	return tap_done();
}
