/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filter - the libmilter callbacks, kept thin: state in, decisions out.
 *
 * Entry point: filter_desc. A connection's state (struct fconn) lives
 * from connect to close; a message's part is reset at MAIL FROM and
 * abort. Postfix calls the non-SMTP milter for sendmail/postdrop mail
 * with a 127.0.0.1 port 0 connect. Nothing here rejects or tempfails
 * before end-of-message, and a local submission is never rejected (that
 * would bounce it): it is held instead.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "filter.h"
#include "log.h"
#include "mconf.h"
#include "origin.h"
#include "stamp.h"
#include "str.h"

#define STAMPS_MAX 16 /* incoming copies looked at; all are removed */
#define TEXT_MAX   256

struct fconn {
	unsigned long steps; /* negotiated SMFIP_ flags */
	struct origin conn;  /* learnt at connect */
	bool sendmail;       /* a non-SMTP submission */
	bool remote;         /* client is not a local address */
	char client[INET6_ADDRSTRLEN];

	/* the current message */
	char qid[40];
	char sender[TEXT_MAX];
	char auth[TEXT_MAX];
	char msgid[TEXT_MAX];
	char claimed[STAMP_VALUE_MAX + 1];
	int nrcpt;
	long long size;
	int nstamps;
	char *stamps[STAMPS_MAX]; /* values, kept when verify is on */
};

static struct account *filter_acct;

static const char *const mact_name[] = {"accept", "hold", "tempfail", "reject"};

static void
msg_reset(struct fconn *fc)
{
	int i;

	for (i = 0; i < STAMPS_MAX; i++) {
		free(fc->stamps[i]);
		fc->stamps[i] = NULL;
	}
	fc->qid[0] = fc->sender[0] = fc->auth[0] = fc->msgid[0] = '\0';
	fc->claimed[0] = '\0';
	fc->nrcpt = 0;
	fc->size = 0;
	fc->nstamps = 0;
}

/* answer - CONTINUE, or no answer where the MTA agreed to none */
static sfsistat
answer(const struct fconn *fc, unsigned long noreply)
{
	return fc != NULL && (fc->steps & noreply) != 0 ? SMFIS_NOREPLY
	                                                : SMFIS_CONTINUE;
}

/* copy_text - a bounded copy of untrusted text without line breaks */
static void
copy_text(char *dst, size_t size, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	str_lcpy(dst, src, size);
	dst[strcspn(dst, "\r\n")] = '\0';
}

static sfsistat
fi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	/* the connection's state starts here: it remembers the steps */
	struct fconn *fc = calloc(1, sizeof(*fc));

	(void)f2;
	(void)f3;
	*pf0 = f0 &
	    (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE |
	        SMFIF_SETSYMLIST);
	*pf1 = *pf2 = *pf3 = 0;
	if (fc != NULL) {
		fc->steps = *pf1 = f1 & FILTER_STEPS;
		smfi_setpriv(ctx, fc);
	}
	if ((f0 & SMFIF_SETSYMLIST) != 0) {
		/* Postfix's defaults lack {daemon_port} */
		smfi_setsymlist(ctx, SMFIM_CONNECT,
		    "j {daemon_addr} {daemon_port} {daemon_name}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	} else
		log_warnx("the MTA cannot send {daemon_port}: local SMTP "
		          "clients stay unattributed");
	return SMFIS_CONTINUE;
}

static sfsistat
fi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct fconn *fc = smfi_getpriv(ctx);
	struct mconf *m;
	int port = -1;

	(void)hostname;
	if (fc == NULL && (fc = calloc(1, sizeof(*fc))) == NULL) {
		log_warnx("out of memory: connection not filtered");
		return SMFIS_ACCEPT; /* never lose mail over the stamp */
	}
	smfi_setpriv(ctx, fc);
	fc->conn.uid = -1;
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		port = ntohs(sin->sin_port);
		inet_ntop(
		    AF_INET, &sin->sin_addr, fc->client, sizeof(fc->client));
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		port = ntohs(s6->sin6_port);
		inet_ntop(
		    AF_INET6, &s6->sin6_addr, fc->client, sizeof(fc->client));
	}
	if (port == 0 && strncmp(fc->client, "127.", 4) == 0) {
		fc->sendmail = true; /* attributed at end-of-message */
		fc->conn.src = STAMP_SRC_SENDMAIL;
		return SMFIS_CONTINUE;
	}
	if ((m = mconf_get()) == NULL)
		return SMFIS_CONTINUE;
	origin_connect(&fc->conn, port > 0 ? sa : NULL,
	    smfi_getsymval(ctx, "{daemon_addr}"),
	    smfi_getsymval(ctx, "{daemon_port}"),
	    (int)m->c->milter.proc_budget_ms);
	mconf_put(m);
	fc->remote = fc->conn.src == STAMP_SRC_REMOTE && fc->client[0] != '\0';
	if (fc->conn.unattributed)
		log_warnx("client %s: local connection not attributed: %s",
		    fc->client, fc->conn.why);
	return SMFIS_CONTINUE;
}

