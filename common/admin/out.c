/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * out - tables and JSON lines for floodgate(8).
 *
 * JSON rows are printed as they come (events -f streams); a text table
 * is kept until out_end so its columns can be aligned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "str.h"

struct out {
	const char *kind, *title;
	int n;
	const struct out_col *cols;
	bool json, noheader;
	char **cell; /* text: nrows * n copies */
	int nrows, cap;
};

struct out *
out_new(const char *kind, const char *title, int n, const struct out_col *cols,
    bool json)
{
	struct out *o;

	if (n < 1 || n > OUT_COLS_MAX || (o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->kind = kind;
	o->title = title;
	o->n = n;
	o->cols = cols;
	o->json = json;
	return o;
}

void
out_json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = 0;

	putchar('"');
	for (; *p != '\0' && k < OUT_VALUE_MAX; p++, k++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* out_is_num - a JSON number: digits, an optional '-' first */
static bool
out_is_num(const char *s)
{
	long long v;

	return str_tonum(s, -(1LL << 60), 1LL << 60, &v) == 0;
}

/* out_json_row - one JSON object on one line */
static void
out_json_row(const struct out *o, const char *const *vals)
{
	int i;

	putchar('{');
	if (o->kind != NULL)
		printf("\"kind\":\"%s\",", o->kind);
	for (i = 0; i < o->n; i++) {
		const char *v = vals[i] != NULL ? vals[i] : "";

		printf("%s\"%s\":", i > 0 ? "," : "", o->cols[i].key);
		if (o->cols[i].num && out_is_num(v))
			fputs(v, stdout);
		else if (o->cols[i].num && v[0] == '\0')
			fputs("null", stdout);
		else
			out_json_str(v);
	}
	puts("}");
	fflush(stdout);
}

/* out_printable - a copy of v, cut, its control bytes made '?' */
static char *
out_printable(const char *v)
{
	size_t len = strnlen(v, OUT_VALUE_MAX), i;
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		s[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	s[len] = '\0';
	return s;
}

int
out_row(struct out *o, const char *const *vals)
{
	char **cell;
	int i;

	if (o->json) {
		out_json_row(o, vals);
		o->nrows++;
		return 0;
	}
	if (o->nrows == o->cap) {
		int cap = o->cap > 0 ? o->cap * 2 : 16;

		cell = reallocarray(
		    o->cell, (size_t)cap * (size_t)o->n, sizeof(*cell));
		if (cell == NULL)
			return -1;
		o->cell = cell;
		o->cap = cap;
	}
	cell = o->cell + (size_t)o->nrows * (size_t)o->n;
	for (i = 0; i < o->n; i++)
		if ((cell[i] = out_printable(
		         vals[i] != NULL && vals[i][0] ? vals[i] : "-")) ==
		    NULL) {
			while (i-- > 0)
				free(cell[i]);
			return -1;
		}
	o->nrows++;
	return 0;
}

void
out_noheader(struct out *o)
{
	o->noheader = true;
}

int
out_rows(const struct out *o)
{
	return o->nrows;
}

/* out_line - one text row, padded to the widths but the last column */
static void
out_line(const struct out *o, const int *w, const char *const *v)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (i + 1 < o->n)
			printf("%-*s  ", w[i], v[i]);
		else
			printf("%s\n", v[i]);
}

void
out_end(struct out *o)
{
	int w[OUT_COLS_MAX], i, r;
	const char *head[OUT_COLS_MAX];

	if (o == NULL)
		return;
	if (!o->json && o->nrows > 0) {
		for (i = 0; i < o->n; i++) {
			head[i] = o->cols[i].head;
			w[i] = (int)strlen(head[i]);
			for (r = 0; r < o->nrows; r++) {
				int l = (int)strlen(o->cell[r * o->n + i]);

				if (l > w[i])
					w[i] = l;
			}
		}
		if (o->title != NULL)
			printf("\n%s\n", o->title);
		if (!o->noheader)
			out_line(o, w, head);
		for (r = 0; r < o->nrows; r++)
			out_line(o, w, (const char *const *)o->cell + r * o->n);
	}
	for (r = 0; r < o->nrows * (o->json ? 0 : o->n); r++)
		free(o->cell[r]);
	free(o->cell);
	fflush(stdout);
	free(o);
}
