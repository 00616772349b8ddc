/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * origin - attribute a connection or a submission to a Unix user.
 *
 * Entry points: origin_connect, origin_envfrom, origin_rcpt,
 * origin_header, origin_body, origin_eom, origin_label,
 * origin_claimed_script, origin_src_name.
 * The sock_diag lookup must happen while the client still waits for the
 * banner (the socket is gone once it has left); the /proc and queue reads
 * go through the privileged helper. Nothing here blocks longer than the
 * proc budget plus the helper's slack.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <strings.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "helper.h"
#include "origin.h"
#include "sockdiag.h"
#include "str.h"

static const char *const origin_src_names[] = {
    "smtp-local", "sendmail", "auth", "remote"};

const char *
origin_src_name(enum origin_src s)
{
	return (unsigned int)s < 4 ? origin_src_names[s] : "remote";
}

/* origin_user - the name of o->uid, or the number when it has none */
static void
origin_user(struct origin *o)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r((uid_t)o->uid, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && strlen(pw.pw_name) < sizeof(o->user))
		str_lcpy(o->user, pw.pw_name, sizeof(o->user));
	else
		snprintf(o->user, sizeof(o->user), "%lld", o->uid);
}

/* origin_server - the daemon side of the connection from the macros */
static int
origin_server(const struct sockaddr *client, const char *addr, const char *port,
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

/* origin_client - the client's address and port (-1: unknown) */
static int
origin_client(struct origin *o, const struct sockaddr *sa)
{
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(
		    AF_INET, &sin->sin_addr, o->client, sizeof(o->client));
		return ntohs(sin->sin_port);
	}
	if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(
		    AF_INET6, &s6->sin6_addr, o->client, sizeof(o->client));
		return ntohs(s6->sin6_port);
	}
	return -1;
}

void
origin_connect(struct origin *o, const struct sockaddr *client,
    const char *daemon_addr, const char *daemon_port, int budget_ms)
{
	struct sockaddr_storage server;
	struct sockdiag_owner own;
	int port;

	memset(o, 0, sizeof(*o));
	o->uid = -1;
	o->src = ORIGIN_REMOTE;
	port = origin_client(o, client);
	/* Postfix's non-SMTP milter calls: attributed at end-of-message */
	if (port == 0 && strncmp(o->client, "127.", 4) == 0) {
		o->src = ORIGIN_SENDMAIL;
		return;
	}
	if (port <= 0 || !sockdiag_is_local(client)) {
		o->remote = o->client[0] != '\0';
		return;
	}
	o->src = ORIGIN_SMTP_LOCAL;
	if (origin_server(client, daemon_addr, daemon_port, &server) == -1) {
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
	origin_user(o);
	if (helper_proc(own.uid, own.inode, budget_ms, &o->proc) == 0)
		o->have_proc = true;
}

void
origin_envfrom(
    struct origin *o, const char *sender, const char *auth, const char *qid)
{
	size_t n;

	if (sender != NULL && sender[0] == '<')
		sender++;
	str_line(o->sender, sizeof(o->sender), sender);
	n = strlen(o->sender);
	if (n > 0 && o->sender[n - 1] == '>')
		o->sender[n - 1] = '\0';
	str_line(o->auth, sizeof(o->auth), auth);
	str_line(o->qid, sizeof(o->qid), qid);
	o->claimed[0] = o->claimed_script[0] = '\0';
	o->nrcpt = 0;
	o->size = 0;
}

void
origin_rcpt(struct origin *o)
{
	o->nrcpt++;
}

void
origin_header(struct origin *o, const char *name, const char *value)
{
	o->size += (long long)(strlen(name) + strlen(value) + 3);
	if (strcasecmp(name, "X-PHP-Originating-Script") == 0 &&
	    o->claimed[0] == '\0')
		str_line(o->claimed, sizeof(o->claimed), value);
}

void
origin_body(struct origin *o, size_t len)
{
	o->size += (long long)len;
}

/* origin_sendmail - a local submission: the uid from queue file qid */
static void
origin_sendmail(struct origin *o, const char *qid)
{
	struct qfile_origin q;

	if (qid == NULL || qid[0] == '\0' ||
	    helper_qfile(qid, &q, o->why, sizeof(o->why)) == -1) {
		if (qid == NULL || qid[0] == '\0')
			snprintf(o->why, sizeof(o->why), "no queue id");
		o->unattributed = true;
		return;
	}
	o->uid = q.uid;
	o->uid_how = "queue_file";
	origin_user(o);
}

void
origin_eom(struct origin *o, const char *qid)
{
	if (qid != NULL && qid[0] != '\0' && o->qid[0] == '\0')
		str_line(o->qid, sizeof(o->qid), qid);
	if (o->src == ORIGIN_SENDMAIL)
		origin_sendmail(o, o->qid);
	if (o->auth[0] != '\0' && o->src == ORIGIN_REMOTE)
		o->src = ORIGIN_AUTH;
	origin_claimed_script(
	    o->claimed, o->claimed_script, sizeof(o->claimed_script));
}

void
origin_facts(const struct origin *o, struct stamp_facts *f)
{
	const struct proc_info *p = o->have_proc ? &o->proc : NULL;

	memset(f, 0, sizeof(*f));
	f->src = origin_src_name(o->src);
	f->uid = o->uid;
	f->user = o->user;
	f->pid = p != NULL ? (long long)p->pid : 0;
	f->exe = p != NULL ? p->exe : NULL;
	f->cwd = p != NULL ? p->cwd : NULL;
	f->script = p != NULL ? p->script : NULL;
	f->claimed = o->claimed;
	f->auth = o->auth;
	f->qid = o->qid;
	f->sender = o->sender;
}

const char *
origin_label(const struct origin *o)
{
	return o->have_proc && o->proc.script[0] ? o->proc.script
	    : o->claimed_script[0]               ? o->claimed_script
	    : o->have_proc && o->proc.exe[0]     ? o->proc.exe
	                                         : origin_src_name(o->src);
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
	/* digits only: str_tonum takes "-0" */
	if (strspn(num, "0123456789") != n ||
	    str_tonum(num, 0, 4294967294LL, &uid) == -1 || colon[1] == '\0')
		return;
	str_lcpy(out, colon + 1, outsize);
	out[strcspn(out, "\r\n")] = '\0';
}
