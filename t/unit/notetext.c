/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notetext - a notification's mail and environment: the facts in place,
 * nothing from Redis able to add a header or a line (control bytes made
 * '?'), bounded output, a summary naming the blocks it stands for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notetext.h"
#include "tap.h"

/* env_get - NAME's value in env, or NULL */
static const char *
env_get(char **env, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

int
main(void)
{
	static struct conf c;
	static struct note_facts f;
	static char mail[NOTE_MAIL_MAX];
	char *env[NOTE_ENV_MAX], small[64];
	size_t len;
	int i;

	strcpy(c.notify.mail, "postmaster@example.com");
	strcpy(c.notify.from, "floodgate");
	c.notify.max = 20;
	c.notify.window = 3600;
	strcpy(f.event, "block");
	f.type = SUBJECT_SASL;
	strcpy(f.value, "alice@example.com");
	strcpy(f.subject, "sasl:alice@example.com");
	strcpy(f.rule, "sasl-hour");
	strcpy(f.reason, "messages over limit 100\nBcc: victim@example.org");
	f.count = 101;
	f.limit = 100;
	f.at = 1796180700;
	strcpy(f.node, "mx1\r\nX-Evil: 1");
	strcpy(f.by, "policyd");
	f.nips = 2;
	f.kips = 2;
	strcpy(f.ips[0], "198.51.100.7");
	strcpy(f.ips[1], "203.0.113.8");
	f.nsenders = 1;
	f.ksenders = 1;
	strcpy(f.senders[0], "alice@example.com");
	len = notetext_mail(&c, &f, mail, sizeof(mail));
	is_int((long long)len, (long long)strlen(mail), "its length");
	ok(strstr(mail, "To: postmaster@example.com\n") ==
	        mail + strlen("From: floodgate <floodgate>\n"),
	    "From:, then To:");
	ok(strstr(mail,
	       "Subject: floodgate: sasl:alice@example.com blocked "
	       "(sasl-hour) on mx1??X-Evil: 1\n") != NULL,
	    "a node name with CR LF adds no header");
	ok(strstr(mail, "\nBcc:") == NULL && strstr(mail, "\nX-Evil") == NULL,
	    "no line starts with what Redis or the config smuggled");
	ok(strstr(mail,
	       "Reason:     messages over limit 100?Bcc: "
	       "victim@example.org\n") != NULL,
	    "the reason on its one line");
	ok(strstr(mail, "Count:      101 against a limit of 100\n") != NULL,
	    "count and limit");
	ok(strstr(mail, "Blocked at: 2026-12-02 03:05:00 UTC by policyd") !=
	        NULL,
	    "when, by what");
	ok(strstr(mail,
	       "Client IPs: 2 distinct in the window\n  "
	       "198.51.100.7\n  203.0.113.8\n") != NULL,
	    "the client ips");
	ok(strstr(mail, "  floodgate unblock sasl:alice@example.com --reset") !=
	        NULL,
	    "the command to unblock");
	ok(strstr(mail, "\n\nfloodgate blocked sasl:alice@example.com") != NULL,
	    "headers, one empty line, the body");

	is_int(notetext_env(&f, mail, env), 20, "20 variables");
	is_str(env_get(env, "FLOODGATE_SUBJECT"), "sasl:alice@example.com",
	    "FLOODGATE_SUBJECT");
	is_str(env_get(env, "FLOODGATE_IPS"), "198.51.100.7 203.0.113.8",
	    "FLOODGATE_IPS, space-separated");
	is_str(env_get(env, "FLOODGATE_REASON"),
	    "messages over limit 100?Bcc: victim@example.org",
	    "no newline in a variable");
	ok(strchr(env_get(env, "FLOODGATE_MAIL"), '\n') != NULL,
	    "but the mail's text keeps its lines");
	is_str(env_get(env, "PATH"), "/usr/sbin:/usr/bin:/sbin:/bin",
	    "a fixed PATH");
	notetext_env_free(env);

	/* bounded: a tiny buffer is filled, never overrun */
	memset(small, 'Z', sizeof(small));
	len = notetext_mail(&c, &f, small, 32);
	ok(len == 31 && small[31] == '\0' && small[32] == 'Z',
	    "cut at its size, NUL-terminated, nothing past it");

	/* a summary */
	memset(&f, 0, sizeof(f));
	strcpy(f.event, "summary");
	f.suppressed = 3;
	for (i = 0; i < 2; i++)
		snprintf(f.names[f.knames++], sizeof(f.names[0]),
		    "sasl:u%d@example.com rule sasl-hour", i);
	(void)notetext_mail(&c, &f, mail, sizeof(mail));
	ok(strstr(mail, "Subject: floodgate: 3 more blocks not notified\n") !=
	        NULL,
	    "a summary's subject");
	ok(strstr(mail,
	       "(the first 2):\n\n  sasl:u0@example.com rule "
	       "sasl-hour\n  sasl:u1@example.com") != NULL,
	    "names the ones it knows");
	return tap_done();
}
