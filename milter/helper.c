/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * helper - privilege separation for /proc and queue-file reads.
 *
 * Entry points: helper_start, helper_proc, helper_qfile, helper_stop.
 * The helper is forked before libmilter starts its threads. It drops every
 * capability but the two it needs (and, when told, switches to the
 * milter's user keeping those two), sets no_new_privs, and serves one
 * fixed-size request at a time. It never trusts the request beyond its
 * fields: the queue path is built from a validated queue id under the
 * queue_directory it was started with. A late answer (after the caller's
 * timeout) is recognised by its id and dropped.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "str.h"

enum { H_PROC = 1, H_QFILE = 2 };

struct helper_request {
	uint32_t id;
	uint32_t type;
	uint32_t uid;
	int32_t budget_ms;
	uint64_t inode;
	char qid[40];
};

struct helper_reply {
	uint32_t id;
	int32_t rc;
	union {
		struct proc_info proc;
		struct qfile_origin q;
	} u;
	char err[160];
};

static pthread_mutex_t helper_mu = PTHREAD_MUTEX_INITIALIZER;
static int helper_fd = -1;
static pid_t helper_pid = -1;
static uint32_t helper_id;
static char helper_qdir[CONF_PATH_MAX];

/* helper_drop_caps - keep CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH; become user */
static int
helper_drop_caps(const char *user)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	struct passwd *pw = NULL;

	if (geteuid() != 0)
		return 0; /* nothing to drop: reads what this user may */
	if (user[0] != '\0') {
		if ((pw = getpwnam(user)) == NULL) {
			log_warnx("helper: no user %s", user);
			return -1;
		}
		if (prctl(PR_SET_KEEPCAPS, 1) == -1 ||
		    setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
		    setuid(pw->pw_uid) == -1) {
			log_warn("helper: cannot become %s", user);
			return -1;
		}
	}
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted =
	    (1U << CAP_SYS_PTRACE) | (1U << CAP_DAC_READ_SEARCH);
	if (syscall(SYS_capset, &h, d) == -1) {
		log_warn("helper: capset");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		log_warn("helper: no_new_privs");
	return 0;
}

/* helper_serve - the helper's loop; returns when the milter is gone */
static void
helper_serve(int fd)
{
	struct helper_request rq;
	struct helper_reply *rs = NULL;
	char path[CONF_PATH_MAX + 64];
	ssize_t n;
	pid_t pid;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return;
	for (;;) {
		n = recv(fd, &rq, sizeof(rq), 0);
		if (n == 0 || (n == -1 && errno != EINTR))
			break;
		if (n != (ssize_t)sizeof(rq))
			continue;
		memset(rs, 0, sizeof(*rs));
		rs->id = rq.id;
		rs->rc = -1;
		rq.qid[sizeof(rq.qid) - 1] = '\0';
		if (rq.type == H_PROC) {
			pid = proc_find_socket("/proc", (uid_t)rq.uid,
			    (unsigned long)rq.inode, rq.budget_ms);
			if (pid > 0 &&
			    proc_info("/proc", pid, &rs->u.proc) == 0)
				rs->rc = 0;
			else
				snprintf(rs->err, sizeof(rs->err),
				    "no process holds the socket: %s",
				    strerror(errno));
		} else if (rq.type == H_QFILE) {
			if (!qfile_valid_id(rq.qid))
				snprintf(
				    rs->err, sizeof(rs->err), "bad queue id");
			else {
				snprintf(path, sizeof(path), "%s/incoming/%s",
				    helper_qdir, rq.qid);
				rs->rc = qfile_read(
				    path, &rs->u.q, rs->err, sizeof(rs->err));
			}
		}
		if (send(fd, rs, sizeof(*rs), MSG_NOSIGNAL) == -1 &&
		    errno != EINTR)
			break;
	}
	free(rs);
}

/* helper_start - fork the helper before any thread exists */
int
helper_start(const struct conf *c, const char *user, char *err, size_t errsize)
{
	int sv[2];

	str_lcpy(helper_qdir, c->milter.queue_directory, sizeof(helper_qdir));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(
		    err, errsize, "helper: socketpair: %s", strerror(errno));
		return -1;
	}
	switch (helper_pid = fork()) {
	case -1:
		snprintf(err, errsize, "helper: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	case 0:
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGUSR1, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		if (helper_drop_caps(user) == 0)
			helper_serve(sv[1]);
		_exit(0);
	default:
		close(sv[1]);
		helper_fd = sv[0];
		return 0;
	}
}

/* helper_ask - one exchange; returns 0 with *rs filled, or -1 */
static int
helper_ask(struct helper_request *rq, struct helper_reply *rs, int wait_ms)
{
	struct pollfd pfd;
	ssize_t n;
	int rc = -1;

	pthread_mutex_lock(&helper_mu);
	if (helper_fd == -1)
		goto out;
	rq->id = ++helper_id;
	if (send(helper_fd, rq, sizeof(*rq), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(*rq)) {
		log_warn("helper: send");
		goto out;
	}
	pfd.fd = helper_fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, wait_ms) <= 0) {
			log_warnx("helper: no answer within %d ms", wait_ms);
			goto out;
		}
		n = recv(helper_fd, rs, sizeof(*rs), MSG_DONTWAIT);
		if (n == 0) {
			log_warnx("helper: gone");
			close(helper_fd);
			helper_fd = -1;
			goto out;
		}
		if (n == (ssize_t)sizeof(*rs) && rs->id == rq->id)
			break;
		/* a late answer to a timed-out query: drop it */
	}
	rc = 0;
out:
	pthread_mutex_unlock(&helper_mu);
	return rc;
}

int
helper_proc(
    uid_t uid, unsigned long inode, int budget_ms, struct proc_info *out)
{
	struct helper_request rq = {.type = H_PROC,
	    .uid = (uint32_t)uid,
	    .budget_ms = budget_ms,
	    .inode = inode};
	struct helper_reply *rs = calloc(1, sizeof(*rs));
	int rc = -1;

	if (rs == NULL)
		return -1;
	if (helper_ask(&rq, rs, budget_ms + HELPER_SLACK_MS) == 0 &&
	    rs->rc == 0) {
		*out = rs->u.proc;
		rc = 0;
	} else if (rs->err[0] != '\0')
		log_debug("helper: inode %lu uid %u: %s", inode,
		    (unsigned int)uid, rs->err);
	free(rs);
	return rc;
}

int
helper_qfile(
    const char *qid, struct qfile_origin *out, char *err, size_t errsize)
{
	struct helper_request rq = {.type = H_QFILE};
	struct helper_reply *rs = calloc(1, sizeof(*rs));
	int rc = -1;

	if (rs == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	str_lcpy(rq.qid, qid, sizeof(rq.qid));
	if (helper_ask(&rq, rs, HELPER_SLACK_MS * 5) == -1)
		snprintf(err, errsize, "helper unavailable");
	else if (rs->rc == 0) {
		*out = rs->u.q;
		rc = 0;
	} else {
		rs->err[sizeof(rs->err) - 1] = '\0';
		snprintf(err, errsize, "%s", rs->err);
	}
	free(rs);
	return rc;
}

void
helper_stop(void)
{
	pthread_mutex_lock(&helper_mu);
	if (helper_fd != -1) {
		close(helper_fd);
		helper_fd = -1;
	}
	if (helper_pid > 0) {
		kill(helper_pid, SIGTERM);
		waitpid(helper_pid, NULL, 0);
		helper_pid = -1;
	}
	pthread_mutex_unlock(&helper_mu);
}
