/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * origin - attribute a connection or a submission to a Unix user.
 *
 * Entry points: origin_connect, origin_sendmail, origin_claimed_script.
 * The sock_diag lookup must happen while the client still waits for the
 * banner (the socket is gone once it has left); the /proc and queue reads
 * go through the privileged helper. Nothing here blocks longer than the
 * proc budget plus the helper's slack.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "helper.h"
#include "origin.h"
#include "sockdiag.h"
#include "str.h"

/* set_user - the name of o->uid, or the number when it has none */
static void
set_user(struct origin *o)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r((uid_t)o->uid, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && strlen(pw.pw_name) < sizeof(o->user))
		str_lcpy(o->user, pw.pw_name, sizeof(o->user));
	else
		snprintf(o->user, sizeof(o->user), "%lld", o->uid);
}

/* server_addr - the daemon side of the connection from the macros */
static int
server_addr(const struct sockaddr *client, const char *addr, const char *port,
    struct sockaddr_storage *ss)
{
	long long p;

	memset(ss, 0, sizeof(*ss));
	if (addr == NULL || port == NULL || str_tonum(port, 1, 65535, &p) == -1)
		return -1;
	if (client->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -1;
	}
	if (client->sa_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		char a4[80];

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1)
			return 0;
		/* an IPv4 daemon address for a v4-mapped client */
		snprintf(a4, sizeof(a4), "::ffff:%s", addr);
		return inet_pton(AF_INET6, a4, &sin6->sin6_addr) == 1 ? 0 : -1;
	}
	return -1;
}

void
origin_connect(struct origin *o, const struct sockaddr *client,
    const char *daemon_addr, const char *daemon_port, int budget_ms)
{
	struct sockaddr_storage server;
	struct sockdiag_owner own;

	memset(o, 0, sizeof(*o));
	o->uid = -1;
	o->src = STAMP_SRC_REMOTE;
	if (client == NULL || !sockdiag_is_local(client))
		return;
	o->src = STAMP_SRC_SMTP_LOCAL;
	if (server_addr(client, daemon_addr, daemon_port, &server) == -1) {
		o->unattributed = true;
		snprintf(o->why, sizeof(o->why),
		    "no {daemon_addr}/{daemon_port} macros");
		return;
	}
	if (sockdiag_lookup(client, (struct sockaddr *)&server, &own) == -1) {
		o->unattributed = true;
		snprintf(
		    o->why, sizeof(o->why), "sock_diag: %s", strerror(errno));
		return;
	}
	o->uid = own.uid;
	o->uid_how = "sock_diag";
	set_user(o);
	if (helper_proc(own.uid, own.inode, budget_ms, &o->proc) == 0)
		o->have_proc = true;
}

void
origin_sendmail(struct origin *o, const char *qid)
{
	struct qfile_origin q;

	o->src = STAMP_SRC_SENDMAIL;
	if (qid == NULL ||
	    helper_qfile(qid, &q, o->why, sizeof(o->why)) == -1) {
		if (qid == NULL)
			snprintf(o->why, sizeof(o->why), "no queue id");
		o->unattributed = true;
		return;
	}
	o->uid = q.uid;
	o->uid_how = "queue_file";
	set_user(o);
}

void
origin_claimed_script(const char *value, char *out, size_t outsize)
{
	const char *colon;
	long long uid;
	char num[16];
	size_t n;

	out[0] = '\0';
	if (value == NULL)
		return;
	value += strspn(value, " \t");
	colon = strchr(value, ':');
	n = colon != NULL ? (size_t)(colon - value) : 0;
	if (n == 0 || n >= sizeof(num))
		return;
	memcpy(num, value, n);
	num[n] = '\0';
	if (str_tonum(num, 0, 4294967294LL, &uid) == -1 || colon[1] == '\0')
		return;
	str_lcpy(out, colon + 1, outsize);
	out[strcspn(out, "\r\n")] = '\0';
}
