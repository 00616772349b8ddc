/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * resp - RESP command encoding: "*N\r\n" then "$LEN\r\nDATA\r\n" per
 * argument. Entry point: resp_format. Bounds are checked before every
 * copy.
 */
#include <string.h>

#include "resp.h"

/* num - "<c><n>\r\n" at p; the end, or NULL when past end */
static char *
num(char *p, const char *end, char c, size_t n)
{
	char tmp[24];
	size_t k = 0;

	do
		tmp[k++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	if ((size_t)(end - p) < k + 3)
		return NULL;
	*p++ = c;
	while (k > 0)
		*p++ = tmp[--k];
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

size_t
resp_format(char *buf, size_t size, int argc, const char *const *argv,
    const size_t *argvlen)
{
	const char *end = buf + size;
	char *p = buf;
	int i;

	if (argc < 1 || (p = num(p, end, '*', (size_t)argc)) == NULL)
		return 0;
	for (i = 0; i < argc; i++) {
		size_t n = argvlen != NULL ? argvlen[i] : strlen(argv[i]);

		if ((p = num(p, end, '$', n)) == NULL ||
		    (size_t)(end - p) < n + 2)
			return 0;
		memcpy(p, argv[i], n);
		p += n;
		*p++ = '\r';
		*p++ = '\n';
	}
	return (size_t)(p - buf);
}
