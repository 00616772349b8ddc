/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proc - which process holds a socket, and what it is, from /proc.
 *
 * proc_find_socket() scans only the processes of one uid, for a bounded
 * time; proc_info() reads exe, cwd, command line and up to PROC_PARENTS
 * ancestors; proc_script() names the script an interpreter runs. Reading
 * another user's fd/, exe and cwd needs CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH: the milter's helper calls this, never the milter.
 * Fields that cannot be read (vanished process, missing rights) are left
 * empty. Nothing here allocates more than a fixed buffer.
 */
#ifndef FG_PROC_H
#define FG_PROC_H

#include <sys/types.h>

#include <stddef.h>

#define PROC_PARENTS  4
#define PROC_COMM_MAX 17
#define PROC_PATH_MAX 256
#define PROC_CMD_MAX  512

struct proc_parent {
	pid_t pid;
	uid_t uid;
	char comm[PROC_COMM_MAX];
	char exe[PROC_PATH_MAX];
};

struct proc_info {
	pid_t pid;
	uid_t uid;
	char comm[PROC_COMM_MAX];
	char exe[PROC_PATH_MAX];
	char cwd[PROC_PATH_MAX];
	char cmdline[PROC_CMD_MAX]; /* arguments joined by spaces */
	char script[PROC_PATH_MAX]; /* what an interpreter runs, or "" */
	int nparents;
	struct proc_parent parents[PROC_PARENTS];
};

/* proc_find_socket - the pid of a process of uid holding socket inode;
 * -1 with errno ENOENT (none), ETIMEDOUT (budget spent) or another */
pid_t proc_find_socket(const char *procroot, uid_t uid, unsigned long inode,
    int budget_ms) __attribute__((warn_unused_result));
/* proc_visits - processes the last proc_find_socket (this thread) read */
int proc_visits(void);
/* proc_info - fill info for pid; 0, or -1 when the process is gone */
int proc_info(const char *procroot, pid_t pid, struct proc_info *info)
    __attribute__((warn_unused_result));
/* proc_script - the script argv runs when exe is a known interpreter
 * (php, python, perl, ruby, node, sh, bash, dash), made absolute against
 * cwd; "" otherwise */
void proc_script(const char *exe, char *const argv[], int argc, const char *cwd,
    char *out, size_t outsize);

#endif
