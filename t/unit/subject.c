/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * subject - subject_norm() and subject_key() on hostile values, cidr_parse()
 * and cidr_match(), and the str helpers (str_tonum, str_escape,
 * str_lltoa).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limiter.h"
#include "cidr.h"
#include "str.h"
#include "subject.h"
#include "tap.h"

static const struct subject_opts defopts = {32, 64};

/* norm - subject_norm with opts into a static buffer; NULL when refused */
static const char *
norm(enum subject_type t, const char *raw, int v4, int v6)
{
	static char out[SUBJECT_VALUE_MAX];
	struct subject_opts o = {v4, v6};

	if (subject_norm(t, raw, &o, out, sizeof(out)) == -1)
		return NULL;
	return out;
}

/* count - occurrences of ch in s */
static int
count(const char *s, char ch)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == ch;
	return n;
}

static void
text(void)
{
	static const struct {
		enum subject_type t;
		const char *raw, *want; /* want NULL: refused */
	} cases[] = {
	    {SUBJECT_SASL, "Alice@Example.COM", "alice@example.com"},
	    {SUBJECT_SENDER, "Bob@EXAMPLE.org", "bob@example.org"},
	    {SUBJECT_UID, "Alice", "Alice"},
	    {SUBJECT_SASL, "a}b{", "a%7Db%7B"},
	    {SUBJECT_SASL, "100%", "100%25"},
	    {SUBJECT_SASL, "%7B", "%257b"},
	    {SUBJECT_UID, "{x}", "%7Bx%7D"},
	    {SUBJECT_SASL, "caf\xc3\xa9", "caf\xc3\xa9"},
	    {SUBJECT_SASL, "a b", "a b"},
	    {SUBJECT_SASL, "a\x01", NULL},
	    {SUBJECT_SASL, "a\x7f", NULL},
	    {SUBJECT_SASL, "a\nb", NULL},
	    {SUBJECT_SENDER, "a\rb", NULL},
	    {SUBJECT_UID, "\t", NULL},
	    {SUBJECT_SASL, "", NULL},
	    {SUBJECT_UID, "", NULL},
	};
	char key[LIMITER_KEY_MAX];
	char raw[SUBJECT_RAW_MAX + 2], out[SUBJECT_VALUE_MAX];
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = norm(cases[i].t, cases[i].raw, 32, 64);
		if (cases[i].want == NULL)
			ok(v == NULL, "%s: control/empty value %zu is refused",
			    subject_type_name(cases[i].t), i);
		else
			is_str(v, cases[i].want, cases[i].raw);
	}
	ok(subject_norm(SUBJECT_SASL, NULL, &defopts, out, sizeof(out)) == -1,
	    "NULL is refused");

	/* a value cannot forge a hash tag */
	v = norm(SUBJECT_SASL, "a}b{", 32, 64);
	ok(v != NULL &&
	        subject_key(key, sizeof(key), "fg:", SUBJECT_SASL, v, ":m") ==
	            0,
	    "key of a}b{ is built");
	is_str(key, "fg:{sasl:a%7Db%7B}:m", "  key text");
	ok(count(key, '{') == 1 && count(key, '}') == 1,
	    "  exactly one '{' and one '}'");
	ok(subject_key(key, sizeof(key), "fg:", SUBJECT_IP, "203.0.113.0/24",
	       NULL) == 0,
	    "ip key without suffix");
	is_str(key, "fg:{ip:203.0.113.0/24}", "  key text");
	ok(subject_key(key, 8, "fg:", SUBJECT_SASL, "alice", "") == -1,
	    "key longer than the buffer fails");

	/* length bounds */
	memset(raw, 'X', sizeof(raw));
	raw[SUBJECT_RAW_MAX] = '\0';
	v = norm(SUBJECT_SASL, raw, 32, 64);
	ok(v != NULL && strlen(v) == SUBJECT_RAW_MAX && v[0] == 'x',
	    "SUBJECT_RAW_MAX bytes accepted and lower-cased");
	raw[SUBJECT_RAW_MAX] = 'X';
	raw[SUBJECT_RAW_MAX + 1] = '\0';
	ok(norm(SUBJECT_SASL, raw, 32, 64) == NULL,
	    "SUBJECT_RAW_MAX+1 bytes refused");
	ok(norm(SUBJECT_UID, raw, 32, 64) == NULL,
	    "SUBJECT_RAW_MAX+1 bytes refused for uid");
	memset(raw, '}', SUBJECT_RAW_MAX);
	raw[SUBJECT_RAW_MAX] = '\0';
	v = norm(SUBJECT_SASL, raw, 32, 64);
	ok(v != NULL && strlen(v) == 3 * SUBJECT_RAW_MAX,
	    "SUBJECT_RAW_MAX braces fit SUBJECT_VALUE_MAX encoded");
	ok(subject_norm(SUBJECT_SASL, "abc", &defopts, out, 4) == 0 &&
	        strcmp(out, "abc") == 0,
	    "value that just fits the output");
	ok(subject_norm(SUBJECT_SASL, "abcd", &defopts, out, 4) == -1,
	    "value one byte too long for the output is refused");
	ok(subject_norm(SUBJECT_SASL, "a{", &defopts, out, 4) == -1,
	    "escape that does not fit the output is refused");
}

