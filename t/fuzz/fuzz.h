/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz.h - what the libFuzzer targets of t/fuzz share: the entry point's
 * prototype, FUZZ_CHECK (a property that fails is a crash, like a
 * sanitizer's report) and fuzz_take (the next NUL-separated piece of the
 * input as a C string). Header-only, like t/tap.h.
 */
#ifndef FG_FUZZ_H
#define FG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_CHECK - abort, naming the property, when cond is false */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: property failed: %s\n",        \
			    __FILE__, __LINE__, #cond);                        \
			abort();                                               \
		}                                                              \
	} while (0)

/* fuzz_take - the bytes of data[*off..size) up to the next NUL (or the
 * end) into dst as a C string, cut at dstsize - 1; *off moves past them */
static __attribute__((unused)) const char *
fuzz_take(
    const uint8_t *data, size_t size, size_t *off, char *dst, size_t dstsize)
{
	size_t n = 0;

	while (*off < size && data[*off] != '\0') {
		if (n + 1 < dstsize)
			dst[n++] = (char)data[*off];
		(*off)++;
	}
	if (*off < size)
		(*off)++; /* the NUL */
	dst[n] = '\0';
	return dst;
}

#endif
