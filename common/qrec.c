/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qrec - queue file records: framing, a bounded window, pointers.
 *
 * Entry points: qrec_image, qrec_open_at, qrec_close, qrec_at, qrec_next.
 * A file is read in chunks of QREC_CHUNK at the offset asked for (or the
 * record's length, when longer), so a pointer's jump costs one chunk and
 * a skipped body nothing; every byte read counts against QREC_SCAN_MAX.
 * Pointer loops end at QREC_RECORDS_MAX (a pointer is a record read).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qrec.h"
#include "str.h"

#define REC_DTXT      'w'
#define REC_PTR       'p'
#define LEN_BYTES_MAX 5 /* 35 bits: more than QREC_SCAN_MAX */
#define QREC_CHUNK    8192
#define QREC_WINDOW   (QREC_RECORD_MAX + LEN_BYTES_MAX + 1)

void
qrec_image(struct qrec *r, const unsigned char *buf, size_t len, char *err,
    size_t errsize)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->buf = buf;
	r->size = r->have = len > QREC_SCAN_MAX ? QREC_SCAN_MAX : len;
	r->err = err;
	r->errsize = errsize;
}

int
qrec_open_at(
    struct qrec *r, int dirfd, const char *name, char *err, size_t errsize)
{
	struct stat st;
	int e;

	memset(r, 0, sizeof(*r));
	r->err = err;
	r->errsize = errsize;
	if ((r->fd = openat(dirfd, name,
	         O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1) {
		e = errno;
		snprintf(err, errsize, "%s: %s", name, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(r->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file", name);
		qrec_close(r);
		errno = EINVAL;
		return -1;
	}
	r->size = (size_t)st.st_size;
	if ((r->win = malloc(QREC_WINDOW)) == NULL) {
		snprintf(err, errsize, "out of memory");
		qrec_close(r);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
qrec_close(struct qrec *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	free(r->win);
	r->win = NULL;
}

/* qrec_avail - up to n (<= QREC_WINDOW) bytes at off readable at *p;
 * how many */
static size_t
qrec_avail(struct qrec *r, size_t off, size_t n, const unsigned char **p)
{
	size_t want, got = 0;
	ssize_t k;

	if (off >= r->size)
		return 0;
	if (r->fd != -1 && (off < r->base || off + n > r->base + r->have)) {
		want = n > QREC_CHUNK ? n : QREC_CHUNK;
		if (want > r->size - off)
			want = r->size - off;
		while (got < want &&
		    (k = pread(r->fd, r->win + got, want - got,
		         (off_t)(off + got))) > 0)
			got += (size_t)k;
		r->buf = r->win;
		r->base = off;
		r->have = got;
		r->used += got;
	}
	*p = r->buf + (off - r->base);
	want = r->base + r->have - off;
	return n < want ? n : want;
}

int
qrec_at(struct qrec *r, size_t off, int *type, const unsigned char **data,
    size_t *len, size_t *next)
{
	const unsigned char *p;
	size_t a, n = 0, h;
	int shift = 0;

	if (++r->nrec > QREC_RECORDS_MAX) {
		snprintf(r->err, r->errsize, "more than %d records",
		    QREC_RECORDS_MAX);
		return -1;
	}
	if ((a = qrec_avail(r, off, 1 + LEN_BYTES_MAX, &p)) == 0) {
		snprintf(r->err, r->errsize,
		    "queue file ends at byte %zu, before its end", off);
		return -1;
	}
	*type = p[0];
	for (h = 1;; h++, shift += 7) {
		if (h > LEN_BYTES_MAX || h >= a) {
			snprintf(r->err, r->errsize, "%s",
			    h > LEN_BYTES_MAX ? "record length too long"
			                      : "truncated record length");
			return -1;
		}
		n |= (size_t)(p[h] & 0x7f) << shift;
		if ((p[h] & 0x80) == 0)
			break;
	}
	off += h + 1;
	if (n > r->size - off) {
		snprintf(
		    r->err, r->errsize, "record length %zu beyond the file", n);
		return -1;
	}
	if (n > QREC_RECORD_MAX) {
		snprintf(r->err, r->errsize, "record length %zu over %d", n,
		    QREC_RECORD_MAX);
		return -1;
	}
	if (qrec_avail(r, off, n, data) != n) {
		snprintf(r->err, r->errsize, "queue file changed while read");
		return -1;
	}
	if (r->used > QREC_SCAN_MAX) {
		snprintf(r->err, r->errsize, "more than %d bytes read",
		    QREC_SCAN_MAX);
		return -1;
	}
	*len = n;
	*next = off + n;
	return 0;
}

int
qrec_next(struct qrec *r, int *type, const unsigned char **d, size_t *n)
{
	char num[24];
	size_t sp;
	long long to;

	for (;;) {
		if (qrec_at(r, r->off, type, d, n, &r->off) == -1)
			return -1;
		if (*type == REC_DTXT)
			continue;
		if (*type != REC_PTR)
			return 0;
		/* "%15ld": blanks, then the offset; 0 is a placeholder */
		for (sp = 0; sp < *n && (*d)[sp] == ' '; sp++)
			;
		if (*n - sp == 0 || *n - sp >= sizeof(num)) {
			snprintf(
			    r->err, r->errsize, "malformed pointer record");
			return -1;
		}
		memcpy(num, *d + sp, *n - sp);
		num[*n - sp] = '\0';
		if (strspn(num, "0123456789") != *n - sp) { /* a NUL too */
			snprintf(
			    r->err, r->errsize, "malformed pointer record");
			return -1;
		}
		if (str_tonum(num, 0, (long long)r->size - 1, &to) == -1) {
			snprintf(r->err, r->errsize,
			    "pointer record beyond the file");
			return -1;
		}
		if (to != 0)
			r->off = (size_t)to;
	}
}
