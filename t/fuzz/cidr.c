/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr - libFuzzer target: network parsing and matching (common/cidr.c).
 * The input: a network, NUL, an address. A parsed network has no host
 * bits, prints and parses back to itself and matches its own address;
 * the address is matched against it.
 */
#include <arpa/inet.h>

#include "cidr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char net[256], addr[256];
	char txt[INET6_ADDRSTRLEN + 8], host[INET6_ADDRSTRLEN];
	struct cidr c, back;
	size_t off = 0;
	int max, i;

	fuzz_take(data, size, &off, net, sizeof(net));
	fuzz_take(data, size, &off, addr, sizeof(addr));
	(void)cidr_match(&c, 0, addr);
	if (cidr_parse(net, &c) == -1)
		return 0;
	FUZZ_CHECK(c.family == AF_INET || c.family == AF_INET6);
	max = c.family == AF_INET ? 32 : 128;
	FUZZ_CHECK(c.bits >= 0 && c.bits <= max);
	for (i = c.bits; i < max; i++)
		FUZZ_CHECK((c.addr[i / 8] & (0x80 >> (i % 8))) == 0);
	FUZZ_CHECK(inet_ntop(c.family, c.addr, host, sizeof(host)) != NULL);
	snprintf(txt, sizeof(txt), "%s/%d", host, c.bits);
	FUZZ_CHECK(cidr_parse(txt, &back) == 0);
	FUZZ_CHECK(memcmp(&c, &back, sizeof(c)) == 0);
	FUZZ_CHECK(cidr_match(&c, 1, host));
	(void)cidr_match(&c, 1, addr);
	return 0;
}
