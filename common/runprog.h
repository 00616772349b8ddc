/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * runprog - run a program (no shell) with its own environment, some bytes
 * on its standard input, its output thrown away, and a deadline: a
 * program still running then is killed (SIGKILL) and reaped. For the
 * notifications (sendmail -t, notify.exec), from a thread of their own:
 * posix_spawn, so it is safe in the milter's threads. Never logs.
 */
#ifndef FG_RUNPROG_H
#define FG_RUNPROG_H

#include <stddef.h>

#define RUNPROG_ARGS_MAX 32

enum runprog_end {
	RUNPROG_EXITED,   /* status: its exit status */
	RUNPROG_SIGNALED, /* status: the signal */
	RUNPROG_KILLED,   /* past the deadline: killed */
	RUNPROG_FAILED,   /* not started: why */
};

/* runprog_split - cmd split at blanks into argv (at most max - 1 words,
 * NULL-terminated; the words point into buf, a copy of cmd); the number
 * of words, or -1 when there are too many or none */
int runprog_split(const char *cmd, char *buf, size_t bufsize, char **argv,
    int max) __attribute__((warn_unused_result));
/* runprog_run - run argv[0] with argv and envp, in[0..inlen) on its
 * standard input, for at most timeout_ms; how it ended, with *status or
 * why */
enum runprog_end runprog_run(char *const *argv, char *const *envp,
    const char *in, size_t inlen, long long timeout_ms, int *status, char *why,
    size_t whysize);

#endif
