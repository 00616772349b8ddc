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

#include "str.h"
#include "subject.h"

static const char *const subject_names[SUBJECT_NTYPES] = {
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

/* norm_text - lower-case (if asked) and percent-encode; returns 0 or -1 */
static int
norm_text(const char *raw, int lower, char *out, size_t outsize)
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

/* mask - keep the first bits of an address */
static void
mask(unsigned char *a, int len, int bits)
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

/* norm_ip - canonical address or network/prefix; returns 0 or -1 */
static int
norm_ip(
    const char *raw, const struct subject_opts *o, char *out, size_t outsize)
{
	unsigned char a[16];
	char txt[INET6_ADDRSTRLEN];
	int len;

	if (inet_pton(AF_INET, raw, a) == 1) {
		len = o->ipv4_prefix;
	} else if (inet_pton(AF_INET6, raw, a) == 1) {
		static const unsigned char v4mapped[12] = {
		    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(a, v4mapped, 12) == 0) {
			memmove(a, a + 12, 4);
			len = o->ipv4_prefix;
		} else {
			mask(a, 16, o->ipv6_prefix);
			if (inet_ntop(AF_INET6, a, txt, sizeof(txt)) == NULL)
				return -1;
			if (o->ipv6_prefix == 128)
				return str_lcpy(out, txt, outsize) < outsize
				    ? 0
				    : -1;
			return (size_t)snprintf(out, outsize, "%s/%d", txt,
			           o->ipv6_prefix) < outsize
			    ? 0
			    : -1;
		}
	} else {
		return -1;
	}
	mask(a, 4, len);
	if (inet_ntop(AF_INET, a, txt, sizeof(txt)) == NULL)
		return -1;
	if (len == 32)
		return str_lcpy(out, txt, outsize) < outsize ? 0 : -1;
	return (size_t)snprintf(out, outsize, "%s/%d", txt, len) < outsize ? 0
	                                                                   : -1;
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
		return norm_text(raw, 1, out, outsize);
	case SUBJECT_UID:
		return norm_text(raw, 0, out, outsize);
	case SUBJECT_IP:
		return norm_ip(raw, o, out, outsize);
	default:
		return -1;
	}
}

/* subject_key - "<prefix>{<type>:<value>}<suffix>" into b; returns 0/-1 */
int
subject_key(struct buf *b, const char *prefix, enum subject_type t,
    const char *value, const char *suffix)
{
	buf_reset(b);
	return buf_printf(b, "%s{%s:%s}%s", prefix, subject_type_name(t), value,
	    suffix != NULL ? suffix : "");
}
