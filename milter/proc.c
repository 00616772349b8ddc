/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proc - which process holds a socket, and what it is, from /proc.
 *
 * Entry points: proc_find_socket, proc_info, proc_script, proc_visits.
 * The processes that held a uid's last sockets are looked into first;
 * the scan visits only /proc/PID directories owned by the socket's uid
 * and checks its deadline at every process and every 64 descriptors, so a user with
 * thousands of processes costs at most the budget. Every read is into a
 * fixed buffer; a process that vanishes mid-read leaves fields empty.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"
#include "str.h"

#define STATUS_MAX 4096
#define ARGV_MAX   32

/* proc_pid_name - the pid a /proc entry name stands for, or 0 */
static pid_t
proc_pid_name(const char *s)
{
	long long v;

	if (!isdigit((unsigned char)s[0]) || str_tonum(s, 1, 1 << 30, &v) == -1)
		return 0;
	return (pid_t)v;
}

/* proc_holds_inode - whether the fd directory at fdfd has "socket:[inode]";
 * 1 yes, 0 no, -1 deadline passed */
static int
proc_holds_inode(int fdfd, const char *want, long long deadline)
{
	DIR *d;
	struct dirent *de;
	char link[64];
	ssize_t n;
	int rc = 0, i = 0;

	if ((d = fdopendir(fdfd)) == NULL) {
		close(fdfd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (++i % 64 == 0 && clock_mono_ms() > deadline) {
			rc = -1;
			break;
		}
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, want) == 0)
			rc = 1;
	}
	closedir(d);
	return rc;
}

/*
 * Hints: the processes that held a uid's recent sockets. A sender keeps
 * sending from the same process (a PHP-FPM worker, a mailer daemon), so
 * its next socket is most often found in one fd directory instead of a
 * walk over every process on the host. A hint is only a place to look
 * first: the answer is still an fd holding the very inode. Per thread
 * (the helper answers one query at a time).
 */
#define HINTS 16
static __thread struct {
	uid_t uid;
	pid_t pid;
} hints[HINTS];
static __thread unsigned int nhints;
static __thread int visits;

/* proc_visits - the processes the last proc_find_socket looked into */
int
proc_visits(void)
{
	return visits;
}

/* proc_check_pid - whether /proc/name (at dirfd) is a process of uid holding
 * want; 1 yes, 0 no, -1 deadline passed */
static int
proc_check_pid(int dirfd, const char *name, uid_t uid, const char *want,
    long long deadline)
{
	struct stat st;
	char sub[64];
	int fdfd;

	if (fstatat(dirfd, name, &st, 0) == -1 || st.st_uid != uid)
		return 0;
	visits++;
	snprintf(sub, sizeof(sub), "%s/fd", name);
	fdfd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdfd == -1)
		return 0;
	return proc_holds_inode(fdfd, want, deadline);
}

/* proc_hint_add - remember that pid of uid held a socket */
static void
proc_hint_add(uid_t uid, pid_t pid)
{
	unsigned int i;

	for (i = 0; i < HINTS; i++)
		if (hints[i].pid == pid && hints[i].uid == uid)
			return;
	hints[nhints % HINTS].uid = uid;
	hints[nhints % HINTS].pid = pid;
	nhints++;
}

pid_t
proc_find_socket(
    const char *procroot, uid_t uid, unsigned long inode, int budget_ms)
{
	DIR *d;
	struct dirent *de;
	char want[48], name[24];
	long long deadline = clock_mono_ms() + budget_ms;
	pid_t pid, found = -1;
	int r = 0, err = ENOENT;
	unsigned int i;

	visits = 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if ((d = opendir(procroot)) == NULL)
		return -1;
	for (i = 0; i < HINTS && r == 0; i++) {
		if (hints[i].pid <= 0 || hints[i].uid != uid)
			continue;
		if (clock_mono_ms() > deadline) {
			r = -1;
			break;
		}
		snprintf(name, sizeof(name), "%d", (int)hints[i].pid);
		if ((r = proc_check_pid(dirfd(d), name, uid, want, deadline)) ==
		    1)
			found = hints[i].pid;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if ((pid = proc_pid_name(de->d_name)) == 0)
			continue;
		if (clock_mono_ms() > deadline) {
			r = -1;
			break;
		}
		if ((r = proc_check_pid(
		         dirfd(d), de->d_name, uid, want, deadline)) == 1) {
			found = pid;
			proc_hint_add(uid, pid);
		}
	}
	if (r == -1)
		err = ETIMEDOUT;
	closedir(d);
	if (found == -1)
		errno = err;
	return found;
}

/* proc_read_at - up to size-1 bytes of file name under dir, NUL-terminated;
 * the byte count, or -1 */
