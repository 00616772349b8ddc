/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filter - the libmilter callbacks, kept thin: state in, decisions out.
 *
 * Entry point: filter_desc. A connection's state (struct filter_conn) lives
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
#include "mmetrics.h"
#include "mconf.h"
#include "origin.h"
#include "stamp.h"
#include "str.h"

#define STAMPS_MAX 16 /* incoming copies looked at; all are removed */

/* warnings local users can repeat at will: a line a minute each */
static struct ratelog filter_rl_unattributed = RATELOG_INIT,
                      filter_rl_mta = RATELOG_INIT;

struct filter_conn {
	unsigned long steps; /* negotiated SMFIP_ flags */
	struct origin o;     /* the connection's, and its current message's */
	char msgid[STAMP_MSGID_MAX];
	int nstamps;
	char *stamps[STAMPS_MAX]; /* values, kept when verify is on */
};

static struct account *filter_acct;

static const char *const mact_name[] = {"accept", "hold", "tempfail", "reject"};

/* filter_reset - forget the message's stamps and Message-ID */
static void
filter_reset(struct filter_conn *fc)
{
	int i;

	for (i = 0; i < STAMPS_MAX; i++) {
		free(fc->stamps[i]);
		fc->stamps[i] = NULL;
	}
	fc->msgid[0] = '\0';
	fc->nstamps = 0;
}

/* filter_answer - CONTINUE, or no answer where the MTA agreed to none */
static sfsistat
filter_answer(const struct filter_conn *fc, unsigned long noreply)
{
	return fc != NULL && (fc->steps & noreply) != 0 ? SMFIS_NOREPLY
	                                                : SMFIS_CONTINUE;
}

static sfsistat
fi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	/* the connection's state starts here: it remembers the steps */
	struct filter_conn *fc = calloc(1, sizeof(*fc));

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
	struct filter_conn *fc = smfi_getpriv(ctx);
	struct mconf *m;
	uint64_t t0;

	(void)hostname;
	if (fc == NULL && (fc = calloc(1, sizeof(*fc))) == NULL) {
		log_warnx("out of memory: connection not filtered");
		return SMFIS_ACCEPT; /* never lose mail over the stamp */
	}
	smfi_setpriv(ctx, fc);
	m = mconf_get();
	t0 = mmetrics_now_us();
	origin_connect(&fc->o, sa, smfi_getsymval(ctx, "{daemon_addr}"),
	    smfi_getsymval(ctx, "{daemon_port}"),
	    m != NULL ? (int)m->c->milter.proc_budget_ms : 0);
	if (!fc->o.remote)
		mmetrics_origin_us(mmetrics_now_us() - t0);
	mconf_put(m);
	if (fc->o.unattributed)
		log_warnx_every(&filter_rl_unattributed,
		    "client %s: local connection not attributed: %s",
		    fc->o.client, fc->o.why);
	return SMFIS_CONTINUE;
}

static sfsistat
fi_envfrom(SMFICTX *ctx, char **argv)
{
	struct filter_conn *fc = smfi_getpriv(ctx);

	if (fc == NULL)
		return SMFIS_CONTINUE;
	filter_reset(fc);
	origin_envfrom(&fc->o, argv != NULL ? argv[0] : NULL,
	    smfi_getsymval(ctx, "{auth_authen}"), smfi_getsymval(ctx, "i"));
	return filter_answer(fc, SMFIP_NR_MAIL);
}

static sfsistat
fi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct filter_conn *fc = smfi_getpriv(ctx);

	(void)argv;
	if (fc != NULL)
		origin_rcpt(&fc->o);
	return filter_answer(fc, SMFIP_NR_RCPT);
}

static sfsistat
fi_header(SMFICTX *ctx, char *name, char *value)
{
	struct filter_conn *fc = smfi_getpriv(ctx);

	if (fc == NULL || name == NULL || value == NULL)
		return filter_answer(fc, SMFIP_NR_HDR);
	origin_header(&fc->o, name, value);
	if (strcasecmp(name, STAMP_HEADER) == 0) {
		if (fc->nstamps < STAMPS_MAX && strlen(value) < STAMP_MAX)
			fc->stamps[fc->nstamps] = strdup(value);
		fc->nstamps++;
	} else if (strcasecmp(name, "Message-ID") == 0 && fc->msgid[0] == '\0')
		str_line(fc->msgid, sizeof(fc->msgid), value);
	return filter_answer(fc, SMFIP_NR_HDR);
}

