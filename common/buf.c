/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * buf - bounded growable string buffer (cf. Postfix vstring).
 *
 * Entry points: buf_init, buf_append, buf_puts, buf_printf, buf_reset,
 * buf_free. Never exceeds the bound given at init; never aborts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MINCAP 64

/* buf_init - empty buffer bounded to max bytes; returns 0 or -1 (ENOMEM) */
int
buf_init(struct buf *b, size_t max)
{
	b->cap = max + 1 < BUF_MINCAP ? max + 1 : BUF_MINCAP;
	b->data = malloc(b->cap);
	if (b->data == NULL)
		return -1;
	b->data[0] = '\0';
	b->len = 0;
	b->max = max;
	return 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

/* buf_reserve - room for n more bytes plus NUL; returns 0 or -1 */
static int
buf_reserve(struct buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (n > b->max - b->len)
		return -1;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap;
	while (ncap < need)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = realloc(b->data, ncap)) == NULL)
		return -1;
	b->data = p;
	b->cap = ncap;
	return 0;
}

/* buf_append - add n bytes; returns 0, or -1 with the buffer unchanged */
int
buf_append(struct buf *b, const void *src, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->data + b->len, src, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* buf_printf - append formatted text; returns 0, or -1 unchanged */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
