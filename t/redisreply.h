/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redisreply - Redis replies made by hand for unit tests (a reply is
 * input too): integers, strings (NULL: nil), errors, arrays; rfree
 * frees one made here. Header-only, like tap.h.
 */
#ifndef FG_T_REDISREPLY_H
#define FG_T_REDISREPLY_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

static __attribute__((unused)) redisReply *
rnum(long long v)
{
	redisReply *r = calloc(1, sizeof(*r));

	r->type = REDIS_REPLY_INTEGER;
	r->integer = v;
	return r;
}

/* rstr - a string reply (borrowing s), or nil for NULL */
static __attribute__((unused)) redisReply *
rstr(const char *s)
{
	redisReply *r = calloc(1, sizeof(*r));

	r->type = s != NULL ? REDIS_REPLY_STRING : REDIS_REPLY_NIL;
	r->str = (char *)s;
	r->len = s != NULL ? strlen(s) : 0;
	return r;
}

/* rerr - an error reply (borrowing s): its text, without the '-' */
static __attribute__((unused)) redisReply *
rerr(const char *s)
{
	redisReply *r = rstr(s);

	r->type = REDIS_REPLY_ERROR;
	return r;
}

/* rarr - an array of the n replies that follow */
static __attribute__((unused)) redisReply *
rarr(size_t n, ...)
{
	redisReply *r = calloc(1, sizeof(*r));
	va_list ap;
	size_t i;

	r->type = REDIS_REPLY_ARRAY;
	r->elements = n;
	r->element = calloc(n ? n : 1, sizeof(*r->element));
	va_start(ap, n);
	for (i = 0; i < n; i++)
		r->element[i] = va_arg(ap, redisReply *);
	va_end(ap);
	return r;
}

/* rarr_of - an array of n elements for the caller to fill */
static __attribute__((unused)) redisReply *
rarr_of(size_t n)
{
	redisReply *r = rarr(0);

	free(r->element);
	r->elements = n;
	r->element = calloc(n ? n : 1, sizeof(*r->element));
	return r;
}

/* rfree - a reply made here (the strings are borrowed) */
static __attribute__((unused)) void
rfree(redisReply *r)
{
	size_t i;

	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		rfree(r->element[i]);
	free(r->element);
	free(r);
}

#endif
