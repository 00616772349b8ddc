/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stamp - the X-Floodgate-Origin header: format (full or opaque), sign
 * (HMAC-SHA256 over the fields, the Message-ID and the envelope sender,
 * with a key id for rotation), verify, and load keys. Field values are
 * percent-encoded and cut, so no value can add a field. The milter signs
 * and verifies; floodgate(8) verifies what it finds in a queue file
 * (stamp_names_uid). Never logs.
 */
#ifndef FG_STAMP_H
#define FG_STAMP_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

#define STAMP_HEADER     "X-Floodgate-Origin"
#define STAMP_MAX        2048 /* a formatted or accepted header value */
#define STAMP_VALUE_MAX  200  /* one encoded field value */
#define STAMP_KEYS_MAX   8
#define STAMP_KEY_ID_MAX 16 /* [A-Za-z0-9_-], 1..15 chars */
/* the Message-ID as the milter signs it: the first line of the first
 * non-empty Message-ID header value, cut at 255 bytes */
#define STAMP_MSGID_MAX 256

struct stamp_key {
	char id[STAMP_KEY_ID_MAX];
	unsigned char key[64];
	size_t len; /* 16..64 */
};

/* what a stamp says of a message: the milter's origin (milter/origin.c
 * origin_facts); every string may be NULL or "" (not said) */
struct stamp_facts {
	const char *src; /* "smtp-local", "sendmail", "auth", "remote" */
	long long uid;   /* -1: unknown */
	const char *user;
	long long pid; /* 0: unknown */
	const char *exe, *cwd, *script;
	const char *claimed, *auth;
	const char *qid;
	const char *sender; /* the envelope sender, in the MAC only */
};

/* stamp_format - the folded header value describing f, written on host at
 * time t (unix seconds); key NULL: unsigned; 0 or -1 */
int stamp_format(char *out, size_t size, const struct stamp_facts *f,
    const char *host, long long t, bool opaque, const struct stamp_key *key,
    const char *msgid) __attribute__((warn_unused_result));
/* stamp_verify - value carries a valid b= under one of keys */
bool stamp_verify(const char *value, const struct stamp_key *keys, int nkeys,
    const char *msgid, const char *sender);
/* stamp_names_uid - value verifies under one of keys (for msgid and
 * sender), its q= is qid, and it names uid: uid= in a full stamp, or u=
 * is uid's keyed hash under the stamp's own key in an opaque one */
bool stamp_names_uid(const char *value, const struct stamp_key *keys, int nkeys,
    const char *msgid, const char *sender, const char *qid, long long uid);
/* stamp_key_load - "ID:/path" (file mode 0600 or stricter); 0 or -1 */
int stamp_key_load(const char *spec, struct stamp_key *, char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* stamp_keys_load - every key of c's milter.keys into keys[], how many
 * into *n; 0, or -1 + err (naming milter.keys) with none kept */
int stamp_keys_load(const struct conf *c, struct stamp_key *keys, int *n,
    char *err, size_t errsize) __attribute__((warn_unused_result));
/* stamp_hmac - HMAC-SHA256; 0 or -1 */
int stamp_hmac(const unsigned char *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[32]);

#endif
