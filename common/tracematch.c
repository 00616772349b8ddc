/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tracematch - a trace entry against a subject, as the milter wrote it
 * (milter/account.c: auth, user, sender, client).
 */
#include <string.h>
#include <strings.h>

#include "resp.h"
#include "tracematch.h"

const char *
tracematch_get(const redisReply *kv, const char *f)
{
	const char *v = resp_field(kv, f);

	return v != NULL ? v : "";
}

bool
tracematch(const redisReply *kv, enum subject_type t, const char *value,
    const struct cidr *net)
{
	switch (t) {
	case SUBJECT_SASL:
		return strcasecmp(tracematch_get(kv, "auth"), value) == 0;
	case SUBJECT_UID:
		return strcmp(tracematch_get(kv, "user"), value) == 0;
	case SUBJECT_SENDER:
		return strcasecmp(tracematch_get(kv, "sender"), value) == 0;
	case SUBJECT_IP:
		return net != NULL
		    ? cidr_match(net, 1, tracematch_get(kv, "client"))
		    : strcmp(tracematch_get(kv, "client"), value) == 0;
	default:
		return false;
	}
}

const struct cidr *
tracematch_net(enum subject_type t, const char *value, struct cidr *net)
{
	if (t == SUBJECT_IP && strchr(value, '/') != NULL &&
	    cidr_parse(value, net) == 0)
		return net;
	return NULL;
}
