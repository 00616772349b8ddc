/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * str - strict parsing and escaping helpers for untrusted text.
 *
 * str_tonum() is the one way numbers from peers, Redis or config are read;
 * str_escape() makes any bytes safe for one quoted key="value" log field,
 * str_escape_word() for an unquoted key=value one;
 * str_lltoa() writes a number without printf (Redis commands per request).
 */
#ifndef FG_STR_H
#define FG_STR_H

#include <stdbool.h>
#include <stddef.h>

int str_tonum(const char *, long long min, long long max, long long *)
    __attribute__((warn_unused_result));
const char *str_escape(
    char *dst, size_t dstsize, const char *src, size_t srclen);
const char *str_escape_word(
    char *dst, size_t dstsize, const char *src, size_t srclen);
size_t str_lcpy(char *dst, const char *src, size_t dstsize);
void str_line(char *dst, size_t size, const char *src);
size_t str_lltoa(char *dst, size_t dstsize, long long);

#endif
