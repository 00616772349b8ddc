/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * subjects - subject normalisation and key escaping, CIDR matching and the
 * strict number helper, as tables.
 */
#include <string.h>

#include "buf.h"
#include "cidr.h"
#include "str.h"
#include "subject.h"
#include "tap.h"

static const struct {
	enum subject_type t;
	const char *raw;
	const char *want; /* NULL: refused */
} norm[] = {
    {SUBJECT_SASL, "Alice@Example.COM", "alice@example.com"},
    {SUBJECT_SASL, "a}b{c", "a%7Db%7Bc"},
    {SUBJECT_SASL, "100%", "100%25"},
    {SUBJECT_SASL,
        "a\x01"
        "b",
        NULL},
    {SUBJECT_SASL, "a\nb", NULL},
    {SUBJECT_SASL, "a\x7f", NULL},
    {SUBJECT_SASL, "", NULL},
    {SUBJECT_UID, "Web42", "Web42"},
    {SUBJECT_IP, "203.0.113.7", "203.0.113.7"},
    {SUBJECT_IP, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
    {SUBJECT_IP, "::ffff:1.2.3.4", "1.2.3.4"},
    {SUBJECT_IP, "1.2.3.4.5", NULL},
    {SUBJECT_IP, "unknown", NULL},
    {SUBJECT_IP, "1.2.3.4/8", NULL},
};

int
main(void)
{
	struct subject_opts o = {32, 64}, o24 = {24, 128};
	char out[SUBJECT_VALUE_MAX], raw[SUBJECT_RAW_MAX + 2];
	struct cidr nets[3];
	struct buf b;
	long long v;
	size_t i;

	for (i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		int rc =
		    subject_norm(norm[i].t, norm[i].raw, &o, out, sizeof(out));

		if (norm[i].want == NULL)
			ok(rc == -1, "refused: case %zu (%s)", i,
			    subject_type_name(norm[i].t));
		else
			ok(rc == 0 && strcmp(out, norm[i].want) == 0,
			    "%s -> %s", norm[i].raw, norm[i].want);
	}
	ok(subject_norm(SUBJECT_IP, "203.0.113.77", &o24, out, sizeof(out)) ==
	            0 &&
	        strcmp(out, "203.0.113.0/24") == 0,
	    "ipv4_prefix 24");
	ok(subject_norm(SUBJECT_IP, "2001:db8::1", &o24, out, sizeof(out)) ==
	            0 &&
	        strcmp(out, "2001:db8::1") == 0,
	    "ipv6_prefix 128: plain");
	memset(raw, 'a', sizeof(raw));
	raw[SUBJECT_RAW_MAX] = '\0';
	ok(subject_norm(SUBJECT_SASL, raw, &o, out, sizeof(out)) == 0,
	    "SUBJECT_RAW_MAX bytes accepted");
	raw[SUBJECT_RAW_MAX] = 'a';
	raw[SUBJECT_RAW_MAX + 1] = '\0';
	ok(subject_norm(SUBJECT_SASL, raw, &o, out, sizeof(out)) == -1,
	    "one more refused");

	/* a forged value keeps exactly one hash tag */
	if (buf_init(&b, 1024) == -1)
		return 1;
	ok(subject_norm(SUBJECT_SASL, "x}:block{", &o, out, sizeof(out)) == 0 &&
	        subject_key(&b, "fg:", SUBJECT_SASL, out, ":block") == 0 &&
	        strcmp(b.data, "fg:{sasl:x%7D:block%7B}:block") == 0 &&
	        strchr(b.data, '{') == strrchr(b.data, '{'),
	    "key keeps one tag");
	buf_free(&b);
	is_int(subject_type_code(subject_type_name(SUBJECT_IP)), SUBJECT_IP,
	    "type name round trip");
	is_int(subject_type_code("bogus"), -1, "unknown type");

	/* CIDR */
	ok(cidr_parse("10.0.0.0/8", &nets[0]) == 0, "parse v4 net");
	ok(cidr_parse("2001:db8::/32", &nets[1]) == 0, "parse v6 net");
	ok(cidr_parse("192.0.2.1", &nets[2]) == 0, "parse bare address");
	ok(cidr_parse("1.2.3.4/33", &nets[0]) == -1 &&
	        cidr_parse("1.2.3.4/", &nets[0]) == -1 &&
	        cidr_parse("1.2.3.4/-1", &nets[0]) == -1 &&
	        cidr_parse("x", &nets[0]) == -1,
	    "bad networks refused");
	ok(cidr_parse("10.0.0.0/8", &nets[0]) == 0, "parse v4 net again");
	ok(cidr_match(nets, 3, "10.9.8.7"), "v4 match");
	ok(cidr_match(nets, 3, "::ffff:10.1.1.1"), "mapped v6 matches v4 net");
	ok(cidr_match(nets, 3, "2001:db8:ff::1"), "v6 match");
	ok(cidr_match(nets, 3, "192.0.2.1"), "bare address match");
	ok(!cidr_match(nets, 3, "11.0.0.1") &&
	        !cidr_match(nets, 3, "2001:db9::1") &&
	        !cidr_match(nets, 3, "192.0.2.2") &&
	        !cidr_match(nets, 3, "junk"),
	    "misses");

	/* strict numbers */
	ok(str_tonum("42", 0, 100, &v) == 0 && v == 42, "42");
	ok(str_tonum("", 0, 100, &v) == -1 &&
	        str_tonum(" 1", 0, 100, &v) == -1 &&
	        str_tonum("1 ", 0, 100, &v) == -1 &&
	        str_tonum("1x", 0, 100, &v) == -1 &&
	        str_tonum("+1", 0, 100, &v) == -1 &&
	        str_tonum("101", 0, 100, &v) == -1 &&
	        str_tonum("99999999999999999999", 0, 100, &v) == -1,
	    "junk, blanks, sign, range and overflow refused");
	str_escape(out, sizeof(out), "a\"b\\c\n", 6);
	is_str(out, "a\\x22b\\x5cc\\x0a", "escape quotes, backslash, control");
	str_escape(out, 10, "abcdefghijklmnop", 16);
	is_str(out, "abcdef...", "escape cuts with ... within the buffer");
	return tap_done();
}
