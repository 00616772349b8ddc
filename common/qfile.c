/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qfile - a strict reader of Postfix's queue file record format.
 *
 * Entry points: qfile_parse, qfile_read, qfile_scan, qfile_scan_at,
 * qfile_valid_id. Records come from common/qrec.c (pointers followed,
 * padding skipped); their types are Postfix's src/global/rec_type.h. The
 * envelope segment comes first; REC_TYPE_MESG 'M' starts the content,
 * whose lines are REC_TYPE_NORM 'N' (REC_TYPE_CONT 'L' for a piece of a
 * longer line);
 * REC_TYPE_XTRA 'X', where the size record says the content ends, starts
 * the extracted segment, REC_TYPE_END 'E' ends the file. Past the
 * headers the body is skipped, not read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "qfile.h"
#include "qrec.h"
#include "str.h"

#define REC_SIZE       'C'
#define REC_TIME       'T'
#define REC_FROM       'S'
#define REC_RCPT       'R'
#define REC_ATTR       'A'
#define REC_MESG       'M'
#define REC_NORM       'N'
#define REC_CONT       'L'
#define REC_XTRA       'X'
#define REC_END        'E'
#define QFILE_LINE_MAX (STAMP_MAX + 64) /* a header line kept; longer is cut */

static const char pfx[] = "Received: by ";
static const char mid[] = " (Postfix, from userid ";

struct qfile_walk {
	struct qrec r;
	size_t body;  /* just after the 'M' record */
	bool all;     /* qfile_scan: every field, not just the origin */
	bool decided; /* the origin is known or refused */
	bool sender_seen;
	struct qfile_msg *m;
	char why[160]; /* why the origin was refused */
	char *err;
	size_t errsize;
	char line[QFILE_LINE_MAX]; /* the header line being read */
};

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

/* qfile_text - d[0..n) as a string into out; false when it has a NUL or
 * does not fit */
static bool
qfile_text(char *out, size_t size, const unsigned char *d, size_t n)
{
	if (n >= size || memchr(d, '\0', n) != NULL)
		return false;
	memcpy(out, d, n);
	out[n] = '\0';
	return true;
}

/* qfile_number - the leading decimal field of d (after blanks) into *v;
 * 0 or -1 */
static int
qfile_number(const unsigned char *d, size_t n, long long *v)
{
	char num[24];
	size_t sp, k;

	for (sp = 0; sp < n && d[sp] == ' '; sp++)
		;
	for (k = sp; k < n && d[k] >= '0' && d[k] <= '9'; k++)
		;
	if (k == sp || k - sp >= sizeof(num) || (k < n && d[k] != ' '))
		return -1;
	memcpy(num, d + sp, k - sp);
	num[k - sp] = '\0';
	return str_tonum(num, 0, 1LL << 62, v);
}

/* qfile_attr - an 'A' record "name=value": the two kept, the first of
 * each that fits */
static void
qfile_attr(struct qfile_msg *m, const unsigned char *d, size_t n)
{
	static const char sasl[] = "sasl_username=", addr[] = "client_address=";

	if (n > sizeof(sasl) - 1 && memcmp(d, sasl, sizeof(sasl) - 1) == 0 &&
	    m->sasl_username[0] == '\0')
		(void)qfile_text(m->sasl_username, sizeof(m->sasl_username),
		    d + sizeof(sasl) - 1, n - (sizeof(sasl) - 1));
	else if (n > sizeof(addr) - 1 &&
	    memcmp(d, addr, sizeof(addr) - 1) == 0 &&
	    m->client_address[0] == '\0')
		(void)qfile_text(m->client_address, sizeof(m->client_address),
		    d + sizeof(addr) - 1, n - (sizeof(addr) - 1));
}

/* qfile_envelope_rec - one envelope or extracted record into w->m;
 * 0 or -1 + err */
static int
qfile_envelope_rec(
    struct qfile_walk *w, int type, const unsigned char *d, size_t n)
{
	struct qfile_msg *m = w->m;
	size_t keep;

	switch (type) {
	case REC_SIZE:
		if (m->size < 0 && qfile_number(d, n, &m->size) == -1) {
			snprintf(w->err, w->errsize, "malformed size record");
			return -1;
		}
		break;
	case REC_TIME:
		if (m->arrival < 0 && qfile_number(d, n, &m->arrival) == -1) {
			snprintf(w->err, w->errsize, "malformed time record");
			return -1;
		}
		break;
	case REC_FROM:
		/* as showq: a second sender makes the file unreadable */
		if (w->sender_seen || memchr(d, '\0', n) != NULL) {
			snprintf(w->err, w->errsize,
			    "a second or malformed sender record");
			return -1;
		}
		w->sender_seen = true;
		keep = n < sizeof(m->sender) ? n : sizeof(m->sender) - 1;
		memcpy(m->sender, d, keep);
		m->sender[keep] = '\0';
		m->sender_cut = keep < n;
		break;
	case REC_RCPT:
		m->rcpts++;
		break;
	case REC_ATTR:
		qfile_attr(m, d, n);
		break;
	}
	return 0;
}