static sfsistat
fi_envfrom(SMFICTX *ctx, char **argv)
{
	struct fconn *fc = smfi_getpriv(ctx);
	const char *s = argv != NULL ? argv[0] : NULL;
	size_t n;

	if (fc == NULL)
		return SMFIS_CONTINUE;
	msg_reset(fc);
	if (s != NULL && s[0] == '<')
		s++;
	copy_text(fc->sender, sizeof(fc->sender), s);
	n = strlen(fc->sender);
	if (n > 0 && fc->sender[n - 1] == '>')
		fc->sender[n - 1] = '\0';
	copy_text(
	    fc->auth, sizeof(fc->auth), smfi_getsymval(ctx, "{auth_authen}"));
	copy_text(fc->qid, sizeof(fc->qid), smfi_getsymval(ctx, "i"));
	return answer(fc, SMFIP_NR_MAIL);
}

static sfsistat
fi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct fconn *fc = smfi_getpriv(ctx);

	(void)argv;
	if (fc != NULL)
		fc->nrcpt++;
	return answer(fc, SMFIP_NR_RCPT);
}

static sfsistat
fi_header(SMFICTX *ctx, char *name, char *value)
{
	struct fconn *fc = smfi_getpriv(ctx);

	if (fc == NULL || name == NULL || value == NULL)
		return answer(fc, SMFIP_NR_HDR);
	fc->size += (long long)(strlen(name) + strlen(value) + 3);
	if (strcasecmp(name, STAMP_HEADER) == 0) {
		if (fc->nstamps < STAMPS_MAX && strlen(value) < STAMP_MAX)
			fc->stamps[fc->nstamps] = strdup(value);
		fc->nstamps++;
	} else if (strcasecmp(name, "X-PHP-Originating-Script") == 0 &&
	    fc->claimed[0] == '\0')
		copy_text(fc->claimed, sizeof(fc->claimed), value);
	else if (strcasecmp(name, "Message-ID") == 0 && fc->msgid[0] == '\0')
		copy_text(fc->msgid, sizeof(fc->msgid), value);
	return answer(fc, SMFIP_NR_HDR);
}

static sfsistat
fi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct fconn *fc = smfi_getpriv(ctx);

	(void)chunk;
	if (fc != NULL)
		fc->size += (long long)len;
	return SMFIS_CONTINUE;
}

/* strip_stamps - delete incoming stamps, highest index first (indexes
 * shift otherwise); with verify on, the ones that verify stay */
static int
strip_stamps(SMFICTX *ctx, struct fconn *fc, const struct mconf *m)
{
	int i, removed = 0;

	for (i = fc->nstamps; i >= 1; i--) {
		if (m->c->milter.verify && i <= STAMPS_MAX &&
		    fc->stamps[i - 1] != NULL &&
		    stamp_verify(fc->stamps[i - 1], m->keys, m->nkeys,
		        fc->msgid, fc->sender))
			continue;
		if (smfi_chgheader(ctx, STAMP_HEADER, i, NULL) == MI_SUCCESS)
			removed++;
	}
	return removed;
}

