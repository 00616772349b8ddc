/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conffile.h - one temporary floodgate.conf for the conf unit tests: load()
 * writes a text there and conf_loads it; has_prefix() and errline() read
 * the "<path>:<line>:" an error starts with; refused() is one row of a
 * table of bad files. main() makes the file with conffile_make() and
 * unlinks it.
 */
#ifndef FG_CONFFILE_H
#define FG_CONFFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static char path[] = "/tmp/fgconfXXXXXX";

/* conffile_make - the temporary file (mkstemp); false when it failed */
static __attribute__((unused)) bool
conffile_make(void)
{
	int fd = mkstemp(path);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* load - text into the temporary file, then conf_load it */
static __attribute__((unused)) struct conf *
load(const char *text, char *err, size_t errsize)
{
	FILE *f = fopen(path, "w");

	err[0] = '\0';
	if (f == NULL) {
		snprintf(err, errsize, "cannot write %s", path);
		return NULL;
	}
	fputs(text, f);
	fclose(f);
	return conf_load(path, err, errsize);
}

/* errline - the line number of "<path>:<line>: ..." or -1 */
static __attribute__((unused)) int
errline(const char *err)
{
	size_t n = strlen(path);

	if (strncmp(err, path, n) != 0 || err[n] != ':')
		return -1;
	return atoi(err + n + 1);
}

/* has_prefix - err starts with "<path>:<line>:" */
static __attribute__((unused)) bool
has_prefix(const char *err, int line)
{
	char want[64];

	snprintf(want, sizeof(want), "%s:%d:", path, line);
	return strncmp(err, want, strlen(want)) == 0;
}

/* refused - a test: text is refused by an error at line naming what */
static __attribute__((unused)) void
refused(const char *text, int line, const char *what, const char *label)
{
	char err[CONF_ERR_MAX];
	struct conf *c = load(text, err, sizeof(err));

	if (!ok(c == NULL && has_prefix(err, line) && strstr(err, what) != NULL,
	        "%s: line %d, mentions %s", label, line, what))
		printf("#   err: %s\n", c != NULL ? "(loaded)" : err);
	conf_free(c);
}

#endif
