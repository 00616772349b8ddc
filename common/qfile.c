/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qfile - a strict reader of Postfix's queue file record format.
 *
 * Entry points: qfile_parse, qfile_read, qfile_valid_id. A record is a
 * type byte, a length (7 bits per byte, low-order first, high bit set on
 * all but the last byte; Postfix's rec_put) and that many bytes. Envelope
 * records come first; REC_TYPE_MESG 'M' starts the content, whose lines
 * are REC_TYPE_NORM 'N' (REC_TYPE_CONT 'L' for a piece of a longer line).
 * The first content record must be a whole 'N' line of exactly the form
 * Postfix's pickup/cleanup writes for a local submission.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qfile.h"
#include "str.h"

#define REC_MESG      'M'
#define REC_NORM      'N'
#define REC_CONT      'L'
#define REC_END       'E'
#define LEN_BYTES_MAX 5 /* 35 bits: more than QFILE_SCAN_MAX needs */

static const char pfx[] = "Received: by ";
static const char mid[] = " (Postfix, from userid ";

/* qfile_rec_next - the record at *off: type, data, length; 0 or -1 + err */
static int
qfile_rec_next(const unsigned char *buf, size_t len, size_t *off, int *type,
    const unsigned char **data, size_t *dlen, char *err, size_t errsize)
{
	size_t o = *off, n = 0;
	int i, shift = 0;

	if (o >= len) {
		snprintf(err, errsize, "queue file ends before the content");
		return -1;
	}
	*type = buf[o++];
	for (i = 0;; i++, shift += 7) {
		if (i == LEN_BYTES_MAX) {
			snprintf(err, errsize, "record length too long");
			return -1;
		}
		if (o >= len) {
			snprintf(err, errsize, "truncated record length");
			return -1;
		}
		n |= (size_t)(buf[o] & 0x7f) << shift;
		if ((buf[o++] & 0x80) == 0)
			break;
	}
	if (n > QFILE_SCAN_MAX || n > len - o) {
		snprintf(err, errsize, "record length %zu beyond the file", n);
		return -1;
	}
	*data = buf + o;
	*dlen = n;
	*off = o + n;
	return 0;
}

/* qfile_host_ok - a plausible myhostname: 1..255 of [A-Za-z0-9.-_] */
static bool
qfile_host_ok(const unsigned char *h, size_t n)
{
	size_t i;

	if (n == 0 || n >= QFILE_HOST_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
		        h[i]) == NULL ||
		    h[i] == '\0')
			return false;
	return true;
}

/* qfile_received - parse Postfix's own Received line; 0 or -1 + err */
static int
qfile_received(const unsigned char *d, size_t n, struct qfile_origin *o,
    char *err, size_t errsize)
{
	const unsigned char *host, *p, *end = d + n;
	char num[16];
	size_t hlen, dl;
	long long uid;

	if (n < sizeof(pfx) - 1 || memcmp(d, pfx, sizeof(pfx) - 1) != 0) {
		snprintf(err, errsize,
		    "not a local submission (first header is not Postfix's "
		    "Received: by)");
		return -1;
	}
	host = d + sizeof(pfx) - 1;
	for (p = host; p < end && *p != ' '; p++)
		;
	hlen = (size_t)(p - host);
	if (!qfile_host_ok(host, hlen) || (size_t)(end - p) < sizeof(mid) - 1 ||
	    memcmp(p, mid, sizeof(mid) - 1) != 0) {
		snprintf(err, errsize,
		    "not a local submission (no \"from userid\")");
		return -1;
	}
	p += sizeof(mid) - 1;
	dl = (size_t)(end - p);
	if (dl < 2 || p[dl - 1] != ')' || dl - 1 >= sizeof(num)) {
		snprintf(err, errsize, "malformed userid");
		return -1;
	}
	memcpy(num, p, dl - 1);
	num[dl - 1] = '\0';
	/* as Postfix writes it (%ld): digits, no leading zero */
	if (strspn(num, "0123456789") != dl - 1 ||
	    (num[0] == '0' && num[1] != '\0') ||
	    str_tonum(num, 0, 4294967294LL, &uid) == -1) {
		snprintf(err, errsize, "malformed userid");
		return -1;
	}
	o->uid = uid;
	memcpy(o->host, host, hlen);
	o->host[hlen] = '\0';
	return 0;
}

int
qfile_parse(const unsigned char *buf, size_t len, struct qfile_origin *o,
    char *err, size_t errsize)
{
	const unsigned char *d;
	size_t off = 0, n;
	int type, nrec;
	bool content = false;

	memset(o, 0, sizeof(*o));
	if (len > QFILE_SCAN_MAX)
		len = QFILE_SCAN_MAX;
	for (nrec = 0; nrec < QFILE_RECORDS_MAX; nrec++) {
		if (qfile_rec_next(
		        buf, len, &off, &type, &d, &n, err, errsize) == -1)
			return -1;
		if (!content) {
			if (type == REC_END) {
				snprintf(
				    err, errsize, "queue file has no content");
				return -1;
			}
			content = type == REC_MESG;
			continue; /* envelope records */
		}
		if (type == REC_CONT) {
			snprintf(err, errsize,
			    "not a local submission (first line too long)");
			return -1;
		}
		if (type != REC_NORM) {
			snprintf(err, errsize,
			    "not a local submission (content starts with "
			    "record type %d)",
			    type);
			return -1;
		}
		return qfile_received(d, n, o, err, errsize);
	}
	snprintf(err, errsize, "more than %d records before the content",
	    QFILE_RECORDS_MAX);
	return -1;
}

int
qfile_read(const char *path, struct qfile_origin *o, char *err, size_t errsize)
{
	struct stat st;
	unsigned char *buf;
	size_t want, got = 0;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	want =
	    st.st_size > QFILE_SCAN_MAX ? QFILE_SCAN_MAX : (size_t)st.st_size;
	if ((buf = malloc(want + 1)) == NULL) {
		snprintf(err, errsize, "out of memory");
		close(fd);
		return -1;
	}
	while (got < want && (n = read(fd, buf + got, want - got)) > 0)
		got += (size_t)n;
	close(fd);
	rc = qfile_parse(buf, got, o, err, errsize);
	free(buf);
	return rc;
}

bool
qfile_valid_id(const char *id)
{
	size_t n = strspn(id,
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz");

	return n >= 1 && n <= 32 && id[n] == '\0';
}
