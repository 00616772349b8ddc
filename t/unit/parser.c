/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parser - policyd/request.c against a table of adversarial requests.
 * Each input is fed line by line, as the server does (LF removed).
 */
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "tap.h"

#define R    "request=smtpd_access_policy\n"
#define RCPT R "protocol_state=RCPT\n"

static const struct {
	const char *name;
	const char *in;
	enum request_rc want;
	const char *sasl; /* expected sasl_username on DONE */
} cases[] = {
    {"plain RCPT", RCPT "sasl_username=alice\nclient_address=1.2.3.4\n\n",
        REQUEST_DONE, "alice"},
    {"CRLF lines",
        "request=smtpd_access_policy\r\nprotocol_state=RCPT\r\n"
        "sasl_username=bob\r\n\r\n",
        REQUEST_DONE, "bob"},
    {"empty lines before a request", "\n\n" RCPT "\n", REQUEST_DONE, ""},
    {"unknown attributes ignored", RCPT "ccert_subject=x\nfoo_bar=1\n\n",
        REQUEST_DONE, ""},
    {"missing request=", "protocol_state=RCPT\n\n", REQUEST_ERROR, NULL},
    {"other request", "request=other\nprotocol_state=RCPT\n\n", REQUEST_ERROR,
        NULL},
    {"unknown protocol_state", R "protocol_state=BOGUS\n\n", REQUEST_ERROR,
        NULL},
    {"no protocol_state", R "\n", REQUEST_ERROR, NULL},
    {"line without =", RCPT "garbage\n\n", REQUEST_ERROR, NULL},
    {"empty name", RCPT "=x\n\n", REQUEST_ERROR, NULL},
    {"bad name chars", RCPT "na me=x\n\n", REQUEST_ERROR, NULL},
    {"duplicate known attribute",
        RCPT "sasl_username=a\nsasl_username=b"
             "\n\n",
        REQUEST_ERROR, NULL},
    {"bad size", RCPT "size=12x\n\n", REQUEST_ERROR, NULL},
    {"negative size", RCPT "size=-1\n\n", REQUEST_ERROR, NULL},
    {"huge size", RCPT "size=99999999999999999999\n\n", REQUEST_ERROR, NULL},
    {"bad recipient_count", RCPT "recipient_count=a\n\n", REQUEST_ERROR, NULL},
};

/* feed - all lines of s; returns the last rc (stops at DONE/ERROR) */
static enum request_rc
feed(struct request *r, const char *s, size_t n)
{
	char err[128];
	enum request_rc rc = REQUEST_MORE;
	size_t i = 0;

	request_reset(r);
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = nl != NULL ? (size_t)(nl - (s + i)) : n - i;

		rc = request_line(r, s + i, len, err, sizeof(err));
		if (rc != REQUEST_MORE)
			return rc;
		i += len + 1;
	}
	return rc;
}

int
main(void)
{
	static char big[REQUEST_SIZE_MAX * 2];
	struct request r;
	size_t i, o;
	int k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum request_rc rc = feed(&r, cases[i].in, strlen(cases[i].in));

		is_int(rc, cases[i].want, cases[i].name);
		if (rc == REQUEST_DONE && cases[i].sasl != NULL)
			is_str(r.attr[RA_SASL_USERNAME], cases[i].sasl,
			    "  its sasl_username");
	}
	o = (size_t)snprintf(big, sizeof(big), "%s",
	    R
	    "protocol_state=END-OF-MESSAGE\nsize=12345\nrecipient_count=7\n\n");
	is_int(feed(&r, big, o), REQUEST_DONE, "END-OF-MESSAGE");
	is_int(r.state, RS_END_OF_MESSAGE, "  state");
	is_int(r.msgsize, 12345, "  size");
	is_int(r.rcpt_count, 7, "  recipient_count");

	/* a NUL byte inside a line */
	memcpy(big, RCPT "sasl_username=a\0b\n\n", sizeof(RCPT) + 17);
	is_int(feed(&r, big, sizeof(RCPT) - 1 + 18), REQUEST_ERROR,
	    "NUL byte in a line");

	/* a kept value one byte too long, and exactly at the bound */
	for (k = 0; k < 2; k++) {
		o = (size_t)snprintf(big, sizeof(big), RCPT "sasl_username=");
		memset(big + o, 'a', REQUEST_VALUE_MAX + 1 - (size_t)k);
		o += REQUEST_VALUE_MAX + 1 - (size_t)k;
		o += (size_t)snprintf(big + o, sizeof(big) - o, "\n\n");
		is_int(feed(&r, big, o), k == 0 ? REQUEST_ERROR : REQUEST_DONE,
		    k == 0 ? "kept value over REQUEST_VALUE_MAX"
		           : "kept value of exactly REQUEST_VALUE_MAX");
	}

	/* an ignored attribute may be long, up to the line bound */
	o = (size_t)snprintf(big, sizeof(big), RCPT "x=");
	memset(big + o, 'b', REQUEST_LINE_MAX - 2);
	o += REQUEST_LINE_MAX - 2;
	o += (size_t)snprintf(big + o, sizeof(big) - o, "\n\n");
	is_int(feed(&r, big, o), REQUEST_DONE, "long unknown attribute");
	o = (size_t)snprintf(big, sizeof(big), RCPT "x=");
	memset(big + o, 'b', REQUEST_LINE_MAX);
	o += REQUEST_LINE_MAX;
	o += (size_t)snprintf(big + o, sizeof(big) - o, "\n\n");
	is_int(feed(&r, big, o), REQUEST_ERROR, "line over REQUEST_LINE_MAX");

	/* too many lines; too many bytes */
	o = (size_t)snprintf(big, sizeof(big), RCPT);
	for (k = 0; k < REQUEST_ATTRS_MAX; k++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "a%d=1\n", k);
	o += (size_t)snprintf(big + o, sizeof(big) - o, "\n");
	is_int(feed(&r, big, o), REQUEST_ERROR, "more than REQUEST_ATTRS_MAX");
	o = (size_t)snprintf(big, sizeof(big), RCPT);
	for (k = 0; k < 10; k++) {
		o += (size_t)snprintf(big + o, sizeof(big) - o, "a%d=", k);
		memset(big + o, 'c', 4000);
		o += 4000;
		big[o++] = '\n';
	}
	big[o++] = '\n';
	is_int(feed(&r, big, o), REQUEST_ERROR, "more than REQUEST_SIZE_MAX");

	/* reuse after reset */
	o = strlen(cases[0].in);
	is_int(feed(&r, cases[0].in, o), REQUEST_DONE, "reset, then reuse");
	is_str(r.attr[RA_CLIENT_ADDRESS], "1.2.3.4", "  client_address");
	return tap_done();
}
