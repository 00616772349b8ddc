/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qfile - libFuzzer target: the queue-file reader (common/qfile.c) on the
 * input as a queue file image. What qfile_parse accepts must be Postfix's
 * own first header, host and uid in range, and that header must be in the
 * input. What qfile_scan accepts has a sender, recipients that were
 * records of the input, and every kept value within its bound; the uid
 * both give is the same.
 */
#include "fuzz.h"
#include "qfile.h"

static struct qfile_msg qfile_m;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qfile_origin o;
	char err[256], want[QFILE_HOST_MAX + 64];
	int n, rc;

	err[0] = '\0';
	rc = qfile_scan(data, size, &qfile_m, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || err[0] != '\0');
	if (rc == 0) {
		FUZZ_CHECK(qfile_m.rcpts >= 0 && (size_t)qfile_m.rcpts <= size);
		FUZZ_CHECK(strlen(qfile_m.sender) < QFILE_ADDR_MAX);
		FUZZ_CHECK(strlen(qfile_m.stamp) < STAMP_MAX);
		FUZZ_CHECK(strlen(qfile_m.msgid) < STAMP_MSGID_MAX);
		FUZZ_CHECK(qfile_m.size >= 0 && (size_t)qfile_m.size <= size);
	}
	err[0] = '\0';
	if (qfile_parse(data, size, &o, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(rc == -1 || qfile_m.origin.uid == o.uid);
	FUZZ_CHECK(o.uid >= 0 && o.uid <= 4294967294LL);
	FUZZ_CHECK(o.host[0] != '\0' && strlen(o.host) < QFILE_HOST_MAX);
	FUZZ_CHECK(
	    strspn(o.host,
	        "abcdefghijklmnopqrstuvwxyz"
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == strlen(o.host));
	n = snprintf(want, sizeof(want),
	    "Received: by %s (Postfix, from userid %lld)", o.host, o.uid);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(want));
	FUZZ_CHECK(memmem(data, size, want, (size_t)n) != NULL);
	return 0;
}