static void
ip(void)
{
	static const struct {
		const char *raw;
		int v4, v6;
		const char *want;
	} cases[] = {
	    {"203.0.113.7", 32, 64, "203.0.113.7"},
	    {"203.0.113.7", 24, 64, "203.0.113.0/24"},
	    {"203.0.113.7", 1, 64, "128.0.0.0/1"},
	    {"203.0.113.7", 20, 64, "203.0.112.0/20"},
	    {"2001:db8:1:2:3:4:5:6", 32, 64, "2001:db8:1:2::/64"},
	    {"2001:DB8:1:2::FFFF", 32, 64, "2001:db8:1:2::/64"},
	    {"2001:db8:1:2:3:4:5:6", 32, 128, "2001:db8:1:2:3:4:5:6"},
	    {"2001:0db8:0:0::1", 32, 128, "2001:db8::1"},
	    {"2001:db8:1:2:3:4:5:6", 32, 48, "2001:db8:1::/48"},
	    {"2001:db8:1:2:3:4:5:6", 32, 60, "2001:db8:1::/60"},
	    {"::ffff:1.2.3.4", 32, 64, "1.2.3.4"},
	    {"::ffff:1.2.3.4", 24, 64, "1.2.3.0/24"},
	    {"::1", 32, 64, "::/64"},
	    {"x", 32, 64, NULL},
	    {"1.2.3.4.5", 32, 64, NULL},
	    {"1.2.3", 32, 64, NULL},
	    {"1.2.3.256", 32, 64, NULL},
	    {"1.2.3.4/24", 32, 64, NULL},
	    {" 1.2.3.4", 32, 64, NULL},
	    {"1.2.3.4 ", 32, 64, NULL},
	    {"2001:db8::1::2", 32, 64, NULL},
	    {"[::1]", 32, 64, NULL},
	    {"fe80::1%eth0", 32, 64, NULL},
	    {"", 32, 64, NULL},
	};
	char name[80];
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = norm(SUBJECT_IP, cases[i].raw, cases[i].v4, cases[i].v6);
		snprintf(name, sizeof(name), "ip '%s' v4/%d v6/%d",
		    cases[i].raw, cases[i].v4, cases[i].v6);
		is_str(v, cases[i].want, name);
	}
}

static void
types(void)
{
	int t;

	for (t = 0; t < SUBJECT_NTYPES; t++)
		is_int(subject_type_code(subject_type_name(t)), t,
		    subject_type_name(t));
	is_str(subject_type_name(SUBJECT_IP), "ip", "name of SUBJECT_IP");
	is_int(subject_type_code("sender"), SUBJECT_SENDER, "code of sender");
	is_int(subject_type_code("bogus"), -1, "unknown type name");
	is_int(subject_type_code("SASL"), -1, "type names are exact");
	is_int(subject_type_code(""), -1, "empty type name");
	is_str(subject_type_name(SUBJECT_NTYPES), "?", "out-of-range type");
}

