/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * runprog - posix_spawn with a stdin pipe, /dev/null for stdout and
 * stderr, default signal dispositions and an empty signal mask in the
 * child, and a deadline kept by polling waitpid (the caller's thread
 * owns the child; SIGCHLD is not touched).
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "runprog.h"
#include "str.h"

int
runprog_split(const char *cmd, char *buf, size_t bufsize, char **argv, int max)
{
	char *p, *save = NULL;
	int n = 0;

	if (str_lcpy(buf, cmd, bufsize) >= bufsize)
		return -1;
	for (p = strtok_r(buf, " \t", &save); p != NULL;
	     p = strtok_r(NULL, " \t", &save)) {
		if (n == max - 1)
			return -1;
		argv[n++] = p;
	}
	argv[n] = NULL;
	return n > 0 ? n : -1;
}

/* runprog_feed - write what the child's stdin can take now; the bytes
 * left, or -1 when the child closed it (the rest is dropped) */
static long long
runprog_feed(int fd, const char **in, size_t *left)
{
	ssize_t w;

	while (*left > 0) {
		if ((w = write(fd, *in, *left)) == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? (long long)*left : -1;
		}
		*in += w;
		*left -= (size_t)w;
	}
	return 0;
}

/* runprog_wait - feed and wait for the child until the deadline */
static enum runprog_end
runprog_wait(pid_t pid, int fd, const char *in, size_t left, long long deadline,
    int *status)
{
	int st;

	for (;;) {
		struct pollfd p = {fd, POLLOUT, 0};
		pid_t r;

		if (fd != -1 &&
		    (left == 0 || runprog_feed(fd, &in, &left) <= 0)) {
			close(fd); /* all written, or the child closed it */
			fd = -1;
		}
		if ((r = waitpid(pid, &st, WNOHANG)) == pid)
			break;
		if (r == -1 && errno != EINTR) {
			st = 0;
			break;
		}
		if (clock_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
				;
			if (fd != -1)
				close(fd);
			return RUNPROG_KILLED;
		}
		if (fd != -1)
			(void)poll(&p, 1, 20);
		else
			nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
	}
	if (fd != -1)
		close(fd);
	if (WIFSIGNALED(st)) {
		*status = WTERMSIG(st);
		return RUNPROG_SIGNALED;
	}
	*status = WEXITSTATUS(st);
	return RUNPROG_EXITED;
}

enum runprog_end
runprog_run(char *const *argv, char *const *envp, const char *in, size_t inlen,
    long long timeout_ms, int *status, char *why, size_t whysize)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int p[2], rc;
	pid_t pid;

	*status = 0;
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(why, whysize, "pipe: %s", strerror(errno));
		return RUNPROG_FAILED;
	}
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	        POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, argv[0], &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		snprintf(why, whysize, "%.100s: %s", argv[0], strerror(rc));
		return RUNPROG_FAILED;
	}
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	return runprog_wait(
	    pid, p[1], in, inlen, clock_mono_ms() + timeout_ms, status);
}
