/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * str - str_line: untrusted text (a header, a macro) kept up to its first
 * line break and within its buffer; NULL is "".
 */
#include <string.h>

#include "str.h"
#include "tap.h"

int
main(void)
{
	char out[8];

	str_line(out, sizeof(out), "a.php\r\nX-Evil: 1");
	is_str(out, "a.php", "cut at CR LF");
	str_line(out, sizeof(out), "x\ny");
	is_str(out, "x", "cut at a bare LF");
	str_line(out, sizeof(out), "0123456789");
	is_str(out, "0123456", "cut to the buffer");
	str_line(out, sizeof(out), NULL);
	is_str(out, "", "NULL is empty");
	return tap_done();
}
