/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * subject - subject normalisation and Redis key names.
 *
 * Entry points: subject_norm, subject_key, subject_type_name/code.
 * Never logs; refusals are a -1 return the caller logs with the raw value
 * escaped.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "cidr.h"
#include "str.h"
#include "subject.h"

const char *const subject_names[SUBJECT_NTYPES] = {
    [SUBJECT_SASL] = "sasl",
    [SUBJECT_IP] = "ip",
    [SUBJECT_UID] = "uid",
    [SUBJECT_SENDER] = "sender",
};

const char *
subject_type_name(enum subject_type t)
{
	return (unsigned)t < SUBJECT_NTYPES ? subject_names[t] : "?";
}

/* subject_type_code - name to enum; returns -1 when unknown */
int
subject_type_code(const char *name)
{
	int i;

	for (i = 0; i < SUBJECT_NTYPES; i++)
		if (strcmp(subject_names[i], name) == 0)
			return i;
	return -1;
}

/* subject_norm_text - lower-case (if asked) and percent-encode; returns 0 or -1 */
static int
subject_norm_text(const char *raw, int lower, char *out, size_t outsize)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)raw; *p != '\0'; p++) {
		unsigned char c = *p;

		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '{' || c == '}' || c == '%') {
			if (o + 4 > outsize)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
			continue;
		}
		if (o + 2 > outsize)
			return -1;
		out[o++] = lower ? (char)tolower(c) : (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* subject_mask - keep the first bits of an address */
static void
subject_mask(unsigned char *a, int len, int bits)
{
	int i;

	for (i = 0; i < len; i++) {
		int keep = bits - 8 * i;

		if (keep >= 8)
			continue;
		a[i] =
		    keep <= 0 ? 0 : a[i] & (unsigned char)(0xff << (8 - keep));
	}
}

/* subject_norm_ip - canonical address or network/prefix; returns 0 or -1 */
static int
subject_norm_ip(
    const char *raw, const struct subject_opts *o, char *out, size_t outsize)
{
	unsigned char a[16];
	char txt[INET6_ADDRSTRLEN];
	int fam = cidr_addr(raw, a), bits, max, n;

	if (fam == -1)
		return -1;
	max = fam == AF_INET ? 32 : 128;
	bits = fam == AF_INET ? o->ipv4_prefix : o->ipv6_prefix;
	subject_mask(a, max / 8, bits);
	if (inet_ntop(fam, a, txt, sizeof(txt)) == NULL)
		return -1;
	n = bits == max ? snprintf(out, outsize, "%s", txt)
	                : snprintf(out, outsize, "%s/%d", txt, bits);
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

/* subject_norm - canonical value of raw for type t; returns 0 or -1 */
int
subject_norm(enum subject_type t, const char *raw, const struct subject_opts *o,
    char *out, size_t outsize)
{
	if (raw == NULL || raw[0] == '\0' || strlen(raw) > SUBJECT_RAW_MAX)
		return -1;
	switch (t) {
	case SUBJECT_SASL:
	case SUBJECT_SENDER:
		return subject_norm_text(raw, 1, out, outsize);
	case SUBJECT_UID:
		return subject_norm_text(raw, 0, out, outsize);
	case SUBJECT_IP:
		return subject_norm_ip(raw, o, out, outsize);
	default:
		return -1;
	}
}

/* subject_standin - the value a refused raw value is counted under:
 * "%!" and the first 16 bytes of SHA-256(type, raw) in hex. No valid
 * value has "%!" (a % is always followed by two hex digits), so a
 * stand-in meets no other subject, and one raw value always meets its own
 * stand-in, on every node. Returns 0 or -1 (out too small). */
int
subject_standin(enum subject_type t, const char *raw, char *out, size_t outsize)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	const char *name = subject_type_name(t);
	EVP_MD_CTX *c;
	unsigned int n = 0;
	int i, ok;

	if (outsize < 2 + 32 + 1 || (c = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, name, strlen(name) + 1) == 1 &&
	    EVP_DigestUpdate(c, raw, strlen(raw)) == 1 &&
	    EVP_DigestFinal_ex(c, md, &n) == 1 && n >= 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	out[0] = '%';
	out[1] = '!';
	for (i = 0; i < 16; i++) {
		out[2 + 2 * i] = hex[md[i] >> 4];
		out[3 + 2 * i] = hex[md[i] & 15];
	}
	out[34] = '\0';
	return 0;
}

/* subject_init - load what subject_standin needs (OpenSSL's digest) now:
 * its first use costs long enough, under valgrind, to stall an event loop
 * past a Redis timeout; 0 or -1 */
int
subject_init(void)
{
	char out[40];

	return subject_standin(SUBJECT_SASL, "", out, sizeof(out));
}

/* subject_key - "<prefix>{<type>:<value>}<suffix>"; returns 0, -1 if cut */
int
subject_key(char *dst, size_t dstsize, const char *prefix, enum subject_type t,
    const char *value, const char *suffix)
{
	int n = snprintf(dst, dstsize, "%s{%s:%s}%s", prefix,
	    subject_type_name(t), value, suffix != NULL ? suffix : "");

	return n < 0 || (size_t)n >= dstsize ? -1 : 0;
}
