/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * request - libFuzzer target: policyd's request parser (policyd/request.c)
 * fed as policyd/server.c feeds it. The input is split at LF; a line
 * longer than REQUEST_LINE_MAX + 1 or an error ends it (the server closes
 * the connection), a complete request is checked and the next one starts.
 * No request takes more than REQUEST_ATTRS_MAX lines and its end (empty
 * lines before it count: issue 11). Each line is handed over in a buffer
 * of its exact size, so ASan sees a read past it.
 */
#include "fuzz.h"
#include "request.h"

/* request_done_ok - what a complete request promises its caller */
static void
request_done_ok(const struct request *r)
{
	int a;

	FUZZ_CHECK(strcmp(r->attr[RA_REQUEST], "smtpd_access_policy") == 0);
	FUZZ_CHECK(r->state != RS_UNKNOWN);
	FUZZ_CHECK(strcmp(request_state_name(r->state), "UNKNOWN") != 0);
	FUZZ_CHECK(r->msgsize >= 0 && r->msgsize <= 1LL << 50);
	FUZZ_CHECK(r->rcpt_count >= 0 && r->rcpt_count <= 1000000);
	FUZZ_CHECK(r->nlines <= REQUEST_ATTRS_MAX);
	FUZZ_CHECK(r->size <= REQUEST_SIZE_MAX);
	for (a = 0; a < RA_NATTRS; a++)
		FUZZ_CHECK(strlen(r->attr[a]) <= REQUEST_VALUE_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct request r;
	size_t off = 0, len, lines = 0;
	const uint8_t *eol;
	enum request_rc rc;
	char err[128], *line;

	request_reset(&r);
	while (off < size &&
	    (eol = memchr(data + off, '\n', size - off)) != NULL) {
		len = (size_t)(eol - (data + off));
		if (len > REQUEST_LINE_MAX + 1)
			break;
		if ((line = malloc(len > 0 ? len : 1)) == NULL)
			return 0;
		memcpy(line, data + off, len);
		err[0] = '\0';
		rc = request_line(&r, line, len, err, sizeof(err));
		free(line);
		off += len + 1;
		FUZZ_CHECK(++lines <= REQUEST_ATTRS_MAX || rc != REQUEST_MORE);
		if (rc == REQUEST_ERROR) {
			FUZZ_CHECK(err[0] != '\0');
			break;
		}
		if (rc == REQUEST_DONE) {
			request_done_ok(&r);
			request_reset(&r);
			lines = 0;
		}
	}
	return 0;
}