static ssize_t
proc_read_at(int dir, const char *name, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd;

	buf[0] = '\0';
	if ((fd = openat(dir, name, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((size_t)got < size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* proc_link_at - readlink of name under dir into buf ("" on failure) */
static void
proc_link_at(int dir, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(dir, name, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
}

/* proc_status_field - the first number after "key:\t" in a status text */
static long long
proc_status_field(const char *status, const char *key)
{
	const char *p = status;
	size_t klen = strlen(key);
	long long v;
	char num[24];
	size_t i;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == status || p[-1] == '\n') && p[klen] == ':') {
			p += klen + 1;
			while (*p == '\t' || *p == ' ')
				p++;
			for (i = 0; i < sizeof(num) - 1 &&
			     isdigit((unsigned char)p[i]);
			     i++)
				num[i] = p[i];
			num[i] = '\0';
			return str_tonum(num, 0, 1LL << 32, &v) == 0 ? v : -1;
		}
		p += klen;
	}
	return -1;
}

/* proc_basic - pid's comm, exe, uid and parent pid; the dir fd or -1 */
static int
proc_basic(int root, pid_t pid, char *comm, size_t commsize, char *exe,
    size_t exesize, uid_t *uid, pid_t *ppid)
{
	char name[24], status[STATUS_MAX];
	long long v;
	size_t n;
	int dir;

	snprintf(name, sizeof(name), "%d", (int)pid);
	dir = openat(root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir == -1)
		return -1;
	if (proc_read_at(dir, "status", status, sizeof(status)) <= 0) {
		close(dir);
		return -1;
	}
	*uid =
	    (v = proc_status_field(status, "Uid")) >= 0 ? (uid_t)v : (uid_t)-1;
	*ppid = (v = proc_status_field(status, "PPid")) >= 0 ? (pid_t)v : 0;
	proc_read_at(dir, "comm", comm, commsize);
	n = strlen(comm);
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	proc_link_at(dir, "exe", exe, exesize);
	return dir;
}

int
proc_info(const char *procroot, pid_t pid, struct proc_info *info)
{
	char cmd[PROC_CMD_MAX], *argv[ARGV_MAX];
	struct proc_parent *pp;
	ssize_t n, i;
	pid_t ppid, next;
	int root, dir, argc = 0;

	memset(info, 0, sizeof(*info));
	if ((root = open(procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	dir = proc_basic(root, pid, info->comm, sizeof(info->comm), info->exe,
	    sizeof(info->exe), &info->uid, &ppid);
	if (dir == -1) {
		close(root);
		errno = ESRCH;
		return -1;
	}
	info->pid = pid;
	proc_link_at(dir, "cwd", info->cwd, sizeof(info->cwd));
	if ((n = proc_read_at(dir, "cmdline", cmd, sizeof(cmd))) > 0) {
		/* a truncated last argument still ends at cmd[n] */
		for (i = 0; i < n && argc < ARGV_MAX; i += strlen(cmd + i) + 1)
			argv[argc++] = cmd + i;
		proc_script(info->exe, argv, argc, info->cwd, info->script,
		    sizeof(info->script));
		for (i = 0; i < n - 1; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		str_lcpy(info->cmdline, cmd, sizeof(info->cmdline));
	}
	close(dir);
	while (ppid > 1 && info->nparents < PROC_PARENTS) {
		pp = &info->parents[info->nparents];
		dir = proc_basic(root, ppid, pp->comm, sizeof(pp->comm),
		    pp->exe, sizeof(pp->exe), &pp->uid, &next);
		if (dir == -1)
			break;
		close(dir);
		pp->pid = ppid;
		info->nparents++;
		ppid = next;
	}
	close(root);
	return 0;
}

/* proc_interpreter - whether base names a known proc_interpreter: the name, maybe
 * followed by a version ("php8.2", "python3.11") or "-cgi" */
static bool
proc_interpreter(const char *base)
{
	static const char *const names[] = {"php", "python", "perl", "ruby",
	    "node", "nodejs", "sh", "bash", "dash"};
	const char *rest;
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if (strncmp(base, names[i], n) != 0)
			continue;
		rest = base + n;
		if (strcmp(rest, "-cgi") == 0)
			return true;
		while (isdigit((unsigned char)*rest) || *rest == '.')
			rest++;
		if (*rest == '\0')
			return true;
	}
	return false;
}

void
proc_script(const char *exe, char *const argv[], int argc, const char *cwd,
    char *out, size_t outsize)
{
	const char *base, *a = NULL;
	int i;

	out[0] = '\0';
	if (exe == NULL || exe[0] == '\0' || argc < 2)
		return;
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	if (!proc_interpreter(base))
		return;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			a = i + 1 < argc ? argv[i + 1] : NULL;
			break;
		}
		/* code on the command line (-e, -c, -r): no script file */
		if (strcmp(argv[i], "-e") == 0 || strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "-r") == 0 || strcmp(argv[i], "-E") == 0)
			return;
		if (argv[i][0] != '-') {
			a = argv[i];
			break;
		}
	}
	if (a == NULL || a[0] == '\0')
		return;
	if (a[0] == '/' || cwd == NULL || cwd[0] == '\0')
		str_lcpy(out, a, outsize);
	else if ((size_t)snprintf(out, outsize, "%s/%s", cwd, a) >= outsize)
		out[0] = '\0';
}
