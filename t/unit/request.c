/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * request - request_line() on a table of adversarial policy requests, fed
 * line by line as the server does, then on generated requests at and past
 * each limit (line, value, attribute count, total size).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "tap.h"

#define HEAD   "request=smtpd_access_policy\nprotocol_state=RCPT\n"
#define T(s)   s, sizeof(s) - 1
#define NM_MAX 160 /* one test name */

struct rcase {
	const char *name;
	const char *text; /* lines separated by \n, may hold NUL bytes */
	size_t len;
	enum request_rc want;
	const char *errpart; /* ERROR: part of the message */
	enum request_state state;
	const char *sasl, *client, *rcpt;
	long long msgsize, rcpt_count;
};

static const struct rcase cases[] = {
    {"normal RCPT request",
        T("request=smtpd_access_policy\nprotocol_state=RCPT\n"
          "protocol_name=ESMTP\nclient_address=203.0.113.7\n"
          "client_name=mail.example.com\nsasl_username=Alice\n"
          "sender=a@example.com\nrecipient=b@example.org\n"
          "queue_id=\nsize=0\ninstance=123.456.7\n\n"),
        REQUEST_DONE, NULL, RS_RCPT, "Alice", "203.0.113.7", "b@example.org", 0,
        0},
    {"END-OF-MESSAGE with size and recipient_count",
        T("request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
          "sasl_username=bob\nsize=123456\nrecipient_count=42\n\n"),
        REQUEST_DONE, NULL, RS_END_OF_MESSAGE, "bob", "", "", 123456, 42},
    {"CRLF line endings",
        T("request=smtpd_access_policy\r\nprotocol_state=RCPT\r\n"
          "sasl_username=carol\r\nclient_address=::1\r\n\r\n"),
        REQUEST_DONE, NULL, RS_RCPT, "carol", "::1", "", 0, 0},
    {"leading empty lines are ignored",
        T("\n\n\r\n" HEAD "sasl_username=dave\n\n"), REQUEST_DONE, NULL,
        RS_RCPT, "dave", "", "", 0, 0},
    {"value holding '='", T(HEAD "recipient=a=b@example.org\n\n"), REQUEST_DONE,
        NULL, RS_RCPT, "", "", "a=b@example.org", 0, 0},
    {"empty value is kept empty", T(HEAD "sasl_username=\n\n"), REQUEST_DONE,
        NULL, RS_RCPT, "", "", "", 0, 0},
    {"empty size= counts as absent", T(HEAD "size=\n\n"), REQUEST_DONE, NULL,
        RS_RCPT, "", "", "", 0, 0},
    {"unknown attributes ignored, even repeated",
        T(HEAD "ccert_subject=x\nccert_subject=y\nfoo-bar_9=z\n\n"),
        REQUEST_DONE, NULL, RS_RCPT, "", "", "", 0, 0},
    {"every protocol_state: CONNECT",
        T("request=smtpd_access_policy\nprotocol_state=CONNECT\n\n"),
        REQUEST_DONE, NULL, RS_CONNECT, "", "", "", 0, 0},
    {"every protocol_state: DATA",
        T("request=smtpd_access_policy\nprotocol_state=DATA\n\n"), REQUEST_DONE,
        NULL, RS_DATA, "", "", "", 0, 0},
    {"every protocol_state: ETRN",
        T("request=smtpd_access_policy\nprotocol_state=ETRN\n\n"), REQUEST_DONE,
        NULL, RS_ETRN, "", "", "", 0, 0},
    {"recipient_count at its maximum", T(HEAD "recipient_count=1000000\n\n"),
        REQUEST_DONE, NULL, RS_RCPT, "", "", "", 0, 1000000},
    {"size at its maximum 2^50", T(HEAD "size=1125899906842624\n\n"),
        REQUEST_DONE, NULL, RS_RCPT, "", "", "", 1125899906842624LL, 0},

    {"missing request=", T("protocol_state=RCPT\nsasl_username=a\n\n"),
        REQUEST_ERROR, "<missing>", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"request=other", T("request=junk_policy\nprotocol_state=RCPT\n\n"),
        REQUEST_ERROR, "<other>", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"empty request=", T("request=\nprotocol_state=RCPT\n\n"), REQUEST_ERROR,
        "<other>", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"only unknown attributes", T("foo=bar\n\n"), REQUEST_ERROR, "<missing>",
        RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"unknown protocol_state",
        T("request=smtpd_access_policy\nprotocol_state=BDAT\n\n"),
        REQUEST_ERROR, "protocol_state", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"lower-case protocol_state",
        T("request=smtpd_access_policy\nprotocol_state=rcpt\n\n"),
        REQUEST_ERROR, "protocol_state", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"missing protocol_state", T("request=smtpd_access_policy\n\n"),
        REQUEST_ERROR, "protocol_state", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"line without '='", T(HEAD "sasl_username\n\n"), REQUEST_ERROR,
        "line 3 is not name=value", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"empty name", T(HEAD "=x\n\n"), REQUEST_ERROR, "line 3 is not name=value",
        RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"only '='", T("=\n\n"), REQUEST_ERROR, "not name=value", RS_UNKNOWN, NULL,
        NULL, NULL, 0, 0},
    {"blank in name", T(HEAD "sasl username=x\n\n"), REQUEST_ERROR,
        "line 3: bad attribute name", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"dot in name", T(HEAD "sasl.username=x\n\n"), REQUEST_ERROR,
        "bad attribute name", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"high byte in name", T(HEAD "sasl\xc3\xa9=x\n\n"), REQUEST_ERROR,
        "bad attribute name", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"tab before '='", T(HEAD "sender\t=x\n\n"), REQUEST_ERROR,
        "bad attribute name", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"NUL byte in a known value", T(HEAD "sasl_username=al\0ice\n\n"),
        REQUEST_ERROR, "NUL", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"NUL byte in an unknown attribute", T(HEAD "foo=a\0b\n\n"), REQUEST_ERROR,
        "NUL", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"NUL byte in a name", T(HEAD "sa\0sl_username=x\n\n"), REQUEST_ERROR,
        "NUL", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"line that is one NUL byte", T(HEAD "\0\n\n"), REQUEST_ERROR, "NUL",
        RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"duplicate sasl_username", T(HEAD "sasl_username=a\nsasl_username=b\n\n"),
        REQUEST_ERROR, "duplicate attribute sasl_username", RS_UNKNOWN, NULL,
        NULL, NULL, 0, 0},
    {"duplicate request", T(HEAD "request=smtpd_access_policy\n\n"),
        REQUEST_ERROR, "duplicate attribute request", RS_UNKNOWN, NULL, NULL,
        NULL, 0, 0},
    {"duplicate empty value", T(HEAD "size=\nsize=5\n\n"), REQUEST_ERROR,
        "duplicate attribute size", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"size junk", T(HEAD "size=12k\n\n"), REQUEST_ERROR, "bad size", RS_UNKNOWN,
        NULL, NULL, NULL, 0, 0},
    {"size negative", T(HEAD "size=-1\n\n"), REQUEST_ERROR, "bad size",
        RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"size with sign", T(HEAD "size=+1\n\n"), REQUEST_ERROR, "bad size",
        RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"size with blank", T(HEAD "size= 1\n\n"), REQUEST_ERROR, "bad size",
        RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"size over 2^50", T(HEAD "size=1125899906842625\n\n"), REQUEST_ERROR,
        "bad size", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"size overflowing long long", T(HEAD "size=99999999999999999999999\n\n"),
        REQUEST_ERROR, "bad size", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"recipient_count junk", T(HEAD "recipient_count=x\n\n"), REQUEST_ERROR,
        "bad recipient_count", RS_UNKNOWN, NULL, NULL, NULL, 0, 0},
    {"recipient_count negative", T(HEAD "recipient_count=-5\n\n"),
        REQUEST_ERROR, "bad recipient_count", RS_UNKNOWN, NULL, NULL, NULL, 0,
        0},
    {"recipient_count too big", T(HEAD "recipient_count=1000001\n\n"),
        REQUEST_ERROR, "bad recipient_count", RS_UNKNOWN, NULL, NULL, NULL, 0,
        0},
};

