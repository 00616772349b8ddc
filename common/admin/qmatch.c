/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qmatch - a SUBJECT against what common/qfile.c read of a message.
 *
 * Entry points: qmatch_init, qmatch_test, qmatch_clear. sender:<> is
 * taken before target_parse (which, like the daemons, has no empty
 * subject). A message's value is normalised as the daemons normalise
 * theirs and compared with the subject's; a value the daemons would
 * refuse (control characters, too long, cut by qfile) never matches.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "qmatch.h"
#include "str.h"

/* qmatch_norm - raw (NULL, "": none) normalised as q's type equals q's
 * value */
static bool
qmatch_norm(const struct qmatch *q, const char *raw)
{
	char v[SUBJECT_VALUE_MAX];

	return raw != NULL && raw[0] != '\0' &&
	    subject_norm(q->t.type, raw, &q->opts, v, sizeof(v)) == 0 &&
	    strcmp(v, q->t.value) == 0;
}

/* qmatch_uid_number - the uid a uid subject names: its user's, or the
 * number given for a uid without a name; 0 or -1 + why */
static int
qmatch_uid_number(struct qmatch *q, char *why, size_t size)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (str_tonum(q->t.raw, 0, 4294967294LL, &q->uid) == 0)
		return 0;
	if (getpwnam_r(q->t.raw, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL) {
		snprintf(why, size, "%s: no such user", q->t.name);
		return -1;
	}
	q->uid = (long long)pw.pw_uid;
	return 0;
}

int
qmatch_init(struct qmatch *q, const struct conf *c, const char *arg, char *why,
    size_t size)
{
	char err[512];

	memset(q, 0, sizeof(*q));
	q->uid = q->seen_uid = -1;
	q->opts = c->subject;
	if (strcmp(arg, "sender:<>") == 0) {
		q->null_sender = true;
		q->t.type = SUBJECT_SENDER;
		snprintf(q->t.name, sizeof(q->t.name), "sender:<>");
		return 0;
	}
	if (target_parse(c, arg, &q->t, why, size) == -1)
		return -1;
	if (q->t.type != SUBJECT_UID)
		return 0;
	if (qmatch_uid_number(q, why, size) == -1)
		return -1;
	if (stamp_keys_load(c, q->keys, &q->nkeys, err, sizeof(err)) == -1) {
		snprintf(why, size, "%s", err);
		return -1;
	}
	return 0;
}

/* qmatch_user - uid as the milter names it (its user, or the number)
 * is q's value */
static bool
qmatch_user(struct qmatch *q, long long uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024], name[32];

	if (uid == q->seen_uid)
		return q->seen_match;
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		snprintf(name, sizeof(name), "%lld", uid);
	q->seen_uid = uid;
	q->seen_match = qmatch_norm(q, res != NULL ? pw.pw_name : name);
	return q->seen_match;
}

/* qmatch_stamp - m's stamp names q's uid, a uid the milter names as q
 * names it (the milter saw the Message-ID m has: cleanup adds a missing
 * one before milters see the message) */
static bool
qmatch_stamp(struct qmatch *q, const char *qid, const struct qfile_msg *m)
{
	if (m->stamp[0] == '\0' || q->nkeys == 0 || q->uid < 0 || m->sender_cut)
		return false;
	return stamp_names_uid(m->stamp, q->keys, q->nkeys, m->msgid, m->sender,
	           qid, q->uid) &&
	    qmatch_user(q, q->uid);
}

bool
qmatch_test(struct qmatch *q, const char *qid, const struct qfile_msg *m)
{
	switch (q->t.type) {
	case SUBJECT_SASL:
		return qmatch_norm(q, m->sasl_username);
	case SUBJECT_IP:
		return qmatch_norm(q, m->client_address);
	case SUBJECT_SENDER:
		if (m->sender_cut)
			return false;
		return q->null_sender ? m->sender[0] == '\0'
		                      : qmatch_norm(q, m->sender);
	case SUBJECT_UID:
		if (m->origin.uid >= 0)
			return qmatch_user(q, m->origin.uid);
		return qmatch_stamp(q, qid, m);
	default:
		return false;
	}
}

void
qmatch_clear(struct qmatch *q)
{
	explicit_bzero(q->keys, sizeof(q->keys));
	q->nkeys = 0;
}
