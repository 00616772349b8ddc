/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proc - proc_script() on a table of interpreter command lines;
 * proc_find_socket() and proc_info() against a real child of another uid
 * (nobody) running a Perl script in its own directory; and against a
 * fabricated /proc tree with hostile contents (overlong command line,
 * status without Uid, a parent cycle, a socket of another uid). Needs root.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "tap.h"

#define NOBODY 65534

static const struct {
	const char *exe, *argv[6], *cwd, *want;
} scripts[] = {
    {"/usr/bin/php8.2", {"php", "contact.php"}, "/var/www/a",
        "/var/www/a/contact.php"},
    {"/usr/bin/php8.2", {"php", "-f", "/srv/x.php"}, "/", "/srv/x.php"},
    {"/usr/bin/php-cgi", {"php-cgi", "i.php"}, "/w", "/w/i.php"},
    {"/usr/bin/python3.11", {"python3", "-u", "bot.py"}, "/home/b",
        "/home/b/bot.py"},
    {"/usr/bin/perl", {"perl", "-w", "--", "-odd.pl"}, "/t", "/t/-odd.pl"},
    {"/usr/bin/perl", {"perl", "-e", "print 1", "x.pl"}, "/t", ""},
    {"/usr/bin/bash", {"bash", "-c", "mail x", "y"}, "/t", ""},
    {"/usr/bin/dash", {"sh", "run.sh"}, "", "run.sh"},
    {"/usr/bin/ruby3.1", {"ruby", "/a/b.rb"}, "/c", "/a/b.rb"},
    {"/usr/bin/node", {"node", "app.js"}, "/srv", "/srv/app.js"},
    {"/usr/bin/vim", {"vim", "notes.txt"}, "/t", ""},
    {"/usr/bin/phpx", {"phpx", "a.php"}, "/t", ""},
    {"/usr/bin/php", {"php"}, "/t", ""},
    {"/usr/bin/php", {"php", "-i"}, "/t", ""},
    {"", {"php", "a.php"}, "/t", ""},
};

static void
test_scripts(void)
{
	char out[PROC_PATH_MAX], longcwd[300];
	char *argv[6];
	size_t i;
	int argc;

	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		for (argc = 0; argc < 6 && scripts[i].argv[argc]; argc++)
			argv[argc] = (char *)scripts[i].argv[argc];
		proc_script(scripts[i].exe, argv, argc, scripts[i].cwd, out,
		    sizeof(out));
		is_str(out, scripts[i].want,
		    scripts[i].argv[1] ? scripts[i].argv[1] : scripts[i].exe);
	}
	memset(longcwd, 'd', sizeof(longcwd) - 1);
	longcwd[0] = '/';
	longcwd[sizeof(longcwd) - 1] = '\0';
	argv[0] = "php";
	argv[1] = "a.php";
	proc_script("/usr/bin/php", argv, 2, longcwd, out, sizeof(out));
	is_str(out, "", "a path longer than the buffer is left out, not cut");
}

/* child - nobody runs t.pl in dir, which opens a socket, prints its inode
 * and waits for stdin to close */
