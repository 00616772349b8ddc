/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * str - strict number parsing, log escaping, bounded copy, numbers
 * written without printf.
 *
 * Entry points: str_tonum, str_escape, str_escape_word, str_lcpy,
 * str_line, str_lltoa.
 * Never allocates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

/* str_tonum - decimal integer in [min,max], no junk; returns 0 or -1 */
int
str_tonum(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* str_esc_len - bytes an escape writes for c (word: an unquoted field) */
static size_t
str_esc_len(unsigned char c, bool word)
{
	if (word && (c == ' ' || c == '='))
		return 4;
	return (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? 1 : 4;
}

/* str_escape_any - str_escape, or str_escape_word */
static const char *
str_escape_any(
    char *dst, size_t dstsize, const char *src, size_t srclen, bool word)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0, total = 0, reserve;

	if (dstsize == 0)
		return dst;
	for (i = 0; i < srclen; i++)
		total += str_esc_len((unsigned char)src[i], word);
	reserve = total < dstsize ? 1 : 4; /* room for "..." only if cut */
	for (i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = str_esc_len(c, word);

		if (o + need + reserve > dstsize) {
			if (o + 4 <= dstsize) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}

/*
 * str_escape - copy src for a quoted log field: printable ASCII but '"'
 * and '\\' pass, everything else becomes \xHH; cut with "..." when dst
 * is too small. Returns dst.
 */
const char *
str_escape(char *dst, size_t dstsize, const char *src, size_t srclen)
{
	return str_escape_any(dst, dstsize, src, srclen, false);
}

/* str_escape_word - str_escape for an unquoted field: space and '=' are
 * escaped too, so a value can neither end its field nor start another */
const char *
str_escape_word(char *dst, size_t dstsize, const char *src, size_t srclen)
{
	return str_escape_any(dst, dstsize, src, srclen, true);
}

/* str_line - a bounded copy of untrusted text up to its first line
 * break (NULL: ""), so a header or macro value cannot add a line */
void
str_line(char *dst, size_t size, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	str_lcpy(dst, src, size);
	dst[strcspn(dst, "\r\n")] = '\0';
}

/* str_lcpy - strlcpy(3); returns strlen(src), >= dstsize means cut */
size_t
str_lcpy(char *dst, const char *src, size_t dstsize)
{
	size_t n = strlen(src);

	if (dstsize > 0) {
		size_t c = n < dstsize - 1 ? n : dstsize - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

/* str_lltoa - v in decimal, NUL-terminated; its length, 0 when it does
 * not fit */
size_t
str_lltoa(char *dst, size_t dstsize, long long v)
{
	char tmp[24];
	unsigned long long u =
	    v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	size_t k = 0, n = 0;

	do
		tmp[k++] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (dstsize < k + (v < 0) + 1)
		return 0;
	if (v < 0)
		dst[n++] = '-';
	while (k > 0)
		dst[n++] = tmp[--k];
	dst[n] = '\0';
	return n;
}