static sfsistat
fi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct filter_conn *fc = smfi_getpriv(ctx);

	(void)chunk;
	if (fc != NULL)
		origin_body(&fc->o, len);
	return SMFIS_CONTINUE;
}

/* filter_strip - delete incoming stamps, highest index first (indexes
 * shift otherwise); with verify on, the ones that verify stay */
static int
filter_strip(SMFICTX *ctx, struct filter_conn *fc, const struct mconf *m)
{
	int i, removed = 0;

	for (i = fc->nstamps; i >= 1; i--) {
		if (m->c->milter.verify && i <= STAMPS_MAX &&
		    fc->stamps[i - 1] != NULL &&
		    stamp_verify(fc->stamps[i - 1], m->keys, m->nkeys,
		        fc->msgid, fc->o.sender))
			continue;
		if (smfi_chgheader(ctx, STAMP_HEADER, i, NULL) == MI_SUCCESS)
			removed++;
	}
	return removed;
}

/* filter_stamp - the header describing o; 0 or -1 */
static int
filter_stamp(SMFICTX *ctx, const struct filter_conn *fc, const struct mconf *m,
    const struct origin *o)
{
	char value[STAMP_MAX];
	struct stamp_facts f;

	origin_facts(o, &f);
	if (stamp_format(value, sizeof(value), &f, m->c->node,
	        (long long)time(NULL), m->c->milter.opaque,
	        m->nkeys > 0 ? &m->keys[0] : NULL, fc->msgid) == -1)
		return -1;
	return smfi_insheader(ctx, 0, STAMP_HEADER, value) == MI_SUCCESS ? 0
	                                                                 : -1;
}

/* filter_log - the one line per message, keyed by queue id */
static void
filter_log(const struct origin *o, const struct account_verdict *v,
    enum conf_mact act, int removed)
{
	char exe[160], cwd[160], script[160], claimed[160], sender[160],
	    auth[160], why[200], qid[64], user[96], client[64], rule[96];
	const struct proc_info *p = o->have_proc ? &o->proc : NULL;

	str_escape(exe, sizeof(exe), p ? p->exe : "", strlen(p ? p->exe : ""));
	str_escape(cwd, sizeof(cwd), p ? p->cwd : "", strlen(p ? p->cwd : ""));
	str_escape(script, sizeof(script), p ? p->script : "",
	    strlen(p ? p->script : ""));
	str_escape(claimed, sizeof(claimed), o->claimed, strlen(o->claimed));
	str_escape(sender, sizeof(sender), o->sender, strlen(o->sender));
	str_escape(auth, sizeof(auth), o->auth, strlen(o->auth));
	str_escape(why, sizeof(why), v->why, strlen(v->why));
	/* the unquoted fields: none may end its field or forge another */
	str_escape_word(qid, sizeof(qid), o->qid[0] ? o->qid : "-",
	    o->qid[0] ? strlen(o->qid) : 1);
	str_escape_word(user, sizeof(user), o->uid >= 0 ? o->user : "-",
	    o->uid >= 0 ? strlen(o->user) : 1);
	str_escape_word(client, sizeof(client), o->client[0] ? o->client : "-",
	    o->client[0] ? strlen(o->client) : 1);
	str_escape_word(rule, sizeof(rule), v->rule[0] ? v->rule : "-",
	    v->rule[0] ? strlen(v->rule) : 1);
	log_info("qid=%s src=%s uid=%lld user=%s how=%s pid=%d exe=\"%s\" "
	         "cwd=\"%s\" script=\"%s\" claimed=\"%s\" auth=\"%s\" "
	         "sender=\"%s\" client=%s rcpts=%d size=%lld "
	         "stamps_removed=%d action=%s%s rule=%s why=\"%s\"",
	    qid, origin_src_name(o->src), o->uid, user,
	    o->uid_how ? o->uid_how : "-", p ? (int)p->pid : 0, exe, cwd,
	    script, claimed, auth, sender, client, o->nrcpt, o->size, removed,
	    mact_name[act], v->degraded ? " degraded=1" : "", rule, why);
}

