/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stamp - the X-Floodgate-Origin header: format (full or opaque), sign
 * (HMAC-SHA256 over the fields, the Message-ID and the envelope sender,
 * with a key id for rotation), verify, and load keys. Field values are
 * percent-encoded and cut, so no value can add a field. Never logs.
 */
#ifndef FG_STAMP_H
#define FG_STAMP_H

#include <stdbool.h>
#include <stddef.h>

#include "origin.h"

#define STAMP_HEADER     "X-Floodgate-Origin"
#define STAMP_MAX        2048 /* a formatted or accepted header value */
#define STAMP_VALUE_MAX  200  /* one encoded field value */
#define STAMP_KEYS_MAX   8
#define STAMP_KEY_ID_MAX 16 /* [A-Za-z0-9_-], 1..15 chars */

struct stamp_key {
	char id[STAMP_KEY_ID_MAX];
	unsigned char key[64];
	size_t len; /* 16..64 */
};

/* stamp_format - the folded header value describing o (its origin, its
 * queue id and, in the MAC, its sender), written on host at time t (unix
 * seconds); key NULL: unsigned; 0 or -1 */
int stamp_format(char *out, size_t size, const struct origin *o,
    const char *host, long long t, bool opaque, const struct stamp_key *key,
    const char *msgid) __attribute__((warn_unused_result));
/* stamp_verify - value carries a valid b= under one of keys */
bool stamp_verify(const char *value, const struct stamp_key *keys, int nkeys,
    const char *msgid, const char *sender);
/* stamp_key_load - "ID:/path" (file mode 0600 or stricter); 0 or -1 */
int stamp_key_load(const char *spec, struct stamp_key *, char *err,
    size_t errsize) __attribute__((warn_unused_result));
/* stamp_hmac - HMAC-SHA256; 0 or -1 */
int stamp_hmac(const unsigned char *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[32]);

#endif
