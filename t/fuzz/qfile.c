/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qfile - libFuzzer target: the milter's queue-file reader
 * (milter/qfile.c qfile_parse) on the input as a queue file image. What
 * it accepts must be Postfix's own first header, host and uid in range,
 * and that header must be in the input.
 */
#include "fuzz.h"
#include "qfile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qfile_origin o;
	char err[256], want[QFILE_HOST_MAX + 64];
	int n;

	err[0] = '\0';
	if (qfile_parse(data, size, &o, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
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
