/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr - IPv4/IPv6 networks, parsed once from config, matched per request.
 */
#ifndef FG_CIDR_H
#define FG_CIDR_H

#include <stdbool.h>

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	int bits;
	unsigned char addr[16]; /* masked network address */
};

int cidr_addr(const char *, unsigned char addr[16]);
int cidr_parse(const char *, struct cidr *) __attribute__((warn_unused_result));
bool cidr_match(const struct cidr *, int n, const char *addr);

#endif