static void
cidr(void)
{
	static const char *const bad[] = {"1.2.3.4/33", "x", "1.2.3.4/",
	    "1.2.3.4/-1", "1.2.3.4/+8", "1.2.3.4/8x", "1.2.3.4/ 8", "::1/129",
	    "/8", "", "1.2.3.4//8", "1.2.3.4/8/8",
	    "1111111111111111111111111111111111111111111111111111111111111/8",
	    "1111111111111111111111111111111111111111111111111111111111111111"
	    "1"};
	struct cidr nets[5], c;
	unsigned char want[16];
	size_t i;

	ok(cidr_parse("10.1.2.3/8", &c) == 0, "parse 10.1.2.3/8");
	inet_pton(AF_INET, "10.0.0.0", want);
	ok(c.family == AF_INET && c.bits == 8 && memcmp(c.addr, want, 4) == 0,
	    "  AF_INET, 8 bits, masked to 10.0.0.0");
	ok(cidr_parse("2001:db8:ff::1/33", &c) == 0, "parse 2001:db8:ff::1/33");
	inet_pton(AF_INET6, "2001:db8::", want);
	ok(c.family == AF_INET6 && c.bits == 33 &&
	        memcmp(c.addr, want, 16) == 0,
	    "  AF_INET6, 33 bits, masked to 2001:db8::");
	ok(cidr_parse("192.0.2.1", &c) == 0 && c.family == AF_INET &&
	        c.bits == 32,
	    "bare IPv4 is a /32");
	ok(cidr_parse("::1", &c) == 0 && c.family == AF_INET6 && c.bits == 128,
	    "bare IPv6 is a /128");
	ok(cidr_parse("0.0.0.0/0", &c) == 0 && c.bits == 0, "parse /0");
	/* t/fuzz/cidr: the mapped form kept its IPv6 bytes past the IPv4 */
	ok(cidr_parse("::ffff:10.1.2.3/8", &c) == 0 &&
	        cidr_parse("10.0.0.0/8", &nets[0]) == 0 &&
	        memcmp(&c, &nets[0], sizeof(c)) == 0,
	    "::ffff:10.1.2.3/8 is the very network 10.0.0.0/8");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cidr_parse(bad[i], &c) == -1, "cidr '%.20s' refused",
		    bad[i]);

	if (cidr_parse("10.0.0.0/8", &nets[0]) == -1 ||
	    cidr_parse("2001:db8::/32", &nets[1]) == -1 ||
	    cidr_parse("192.0.2.1", &nets[2]) == -1 ||
	    cidr_parse("192.168.0.0/23", &nets[3]) == -1 ||
	    cidr_parse("2001:db8:8000::/33", &nets[4]) == -1) {
		ok(0, "parse the match networks");
		return;
	}
	ok(cidr_match(nets, 5, "10.255.1.1"), "10.255.1.1 in 10/8");
	ok(!cidr_match(nets, 5, "11.0.0.1"), "11.0.0.1 in none");
	ok(cidr_match(nets, 5, "2001:db8:ffff::1"), "v6 in 2001:db8::/32");
	ok(!cidr_match(nets, 5, "2001:db9::1"), "2001:db9::1 in none");
	ok(cidr_match(nets, 5, "::ffff:10.1.1.1"),
	    "mapped ::ffff:10.1.1.1 matches v4 10/8");
	ok(!cidr_match(nets, 5, "::ffff:11.1.1.1"), "mapped 11.1.1.1 in none");
	ok(cidr_match(nets, 5, "192.0.2.1"), "bare address matches itself");
	ok(!cidr_match(nets, 5, "192.0.2.2"), "and not its neighbour");
	ok(cidr_match(nets, 5, "192.168.1.255"), "192.168.1.255 in /23");
	ok(!cidr_match(nets, 5, "192.168.2.0"), "192.168.2.0 not in /23");
	ok(!cidr_match(&nets[4], 1, "2001:db8:7fff::1"),
	    "2001:db8:7fff::1 not in 2001:db8:8000::/33");
	ok(cidr_match(&nets[4], 1, "2001:db8:8000::1"),
	    "2001:db8:8000::1 in 2001:db8:8000::/33");
	ok(!cidr_match(nets, 5, "10.0.0.1/8"), "a network is not an address");
	ok(!cidr_match(nets, 5, "garbage"), "garbage matches nothing");
	ok(!cidr_match(nets, 5, ""), "empty matches nothing");
	ok(!cidr_match(nets, 0, "10.0.0.1"), "no networks match nothing");
	ok(!cidr_match(&nets[0], 1, "::a00:1"),
	    "v4-compatible ::10.0.0.1 is not mapped");
	ok(cidr_parse("0.0.0.0/0", &c) == 0 && cidr_match(&c, 1, "8.8.8.8") &&
	        !cidr_match(&c, 1, "2001:db8::1"),
	    "0/0 matches every v4 and no v6");
}

