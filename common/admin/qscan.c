/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qscan - walk Postfix's message queues for floodgate queue.
 *
 * Entry point: qscan_run. Directories are opened relative to their
 * parent, never through a symlink; only one-character hash directories
 * ([0-9A-F], hash_queue_names) are entered, only files named as queue
 * ids are read, and only once their owner-execute bit says Postfix has
 * finished writing them (as qmgr waits for it in incoming).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "qscan.h"

static const char *const qscan_queues[] = {
    "active", "deferred", "incoming", "hold"};

struct qscan {
	qscan_fn fn;
	void *arg;
	const char *queue;
	long long files, max;
	struct qfile_msg m;
};

/* qscan_file - one directory entry that may be a queue file; 0 or -1 */
static int
qscan_file(struct qscan *s, int dfd, const char *name)
{
	char err[256];
	struct stat st;

	if (!qfile_valid_id(name) ||
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode) || (st.st_mode & S_IXUSR) == 0)
		return 0;
	if (++s->files > s->max) {
		ctx_error("queue: more than %lld queue files; not answering "
		          "for part of the queue",
		    s->max);
		return -1;
	}
	if (qfile_scan_at(dfd, name, &s->m, err, sizeof(err)) == -1) {
		if (errno != ENOENT)
			ctx_error(
			    "queue: %s/%s skipped: %s", s->queue, name, err);
		return 0;
	}
	return s->fn(s->arg, s->queue, name, &s->m);
}

/* qscan_hash - a hash directory's name: one of [0-9A-F] */
static bool
qscan_hash(const char *name)
{
	return name[0] != '\0' && name[1] == '\0' &&
	    strchr("0123456789ABCDEF", name[0]) != NULL;
}

/* qscan_dir - every entry of directory dfd (taken), depth levels down;
 * 0 or -1 */
static int
qscan_dir(struct qscan *s, int dfd, int depth)
{
	struct dirent *e;
	DIR *d;
	int sub, rc = 0;

	if ((d = fdopendir(dfd)) == NULL) {
		ctx_error("queue: %s: %s", s->queue, strerror(errno));
		close(dfd);
		return -1;
	}
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) {
			rc = qscan_file(s, dirfd(d), e->d_name);
			continue;
		}
		if (qscan_hash(e->d_name) && depth < QSCAN_DEPTH_MAX &&
		    (sub = openat(dirfd(d), e->d_name,
		         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) !=
		        -1)
			rc = qscan_dir(s, sub, depth + 1);
		else if (e->d_type == DT_UNKNOWN)
			rc = qscan_file(s, dirfd(d), e->d_name);
	}
	if (rc == 0 && errno != 0) {
		ctx_error("queue: %s: %s", s->queue, strerror(errno));
		rc = -1;
	}
	closedir(d);
	return rc;
}

int
qscan_run(const char *qdir, long long max, qscan_fn fn, void *arg)
{
	static struct qscan s;
	size_t i;
	int top, dfd, rc = 0;

	memset(&s, 0, sizeof(s));
	s.fn = fn;
	s.arg = arg;
	s.max = max;
	if ((top = open(qdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		ctx_error("queue: %s: %s", qdir, strerror(errno));
		return -1;
	}
	for (i = 0; rc == 0 && i < sizeof(qscan_queues) / sizeof(*qscan_queues);
	     i++) {
		s.queue = qscan_queues[i];
		if ((dfd = openat(top, s.queue,
		         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) ==
		    -1) {
			ctx_error(
			    "queue: %s/%s: %s", qdir, s.queue, strerror(errno));
			rc = -1;
		} else
			rc = qscan_dir(&s, dfd, 0);
	}
	close(top);
	return rc;
}