/* stamp - the header describing o; 0 or -1 */
static int
stamp(SMFICTX *ctx, struct fconn *fc, const struct mconf *m,
    const struct origin *o)
{
	struct stamp st = {.host = m->c->node,
	    .src = o->src,
	    .uid = o->uid,
	    .user = o->uid >= 0 ? o->user : NULL,
	    .pid = -1,
	    .claimed = fc->claimed,
	    .auth = fc->auth,
	    .qid = fc->qid,
	    .t = (long long)time(NULL)};
	char value[STAMP_MAX];

	if (o->have_proc) {
		st.pid = o->proc.pid;
		st.exe = o->proc.exe;
		st.cwd = o->proc.cwd;
		st.script = o->proc.script;
	}
	if (stamp_format(value, sizeof(value), &st, m->c->milter.opaque,
	        m->nkeys > 0 ? &m->keys[0] : NULL, fc->msgid, fc->sender) == -1)
		return -1;
	return smfi_insheader(ctx, 0, STAMP_HEADER, value) == MI_SUCCESS ? 0
	                                                                 : -1;
}

/* log_message - the one line per message, keyed by queue id */
static void
log_message(const struct fconn *fc, const struct origin *o,
    const struct account_verdict *v, enum conf_mact act, int removed)
{
	char exe[160], cwd[160], script[160], claimed[160], sender[160],
	    auth[160], why[200];
	const struct proc_info *p = o->have_proc ? &o->proc : NULL;

	str_escape(exe, sizeof(exe), p ? p->exe : "", strlen(p ? p->exe : ""));
	str_escape(cwd, sizeof(cwd), p ? p->cwd : "", strlen(p ? p->cwd : ""));
	str_escape(script, sizeof(script), p ? p->script : "",
	    strlen(p ? p->script : ""));
	str_escape(claimed, sizeof(claimed), fc->claimed, strlen(fc->claimed));
	str_escape(sender, sizeof(sender), fc->sender, strlen(fc->sender));
	str_escape(auth, sizeof(auth), fc->auth, strlen(fc->auth));
	str_escape(why, sizeof(why), v->why, strlen(v->why));
	log_info("qid=%s src=%s uid=%lld user=%s how=%s pid=%d exe=\"%s\" "
	         "cwd=\"%s\" script=\"%s\" claimed=\"%s\" auth=\"%s\" "
	         "sender=\"%s\" client=%s rcpts=%d size=%lld "
	         "stamps_removed=%d action=%s%s rule=%s why=\"%s\"",
	    fc->qid[0] ? fc->qid : "-", stamp_src_name(o->src), o->uid,
	    o->uid >= 0 ? o->user : "-", o->uid_how ? o->uid_how : "-",
	    p ? (int)p->pid : 0, exe, cwd, script, claimed, auth, sender,
	    fc->client[0] ? fc->client : "-", fc->nrcpt, fc->size, removed,
	    mact_name[act], v->degraded ? " degraded=1" : "",
	    v->rule[0] ? v->rule : "-", why);
}

