/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tracematch - whether an entry of the milter's trace stream (fg:trace,
 * its field list as XRANGE returns it) is one subject's: its SASL user
 * (auth), local user (user), envelope sender (sender) or client address
 * (client, within net when the subject is a network). For the admin's
 * why and the notifications. Never logs.
 */
#ifndef FG_TRACEMATCH_H
#define FG_TRACEMATCH_H

#include <stdbool.h>

#include <hiredis/hiredis.h>

#include "cidr.h"
#include "subject.h"

/* tracematch_get - field f of an entry's field list, or "" */
const char *tracematch_get(const redisReply *kv, const char *f);
/* tracematch - the entry (kv) is subject (t, value normalised; net: its
 * network for an ip subject with a prefix, or NULL) */
bool tracematch(const redisReply *kv, enum subject_type t, const char *value,
    const struct cidr *net);
/* tracematch_net - the network of an ip subject's value into net; net,
 * or NULL when the value is one address */
const struct cidr *tracematch_net(
    enum subject_type t, const char *value, struct cidr *net);

#endif
