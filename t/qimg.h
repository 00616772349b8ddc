/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qimg.h - queue file images for the qrec and qfile unit tests, written
 * as Postfix writes them (rec_put's length encoding; "%15ld" pointer and
 * size fields patched in place, as cleanup does).
 */
#ifndef FG_QIMG_H
#define FG_QIMG_H

#include <stdio.h>
#include <string.h>

struct img {
	unsigned char b[65536];
	size_t n;
};

/* img_rec - append one record; the offset of its data */
static __attribute__((unused)) size_t
img_rec(struct img *im, int type, const void *data, size_t len)
{
	size_t l = len, at;

	im->b[im->n++] = (unsigned char)type;
	do {
		unsigned char c = l & 0x7f;

		if ((l >>= 7) != 0)
			c |= 0x80;
		im->b[im->n++] = c;
	} while (l != 0);
	at = im->n;
	memcpy(im->b + im->n, data, len);
	im->n += len;
	return at;
}

/* img_recs - append a record of a string; the offset of its data */
static __attribute__((unused)) size_t
img_recs(struct img *im, int type, const char *s)
{
	return img_rec(im, type, s, strlen(s));
}

/* img_num - the 15 bytes at off become "%15zu" of v */
static __attribute__((unused)) void
img_num(struct img *im, size_t off, size_t v)
{
	char num[16];

	snprintf(num, sizeof(num), "%15zu", v);
	memcpy(im->b + off, num, 15);
}

/* img_ptr - a pointer record to v; the offset of its data */
static __attribute__((unused)) size_t
img_ptr(struct img *im, size_t v)
{
	size_t at = img_recs(im, 'p', "              0");

	img_num(im, at, v);
	return at;
}

/* img_message - a whole queue file into im: a size record, the envelope
 * records, 'M', the content records, 'X', the extracted records, 'E';
 * each record a string whose first byte is its type; the content size
 * right; returns the offset of the size record's data */
static __attribute__((unused)) size_t
img_message(struct img *im, const char *const *env, const char *const *content,
    const char *const *xtra)
{
	size_t c, body;

	im->n = 0;
	c = img_recs(im, 'C',
	    "              0               0               0"
	    "               0               0               0");
	for (; *env != NULL; env++)
		img_recs(im, (*env)[0], *env + 1);
	img_recs(im, 'M', "");
	body = im->n;
	for (; *content != NULL; content++)
		img_recs(im, (*content)[0], *content + 1);
	img_num(im, c, im->n - body);
	img_recs(im, 'X', "");
	for (; *xtra != NULL; xtra++)
		img_recs(im, (*xtra)[0], *xtra + 1);
	img_recs(im, 'E', "");
	return c;
}

#endif