/* filter_action - the verdict's action, or on_unattributed for a local
 * SMTP client nobody could be found for; a local submission is held,
 * never rejected (a non-SMTP reject bounces) */
static enum conf_mact
filter_action(
    const struct conf *c, const struct origin *o, struct account_verdict *v)
{
	enum conf_mact act = v->act;

	if (act == CONF_MACT_ACCEPT && o->unattributed &&
	    o->src != ORIGIN_SENDMAIL) {
		act = c->milter.on_unattributed;
		snprintf(v->why, sizeof(v->why), "unattributed: %s", o->why);
	}
	if (act == CONF_MACT_REJECT && o->src == ORIGIN_SENDMAIL)
		act = CONF_MACT_HOLD;
	return act;
}

/* filter_reply - what libmilter is told of act */
static sfsistat
filter_reply(SMFICTX *ctx, const struct origin *o,
    const struct account_verdict *v, enum conf_mact act)
{
	switch (act) {
	case CONF_MACT_HOLD:
		/* Postfix drops the reason: the log line has it */
		if (smfi_quarantine(ctx,
		        v->why[0] ? (char *)v->why : "floodgate") != MI_SUCCESS)
			log_warnx_every(&filter_rl_mta,
			    "qid=%s: quarantine failed", o->qid);
		return SMFIS_CONTINUE;
	case CONF_MACT_TEMPFAIL:
		smfi_setreply(ctx, "451", "4.7.1",
		    "Sending rate limit exceeded, try again later");
		return SMFIS_TEMPFAIL;
	case CONF_MACT_REJECT:
		smfi_setreply(ctx, "550", "5.7.1",
		    v->blocked ? "Sending suspended for abuse, contact your "
		                 "administrator"
		               : "Sending rate limit exceeded");
		return SMFIS_REJECT;
	default:
		return SMFIS_CONTINUE;
	}
}

static sfsistat
fi_eom(SMFICTX *ctx)
{
	struct filter_conn *fc = smfi_getpriv(ctx);
	struct account_verdict v;
	enum conf_mact act;
	struct mconf *m;
	struct origin o;
	uint64_t t0;
	bool stamped;
	int removed;

	if (fc == NULL || (m = mconf_get()) == NULL)
		return SMFIS_CONTINUE;
	o = fc->o; /* the connection's facts stay for its next message */
	t0 = mmetrics_now_us();
	origin_eom(&o, smfi_getsymval(ctx, "i"));
	if (o.src == ORIGIN_SENDMAIL) /* the queue file, by the helper */
		mmetrics_origin_us(mmetrics_now_us() - t0);
	if (o.src == ORIGIN_SENDMAIL && o.unattributed)
		log_warnx_every(&filter_rl_unattributed,
		    "qid=%s: sendmail submission not attributed: %s", o.qid,
		    o.why);
	removed = filter_strip(ctx, fc, m);
	if (!(stamped = filter_stamp(ctx, fc, m, &o) == 0))
		log_warnx_every(
		    &filter_rl_mta, "qid=%s: could not add the stamp", o.qid);
	t0 = mmetrics_now_us();
	account_message(filter_acct, m->c, &o, &v);
	mmetrics_redis_us(mmetrics_now_us() - t0);
	act = filter_action(m->c, &o, &v);
	filter_log(&o, &v, act, removed);
	mmetrics_message(&o, stamped, removed, act);
	mconf_put(m);
	return filter_reply(ctx, &o, &v, act);
}

static sfsistat
fi_abort(SMFICTX *ctx)
{
	struct filter_conn *fc = smfi_getpriv(ctx);

	if (fc != NULL)
		filter_reset(fc);
	return SMFIS_CONTINUE;
}

static sfsistat
fi_close(SMFICTX *ctx)
{
	struct filter_conn *fc = smfi_getpriv(ctx);

	if (fc != NULL) {
		filter_reset(fc);
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
