/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notetext - the notification's mail and environment.
 *
 * The mail is plain text, Auto-Submitted: auto-generated; its body lists
 * the facts in the order an admin acts on them, and ends with the exact
 * floodgate(8) commands for this subject.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notetext.h"

struct notetext_buf {
	char *p;
	size_t size, len;
};

/* notetext_add - printf to b, cut at its end */
__attribute__((format(printf, 2, 3))) static void
notetext_add(struct notetext_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < b->size - b->len ? (size_t)n
		                                       : b->size - b->len - 1;
}

/* notetext_clean - s made printable into buf (control bytes '?'), cut */
static const char *
notetext_clean(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] =
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* notetext_time - unix seconds as UTC text, or "unknown" */
static const char *
notetext_time(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, size, "unknown");
	else
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* notetext_summary - the body of a summary */
static void
notetext_summary(
    struct notetext_buf *b, const struct conf *c, const struct note_facts *f)
{
	char v[SUBJECT_VALUE_MAX + 16];
	int i;

	notetext_add(b,
	    "%lld more subjects were blocked in the last %lld s; at most "
	    "%lld notifications a window are sent (notify.max), so they are "
	    "only listed here",
	    f->suppressed, c->notify.window, c->notify.max);
	notetext_add(b,
	    f->knames < f->suppressed ? " (the first %d):\n\n" : ":\n\n",
	    f->knames);
	for (i = 0; i < f->knames; i++)
		notetext_add(
		    b, "  %s\n", notetext_clean(f->names[i], v, sizeof(v)));
	notetext_add(b, "\nAll of them, with why:\n  floodgate blocked\n");
}

/* notetext_block - the body of a block's notification */
static void
notetext_block(struct notetext_buf *b, const struct note_facts *f)
{
	char s[SUBJECT_VALUE_MAX + 16], t1[40], v[300], w[300];
	int i;

	notetext_clean(f->subject, s, sizeof(s));
	notetext_add(b, "floodgate blocked %s on every node.\n\n", s);
	notetext_add(b, "Subject:    %s\n", s);
	notetext_add(
	    b, "Rule:       %s\n", notetext_clean(f->rule, v, sizeof(v)));
	notetext_add(
	    b, "Reason:     %s\n", notetext_clean(f->reason, v, sizeof(v)));
	notetext_add(b, "Count:      %lld against a limit of %lld\n", f->count,
	    f->limit);
	notetext_add(b, "Blocked at: %s by %s on %s\n",
	    notetext_time(f->at, t1, sizeof(t1)),
	    notetext_clean(f->by, w, sizeof(w)),
	    notetext_clean(f->node, v, sizeof(v)));
	notetext_add(b, "First seen: %s\n",
	    notetext_time(f->first_seen, t1, sizeof(t1)));
	notetext_add(
	    b, "Last seen:  %s\n", notetext_time(f->last_seen, t1, sizeof(t1)));
	if (f->type == SUBJECT_SASL) {
		notetext_add(b, "\nClient IPs: %lld distinct in the window%s\n",
		    f->nips, f->kips < f->nips ? ", the newest:" : "");
		for (i = 0; i < f->kips; i++)
			notetext_add(b, "  %s\n",
			    notetext_clean(f->ips[i], v, sizeof(v)));
		notetext_add(b, "Senders:    %lld distinct in the window%s\n",
		    f->nsenders,
		    f->ksenders < f->nsenders ? ", the newest:" : "");
		for (i = 0; i < f->ksenders; i++)
			notetext_add(b, "  %s\n",
			    notetext_clean(f->senders[i], v, sizeof(v)));
	}
	if (f->type == SUBJECT_UID) {
		if (f->uid >= 0)
			notetext_add(b, "\nUser:       %s (uid %lld)\n",
			    notetext_clean(f->user, v, sizeof(v)), f->uid);
		else
			notetext_add(b, "\nUser:       %s\n",
			    notetext_clean(f->user, v, sizeof(v)));
		notetext_add(b, "Top scripts (messages, script, directory):\n");
		for (i = 0; i < f->kscripts; i++)
			notetext_add(b, "  %6lld  %s  %s\n", f->scripts[i].n,
			    notetext_clean(f->scripts[i].name, v, sizeof(v)),
			    f->scripts[i].where[0] != '\0'
			        ? notetext_clean(
			              f->scripts[i].where, w, sizeof(w))
			        : "-");
	}
	notetext_add(b,
	    "\nWhat now:\n"
	    "  floodgate why %s                   # all floodgate knows\n"
	    "  floodgate queue %s                 # its mail still queued "
	    "here\n"
	    "  floodgate queue %s --hold          # keep it from leaving\n"
	    "  floodgate queue %s --delete --yes  # or delete it\n"
	    "  floodgate unblock %s --reset       # once it is safe again\n",
	    s, s, s, s, s);
}

