/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmdbuf - Redis commands laid out as argument vectors, and the strings
 * they point at, in one bounded buffer that grows as needed.
 *
 * The strings live in chunks that never move, so a pointer that
 * cmdbuf_put() returned stays valid until cmdbuf_free(), even across
 * cmdbuf_clear() (which forgets the commands, not the strings): a
 * follow-up round reuses the names the first round formatted. Every
 * failure (a bound passed, out of memory, a NULL argument) is sticky and
 * shows in cmdbuf_failed(), so a layout checks once at its end. The first
 * CMDBUF_INLINE bytes, args and commands need no allocation.
 * Never logs.
 */
#ifndef FG_CMDBUF_H
#define FG_CMDBUF_H

#include <stdbool.h>
#include <stddef.h>

/* bounds: far above the largest subject the config allows (32 limits
 * with every metric and set need ~1k arguments and ~12 kB) */
#define CMDBUF_MAX_BYTES   (1024 * 1024)
#define CMDBUF_MAX_ARGS    16384
#define CMDBUF_MAX_CMDS    4096
#define CMDBUF_INLINE      2048
#define CMDBUF_INLINE_ARGS 96
#define CMDBUF_INLINE_CMDS 24

struct cmdbuf_chunk;

struct cmdbuf_cmd {
	int kind, aux; /* the caller's: what the command is for */
	int argc, arg0;
};

struct cmdbuf {
	const char **argv;
	struct cmdbuf_cmd *cmd;
	int nargs, maxargs, ncmd, maxcmd;
	char *text; /* the chunk being filled */
	size_t used, size, total;
	struct cmdbuf_chunk *chunks; /* allocated ones, newest first */
	bool failed;
	const char *argv0[CMDBUF_INLINE_ARGS];
	struct cmdbuf_cmd cmd0[CMDBUF_INLINE_CMDS];
	char text0[CMDBUF_INLINE];
};

/* cmdbuf_init - an empty buffer (no allocation) */
void cmdbuf_init(struct cmdbuf *);
/* cmdbuf_free - what the buffer allocated; b itself is the caller's */
void cmdbuf_free(struct cmdbuf *);
/* cmdbuf_clear - forget the commands; the strings stay */
void cmdbuf_clear(struct cmdbuf *);
bool cmdbuf_failed(const struct cmdbuf *);

/* cmdbuf_put - a formatted string kept in b; NULL on failure */
const char *cmdbuf_put(struct cmdbuf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* cmdbuf_num - a number kept in b; NULL on failure */
const char *cmdbuf_num(struct cmdbuf *, long long);
/* cmdbuf_catv - the n strings joined, kept in b: see CMDBUF_CAT */
const char *cmdbuf_catv(struct cmdbuf *, int n, const char *const *parts);
#define CMDBUF_CAT(b, ...)                                                     \
	cmdbuf_catv((b),                                                       \
	    (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)),     \
	    (const char *const[]){__VA_ARGS__})

/* cmdbuf_cmd - start command number cmdbuf_ncmd() of kind/aux */
void cmdbuf_cmd(struct cmdbuf *, int kind, int aux);
/* cmdbuf_arg - one more argument of the last command (s borrowed; NULL
 * marks the buffer failed) */
void cmdbuf_arg(struct cmdbuf *, const char *s);
/* cmdbuf_args - n arguments of the last command */
void cmdbuf_args(struct cmdbuf *, int n, const char *const *s);
#define CMDBUF_CMD(b, kind, aux, ...)                                          \
	do {                                                                   \
		cmdbuf_cmd((b), (kind), (aux));                                \
		cmdbuf_args((b),                                               \
		    (int)(sizeof((const char *[]){__VA_ARGS__}) /              \
		        sizeof(char *)),                                       \
		    (const char *const[]){__VA_ARGS__});                       \
	} while (0)

/* CMDBUF_ARGS - more arguments of the last command */
#define CMDBUF_ARGS(b, ...)                                                    \
	cmdbuf_args((b),                                                       \
	    (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)),     \
	    (const char *const[]){__VA_ARGS__})

int cmdbuf_ncmd(const struct cmdbuf *);
const struct cmdbuf_cmd *cmdbuf_get(const struct cmdbuf *, int i);
/* cmdbuf_argv - the arguments of command i (C strings) */
const char *const *cmdbuf_argv(const struct cmdbuf *, int i);

#endif