static void
tonum(void)
{
	static const char *const bad[] = {"", " 1", "1 ", "1x", "+1", "-",
	    "0x10", "1.0", "--1", "9223372036854775808", "-9223372036854775809",
	    "99999999999999999999999", "11", "-11"};
	long long v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		ok(str_tonum(bad[i], -10, 10, &v) == -1 && v == 42,
		    "str_tonum '%s' refused, out untouched", bad[i]);
	}
	ok(str_tonum(NULL, 0, 10, &v) == -1, "str_tonum NULL refused");
	ok(str_tonum("0", 0, 10, &v) == 0 && v == 0, "0 at min");
	ok(str_tonum("10", 0, 10, &v) == 0 && v == 10, "10 at max");
	ok(str_tonum("-10", -10, 10, &v) == 0 && v == -10, "-10 at min");
	ok(str_tonum("9223372036854775807", 0, 9223372036854775807LL, &v) ==
	            0 &&
	        v == 9223372036854775807LL,
	    "LLONG_MAX accepted when in range");
	ok(str_tonum("5", 6, 10, &v) == -1, "below min refused");
}

static void
escape(void)
{
	char d[64];
	static const char nul[] = "a\0b";

	is_str(str_escape(d, sizeof(d), "plain text", 10), "plain text",
	    "printable text unchanged");
	is_str(str_escape(d, sizeof(d), "a\x01z\x7f\n", 5), "a\\x01z\\x7f\\x0a",
	    "control chars escaped");
	is_str(str_escape(d, sizeof(d), "say \"hi\"", 8), "say \\x22hi\\x22",
	    "quotes escaped");
	is_str(str_escape(d, sizeof(d), "a\\b", 3), "a\\x5cb",
	    "backslash escaped");
	is_str(str_escape(d, sizeof(d), "\xff\xc3", 2), "\\xff\\xc3",
	    "high bytes escaped");
	is_str(str_escape(d, sizeof(d), nul, 3), "a\\x00b",
	    "NUL byte within srclen escaped");
	is_str(str_escape(d, sizeof(d), "abcdef", 3), "abc", "srclen honoured");
	is_str(str_escape(d, 10, "abcdefghijklmnop", 16), "abcdef...",
	    "cut with ... when dst is small");
	is_str(str_escape(d, 12, "abcdef\x01\x01", 8), "abcdef...",
	    "an escape is never split");
	memset(d, 'Z', sizeof(d));
	str_escape(d, 10, "\x01\x02\x03\x04\x05\x06", 6);
	ok(strlen(d) < 10 && strcmp(d, "\\x01...") == 0,
	    "escapes cut within dst (%s)", d);
	is_str(str_escape(d, 8, "abc", 3), "abc", "short text fits");
	is_str(str_escape(d, 4, "abc", 3), "abc",
	    "text that exactly fits is not cut");
	is_str(str_escape(d, 5, "a\x01", 2), "a...",
	    "one byte short: cut with ...");
	memset(d, 'Z', sizeof(d));
	str_escape(d, 1, "abc", 3);
	is_int(d[0], '\0', "dstsize 1 gives the empty string");
	memset(d, 'Z', sizeof(d));
	str_escape(d, 0, "abc", 3);
	is_int(d[0], 'Z', "dstsize 0 writes nothing");
	is_str(str_escape(d, sizeof(d), "", 0), "", "empty source");
}

static void
lltoa(void)
{
	static const long long v[] = {0, 7, -1, 1234567890123LL,
	    9223372036854775807LL, -9223372036854775807LL - 1};
	char d[32], want[32];
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = (size_t)snprintf(want, sizeof(want), "%lld", v[i]);
		ok(str_lltoa(d, sizeof(d), v[i]) == n && strcmp(d, want) == 0,
		    "str_lltoa %s", want);
		is_int((long long)str_lltoa(d, n + 1, v[i]), (long long)n,
		    "exactly enough room");
		memset(d, 'Z', sizeof(d));
		is_int(
		    (long long)str_lltoa(d, n, v[i]), 0, "one byte short: 0");
		is_int(d[0], 'Z', "and nothing written");
	}
}

int
main(void)
{
	text();
	ip();
	types();
	cidr();
	tonum();
	escape();
	lltoa();
	return tap_done();
}
