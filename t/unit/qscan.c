/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qscan - the walk of a queue directory made here: messages in active,
 * deferred (hashed two levels deep), incoming and hold are found; not
 * maildrop, not a directory that is no hash level, not a file Postfix is
 * still writing, not a symlink, not a name that is no queue id; a file
 * that vanishes during the walk is skipped silently, a malformed one with
 * one warning; the file bound and a missing queue are errors.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qimg.h"
#include "qscan.h"
#include "tap.h"

static char qscan_root[] = "/tmp/fgqscan.XXXXXX";
static char qscan_seen[512];
static int qscan_lines; /* lines said on stderr */

/* put - a queue file at root/rel with mode; text: its bytes instead of a
 * message */
static void
put(const char *rel, mode_t mode, const char *text)
{
	static const char *const env[] = {"T1", "Ss@x", "Rr@x", NULL};
	static const char *const content[] = {"NSubject: x", NULL};
	static const char *const none[] = {NULL};
	static struct img im;
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", qscan_root, rel);
	img_message(&im, env, content, none);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, text != NULL ? (const void *)text : im.b,
	        text != NULL ? strlen(text) : im.n) < 0 ||
	    fchmod(fd, mode) == -1 || close(fd) == -1)
		exit(1);
}

/* dir - root/rel made */
static void
dir(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", qscan_root, rel);
	if (mkdir(p, 0700) == -1)
		exit(1);
}

/* seen - qscan's callback: "queue:id " appended; the first of C/VANI1
 * and C/VANI2 removes the other */
static int
seen(void *arg, const char *queue, const char *id, const struct qfile_msg *m)
{
	char p[512];

	(void)arg;
	if (strncmp(id, "VANI", 4) == 0) {
		snprintf(p, sizeof(p), "%s/deferred/C/VANI%c", qscan_root,
		    id[4] == '1' ? '2' : '1');
		unlink(p);
	}
	if (strcmp(m->sender, "s@x") == 0 && m->rcpts == 1)
		snprintf(qscan_seen + strlen(qscan_seen),
		    sizeof(qscan_seen) - strlen(qscan_seen), "%s:%s ", queue,
		    id[0] == 'V' ? "VANI" : id);
	return 0;
}

/* scan - qscan_run with at most max files; its result, what was seen (in
 * qscan_seen) and what it said on stderr (in said, without the last
 * newline; more than one line: qscan_lines 2) */
static int
scan(long long max, char *said, size_t size)
{
	char errf[] = "/tmp/fgqscan-err.XXXXXX";
	int fd = mkstemp(errf), save = dup(2), rc;
	ssize_t n;

	if (fd == -1 || save == -1 || dup2(fd, 2) == -1)
		exit(1);
	qscan_seen[0] = '\0';
	rc = qscan_run(qscan_root, max, seen, NULL);
	fflush(stderr);
	dup2(save, 2);
	close(save);
	n = pread(fd, said, size - 1, 0);
	said[n > 0 ? n : 0] = '\0';
	while (n > 0 && said[n - 1] == '\n')
		said[--n] = '\0';
	qscan_lines = said[0] == '\0' ? 0 : strchr(said, '\n') != NULL ? 2 : 1;
	close(fd);
	unlink(errf);
	return rc;
}

int
main(void)
{
	char said[1024], cmd[600], want[512];

	if (mkdtemp(qscan_root) == NULL)
		return 1;
	dir("active");
	dir("deferred");
	dir("deferred/A");
	dir("deferred/A/B");
	dir("deferred/C");
	dir("deferred/zz");
	dir("incoming");
	dir("hold");
	dir("maildrop");
	put("active/ACT001", 0700, NULL);
	put("deferred/A/B/DEEP02", 0700, NULL);
	put("deferred/A/HASH03", 0700, NULL);
	put("deferred/C/VANI1", 0700, NULL);
	put("deferred/C/VANI2", 0700, NULL);
	put("deferred/zz/NOHASH", 0700, NULL);
	put("incoming/WRITING", 0600, NULL);
	put("incoming/READY05", 0700, NULL);
	put("hold/HELD06", 0700, NULL);
	put("hold/BAD07", 0700, "garbage");
	put("hold/bad.name", 0700, NULL);
	put("maildrop/DROP08", 0700, NULL);
	snprintf(cmd, sizeof(cmd), "ln -s HELD06 %s/hold/LINK09", qscan_root);
	if (system(cmd) != 0)
		return 1;

	ok(scan(QSCAN_FILES_MAX, said, sizeof(said)) == 0, "the walk ends");
	snprintf(want, sizeof(want), "%s",
	    "active:ACT001 deferred:DEEP02 deferred:HASH03 deferred:VANI "
	    "hold:HELD06 incoming:READY05 ");
	{
		/* readdir's order is the file system's: compare as sets */
		char got[512], out[512], *w[16], *p;
		int n = 0, i, j;

		snprintf(got, sizeof(got), "%s", qscan_seen);
		for (p = strtok(got, " "); p != NULL && n < 16;
		     p = strtok(NULL, " "))
			w[n++] = p;
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (strcmp(w[i], w[j]) > 0) {
					p = w[i];
					w[i] = w[j];
					w[j] = p;
				}
		out[0] = '\0';
		for (i = 0; i < n; i++)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
			    "%s ", w[i]);
		is_str(out, want,
		    "found: each queue, hash levels, one of the two where "
		    "one vanished; nothing else");
	}
	ok(strstr(said, "hold/BAD07 skipped: ") != NULL && qscan_lines == 1,
	    "one warning, for the malformed file: %s", said);

	put("deferred/C/VANI1", 0700, NULL);
	ok(scan(3, said, sizeof(said)) == -1 &&
	        strstr(said, "more than 3 queue files") != NULL,
	    "over the file bound: an error, %s", said);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/hold", qscan_root);
	if (system(cmd) != 0)
		return 1;
	ok(scan(QSCAN_FILES_MAX, said, sizeof(said)) == -1 &&
	        strstr(said, "/hold: No such file") != NULL,
	    "a missing queue: an error, %s", said);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", qscan_root);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