static sfsistat
fi_eom(SMFICTX *ctx)
{
	struct fconn *fc = smfi_getpriv(ctx);
	struct account_verdict v;
	struct account_msg am;
	struct origin o;
	enum conf_mact act;
	struct mconf *m;
	char cscript[STAMP_VALUE_MAX + 1];
	int removed;

	if (fc == NULL || (m = mconf_get()) == NULL)
		return SMFIS_CONTINUE;
	if (fc->qid[0] == '\0')
		copy_text(fc->qid, sizeof(fc->qid), smfi_getsymval(ctx, "i"));
	o = fc->conn;
	if (fc->sendmail) {
		origin_sendmail(&o, fc->qid);
		if (o.unattributed)
			log_warnx("qid=%s: sendmail submission not "
			          "attributed: %s",
			    fc->qid, o.why);
	}
	if (fc->auth[0] != '\0' && o.src == STAMP_SRC_REMOTE)
		o.src = STAMP_SRC_AUTH;
	removed = strip_stamps(ctx, fc, m);
	if (stamp(ctx, fc, m, &o) == -1)
		log_warnx("qid=%s: could not add the stamp", fc->qid);

	origin_claimed_script(fc->claimed, cscript, sizeof(cscript));
	memset(&am, 0, sizeof(am));
	am.qid = fc->qid;
	am.host = m->c->node;
	am.src = stamp_src_name(o.src);
	am.uid = o.uid;
	am.user = o.uid >= 0 ? o.user : "";
	am.pid = o.have_proc ? o.proc.pid : -1;
	am.exe = o.have_proc ? o.proc.exe : "";
	am.cwd = o.have_proc ? o.proc.cwd : "";
	am.script = o.have_proc ? o.proc.script : "";
	am.claimed = fc->claimed;
	am.label = am.script[0] ? am.script
	    : cscript[0]        ? cscript
	    : am.exe[0]         ? am.exe
	                        : am.src;
	am.auth = fc->auth;
	am.sender = fc->sender;
	am.client = fc->client;
	am.client_counts = fc->remote;
	am.nrcpt = fc->nrcpt;
	am.size = fc->size;
	account_message(filter_acct, m->c, &am, &v);
	act = v.act;
	if (act == CONF_MACT_ACCEPT && o.unattributed && !fc->sendmail) {
		act = m->c->milter.on_unattributed;
		snprintf(v.why, sizeof(v.why), "unattributed: %s", o.why);
	}
	if (act == CONF_MACT_REJECT && fc->sendmail)
		act = CONF_MACT_HOLD; /* a non-SMTP reject bounces */
	log_message(fc, &o, &v, act, removed);
	mconf_put(m);
	switch (act) {
	case CONF_MACT_HOLD:
		/* Postfix drops the reason: the log line above has it */
		if (smfi_quarantine(ctx, v.why[0] ? v.why : "floodgate") !=
		    MI_SUCCESS)
			log_warnx("qid=%s: quarantine failed", fc->qid);
		return SMFIS_CONTINUE;
	case CONF_MACT_TEMPFAIL:
		smfi_setreply(ctx, "451", "4.7.1",
		    "Sending rate limit exceeded, try again later");
		return SMFIS_TEMPFAIL;
	case CONF_MACT_REJECT:
		smfi_setreply(ctx, "550", "5.7.1",
		    v.blocked ? "Sending suspended for abuse, contact your "
		                "administrator"
		              : "Sending rate limit exceeded");
		return SMFIS_REJECT;
	default:
		return SMFIS_CONTINUE;
	}
}

static sfsistat
fi_abort(SMFICTX *ctx)
{
	struct fconn *fc = smfi_getpriv(ctx);

	if (fc != NULL)
		msg_reset(fc);
	return SMFIS_CONTINUE;
}

static sfsistat
fi_close(SMFICTX *ctx)
{
	struct fconn *fc = smfi_getpriv(ctx);

	if (fc != NULL) {
		msg_reset(fc);
		free(fc);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc *
filter_desc(struct account *acct)
{
	static struct smfiDesc desc = {
	    .xxfi_name = FILTER_NAME,
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	    .xxfi_connect = fi_connect,
	    .xxfi_envfrom = fi_envfrom,
	    .xxfi_envrcpt = fi_envrcpt,
	    .xxfi_header = fi_header,
	    .xxfi_body = fi_body,
	    .xxfi_eom = fi_eom,
	    .xxfi_abort = fi_abort,
	    .xxfi_close = fi_close,
	    .xxfi_negotiate = fi_negotiate,
	};

	filter_acct = acct;
	return &desc;
}
