/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * target - SUBJECT arguments of floodgate(8) into the daemons' subjects.
 *
 * A value with a known type prefix is that type; otherwise an address
 * inet_pton reads (with an optional /prefix) is an ip, anything else a
 * SASL user. Refused: an empty or overlong value, control characters
 * (subject_norm), an unknown "type:" that is not an IPv6 address.
 */
#include <arpa/inet.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "keys.h"
#include "str.h"
#include "target.h"

/* target_is_ip - s (up to an optional "/N") is an IPv4 or IPv6 address */
static bool
target_is_ip(const char *s)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN + 8];

	if (str_lcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return false;
	buf[strcspn(buf, "/")] = '\0';
	return cidr_addr(buf, a) != -1;
}

/* target_user - a numeric uid as its user's name, as the milter names it */
static void
target_user(char *raw, size_t size)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	long long uid;

	if (str_tonum(raw, 0, 0xfffffffeLL, &uid) == -1)
		return;
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && strlen(pw.pw_name) < size)
		str_lcpy(raw, pw.pw_name, size);
}

int
target_parse(const struct conf *c, const char *arg, struct target *t, char *why,
    size_t size)
{
	char raw[SUBJECT_RAW_MAX + 1];
	const char *colon = strchr(arg, ':'), *v = arg;
	int type = -1;

	memset(t, 0, sizeof(*t));
	if (strlen(arg) > SUBJECT_RAW_MAX + 8) {
		snprintf(why, size, "subject too long (%zu bytes, at most %d)",
		    strlen(arg), SUBJECT_RAW_MAX);
		return -1;
	}
	if (colon != NULL && colon - arg < 16) {
		char name[16];

		memcpy(name, arg, (size_t)(colon - arg));
		name[colon - arg] = '\0';
		type = subject_type_code(name);
		if (type != -1)
			v = colon + 1;
	}
	if (type == -1 && target_is_ip(arg))
		type = SUBJECT_IP;
	else if (type == -1 && colon != NULL && strchr(arg, '@') == NULL) {
		snprintf(why, size,
		    "%.64s: unknown subject type (sasl:, ip:, uid:, sender:)",
		    arg);
		return -1;
	} else if (type == -1)
		type = SUBJECT_SASL;
	if (strlen(v) > SUBJECT_RAW_MAX) {
		snprintf(why, size, "subject too long (%zu bytes, at most %d)",
		    strlen(v), SUBJECT_RAW_MAX);
		return -1;
	}
	str_lcpy(raw, v, sizeof(raw));
	if (type == SUBJECT_UID)
		target_user(raw, sizeof(raw));
	if (type == SUBJECT_IP && !target_is_ip(raw)) {
		snprintf(why, size, "%.64s: not an IP address", raw);
		return -1;
	}
	t->type = (enum subject_type)type;
	str_lcpy(t->raw, raw, sizeof(t->raw));
	if (subject_norm(
	        t->type, raw, &c->subject, t->value, sizeof(t->value)) == -1) {
		snprintf(why, size, "%.64s: not a valid %s subject", raw,
		    subject_type_name(t->type));
		return -1;
	}
	snprintf(t->name, sizeof(t->name), "%s:%s", subject_type_name(t->type),
	    t->value);
	if (target_key(c, t, KEYS_USAGE, t->key, sizeof(t->key)) == -1) {
		snprintf(why, size, "%.64s: key too long", t->name);
		return -1;
	}
	return 0;
}

int
target_key(const struct conf *c, const struct target *t, const char *suffix,
    char *buf, size_t size)
{
	return subject_key(
	    buf, size, c->redis.prefix, t->type, t->value, suffix);
}
