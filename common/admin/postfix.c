/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * postfix - run postconf and postsuper for floodgate(8).
 *
 * Entry points: postfix_queue_dir, postfix_super. A command is looked up
 * in PATH, then in /usr/sbin (where Debian puts Postfix's commands, often
 * not in a user's PATH); its output and errors are read line by line.
 * postsuper reads the queue ids from an anonymous file, so it never
 * waits for us while we wait for it, and reports what it did in one
 * summary line ("postsuper: Placed on hold: 3 messages"), which is the
 * count said.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postfix.h"
#include "qfile.h"
#include "str.h"

#define POSTFIX_LINE_MAX 1024

/* what a command said: its last line, the path it printed (postconf's
 * answer: the one line that is not a "postconf: warning: ..."), and a
 * count */
struct postfix_said {
	char path[POSTFIX_LINE_MAX];
	char last[POSTFIX_LINE_MAX];
	int lines, paths;
	const char *summary; /* postsuper's summary line's label */
	long long count;     /* its number, -1 not seen */
};

/* postfix_line - one line of output into s */
static void
postfix_line(struct postfix_said *s, const char *line)
{
	static const char me[] = "postsuper: ";
	size_t n;
	long long v;

	s->lines++;
	if (line[0] == '/' && s->paths++ == 0)
		str_lcpy(s->path, line, sizeof(s->path));
	str_lcpy(s->last, line, sizeof(s->last));
	if (s->summary == NULL || strncmp(line, me, sizeof(me) - 1) != 0)
		return;
	line += sizeof(me) - 1;
	n = strlen(s->summary);
	if (strncmp(line, s->summary, n) == 0 && line[n] == ':' &&
	    line[n + 1] == ' ') {
		char num[24];

		line += n + 2;
		n = strspn(line, "0123456789");
		if (n > 0 && n < sizeof(num) &&
		    strncmp(line + n, " message", 8) == 0) {
			memcpy(num, line, n);
			num[n] = '\0';
			if (str_tonum(num, 0, 1LL << 40, &v) == 0)
				s->count = v;
		}
	}
}

/* postfix_exec - in the child: argv[0] from PATH, then /usr/sbin */
static void __attribute__((noreturn))
postfix_exec(const char *const *argv, const char *sbin, int in, int out)
{
	int fd;

	if ((in == -1 && (in = open("/dev/null", O_RDONLY)) == -1) ||
	    dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(127);
	for (fd = 0; fd < 3; fd++) /* dup2 onto itself keeps close-on-exec */
		(void)fcntl(fd, F_SETFD, 0);
	execvp(argv[0], (char *const *)argv);
	execv(sbin, (char *const *)argv);
	dprintf(2, "%s: %s\n", sbin, strerror(errno));
	_exit(127);
}

/* postfix_run - argv with standard input in (-1: /dev/null), its output
 * and errors into s; its exit status, or -1 + err when it did not run */
static int
postfix_run(const char *const *argv, int in, struct postfix_said *s, char *err,
    size_t errsize)
{
	char sbin[64], line[POSTFIX_LINE_MAX];
	int p[2], st;
	pid_t pid;
	FILE *f;

	snprintf(sbin, sizeof(sbin), "/usr/sbin/%s", argv[0]);
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errsize, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		snprintf(err, errsize, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0)
		postfix_exec(argv, sbin, in, p[1]);
	close(p[1]);
	if ((f = fdopen(p[0], "r")) == NULL) {
		close(p[0]);
		snprintf(err, errsize, "out of memory");
	} else {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			postfix_line(s, line);
		}
		fclose(f);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			snprintf(err, errsize, "waitpid: %s", strerror(errno));
			return -1;
		}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
postfix_queue_dir(char *dir, size_t size, char *err, size_t errsize)
{
	static const char *const argv[] = {
	    "postconf", "-h", "queue_directory", NULL};
	struct postfix_said s = {.count = -1};
	int rc;

	if ((rc = postfix_run(argv, -1, &s, err, errsize)) == -1)
		return -1;
	if (rc != 0 || s.paths != 1 || str_lcpy(dir, s.path, size) >= size) {
		if (rc != 0 && s.lines > 0)
			snprintf(err, errsize, "%s", s.last);
		else
			snprintf(err, errsize,
			    "postconf -h queue_directory: exit status %d, "
			    "no absolute path",
			    rc);
		return -1;
	}
	return 0;
}

int
postfix_super(enum postfix_act act, const char *const *ids, size_t n,
    long long *done, char *err, size_t errsize)
{
	static const char *const flag[] = {"-h", "-H", "-d"};
	static const char *const summary[] = {
	    "Placed on hold", "Released from hold", "Deleted"};
	const char *argv[] = {"postsuper", flag[act], "-", NULL};
	struct postfix_said s = {.summary = summary[act], .count = -1};
	FILE *f = NULL;
	size_t i;
	int fd, rc;

	*done = 0;
	if ((fd = memfd_create("floodgate-ids", MFD_CLOEXEC)) == -1 ||
	    (f = fdopen(fd, "w+")) == NULL) {
		snprintf(err, errsize, "memfd: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (qfile_valid_id(ids[i]))
			fprintf(f, "%s\n", ids[i]);
	if (fflush(f) == EOF || fseek(f, 0, SEEK_SET) == -1) {
		snprintf(err, errsize, "memfd: %s", strerror(errno));
		fclose(f);
		return -1;
	}
	rc = postfix_run(argv, fileno(f), &s, err, errsize);
	fclose(f);
	if (rc == -1)
		return -1;
	if (rc != 0 || s.count < 0) {
		snprintf(err, errsize, "%s",
		    s.lines > 0 ? s.last : "postsuper said nothing");
		return -1;
	}
	*done = s.count;
	return 0;
}
