/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conflex - floodgate.conf read as libconfuse 3.3's lexer reads it, before
 * libconfuse does: what that lexer would drop in silence is refused with
 * the line it starts on, and comments are blanked so the lexer never
 * miscounts their lines.
 */
#ifndef FG_CONFLEX_H
#define FG_CONFLEX_H

#include <stddef.h>

#define CONFLEX_DEPTH_MAX 8 /* braces open at once (libconfuse needs 2) */

/* conflex_scan - text[0..len) (text[len] is NUL) checked, its comments
 * overwritten with blanks but their line breaks; 0, or -1 with err
 * "<name>:<line>: ..." */
int conflex_scan(char *text, size_t len, const char *name, char *err,
    size_t errsize) __attribute__((warn_unused_result));

#endif