static pid_t
child(const char *dir, int *up, int *go, unsigned long *inode)
{
	int u[2], g[2];
	char buf[64];
	ssize_t n;
	pid_t pid;

	if (pipe(u) == -1 || pipe(g) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		dup2(g[0], 0);
		dup2(u[1], 1);
		close(u[0]);
		close(g[1]);
		if (chdir(dir) == -1 || setgid(NOBODY) == -1 ||
		    setuid(NOBODY) == -1)
			_exit(1);
		execl("/usr/bin/perl", "perl", "t.pl", (char *)NULL);
		_exit(127);
	}
	close(u[1]);
	close(g[0]);
	n = read(u[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	*inode = strtoul(buf, NULL, 10);
	*up = u[0];
	*go = g[1];
	return pid;
}

static void
test_real(void)
{
	char dir[] = "/tmp/fgproc.XXXXXX", path[300], cwd[PROC_PATH_MAX];
	struct proc_info pi;
	unsigned long inode = 0;
	pid_t pid, found;
	FILE *f;
	int up = -1, go = -1, st;

	if (mkdtemp(dir) == NULL || chmod(dir, 0755) == -1)
		exit(1);
	snprintf(path, sizeof(path), "%s/t.pl", dir);
	if ((f = fopen(path, "w")) == NULL)
		exit(1);
	fputs("use Socket; $| = 1;\n"
	      "socket(my $s, PF_INET, SOCK_STREAM, 0) or die;\n"
	      "my ($i) = readlink('/proc/self/fd/' . fileno($s)) =~ /(\\d+)/;\n"
	      "print \"$i\\n\"; <STDIN>;\n",
	    f);
	fclose(f);
	pid = child(dir, &up, &go, &inode);
	ok(pid > 0 && inode > 0, "a child of uid nobody holds socket %lu",
	    inode);
	found = proc_find_socket("/proc", NOBODY, inode, 500);
	is_int(found, pid, "proc_find_socket finds the child");
	errno = 0;
	found = proc_find_socket("/proc", NOBODY + 1, inode, 500);
	ok(found == -1 && errno == ENOENT, "not under another uid (ENOENT)");
	found = proc_find_socket("/proc", NOBODY, inode + 1000000, 500);
	ok(found == -1 && errno == ENOENT, "nor another inode");
	found = proc_find_socket("/proc", NOBODY, inode, -1);
	ok(found == -1 && errno == ETIMEDOUT, "a spent budget is ETIMEDOUT");

	is_int(proc_info("/proc", pid, &pi), 0, "proc_info reads the child");
	is_int(pi.pid, pid, "pid");
	is_int(pi.uid, NOBODY, "uid");
	is_str(pi.comm, "perl", "comm");
	is_str(pi.exe, "/usr/bin/perl", "exe");
	if (realpath(dir, cwd) == NULL)
		exit(1);
	is_str(pi.cwd, cwd, "cwd");
	is_str(pi.cmdline, "perl t.pl", "cmdline, arguments joined by spaces");
	snprintf(path, sizeof(path), "%s/t.pl", cwd);
	is_str(pi.script, path, "script made absolute against cwd");
	ok(pi.nparents >= 1 && pi.parents[0].pid == getpid(),
	    "the first parent is this test");
	is_int(pi.parents[0].uid, getuid(), "with its uid");

	close(go);
	close(up);
	waitpid(pid, &st, 0);
	errno = 0;
	ok(proc_info("/proc", pid, &pi) == -1 && errno == ESRCH,
	    "a vanished process is ESRCH");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		exit(1);
}

/* put - write a file of the fabricated tree */
static void
put(const char *root, const char *name, const void *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len)
		exit(1);
	close(fd);
}

/* fake - /proc/pid with status, comm, cmdline, exe, cwd and one socket */
static void
fake(const char *root, int pid, int ppid, uid_t uid, const char *status,
    unsigned long inode)
{
	char d[512], p[600], buf[1024];

	snprintf(d, sizeof(d), "%s/%d", root, pid);
	if (mkdir(d, 0755) == -1)
		exit(1);
	snprintf(p, sizeof(p), "%s/fd", d);
	if (mkdir(p, 0755) == -1)
		exit(1);
	snprintf(p, sizeof(p), "%s/fd/3", d);
	snprintf(buf, sizeof(buf), "socket:[%lu]", inode);
	if (symlink(buf, p) == -1)
		exit(1);
	snprintf(p, sizeof(p), "%s/exe", d);
	if (symlink("/usr/bin/php8.2", p) == -1)
		exit(1);
	snprintf(p, sizeof(p), "%s/cwd", d);
	if (symlink("/var/www/site", p) == -1)
		exit(1);
	if (status == NULL) {
		snprintf(buf, sizeof(buf),
		    "Name:\tphp\nPid:\t%d\nPPid:\t%d\nUid:\t%u\t%u\t%u\t%u\n",
		    pid, ppid, uid, uid, uid, uid);
		status = buf;
	}
	put(d, "status", status, strlen(status));
	put(d, "comm", "php\n", 4);
	put(d, "cmdline", "php\0mail.php\0", 13);
	if (chown(d, uid, uid) == -1)
		exit(1);
}

static void
test_fake(void)
{
	char root[] = "/tmp/fgfproc.XXXXXX", d[512], longcmd[2000];
	struct proc_info pi;

	if (mkdtemp(root) == NULL)
		exit(1);
	fake(root, 10, 11, 1001, NULL, 500);
	fake(root, 11, 12, 1001, NULL, 501);
	fake(root, 12, 11, 1001, NULL, 502); /* a cycle 11 <-> 12 */
	fake(root, 20, 1, 1002, NULL, 600);
	fake(root, 30, 1, 1003, "Name:\tx\nPPid:\tjunk\n", 700);
	snprintf(d, sizeof(d), "%s/self", root); /* not a pid: skipped */
	if (mkdir(d, 0755) == -1)
		exit(1);

	is_int(proc_find_socket(root, 1001, 501, 500), 11,
	    "fabricated: the process of the uid holding the inode");
	ok(proc_find_socket(root, 1001, 600, 500) == -1,
	    "a socket of another uid is not found");
	/* hints: the holder of the uid's last socket is looked into first */
	snprintf(d, sizeof(d), "%s/11/fd/4", root);
	if (symlink("socket:[511]", d) == -1)
		exit(1);
	is_int(proc_find_socket(root, 1001, 511, 500), 11,
	    "the next socket of the same process is found");
	is_int(proc_visits(), 1, "in the hinted process alone, without a scan");
	is_int(proc_find_socket(root, 1001, 500, 500), 10,
	    "a socket of another process of the uid: the hint misses, the "
	    "scan finds it");
	ok(proc_visits() > 1, "by a scan");
	is_int(proc_find_socket(root, 1002, 600, 500), 20,
	    "a hint of another uid is not used");
	snprintf(d, sizeof(d), "rm -rf %s/11", root);
	if (system(d) != 0)
		exit(1);
	ok(proc_find_socket(root, 1001, 511, 500) == -1,
	    "a hinted process that is gone is not an answer");
	fake(root, 11, 12, 1001, NULL, 501);
	is_int(proc_info(root, 10, &pi), 0, "proc_info on the fabricated tree");
	is_str(pi.exe, "/usr/bin/php8.2", "exe");
	is_str(pi.cwd, "/var/www/site", "cwd");
	is_str(pi.script, "/var/www/site/mail.php", "script");
	is_str(pi.comm, "php", "comm without its newline");
	is_int(pi.nparents, PROC_PARENTS, "a parent cycle stops at the bound");
	ok(pi.parents[0].pid == 11 && pi.parents[1].pid == 12 &&
	        pi.parents[2].pid == 11,
	    "parents in order");
	is_int(proc_info(root, 30, &pi), 0, "a status without Uid or PPid");
	is_int(pi.uid, (uid_t)-1, "leaves the uid unknown");
	is_int(pi.nparents, 0, "and no parents");

	memset(longcmd, 'a', sizeof(longcmd));
	snprintf(d, sizeof(d), "%s/20", root);
	put(d, "cmdline", longcmd, sizeof(longcmd));
	is_int(proc_info(root, 20, &pi), 0, "an overlong command line");
	is_int((long long)strlen(pi.cmdline), PROC_CMD_MAX - 1,
	    "is cut to the buffer");
	put(d, "status", longcmd, sizeof(longcmd));
	is_int(proc_info(root, 20, &pi), 0, "a status of junk");
	is_int(pi.uid, (uid_t)-1, "gives no uid");
	ok(proc_info(root, 99, &pi) == -1, "a missing pid is an error");
	snprintf(d, sizeof(d), "rm -rf %s", root);
	if (system(d) != 0)
		exit(1);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("Bail out! t/unit/proc needs root\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	test_scripts();
	test_real();
	test_fake();
	return tap_done();
}
