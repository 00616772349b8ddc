/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * origin - who originated a message, and how each fact was learnt: the
 * kernel (sock_diag) for a TCP client on a local address, /proc through
 * the helper for its process, Postfix's queue file for a sendmail
 * submission, SMTP AUTH. Claimed hints (X-PHP-Originating-Script) are
 * kept apart and never become the attested uid.
 *
 * struct origin is the one record of a message's origin: this module
 * fills it (origin_connect at connect, origin_envfrom/_rcpt/_header/_body
 * as the message comes, origin_eom at its end, which decides the source,
 * the sendmail uid and the claimed script); the stamp, the log line and
 * the accounting only read it.
 */
#ifndef FG_ORIGIN_H
#define FG_ORIGIN_H

#include <sys/socket.h>

#include <netinet/in.h>

#include <stdbool.h>

#include "proc.h"
#include "stamp.h"

#define ORIGIN_USER_MAX 64
#define ORIGIN_TEXT_MAX 256 /* sender, auth, claimed: cut there */

enum origin_src {
	ORIGIN_SMTP_LOCAL, /* SMTP from a local process */
	ORIGIN_SENDMAIL,   /* sendmail/postdrop */
	ORIGIN_AUTH,       /* SMTP AUTH from elsewhere */
	ORIGIN_REMOTE,     /* SMTP from elsewhere */
};

struct origin {
	/* the connection */
	enum origin_src src;
	char client[INET6_ADDRSTRLEN]; /* "" for sendmail */
	bool remote;                   /* client counts as an ip subject */
	long long uid;                 /* attested uid, -1 unknown */
	const char *uid_how;           /* "sock_diag", "queue_file" or NULL */
	char user[ORIGIN_USER_MAX];    /* name of uid ("1001" without one) */
	bool have_proc;
	struct proc_info proc;
	bool unattributed; /* local, but the kernel could not say who */
	char why[160];     /* why not, for the log */

	/* the message */
	char qid[40];
	char sender[ORIGIN_TEXT_MAX];
	char auth[ORIGIN_TEXT_MAX];
	char claimed[ORIGIN_TEXT_MAX];        /* X-PHP-Originating-Script */
	char claimed_script[ORIGIN_TEXT_MAX]; /* its file part, or "" */
	int nrcpt;
	long long size;
};

const char *origin_src_name(enum origin_src);
/* origin_connect - a new connection from client (NULL: unknown) to
 * daemon_addr:port (macros, may be NULL): sendmail (127.x port 0),
 * remote, or smtp-local with uid/proc */
void origin_connect(struct origin *, const struct sockaddr *client,
    const char *daemon_addr, const char *daemon_port, int budget_ms);
/* origin_envfrom - a new message: its facts reset, sender (with or
 * without <>), {auth_authen} and queue id (NULL: unknown) kept */
void origin_envfrom(
    struct origin *, const char *sender, const char *auth, const char *qid);
void origin_rcpt(struct origin *);
/* origin_header - one header: its size, and the claimed script */
void origin_header(struct origin *, const char *name, const char *value);
void origin_body(struct origin *, size_t len);
/* origin_eom - the message's origin, decided on o, a copy of the
 * connection's: a sendmail uid from queue file qid (NULL: the one known),
 * AUTH from elsewhere, the claimed script */
void origin_eom(struct origin *, const char *qid);
/* origin_facts - what o's stamp says, pointing into o (valid while o
 * is) */
void origin_facts(const struct origin *, struct stamp_facts *);
/* origin_label - what sent the message, for the uid's scripts ZSET: the
 * script, the claimed script, the program, or the source */
const char *origin_label(const struct origin *);
/* origin_claimed_script - the file part of an X-PHP-Originating-Script
 * value "UID:FILE" into out ("" when malformed) */
void origin_claimed_script(const char *value, char *out, size_t outsize);

#endif