/*
 * feed - text line by line into r; returns the first rc that is not MORE
 * (or MORE at the end), *used is the number of lines passed.
 */
static enum request_rc
feed(struct request *r, const char *text, size_t len, char *err, size_t errsize,
    int *used)
{
	const char *p = text, *end = text + len;
	enum request_rc rc = REQUEST_MORE;

	*used = 0;
	err[0] = '\0';
	while (p < end && rc == REQUEST_MORE) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;

		rc = request_line(r, p, (size_t)(e - p), err, errsize);
		(*used)++;
		p = nl != NULL ? nl + 1 : end;
	}
	return rc;
}

/* nlines - lines in text, as feed() splits it */
static int
nlines(const char *text, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	return len > 0 && text[len - 1] != '\n' ? n + 1 : n;
}

/* sub - "case: what" in nm, for one test line */
static const char *
sub(char *nm, const char *name, const char *what)
{
	snprintf(nm, NM_MAX, "%s: %s", name, what);
	return nm;
}

static void
run_case(const struct rcase *c)
{
	struct request r;
	char err[256], nm[NM_MAX];
	int used;
	enum request_rc rc;

	request_reset(&r);
	rc = feed(&r, c->text, c->len, err, sizeof(err), &used);
	if (!is_int(rc, c->want, c->name))
		printf("#   err: %s\n", err);
	if (c->want == REQUEST_ERROR) {
		ok(err[0] != '\0' && strstr(err, c->errpart) != NULL,
		    "%s: error mentions '%s' (%s)", c->name, c->errpart, err);
		return;
	}
	is_int(
	    used, nlines(c->text, c->len), sub(nm, c->name, "done at the end"));
	is_int(r.state, c->state, sub(nm, c->name, "state"));
	is_str(r.attr[RA_SASL_USERNAME], c->sasl,
	    sub(nm, c->name, "sasl_username"));
	is_str(r.attr[RA_CLIENT_ADDRESS], c->client,
	    sub(nm, c->name, "client_address"));
	is_str(r.attr[RA_RECIPIENT], c->rcpt, sub(nm, c->name, "recipient"));
	is_int(r.msgsize, c->msgsize, sub(nm, c->name, "msgsize"));
	is_int(r.rcpt_count, c->rcpt_count, sub(nm, c->name, "rcpt_count"));
}

