/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conflex - a pre-scan of floodgate.conf that tracks the states of
 * libconfuse 3.3's lexer (src/lexer.l) and refuses what it would take in
 * silence.
 *
 * Entry point: conflex_scan. The lexer, state by state ("/ *" and "* /"
 * stand for the comment marks, which would end this comment):
 *   INITIAL  "#..." and "//..." at a token's start run to the line's end;
 *            "/ *" opens a comment; '"' and '\'' open strings; "${...}"
 *            at a token's start is one token up to the next '}', line
 *            breaks included and not counted; a word is a run of bytes
 *            but  #"'\t\n\r={}()+,*  so "a//b" and "a/ *" hold no
 *            comment; '{' and '}' open and close sections and lists. At
 *            end of file inside a section the parser returns as if the
 *            section were closed.
 *   comment  ends at the first "* /" after its "/ *"; at end of file the
 *            rest of the file is dropped; a '#' comment adds two lines to
 *            libconfuse's count, a "/ *" one.
 *   dq_str   '\\' takes the next byte; "${...}" runs to the next '}',
 *            over '"' and line breaks; at end of file the string and all
 *            after it is dropped (a last '\\' is echoed to stdout).
 *   sq_str   '\\' takes the next byte (so "\\'" does not close).
 * Refused here, with the line the construct starts on: a comment, string
 * or brace never closed, a "${" whose '}' is not on its line, more than
 * CONFLEX_DEPTH_MAX braces open, a NUL byte (libconfuse reads C strings),
 * and a last line without its line break (a file cut inside a word or a
 * '#' comment). Comments are blanked in place, their line breaks kept, so
 * libconfuse counts lines right and never sees one. Never logs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conflex.h"

/* what ends an unquoted word in INITIAL (libconfuse's word rule) */
#define CONFLEX_NOT_WORD " #\"'\t\n\r={}()+,*"

struct conflex {
	char *t;
	size_t len, i;
	int line;
	int depth, open[CONFLEX_DEPTH_MAX]; /* the line of each open '{' */
	const char *name;
	char *err;
	size_t errsize;
};

/* conflex_fail - err as "<name>:<line>: message"; returns -1 */
static int __attribute__((format(printf, 3, 4)))
conflex_fail(struct conflex *lx, int line, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(lx->err, lx->errsize, "%s:%d: %s", lx->name, line, msg);
	return -1;
}

/* conflex_at - the byte i + off, or NUL past the end */
static char
conflex_at(const struct conflex *lx, size_t off)
{
	return lx->i + off < lx->len ? lx->t[lx->i + off] : '\0';
}

/* conflex_blank - a comment up to end: blanked but its line breaks */
static void
conflex_blank(struct conflex *lx, size_t end)
{
	for (; lx->i < end; lx->i++)
		if (lx->t[lx->i] == '\n')
			lx->line++;
		else
			lx->t[lx->i] = ' ';
}

/* conflex_comment - a comment at i ("#", "//" or a block); 0 or -1 */
static int
conflex_comment(struct conflex *lx)
{
	const char *end;

	if (lx->t[lx->i] != '/' || conflex_at(lx, 1) != '*') {
		end = memchr(lx->t + lx->i, '\n', lx->len - lx->i);
		conflex_blank(
		    lx, end != NULL ? (size_t)(end - lx->t) : lx->len);
		return 0;
	}
	/* the first "*" "/" after the opening one, which it may not share */
	end = lx->len - lx->i >= 4
	    ? memmem(lx->t + lx->i + 2, lx->len - lx->i - 2, "*/", 2)
	    : NULL;
	if (end == NULL)
		return conflex_fail(lx, lx->line, "/* comment is never closed");
	conflex_blank(lx, (size_t)(end - lx->t) + 2);
	return 0;
}

/* conflex_env - "${...}" at i: one token up to the next '}', which must
 * be on its line (the lexer would take line breaks in without counting
 * them, and a missing '}' swallows all up to any later one); 0 or -1 */
static int
conflex_env(struct conflex *lx)
{
	size_t n = lx->len - lx->i;
	const char *close = memchr(lx->t + lx->i, '}', n);
	const char *nl = memchr(lx->t + lx->i, '\n', n);

	if (close == NULL || (nl != NULL && nl < close))
		return conflex_fail(
		    lx, lx->line, "${ is not closed by } on its line");
	lx->i = (size_t)(close - lx->t) + 1;
	return 0;
}

/* conflex_string - a '"' or '\'' string at i; 0 or -1 */
static int
conflex_string(struct conflex *lx)
{
	char quote = lx->t[lx->i++];
	int first = lx->line;

	while (lx->i < lx->len) {
		char c = lx->t[lx->i];

		if (c == quote) {
			lx->i++;
			return 0;
		}
		if (c == '$' && quote == '"' && conflex_at(lx, 1) == '{') {
			if (conflex_env(lx) == -1)
				return -1;
			continue;
		}
		if (c == '\\' && lx->i + 1 < lx->len)
			c = lx->t[++lx->i]; /* the escaped byte */
		if (c == '\n')
			lx->line++;
		lx->i++;
	}
	return conflex_fail(lx, first, "%c string is never closed", quote);
}

/* conflex_brace - '{' or '}' at i; 0 or -1 */
static int
conflex_brace(struct conflex *lx)
{
	if (lx->t[lx->i++] == '}') {
		if (lx->depth > 0)
			lx->depth--; /* one too many: libconfuse says so */
		return 0;
	}
	if (lx->depth == CONFLEX_DEPTH_MAX)
		return conflex_fail(lx, lx->line,
		    "more than %d braces open at once", CONFLEX_DEPTH_MAX);
	lx->open[lx->depth++] = lx->line;
	return 0;
}

/* conflex_token - the token at i in the lexer's INITIAL state; 0 or -1 */
static int
conflex_token(struct conflex *lx)
{
	char c = lx->t[lx->i], next = conflex_at(lx, 1);

	if (c == '#' || (c == '/' && (next == '/' || next == '*')))
		return conflex_comment(lx);
	if (c == '"' || c == '\'')
		return conflex_string(lx);
	if (c == '$' && next == '{')
		return conflex_env(lx);
	if (c == '{' || c == '}')
		return conflex_brace(lx);
	if (c == '\n')
		lx->line++;
	if (strchr(CONFLEX_NOT_WORD, c) != NULL) {
		lx->i++;
		return 0;
	}
	while (
	    lx->i < lx->len && strchr(CONFLEX_NOT_WORD, lx->t[lx->i]) == NULL)
		lx->i++;
	return 0;
}

int
conflex_scan(
    char *text, size_t len, const char *name, char *err, size_t errsize)
{
	struct conflex lx = {.t = text,
	    .len = len,
	    .line = 1,
	    .name = name,
	    .err = err,
	    .errsize = errsize};
	const char *nul = memchr(text, '\0', len);
	size_t i;

	if (nul != NULL) {
		for (i = 0; text + i < nul; i++)
			lx.line += text[i] == '\n';
		return conflex_fail(&lx, lx.line, "NUL byte");
	}
	while (lx.i < len)
		if (conflex_token(&lx) == -1)
			return -1;
	if (lx.depth > 0)
		return conflex_fail(
		    &lx, lx.open[lx.depth - 1], "'{' is never closed");
	if (len > 0 && text[len - 1] != '\n')
		return conflex_fail(&lx, lx.line,
		    "the last line has no line break (is the file cut off?)");
	return 0;
}
