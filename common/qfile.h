/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qfile - a strict, bounded reader of Postfix's queue files.
 *
 * For the milter (qfile_parse, qfile_read): the uid of a sendmail/postdrop
 * submission. Its first header is then Postfix's own "Received: by HOST
 * (Postfix, from userid N)", which Postfix hides from milters. Only that
 * first header counts (after any X-Floodgate-Origin a milter inserted
 * above it); anything a user wrote further down is never looked at.
 *
 * For floodgate queue (qfile_scan, qfile_scan_at): what a message is and
 * who sent it: envelope sender, recipients still to deliver, size,
 * arrival time, the sasl_username and client_address attributes, the uid
 * as above, and the first X-Floodgate-Origin and Message-ID values.
 *
 * Bounded as common/qrec.h reads records (bytes, records, a record's
 * length); never follows a symlink, never blocks on a FIFO; never logs.
 */
#ifndef FG_QFILE_H
#define FG_QFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "stamp.h"

#define QFILE_HOST_MAX 256
#define QFILE_ADDR_MAX 1024 /* the sender kept; longer is cut */
#define QFILE_ATTR_MAX 512  /* an attribute kept; longer is dropped */

struct qfile_origin {
	long long uid;             /* from "(Postfix, from userid N)" */
	char host[QFILE_HOST_MAX]; /* the "by HOST" name */
};

struct qfile_msg {
	struct qfile_origin origin;  /* uid -1: not a local submission */
	long long arrival;           /* T: unix seconds (required) */
	long long size;              /* C: content bytes, as postqueue says */
	int rcpts;                   /* R: recipients still to deliver */
	char sender[QFILE_ADDR_MAX]; /* S: "" is the null sender */
	bool sender_cut;             /* the sender was longer than kept */
	char sasl_username[QFILE_ATTR_MAX];  /* A: "" none */
	char client_address[QFILE_ATTR_MAX]; /* A: "" none (local) */
	char stamp[STAMP_MAX]; /* the first X-Floodgate-Origin, "" none */
	char
	    msgid[STAMP_MSGID_MAX]; /* as the milter saw it (STAMP_MSGID_MAX) */
};

/* qfile_parse - the origin from a queue file image; 0, or -1 + reason */
int qfile_parse(const unsigned char *buf, size_t len, struct qfile_origin *,
    char *err, size_t errsize) __attribute__((warn_unused_result));
/* qfile_read - the same from a regular file (no symlink, no FIFO) */
int qfile_read(const char *path, struct qfile_origin *, char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* qfile_scan - a whole queue file image into m; 0, or -1 + reason when
 * it is malformed (a message that is no local submission is not) */
int qfile_scan(const unsigned char *buf, size_t len, struct qfile_msg *m,
    char *err, size_t errsize) __attribute__((warn_unused_result));
/* qfile_scan_at - the same from regular file name under directory dirfd;
 * -1 with errno ENOENT when the file is gone (qmgr moved it) */
int qfile_scan_at(int dirfd, const char *name, struct qfile_msg *m, char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* qfile_valid_id - 1..32 of [0-9A-Za-z]: safe in a path */
bool qfile_valid_id(const char *);

#endif
