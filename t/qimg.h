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

#endif
