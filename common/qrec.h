/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qrec - the record layer of Postfix's queue files (src/global/record.c):
 * a record is a type byte, a length (7 bits a byte, low-order first, the
 * high bit set on all but the last; rec_put) and that many bytes. A file
 * is read through a small window, so what a reader skips is never read.
 * qrec_next gives the stream Postfix's rec_get gives: pointer records
 * 'p' (a milter's edits, linked in) followed, padding 'w' skipped. No
 * other record means anything here (common/qfile.c reads them).
 *
 * Bounded: QREC_SCAN_MAX bytes read, QREC_RECORDS_MAX records, a record
 * QREC_RECORD_MAX bytes. Never follows a symlink, never blocks on a FIFO,
 * never logs.
 */
#ifndef FG_QREC_H
#define FG_QREC_H

#include <stdbool.h>
#include <stddef.h>

#define QREC_SCAN_MAX    (4 * 1024 * 1024) /* bytes read at most */
#define QREC_RECORDS_MAX 100000            /* records read at most */
#define QREC_RECORD_MAX  (32 * 1024)       /* one record's data */

struct qrec {
	const unsigned char *buf; /* bytes [base, base + have) */
	size_t base, have;
	size_t size; /* of the image or file */
	int fd;      /* -1: an image */
	unsigned char *win;
	size_t used; /* file bytes read so far */
	int nrec;    /* records read so far */
	size_t off;  /* qrec_next's next record */
	char *err;
	size_t errsize;
};

/* qrec_image - r over buf[0..len) (borrowed), cut at QREC_SCAN_MAX;
 * errors go to err */
void qrec_image(struct qrec *r, const unsigned char *buf, size_t len, char *err,
    size_t errsize);
/* qrec_open_at - r over the regular file name under dirfd; 0, or -1 +
 * err with errno set (ENOENT: no such file) */
int qrec_open_at(struct qrec *r, int dirfd, const char *name, char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* qrec_close - what qrec_open_at took */
void qrec_close(struct qrec *r);
/* qrec_at - the record at off as it is: type, data (valid until the next
 * call), length and the offset after it; 0 or -1 + err */
int qrec_at(struct qrec *r, size_t off, int *type, const unsigned char **data,
    size_t *len, size_t *next) __attribute__((warn_unused_result));
/* qrec_next - the next record of the logical stream from r->off; 0 or
 * -1 + err */
int qrec_next(struct qrec *r, int *type, const unsigned char **data,
    size_t *len) __attribute__((warn_unused_result));

#endif
