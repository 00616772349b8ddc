/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr - parse "a.b.c.d/n", "x::y/n" or a bare address; match addresses.
 *
 * Entry points: cidr_addr, cidr_parse, cidr_match. IPv4-mapped IPv6 client addresses
 * match IPv4 networks.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "str.h"

/* cidr_addr - text to bytes, unmapping ::ffff:a.b.c.d; returns the family
 * (AF_INET, AF_INET6) or -1 */
int
cidr_addr(const char *s, unsigned char a[16])
{
	static const unsigned char v4mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (inet_pton(AF_INET, s, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a) != 1)
		return -1;
	if (memcmp(a, v4mapped, 12) == 0) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12); /* equal networks are equal bytes */
		return AF_INET;
	}
	return AF_INET6;
}

/* cidr_prefix_eq - first bits of a and b are equal */
static bool
cidr_prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

/* cidr_parse - "addr[/bits]" into c; returns 0 or -1 */
int
cidr_parse(const char *s, struct cidr *c)
{
	char host[64];
	const char *slash = strchr(s, '/');
	long long bits;
	int max, i;

	if (slash == NULL) {
		if (str_lcpy(host, s, sizeof(host)) >= sizeof(host))
			return -1;
	} else {
		if ((size_t)(slash - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(slash - s));
		host[slash - s] = '\0';
	}
	memset(c, 0, sizeof(*c));
	if ((c->family = cidr_addr(host, c->addr)) == -1)
		return -1;
	max = c->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		bits = max;
	else if (str_tonum(slash + 1, 0, max, &bits) == -1)
		return -1;
	c->bits = (int)bits;
	for (i = c->bits; i < max; i++)
		c->addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
	return 0;
}

/* cidr_match - addr lies in one of the n networks */
bool
cidr_match(const struct cidr *nets, int n, const char *addr)
{
	unsigned char a[16];
	int fam, i;

	if (n == 0 || (fam = cidr_addr(addr, a)) == -1)
		return false;
	for (i = 0; i < n; i++)
		if (nets[i].family == fam &&
		    cidr_prefix_eq(a, nets[i].addr, nets[i].bits))
			return true;
	return false;
}
