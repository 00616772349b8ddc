/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * request - bounded parser of one policy delegation request.
 *
 * Entry points: request_reset, request_line, request_state_name.
 * Rejects (REQUEST_ERROR with a reason) NUL bytes, lines without '=',
 * empty or odd names, duplicate known attributes, overlong values we keep,
 * too many lines or bytes (empty lines before a request count), and a finished request that is not
 * request=smtpd_access_policy with a known protocol_state. Never logs.
 */
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "str.h"

static const char *const attr_names[RA_NATTRS] = {
    [RA_REQUEST] = "request",
    [RA_PROTOCOL_STATE] = "protocol_state",
    [RA_INSTANCE] = "instance",
    [RA_SASL_USERNAME] = "sasl_username",
    [RA_CLIENT_ADDRESS] = "client_address",
    [RA_SENDER] = "sender",
    [RA_RECIPIENT] = "recipient",
    [RA_QUEUE_ID] = "queue_id",
    [RA_SIZE] = "size",
    [RA_RECIPIENT_COUNT] = "recipient_count",
};

/* name <-> state table (cf. Postfix name_code) */
static const struct {
	const char *name;
	enum request_state state;
} states[] = {
    {"CONNECT", RS_CONNECT},
    {"EHLO", RS_EHLO},
    {"HELO", RS_HELO},
    {"MAIL", RS_MAIL},
    {"RCPT", RS_RCPT},
    {"DATA", RS_DATA},
    {"END-OF-MESSAGE", RS_END_OF_MESSAGE},
    {"VRFY", RS_VRFY},
    {"ETRN", RS_ETRN},
};

const char *
request_state_name(enum request_state s)
{
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (states[i].state == s)
			return states[i].name;
	return "UNKNOWN";
}

void
request_reset(struct request *r)
{
	int i;

	for (i = 0; i < RA_NATTRS; i++)
		r->attr[i][0] = '\0';
	memset(r->seen, 0, sizeof(r->seen));
	r->nlines = r->nempty = 0;
	r->size = 0;
	r->state = RS_UNKNOWN;
	r->msgsize = r->rcpt_count = 0;
}

/* request_finish - checks on a complete request; returns DONE or ERROR */
static enum request_rc
request_finish(struct request *r, char *err, size_t errsize)
{
	size_t i;

	if (strcmp(r->attr[RA_REQUEST], "smtpd_access_policy") != 0) {
		snprintf(err, errsize, "request=%s is not smtpd_access_policy",
		    r->seen[RA_REQUEST] ? "<other>" : "<missing>");
		return REQUEST_ERROR;
	}
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(states[i].name, r->attr[RA_PROTOCOL_STATE]) == 0)
			r->state = states[i].state;
	if (r->state == RS_UNKNOWN) {
		snprintf(err, errsize, "missing or unknown protocol_state");
		return REQUEST_ERROR;
	}
	if (r->attr[RA_SIZE][0] != '\0' &&
	    str_tonum(r->attr[RA_SIZE], 0, 1LL << 50, &r->msgsize) == -1) {
		snprintf(err, errsize, "bad size attribute");
		return REQUEST_ERROR;
	}
	if (r->attr[RA_RECIPIENT_COUNT][0] != '\0' &&
	    str_tonum(r->attr[RA_RECIPIENT_COUNT], 0, 1000000,
	        &r->rcpt_count) == -1) {
		snprintf(err, errsize, "bad recipient_count attribute");
		return REQUEST_ERROR;
	}
	return REQUEST_DONE;
}

/* request_line - one line of a request; returns MORE, DONE or ERROR */
enum request_rc
request_line(
    struct request *r, const char *line, size_t len, char *err, size_t errsize)
{
	const char *eq;
	size_t nlen, vlen, i;
	int a;

	if (len > 0 && line[len - 1] == '\r')
		len--; /* tolerate CRLF clients */
	if (len == 0 && r->nlines > 0)
		return request_finish(r, err, errsize);
	if (len == 0 && ++r->nempty + r->nlines <= REQUEST_ATTRS_MAX)
		return REQUEST_MORE; /* tolerated, not forever */
	if (len > REQUEST_LINE_MAX || memchr(line, '\0', len) != NULL) {
		snprintf(err, errsize, "line too long or has a NUL byte");
		return REQUEST_ERROR;
	}
	if (len == 0 || ++r->nlines + r->nempty > REQUEST_ATTRS_MAX ||
	    (r->size += len + 1) > REQUEST_SIZE_MAX) {
		snprintf(err, errsize, "request too large");
		return REQUEST_ERROR;
	}
	if ((eq = memchr(line, '=', len)) == NULL || eq == line) {
		snprintf(err, errsize, "line %d is not name=value", r->nlines);
		return REQUEST_ERROR;
	}
	nlen = (size_t)(eq - line);
	for (i = 0; i < nlen; i++)
		if (!((line[i] >= 'a' && line[i] <= 'z') || line[i] == '_' ||
		        (line[i] >= '0' && line[i] <= '9') ||
		        (line[i] >= 'A' && line[i] <= 'Z') || line[i] == '-')) {
			snprintf(err, errsize, "line %d: bad attribute name",
			    r->nlines);
			return REQUEST_ERROR;
		}
	vlen = len - nlen - 1;
	for (a = 0; a < RA_NATTRS; a++)
		if (strlen(attr_names[a]) == nlen &&
		    memcmp(attr_names[a], line, nlen) == 0)
			break;
	if (a == RA_NATTRS)
		return REQUEST_MORE; /* unknown attributes are ignored */
	if (r->seen[a]) {
		snprintf(err, errsize, "duplicate attribute %s", attr_names[a]);
		return REQUEST_ERROR;
	}
	if (vlen > REQUEST_VALUE_MAX) {
		snprintf(err, errsize, "attribute %s too long", attr_names[a]);
		return REQUEST_ERROR;
	}
	memcpy(r->attr[a], eq + 1, vlen);
	r->attr[a][vlen] = '\0';
	r->seen[a] = 1;
	return REQUEST_MORE;
}
