/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notetext - what a block notification says: the facts (struct
 * note_facts, filled by notify.c and notefacts.c) as a mail for
 * sendmail -t and as FLOODGATE_* environment variables for notify.exec.
 * Every value is cut to its field and made printable (no byte below
 * 0x20: nothing from Redis can add a header or a line). Never logs.
 */
#ifndef FG_NOTETEXT_H
#define FG_NOTETEXT_H

#include <stddef.h>

#include "conf.h"
#include "subject.h"

#define NOTE_LIST_MAX    20 /* ips, senders listed */
#define NOTE_SCRIPTS_MAX 10
#define NOTE_MAIL_MAX    (32 * 1024)
#define NOTE_ENV_MAX     24
#define NOTE_SUMMARY_MAX 50 /* subjects a summary names */

struct note_facts {
	char event[16]; /* "block" or "summary" */
	enum subject_type type;
	char value[SUBJECT_VALUE_MAX];
	char subject[SUBJECT_VALUE_MAX + 16]; /* "type:value" */
	char rule[CONF_NAME_MAX];
	char reason[128];
	long long count, limit, at; /* at: unix seconds */
	char node[CONF_NAME_MAX];
	char by[16];
	long long first_seen, last_seen; /* unix seconds, 0 unknown */
	long long nips, nsenders;        /* distinct, in the window */
	char ips[NOTE_LIST_MAX][64];
	int kips;
	char senders[NOTE_LIST_MAX][256];
	int ksenders;
	char user[64];
	long long uid; /* -1 unknown */
	struct {
		char name[256];
		char where[256]; /* its directory, from the trace */
		long long n;
	} scripts[NOTE_SCRIPTS_MAX];
	int kscripts;
	/* a summary: how many blocks were not notified, and which */
	long long suppressed;
	char names[NOTE_SUMMARY_MAX][SUBJECT_VALUE_MAX + 16];
	int knames;
};

/* notetext_mail - the whole message (headers and body) for c's notify
 * section into buf; its length */
size_t notetext_mail(
    const struct conf *c, const struct note_facts *f, char *buf, size_t size);
/* notetext_env - the FLOODGATE_* variables (and PATH) of f and its mail
 * into env (NULL-terminated, at most NOTE_ENV_MAX strings, each
 * allocated); how many, or -1 (out of memory, nothing left allocated) */
int notetext_env(const struct note_facts *f, const char *mail, char **env)
    __attribute__((warn_unused_result));
void notetext_env_free(char **env);

#endif
