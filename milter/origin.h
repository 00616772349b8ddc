/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * origin - who originated a message, and how each fact was learnt: the
 * kernel (sock_diag) for a TCP client on a local address, /proc through
 * the helper for its process, Postfix's queue file for a sendmail
 * submission. Claimed hints (X-PHP-Originating-Script) are kept apart and
 * never become the attested uid.
 */
#ifndef FG_ORIGIN_H
#define FG_ORIGIN_H

#include <sys/socket.h>

#include <stdbool.h>

#include "proc.h"
#include "stamp.h"

#define ORIGIN_USER_MAX 64

struct origin {
	enum stamp_src src;
	long long uid;              /* attested uid, -1 unknown */
	const char *uid_how;        /* "sock_diag", "queue_file" or NULL */
	char user[ORIGIN_USER_MAX]; /* name of uid ("1001" without one) */
	bool have_proc;
	struct proc_info proc;
	bool unattributed; /* local, but the kernel could not say who */
	char why[160];     /* why not, for the log */
};

/* origin_connect - a new SMTP connection from client to daemon_addr:port
 * (macros, may be NULL); fills o (remote, or smtp-local with uid/proc) */
void origin_connect(struct origin *o, const struct sockaddr *client,
    const char *daemon_addr, const char *daemon_port, int budget_ms);
/* origin_sendmail - a local submission: the uid from queue file qid */
void origin_sendmail(struct origin *o, const char *qid);
/* origin_claimed_script - the file part of an X-PHP-Originating-Script
 * value "UID:FILE" into out ("" when malformed) */
void origin_claimed_script(const char *value, char *out, size_t outsize);

#endif
