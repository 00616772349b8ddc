/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmdbuf - argument vectors and their strings, bounded and growable.
 *
 * Entry points: cmdbuf_init, cmdbuf_put, cmdbuf_num, cmdbuf_catv,
 * cmdbuf_cmd, cmdbuf_arg, cmdbuf_args, cmdbuf_get, cmdbuf_argv,
 * cmdbuf_clear, cmdbuf_free. Strings go to the current chunk (the inline
 * one first); one that does not fit opens a new chunk of at least twice
 * the last size, so earlier strings never move. The argv and command
 * tables double on demand (they hold pointers into the chunks, which
 * stay valid). Past a CMDBUF_MAX_* bound the buffer fails, never grows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdbuf.h"
#include "str.h"

struct cmdbuf_chunk {
	struct cmdbuf_chunk *next;
	char data[];
};

void
cmdbuf_init(struct cmdbuf *b)
{
	b->argv = b->argv0;
	b->cmd = b->cmd0;
	b->nargs = b->ncmd = 0;
	b->maxargs = CMDBUF_INLINE_ARGS;
	b->maxcmd = CMDBUF_INLINE_CMDS;
	b->text = b->text0;
	b->used = 0;
	b->size = b->total = CMDBUF_INLINE;
	b->chunks = NULL;
	b->failed = false;
}

void
cmdbuf_free(struct cmdbuf *b)
{
	struct cmdbuf_chunk *c, *next;

	for (c = b->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	if (b->argv != b->argv0)
		free(b->argv);
	if (b->cmd != b->cmd0)
		free(b->cmd);
	cmdbuf_init(b);
}

void
cmdbuf_clear(struct cmdbuf *b)
{
	b->nargs = b->ncmd = 0;
}

bool
cmdbuf_failed(const struct cmdbuf *b)
{
	return b->failed;
}

/* cmdbuf_room - a place for n bytes in the text; NULL on failure */
static char *
cmdbuf_room(struct cmdbuf *b, size_t n)
{
	struct cmdbuf_chunk *c;
	size_t size = b->size * 2;

	if (b->failed)
		return NULL;
	if (n <= b->size - b->used)
		return b->text + b->used;
	if (size < n)
		size = n;
	if (b->total + size > CMDBUF_MAX_BYTES ||
	    (c = malloc(sizeof(*c) + size)) == NULL) {
		b->failed = true;
		return NULL;
	}
	c->next = b->chunks;
	b->chunks = c;
	b->text = c->data;
	b->used = 0;
	b->size = size;
	b->total += size;
	return b->text;
}

const char *
cmdbuf_put(struct cmdbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = cmdbuf_room(b, 1);
	int n;

	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	n = vsnprintf(s, b->size - b->used, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return NULL;
	}
	if ((size_t)n >= b->size - b->used) {
		/* too long for this chunk: again in a new one */
		if ((s = cmdbuf_room(b, (size_t)n + 1)) == NULL)
			return NULL;
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->used += (size_t)n + 1;
	return s;
}

const char *
cmdbuf_num(struct cmdbuf *b, long long v)
{
	char *s = cmdbuf_room(b, 24);
	size_t n;

	if (s == NULL || (n = str_lltoa(s, 24, v)) == 0)
		return NULL;
	b->used += n + 1;
	return s;
}

const char *
cmdbuf_catv(struct cmdbuf *b, int n, const char *const *parts)
{
	size_t len = 0, x;
	char *s;
	int i;

	for (i = 0; i < n; i++) {
		if (parts[i] == NULL) {
			b->failed = true;
			return NULL;
		}
		len += strlen(parts[i]);
	}
	if ((s = cmdbuf_room(b, len + 1)) == NULL)
		return NULL;
	for (i = 0, len = 0; i < n; i++) {
		x = strlen(parts[i]);
		memcpy(s + len, parts[i], x);
		len += x;
	}
	s[len] = '\0';
	b->used += len + 1;
	return s;
}

/* cmdbuf_grow - double a table (elem bytes each) up to max; 0 or -1 */
static int
cmdbuf_grow(void **tab, void *inline_tab, int *cap, int max, size_t elem)
{
	int ncap = *cap * 2;
	void *t;

	if (*cap >= max)
		return -1;
	if (ncap > max)
		ncap = max;
	if (*tab == inline_tab) {
		if ((t = malloc((size_t)ncap * elem)) != NULL)
			memcpy(t, *tab, (size_t)*cap * elem);
	} else
		t = realloc(*tab, (size_t)ncap * elem);
	if (t == NULL)
		return -1;
	*tab = t;
	*cap = ncap;
	return 0;
}

void
cmdbuf_cmd(struct cmdbuf *b, int kind, int aux)
{
	if (b->ncmd == b->maxcmd &&
	    cmdbuf_grow((void **)&b->cmd, b->cmd0, &b->maxcmd, CMDBUF_MAX_CMDS,
	        sizeof(*b->cmd)) == -1) {
		b->failed = true;
		return;
	}
	b->cmd[b->ncmd++] =
	    (struct cmdbuf_cmd){.kind = kind, .aux = aux, .arg0 = b->nargs};
}

void
cmdbuf_arg(struct cmdbuf *b, const char *s)
{
	if (s == NULL || b->ncmd == 0 || b->failed) {
		b->failed = true;
		return;
	}
	if (b->nargs == b->maxargs &&
	    cmdbuf_grow((void **)&b->argv, b->argv0, &b->maxargs,
	        CMDBUF_MAX_ARGS, sizeof(*b->argv)) == -1) {
		b->failed = true;
		return;
	}
	b->argv[b->nargs++] = s;
	b->cmd[b->ncmd - 1].argc++;
}

void
cmdbuf_args(struct cmdbuf *b, int n, const char *const *s)
{
	int i;

	for (i = 0; i < n; i++)
		cmdbuf_arg(b, s[i]);
}

int
cmdbuf_ncmd(const struct cmdbuf *b)
{
	return b->ncmd;
}

const struct cmdbuf_cmd *
cmdbuf_get(const struct cmdbuf *b, int i)
{
	return &b->cmd[i];
}

const char *const *
cmdbuf_argv(const struct cmdbuf *b, int i)
{
	return b->argv + b->cmd[i].arg0;
}
