/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * subject - what a limit counts (sasl user, client ip, uid, sender), its
 * normal form and its Redis keys.
 *
 * subject_norm() turns a raw, untrusted value into the canonical form used
 * in keys: sasl and sender lower-cased, ip reduced to its configured prefix
 * (IPv6 /64 by default). '{', '}' and '%' are percent-encoded so no value
 * can reach another subject's hash tag; control characters, empty and
 * overlong values are refused.
 */
#ifndef FG_SUBJECT_H
#define FG_SUBJECT_H

#include <stddef.h>

#define SUBJECT_RAW_MAX   256 /* longest raw value accepted */
#define SUBJECT_VALUE_MAX (3 * SUBJECT_RAW_MAX + 8)

enum subject_type {
	SUBJECT_SASL,
	SUBJECT_IP,
	SUBJECT_UID,
	SUBJECT_SENDER,
	SUBJECT_NTYPES
};

struct subject_opts {
	int ipv4_prefix; /* 1..32 */
	int ipv6_prefix; /* 1..128 */
};

/* the name of each type, as in floodgate.conf and in keys */
extern const char *const subject_names[SUBJECT_NTYPES];
const char *subject_type_name(enum subject_type);
int subject_type_code(const char *);
int subject_norm(enum subject_type, const char *raw,
    const struct subject_opts *, char *out, size_t outsize)
    __attribute__((warn_unused_result));
int subject_init(void) __attribute__((warn_unused_result));
int subject_standin(enum subject_type, const char *raw, char *out,
    size_t outsize) __attribute__((warn_unused_result));
int subject_key(char *dst, size_t dstsize, const char *prefix,
    enum subject_type, const char *value, const char *suffix)
    __attribute__((warn_unused_result));

#endif
