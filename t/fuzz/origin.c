/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * origin - libFuzzer target: the milter's X-PHP-Originating-Script
 * parser (milter/origin.c) as the milter runs it: origin_header keeps the
 * value's first line, origin_claimed_script takes its file part. The
 * input is the header value (libmilter's: a C string), then a byte that
 * picks a smaller output buffer. A script is all or part of what follows
 * "UID:" and never holds a line break.
 */
#include "fuzz.h"
#include "origin.h"

/* origin_script_ok - out is what origin_claimed_script may make of value */
static void
origin_script_ok(const char *value, const char *out, size_t outsize)
{
	const char *v = value + strspn(value, " \t"), *colon = strchr(v, ':');

	FUZZ_CHECK(strlen(out) < outsize);
	if (out[0] == '\0')
		return;
	FUZZ_CHECK(colon != NULL && colon > v && colon - v < 16);
	FUZZ_CHECK(strspn(v, "0123456789") == (size_t)(colon - v));
	FUZZ_CHECK(strncmp(out, colon + 1, strlen(out)) == 0);
	FUZZ_CHECK(strcspn(out, "\r\n") == strlen(out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct origin o;
	static char value[4096];
	char out[ORIGIN_TEXT_MAX];
	size_t off = 0, small;

	fuzz_take(data, size, &off, value, sizeof(value));
	small = off < size ? 1 + data[off] % sizeof(out) : sizeof(out);
	memset(&o, 0, sizeof(o));
	origin_envfrom(&o, "<a@example.com>", "", "4XyZ1B2C3D");
	origin_header(&o, "x-php-originating-script", value);
	FUZZ_CHECK(strlen(o.claimed) < sizeof(o.claimed));
	FUZZ_CHECK(strcspn(o.claimed, "\r\n") == strlen(o.claimed));
	origin_claimed_script(o.claimed, out, sizeof(out));
	origin_script_ok(o.claimed, out, sizeof(out));
	origin_claimed_script(value, out, small);
	origin_script_ok(value, out, small);
	return 0;
}