/* qfile_envelope - the records up to 'M'; 0 or -1 + err */
static int
qfile_envelope(struct qfile_walk *w)
{
	const unsigned char *d;
	size_t n;
	int type;

	for (;;) {
		if (qrec_next(&w->r, &type, &d, &n) == -1)
			return -1;
		if (type == REC_MESG) {
			w->body = w->r.off;
			return 0;
		}
		if (type == REC_END) {
			snprintf(
			    w->err, w->errsize, "queue file has no content");
			return -1;
		}
		if (w->all && qfile_envelope_rec(w, type, d, n) == -1)
			return -1;
	}
}

/* qfile_is_header - line starts "NAME:", NAME printable without blanks
 * (Postfix's is_header), blanks allowed before the colon */
static bool
qfile_is_header(const char *line)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i;

	for (i = 0; p[i] > ' ' && p[i] < 0x7f && p[i] != ':'; i++)
		;
	if (i == 0)
		return false;
	i += strspn(line + i, " \t");
	return line[i] == ':';
}

/* qfile_value - the value of header line when it is header name: after
 * the colon and the one space Postfix does not pass to milters
 * (milter8_header); NULL when it is another header */
static const char *
qfile_value(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0)
		return NULL;
	line += n;
	line += strspn(line, " \t");
	if (*line != ':')
		return NULL;
	line++;
	return *line == ' ' ? line + 1 : line;
}

/* qfile_line - the next content line ('L' pieces, then an 'N') into
 * w->line, cut at QFILE_LINE_MAX; its length, the records it took, cut
 * and NUL flags; *type the record that ended it (not 'N': no line) */
static int
qfile_line(struct qfile_walk *w, int *type, size_t *len, int *recs, bool *cut,
    bool *nul)
{
	const unsigned char *d;
	size_t n;

	*len = 0;
	*recs = 0;
	*cut = *nul = false;
	for (;;) {
		if (qrec_next(&w->r, type, &d, &n) == -1)
			return -1;
		if (*type != REC_NORM && *type != REC_CONT)
			break;
		(*recs)++;
		*nul = *nul || memchr(d, '\0', n) != NULL;
		if (n >= sizeof(w->line) - *len) {
			n = sizeof(w->line) - 1 - *len;
			*cut = true;
		}
		memcpy(w->line + *len, d, n);
		*len += n;
		if (*type == REC_NORM)
			break;
	}
	w->line[*len] = '\0';
	return 0;
}

/* qfile_origin_line - the first header that is not a stamp: Postfix's own
 * Received of a local submission, or the reason it is not */
static void
qfile_origin_line(struct qfile_walk *w, size_t len, int recs, bool cut)
{
	w->decided = true;
	if (recs > 1 || cut)
		snprintf(w->why, sizeof(w->why),
		    "not a local submission (first line too long)");
	else if (qfile_received((const unsigned char *)w->line, len,
	             &w->m->origin, w->why, sizeof(w->why)) == -1)
		w->m->origin.uid = -1;
}

/* qfile_headers - the content's header lines: the origin (first header
 * after any stamps), the first stamp, the first non-empty Message-ID;
 * 0 or -1 + err */
static int
qfile_headers(struct qfile_walk *w)
{
	struct qfile_msg *m = w->m;
	enum { H_NONE, H_STAMP, H_OTHER } cur = H_NONE;
	bool stamp_seen = false, stamp_ok = false, cut, nul, first = true;
	const char *v;
	size_t len, have;
	int type, recs;

	for (;; first = false) {
		if (qfile_line(w, &type, &len, &recs, &cut, &nul) == -1)
			return -1;
		if (first && recs == 0) {
			w->decided = true;
			snprintf(w->why, sizeof(w->why),
			    "not a local submission (content starts with "
			    "record type %d)",
			    type);
		}
		if (type != REC_NORM || len == 0)
			break; /* the end of the headers */
		if (w->line[0] == ' ' || w->line[0] == '\t') {
			if (cur == H_NONE)
				break;
			have = strlen(m->stamp);
			if (cur == H_STAMP && stamp_ok && !cut && !nul &&
			    len + 1 < sizeof(m->stamp) - have)
				snprintf(m->stamp + have,
				    sizeof(m->stamp) - have, "\n%s", w->line);
			else if (cur == H_STAMP)
				stamp_ok = false;
			continue;
		}
		if (!qfile_is_header(w->line))
			break;
		if (cur == H_STAMP && !stamp_ok)
			m->stamp[0] = '\0';
		if ((v = qfile_value(w->line, STAMP_HEADER)) != NULL) {
			/* the first only: the milter inserts its own on top
			 * (above Postfix's Received), as it keeps any other */
			cur = stamp_seen ? H_OTHER : H_STAMP;
			if (!stamp_seen)
				stamp_ok = !cut && !nul &&
				    str_lcpy(m->stamp, v, sizeof(m->stamp)) <
				        sizeof(m->stamp);
			stamp_seen = true;
			continue;
		}
		cur = H_OTHER;
		if (!w->decided) {
			qfile_origin_line(w, len, recs, cut);
			if (!w->all)
				return 0;
		}
		if (m->msgid[0] == '\0' && !nul &&
		    (v = qfile_value(w->line, "Message-ID")) != NULL)
			str_line(m->msgid, sizeof(m->msgid), v);
	}
	if (cur == H_STAMP && !stamp_ok)
		m->stamp[0] = '\0';
	if (!w->decided) {
		w->decided = true;
		snprintf(w->why, sizeof(w->why),
		    "not a local submission (first header is not Postfix's "
		    "Received: by)");
	}
	return 0;
}

