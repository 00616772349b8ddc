/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * request - the Postfix policy delegation protocol: one request is
 * "name=value" lines ended by an empty line; the answer is
 * "action=...\n\n". See Postfix SMTPD_POLICY_README.
 *
 * request_line() takes one line (without its LF) and reports whether the
 * request is complete; the caller bounds the line length before calling
 * (REQUEST_LINE_MAX). Unknown attributes are ignored but counted.
 */
#ifndef FG_REQUEST_H
#define FG_REQUEST_H

#include <stddef.h>

#define REQUEST_LINE_MAX  4096  /* one attribute line, LF excluded */
#define REQUEST_SIZE_MAX  32768 /* all lines of one request */
#define REQUEST_ATTRS_MAX 128   /* lines of one request */
#define REQUEST_VALUE_MAX 512   /* value of an attribute we keep */

enum request_attr {
	RA_REQUEST,
	RA_PROTOCOL_STATE,
	RA_INSTANCE,
	RA_SASL_USERNAME,
	RA_CLIENT_ADDRESS,
	RA_SENDER,
	RA_RECIPIENT,
	RA_QUEUE_ID,
	RA_SIZE,
	RA_RECIPIENT_COUNT,
	RA_NATTRS
};

enum request_state {
	RS_UNKNOWN,
	RS_CONNECT,
	RS_EHLO,
	RS_HELO,
	RS_MAIL,
	RS_RCPT,
	RS_DATA,
	RS_END_OF_MESSAGE,
	RS_VRFY,
	RS_ETRN,
};

enum request_rc {
	REQUEST_MORE,
	REQUEST_DONE,
	REQUEST_ERROR,
};

struct request {
	char attr[RA_NATTRS][REQUEST_VALUE_MAX + 1];
	unsigned char seen[RA_NATTRS];
	int nlines;
	int nempty; /* empty lines before the first: they count as lines */
	size_t size;
	enum request_state state;
	long long msgsize;    /* size=, 0 when absent */
	long long rcpt_count; /* recipient_count=, 0 when absent */
};

void request_reset(struct request *);
enum request_rc request_line(
    struct request *, const char *line, size_t len, char *err, size_t errsize);
const char *request_state_name(enum request_state);

#endif