/* line - "name=" then n times ch, ended by LF, appended at b[*o] */
static void
line(char *b, size_t *o, const char *name, size_t n, char ch)
{
	size_t l = strlen(name);

	memcpy(b + *o, name, l);
	b[*o + l] = '=';
	memset(b + *o + l + 1, ch, n);
	*o += l + 1 + n;
	b[(*o)++] = '\n';
}

/* gen - HEAD, then lines made by line(), then the empty line */
static size_t
gen(char *b, int nextra, const char *name, size_t n)
{
	size_t o = strlen(HEAD);
	int i;

	memcpy(b, HEAD, o);
	for (i = 0; i < nextra; i++)
		line(b, &o, name, n, 'v');
	b[o++] = '\n';
	return o;
}

/* run_gen - feed b and check the outcome */
static void
run_gen(const char *b, size_t len, enum request_rc want, const char *errpart,
    int at, const char *name)
{
	struct request r;
	char err[256];
	int used;

	request_reset(&r);
	if (!is_int(feed(&r, b, len, err, sizeof(err), &used), want, name))
		printf("#   err: %s\n", err);
	if (errpart != NULL)
		ok(strstr(err, errpart) != NULL, "  error mentions '%s' (%s)",
		    errpart, err);
	if (at > 0)
		is_int(used, at, "  at the expected line");
}

static void
limits(void)
{
	/* 130 lines of up to REQUEST_LINE_MAX + 2 bytes */
	static char b[130 * (REQUEST_LINE_MAX + 4)];
	size_t n, o, vmax = REQUEST_VALUE_MAX;
	struct request r;
	char err[256];
	int used;

	/* value of a kept attribute: exactly the max, then one more */
	n = gen(b, 0, "", 0) - 1;
	o = n;
	line(b, &o, "sasl_username", vmax, 'u');
	b[o++] = '\n';
	request_reset(&r);
	is_int(feed(&r, b, o, err, sizeof(err), &used), REQUEST_DONE,
	    "sasl_username of REQUEST_VALUE_MAX bytes is kept");
	is_int(strlen(r.attr[RA_SASL_USERNAME]), REQUEST_VALUE_MAX,
	    "  whole value");
	o = n;
	line(b, &o, "sasl_username", vmax + 1, 'u');
	b[o++] = '\n';
	run_gen(b, o, REQUEST_ERROR, "sasl_username too long", 3,
	    "sasl_username of REQUEST_VALUE_MAX+1 bytes is refused");
	o = n;
	line(b, &o, "recipient", vmax + 1, 'u');
	b[o++] = '\n';
	run_gen(b, o, REQUEST_ERROR, "recipient too long", 3,
	    "recipient of REQUEST_VALUE_MAX+1 bytes is refused");

	/* an unknown attribute may be as long as a line */
	n = REQUEST_LINE_MAX - strlen("ccert_subject=");
	o = gen(b, 1, "ccert_subject", n);
	run_gen(b, o, REQUEST_DONE, NULL, 4,
	    "unknown attribute of REQUEST_LINE_MAX bytes is ignored");
	o = gen(b, 1, "ccert_subject", n + 1);
	run_gen(b, o, REQUEST_ERROR, "too long", 3,
	    "line of REQUEST_LINE_MAX+1 bytes is refused");
	o = gen(b, 1, "ccert_subject", n); /* "...v\n\n" to "...v\r\n\n" */
	b[o - 2] = '\r';
	b[o - 1] = '\n';
	b[o++] = '\n';
	run_gen(b, o, REQUEST_DONE, NULL, 4,
	    "line of REQUEST_LINE_MAX bytes plus CR is accepted");

	/* line count: HEAD is 2 lines */
	o = gen(b, REQUEST_ATTRS_MAX - 2, "x", 1);
	run_gen(b, o, REQUEST_DONE, NULL, REQUEST_ATTRS_MAX + 1,
	    "REQUEST_ATTRS_MAX lines are accepted");
	o = gen(b, REQUEST_ATTRS_MAX - 1, "x", 1);
	run_gen(b, o, REQUEST_ERROR, "too large", REQUEST_ATTRS_MAX + 1,
	    "REQUEST_ATTRS_MAX+1 lines are refused");

	/*
	 * total size, counting each line's LF: HEAD is 48 bytes, 7 lines of
	 * 4096 and one of 4048 make exactly REQUEST_SIZE_MAX.
	 */
	o = gen(b, 7, "x", 4093) - 1;
	line(b, &o, "y", 4045, 'w');
	b[o++] = '\n';
	is_int(o - 1, REQUEST_SIZE_MAX, "generated request is SIZE_MAX bytes");
	run_gen(b, o, REQUEST_DONE, NULL, 11,
	    "request of exactly REQUEST_SIZE_MAX bytes is accepted");
	o = gen(b, 7, "x", 4093) - 1;
	line(b, &o, "y", 4046, 'w');
	b[o++] = '\n';
	run_gen(b, o, REQUEST_ERROR, "too large", 10,
	    "request of REQUEST_SIZE_MAX+1 bytes is refused");
	o = gen(b, 9, "x", 4000);
	run_gen(b, o, REQUEST_ERROR, "too large", 11,
	    "nine lines of 4003 bytes are refused");
}