/* qfile_extracted - the extracted segment, found where the size record
 * says the content ends; 0 or -1 + err */
static int
qfile_extracted(struct qfile_walk *w)
{
	const unsigned char *d;
	size_t n, next;
	int type;

	if (w->m->size < 0 || (size_t)w->m->size > w->r.size - w->body) {
		snprintf(w->err, w->errsize,
		    "no size record, or a content size beyond the file");
		return -1;
	}
	if (qrec_at(&w->r, w->body + (size_t)w->m->size, &type, &d, &n,
	        &next) == -1)
		return -1;
	if (type != REC_XTRA) {
		snprintf(w->err, w->errsize,
		    "no extracted segment where the size record says");
		return -1;
	}
	for (w->r.off = next;;) {
		if (qrec_next(&w->r, &type, &d, &n) == -1)
			return -1;
		if (type == REC_END)
			break;
		if (qfile_envelope_rec(w, type, d, n) == -1)
			return -1;
	}
	if (!w->sender_seen || w->m->arrival < 0) {
		snprintf(w->err, w->errsize, "no %s record (both are required)",
		    w->sender_seen ? "time" : "sender");
		return -1;
	}
	return 0;
}

/* qfile_walk - the whole walk of w (its input set): every field with all,
 * else only the origin, whose refusal is then an error; 0 or -1 + err */
static int
qfile_walk(struct qfile_walk *w, struct qfile_msg *m, bool all, char *err,
    size_t errsize)
{
	memset(m, 0, sizeof(*m));
	m->origin.uid = -1;
	m->arrival = m->size = -1;
	w->m = m;
	w->all = all;
	w->err = err;
	w->errsize = errsize;
	if (qfile_envelope(w) == -1 || qfile_headers(w) == -1)
		return -1;
	if (!all && m->origin.uid < 0) {
		snprintf(err, errsize, "%s", w->why);
		return -1;
	}
	return all ? qfile_extracted(w) : 0;
}

/* qfile_image - a walk over buf[0..len), cut at QREC_SCAN_MAX */
static int
qfile_image(const unsigned char *buf, size_t len, struct qfile_msg *m, bool all,
    char *err, size_t errsize)
{
	struct qfile_walk w;

	memset(&w, 0, sizeof(w));
	qrec_image(&w.r, buf, len, err, errsize);
	return qfile_walk(&w, m, all, err, errsize);
}

/* qfile_file - a walk over regular file name under dirfd; -1 + err, with
 * errno ENOENT when there is no such file */
static int
qfile_file(int dirfd, const char *name, struct qfile_msg *m, bool all,
    char *err, size_t errsize)
{
	struct qfile_walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	if (qrec_open_at(&w.r, dirfd, name, err, errsize) == -1)
		return -1;
	rc = qfile_walk(&w, m, all, err, errsize);
	qrec_close(&w.r);
	errno = rc == -1 ? EINVAL : 0;
	return rc;
}

int
qfile_parse(const unsigned char *buf, size_t len, struct qfile_origin *o,
    char *err, size_t errsize)
{
	struct qfile_msg m;

	memset(o, 0, sizeof(*o));
	if (qfile_image(buf, len, &m, false, err, errsize) == -1)
		return -1;
	*o = m.origin;
	return 0;
}

int
qfile_read(const char *path, struct qfile_origin *o, char *err, size_t errsize)
{
	struct qfile_msg m;

	memset(o, 0, sizeof(*o));
	if (qfile_file(AT_FDCWD, path, &m, false, err, errsize) == -1)
		return -1;
	*o = m.origin;
	return 0;
}

int
qfile_scan(const unsigned char *buf, size_t len, struct qfile_msg *m, char *err,
    size_t errsize)
{
	return qfile_image(buf, len, m, true, err, errsize);
}

int
qfile_scan_at(
    int dirfd, const char *name, struct qfile_msg *m, char *err, size_t errsize)
{
	return qfile_file(dirfd, name, m, true, err, errsize);
}

bool
qfile_valid_id(const char *id)
{
	size_t n = strspn(id,
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz");

	return n >= 1 && n <= 32 && id[n] == '\0';
}
