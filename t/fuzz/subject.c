/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * subject - libFuzzer target: subject normalisation and key names
 * (common/subject.c). The input: a byte for the type, one each for the
 * IPv4 and IPv6 prefixes, one for the output size, then the raw value. A
 * normal form never holds a control byte or a brace (it could open another
 * subject's hash tag), sasl and sender are lower case, an ip is the
 * network of its prefix that holds the raw address (common/cidr.c), and
 * a key has the one hash tag.
 */
#include <arpa/inet.h>

#include <ctype.h>

#include "cidr.h"
#include "fuzz.h"
#include "subject.h"

/* subject_ip_ok - out is the network of raw at the configured prefix */
static void
subject_ip_ok(const char *raw, const char *out, const struct subject_opts *o)
{
	unsigned char a[16];
	struct cidr c;
	int fam = cidr_addr(raw, a);

	FUZZ_CHECK(fam != -1 && cidr_parse(out, &c) == 0);
	FUZZ_CHECK(c.family == fam);
	FUZZ_CHECK(
	    c.bits == (fam == AF_INET ? o->ipv4_prefix : o->ipv6_prefix));
	FUZZ_CHECK(cidr_match(&c, 1, raw));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char raw[SUBJECT_RAW_MAX + 64];
	char out[SUBJECT_VALUE_MAX], key[SUBJECT_VALUE_MAX + 64];
	struct subject_opts o;
	enum subject_type t;
	size_t off = 4, outsize, i, hex;

	if (size < off)
		return 0;
	t = (enum subject_type)(data[0] % (SUBJECT_NTYPES + 1));
	o.ipv4_prefix = 1 + data[1] % 32;
	o.ipv6_prefix = 1 + data[2] % 128;
	outsize = 1 + data[3] % sizeof(out);
	fuzz_take(data, size, &off, raw, sizeof(raw));
	if (subject_norm(t, raw, &o, out, outsize) == -1)
		return 0;
	FUZZ_CHECK(t < SUBJECT_NTYPES && raw[0] != '\0');
	FUZZ_CHECK(strlen(out) < outsize && out[0] != '\0');
	for (i = 0, hex = 0; out[i] != '\0'; i++, hex -= hex > 0) {
		unsigned char c = (unsigned char)out[i];

		FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '{' && c != '}');
		/* the two hex digits of a %XX escape are upper case */
		FUZZ_CHECK(t == SUBJECT_UID || t == SUBJECT_IP || hex > 0 ||
		    !isupper(c));
		if (c == '%' && t != SUBJECT_IP)
			hex = 3;
	}
	if (t == SUBJECT_IP)
		subject_ip_ok(raw, out, &o);
	if (subject_key(key, sizeof(key), "fg:", t, out, ":b") == 0) {
		FUZZ_CHECK(strchr(key, '{') == strrchr(key, '{'));
		FUZZ_CHECK(strchr(key, '}') == strrchr(key, '}'));
	}
	return 0;
}
