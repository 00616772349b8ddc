/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qfile - the uid of a sendmail/postdrop submission, read from Postfix's
 * queue file: the first header of the content is then Postfix's own
 * "Received: by HOST (Postfix, from userid N)", which Postfix hides from
 * milters. Only that first header counts; anything a user wrote further
 * down is never looked at. Strict and bounded; never logs.
 */
#ifndef FG_QFILE_H
#define FG_QFILE_H

#include <stdbool.h>
#include <stddef.h>

#define QFILE_SCAN_MAX    (4 * 1024 * 1024) /* bytes read at most */
#define QFILE_RECORDS_MAX 100000            /* records read at most */
#define QFILE_HOST_MAX    256

struct qfile_origin {
	long long uid;             /* from "(Postfix, from userid N)" */
	char host[QFILE_HOST_MAX]; /* the "by HOST" name */
};

/* qfile_parse - the origin from a queue file image; 0, or -1 + reason */
int qfile_parse(const unsigned char *buf, size_t len, struct qfile_origin *,
    char *err, size_t errsize) __attribute__((warn_unused_result));
/* qfile_read - the same from a regular file (no symlink, no FIFO) */
int qfile_read(const char *path, struct qfile_origin *, char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* qfile_valid_id - 1..32 of [0-9A-Za-z]: safe in a path */
bool qfile_valid_id(const char *);

#endif
