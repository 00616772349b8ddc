/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confdoc - every option of the schema (conf_option_names) is in
 * conf/floodgate.conf with a comment and in conf/floodgate.conf.5.
 * Run from the top of the tree (make check does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
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
	const char *const *names = conf_option_names();
	char *conf = slurp("conf/floodgate.conf");
	char *man = slurp("conf/floodgate.conf.5");
	int i;

	ok(conf != NULL && man != NULL, "read conf/floodgate.conf and .5");
	if (conf == NULL || man == NULL)
		return tap_done();
	ok(names[0] != NULL && names[10] != NULL, "schema lists options");
	for (i = 0; names[i] != NULL; i++) {
		const char *dot = strchr(names[i], '.');
		const char *opt = dot != NULL ? dot + 1 : names[i];

		ok(word_in(conf, opt), "%s is in conf/floodgate.conf",
		    names[i]);
		ok(word_in(man, opt), "%s is in floodgate.conf(5)", names[i]);
	}
	free(conf);
	free(man);
	return tap_done();
}
