/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confdoc - every option of the schema (a confschema row) is in
 * conf/floodgate.conf with a comment and in conf/floodgate.conf.5.
 * Run from the top of the tree (make check does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confschema.h"
#include "tap.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if ((s = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

/* word_in - name occurs as a whole word */
static int
word_in(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = text; (p = strstr(p, name)) != NULL; p += n) {
		char b = p == text ? ' ' : p[-1], a = p[n];

		if ((b == ' ' || b == '#' || b == '\n' || b == ',' ||
		        b == '\t') &&
		    (a == ' ' || a == ',' || a == '\n' || a == '\t'))
			return 1;
	}
	return 0;
}

int
main(void)
{
	const struct confschema_row *r = confschema_rows();
	char *conf = slurp("conf/floodgate.conf");
	char *man = slurp("conf/floodgate.conf.5");

	ok(conf != NULL && man != NULL, "read conf/floodgate.conf and .5");
	if (conf == NULL || man == NULL)
		return tap_done();
	ok(r[0].name != NULL && r[10].name != NULL, "schema lists options");
	for (; r->name != NULL; r++) {
		const char *dot = r->section[0] != '\0' ? "." : "";

		ok(word_in(conf, r->name), "%s%s%s is in conf/floodgate.conf",
		    r->section, dot, r->name);
		ok(word_in(man, r->name), "%s%s%s is in floodgate.conf(5)",
		    r->section, dot, r->name);
	}
	free(conf);
	free(man);
	return tap_done();
}
