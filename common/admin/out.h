/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * out - floodgate(8)'s output: rows of named columns, printed as an
 * aligned table with a header line (text, for people) or as one JSON
 * object a line (-j, for scripts; numeric columns as JSON numbers).
 * Untrusted values (anything read from Redis or a queue file) are made
 * printable: control bytes become '?' in text, \u escapes in JSON.
 */
#ifndef FG_OUT_H
#define FG_OUT_H

#include <stdbool.h>

#define OUT_COLS_MAX  16
#define OUT_VALUE_MAX 1024 /* bytes of one value printed at most */

struct out_col {
	const char *head; /* text header */
	const char *key;  /* JSON key */
	bool num;         /* a JSON number when the value is one */
};

struct out;

/* out_new - a table of n columns (cols borrowed); with kind set, each
 * JSON object starts with "kind":kind, and the text table is preceded
 * by kind's title when it is not NULL; NULL when out of memory */
struct out *out_new(const char *kind, const char *title, int n,
    const struct out_col *cols, bool json);
/* out_row - one row of n values (copied); 0 or -1 (out of memory) */
int out_row(struct out *, const char *const *vals)
    __attribute__((warn_unused_result));
/* out_noheader - no header line in text (rows that follow others) */
void out_noheader(struct out *);
/* out_rows - how many rows so far */
int out_rows(const struct out *);
/* out_end - print what is left (the text table) and free */
void out_end(struct out *);
/* out_json_str - s as a JSON string, quotes included, on stdout */
void out_json_str(const char *s);

#endif
