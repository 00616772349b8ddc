/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * origin - origin_claimed_script() on a table of X-PHP-Originating-Script
 * values, well-formed and hostile: the file part only when the value is
 * "UID:FILE" with a numeric uid, never a line break, always bounded.
 */
#include <stdio.h>
#include <string.h>

#include "origin.h"
#include "tap.h"

static const struct {
	const char *in, *want;
} cases[] = {
    {"1001:contact.php", "contact.php"},
    {"  33:index.php", "index.php"},
    {"0:wp-mail.php", "wp-mail.php"},
    {"4294967294:x.php", "x.php"},
    {"4294967295:x.php", ""},
    {"-1:x.php", ""},
    {"-0:x.php", ""}, /* t/fuzz/origin found it taken as uid 0 */
    {"abc:x.php", ""},
    {":x.php", ""},
    {"1001:", ""},
    {"1001", ""},
    {"", ""},
    {"12345678901234567:x.php", ""},
    {"1001:a.php\r\nX-Evil: 1", "a.php"},
    {"1001:dir/with:colon.php", "dir/with:colon.php"},
};

int
main(void)
{
	char out[32], name[64], *p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		origin_claimed_script(cases[i].in, out, sizeof(out));
		snprintf(name, sizeof(name), "'%s'", cases[i].in);
		for (p = name; *p != '\0'; p++) /* keep TAP on one line */
			if (*p == '\r' || *p == '\n')
				*p = '?';
		is_str(out, cases[i].want, name);
	}
	origin_claimed_script(NULL, out, sizeof(out));
	is_str(out, "", "NULL");
	origin_claimed_script(
	    "1:0123456789012345678901234567890123456789", out, sizeof(out));
	is_int((long long)strlen(out), sizeof(out) - 1, "cut to the buffer");
	return tap_done();
}
