/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * buf - one growable, bounded, always NUL-terminated byte buffer.
 *
 * A buf never grows past the max given to buf_init(); an append that would
 * exceed it fails with -1 and leaves the contents as they were. The owner
 * calls buf_free(); data stays valid until the next append or free.
 */
#ifndef FG_BUF_H
#define FG_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated, never NULL after buf_init */
	size_t len; /* bytes before the NUL */
	size_t cap; /* allocated bytes */
	size_t max; /* bound on len */
};

int buf_init(struct buf *, size_t max) __attribute__((warn_unused_result));
void buf_free(struct buf *);
void buf_reset(struct buf *);
int buf_append(struct buf *, const void *, size_t)
    __attribute__((warn_unused_result));
int buf_puts(struct buf *, const char *) __attribute__((warn_unused_result));
int buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3), warn_unused_result));

#endif