static void
reuse(void)
{
	static const char bad[] = HEAD "sasl_username=mallory\nsize=x\n\n";
	static const char good[] = "request=smtpd_access_policy\n"
	                           "protocol_state=MAIL\nsize=77\n\n";
	struct request r;
	char err[256];
	int used;

	request_reset(&r);
	is_int(feed(&r, bad, strlen(bad), err, sizeof(err), &used),
	    REQUEST_ERROR, "reuse: first request fails");
	request_reset(&r);
	is_int(feed(&r, good, strlen(good), err, sizeof(err), &used),
	    REQUEST_DONE, "reuse: after request_reset the next one is done");
	is_int(r.state, RS_MAIL, "  state MAIL");
	is_str(r.attr[RA_SASL_USERNAME], "", "  no sasl_username left over");
	is_int(r.msgsize, 77, "  its own size");
	is_int(r.nlines, 3, "  line count restarted");
	request_reset(&r);
	is_int(feed(&r, good, strlen(good), err, sizeof(err), &used),
	    REQUEST_DONE, "reuse: the same request again after reset");
	is_int(r.state, RS_MAIL, "  state MAIL again");

	request_reset(&r);
	is_int(request_line(&r, "", 0, err, sizeof(err)), REQUEST_MORE,
	    "empty line before any attribute: more");
	is_int(request_line(&r, "\r", 1, err, sizeof(err)), REQUEST_MORE,
	    "lone CR before any attribute: more");
	is_int(r.nlines, 0, "  not an attribute");
	/* issue 11: 100k empty lines held a connection without a request */
	for (used = 2; used < REQUEST_ATTRS_MAX; used++)
		if (request_line(&r, "", 0, err, sizeof(err)) != REQUEST_MORE)
			break;
	is_int(used, REQUEST_ATTRS_MAX, "REQUEST_ATTRS_MAX empty lines: more");
	is_int(request_line(&r, "", 0, err, sizeof(err)), REQUEST_ERROR,
	    "one more is refused");
	ok(strstr(err, "too large") != NULL, "  as too large (%s)", err);
	request_reset(&r);
	for (used = 0; used < REQUEST_ATTRS_MAX - 2; used++)
		(void)request_line(&r, "", 0, err, sizeof(err));
	is_int(feed(&r, good, strlen(good), err, sizeof(err), &used),
	    REQUEST_ERROR, "empty lines and attributes count together");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	limits();
	reuse();
	is_str(request_state_name(RS_RCPT), "RCPT", "state name RCPT");
	is_str(request_state_name(RS_END_OF_MESSAGE), "END-OF-MESSAGE",
	    "state name END-OF-MESSAGE");
	is_str(request_state_name(RS_UNKNOWN), "UNKNOWN", "state name UNKNOWN");
	return tap_done();
}