size_t
notetext_mail(
    const struct conf *c, const struct note_facts *f, char *buf, size_t size)
{
	struct notetext_buf b = {buf, size, 0};
	char s[SUBJECT_VALUE_MAX + 16], r[CONF_NAME_MAX], n[CONF_NAME_MAX];

	if (size == 0)
		return 0;
	buf[0] = '\0';
	notetext_add(&b, "From: floodgate <%s>\n", c->notify.from);
	notetext_add(&b, "To: %s\n", c->notify.mail);
	if (strcmp(f->event, "summary") == 0)
		notetext_add(&b,
		    "Subject: floodgate: %lld more blocks not notified\n",
		    f->suppressed);
	else
		notetext_add(&b, "Subject: floodgate: %s blocked (%s) on %s\n",
		    notetext_clean(f->subject, s, sizeof(s)),
		    notetext_clean(f->rule, r, sizeof(r)),
		    notetext_clean(f->node, n, sizeof(n)));
	notetext_add(&b,
	    "Auto-Submitted: auto-generated\n"
	    "Precedence: bulk\n"
	    "X-Floodgate-Notify: %s\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n\n",
	    f->event);
	if (strcmp(f->event, "summary") == 0)
		notetext_summary(&b, c, f);
	else
		notetext_block(&b, f);
	return b.len;
}

/* notetext_var - "NAME=value" (value made printable, cut; the mail's
 * newlines kept), allocated */
static char *
notetext_var(const char *name, const char *value)
{
	size_t len = strlen(name) + 2 + strnlen(value, NOTE_MAIL_MAX);
	size_t at = strlen(name) + 1, i;
	char *s;

	if ((s = malloc(len)) == NULL)
		return NULL;
	snprintf(s, len, "%s=", name);
	notetext_clean(value, s + at, len - at);
	if (strcmp(name, "FLOODGATE_MAIL") == 0)
		for (i = 0; value[i] != '\0' && at + i + 1 < len; i++)
			if (value[i] == '\n')
				s[at + i] = '\n';
	return s;
}

/* notetext_join - n strings from first, stride bytes apart, joined by
 * spaces into buf */
static const char *
notetext_join(const char *first, int n, size_t stride, char *buf, size_t size)
{
	const char *p = first;
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && len + 2 < size; i++, p += stride)
		len += (size_t)snprintf(
		    buf + len, size - len, "%s%s", i > 0 ? " " : "", p);
	return buf;
}

int
notetext_env(const struct note_facts *f, const char *mail, char **env)
{
	char num[8][24], ips[NOTE_LIST_MAX * 64], snd[NOTE_LIST_MAX * 256],
	    scr[NOTE_SCRIPTS_MAX * 256];
	size_t len = 0;
	int n = 0, i;

	snprintf(num[0], sizeof(num[0]), "%lld", f->count);
	snprintf(num[1], sizeof(num[1]), "%lld", f->limit);
	snprintf(num[2], sizeof(num[2]), "%lld", f->at);
	snprintf(num[3], sizeof(num[3]), "%lld", f->first_seen);
	snprintf(num[4], sizeof(num[4]), "%lld", f->last_seen);
	snprintf(num[5], sizeof(num[5]), "%lld", f->suppressed);
	notetext_join(f->ips[0], f->kips, sizeof(f->ips[0]), ips, sizeof(ips));
	notetext_join(f->senders[0], f->ksenders, sizeof(f->senders[0]), snd,
	    sizeof(snd));
	scr[0] = '\0';
	for (i = 0; i < f->kscripts && len + 2 < sizeof(scr); i++)
		len += (size_t)snprintf(scr + len, sizeof(scr) - len, "%s%s",
		    i > 0 ? " " : "", f->scripts[i].name);
	const char *const var[][2] = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
	    {"FLOODGATE_EVENT", f->event}, {"FLOODGATE_SUBJECT", f->subject},
	    {"FLOODGATE_TYPE", subject_type_name(f->type)},
	    {"FLOODGATE_VALUE", f->value}, {"FLOODGATE_RULE", f->rule},
	    {"FLOODGATE_REASON", f->reason}, {"FLOODGATE_COUNT", num[0]},
	    {"FLOODGATE_LIMIT", num[1]}, {"FLOODGATE_AT", num[2]},
	    {"FLOODGATE_NODE", f->node}, {"FLOODGATE_BY", f->by},
	    {"FLOODGATE_FIRST_SEEN", num[3]}, {"FLOODGATE_LAST_SEEN", num[4]},
	    {"FLOODGATE_IPS", ips}, {"FLOODGATE_SENDERS", snd},
	    {"FLOODGATE_USER", f->user}, {"FLOODGATE_SCRIPTS", scr},
	    {"FLOODGATE_SUPPRESSED", num[5]}, {"FLOODGATE_MAIL", mail}};

	for (i = 0;
	     i < (int)(sizeof(var) / sizeof(var[0])) && n < NOTE_ENV_MAX - 1;
	     i++)
		if ((env[n++] = notetext_var(var[i][0], var[i][1])) == NULL) {
			env[n - 1] = NULL;
			notetext_env_free(env);
			return -1;
		}
	env[n] = NULL;
	return n;
}

void
notetext_env_free(char **env)
{
	int i;

	for (i = 0; env[i] != NULL; i++) {
		free(env[i]);
		env[i] = NULL;
	}
}
