/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * priv - which user a daemon becomes, and becoming it once the sockets
 * are open (both daemons).
 */
#ifndef FG_PRIV_H
#define FG_PRIV_H

#include <sys/types.h>

#include <stddef.h>

#define PRIV_NAME_MAX      64
#define PRIV_MSG_MAX       160
#define PRIV_DEFAULT_USER  "floodgate" /* root with no user set */
#define PRIV_FALLBACK_USER "nobody"    /* ... when floodgate does not exist */

/* how the daemon logs priv_user.msg */
enum priv_log { PRIV_LOG_NONE, PRIV_LOG_INFO, PRIV_LOG_WARN };

struct priv_user {
	char name[PRIV_NAME_MAX]; /* to become; "" stays who it is */
	enum priv_log log;
	char msg[PRIV_MSG_MAX];
};

/* priv_lookup_fn - the uid of a user name, or -1 when there is none */
typedef long long (*priv_lookup_fn)(const char *name);

/*
 * priv_resolve - the user to become from the configured one (option names
 * it in messages): as root, "" means floodgate, else nobody; a user with
 * uid 0 keeps root (a warning); not root, the configured one. lookup NULL
 * is the system's. 0 with *out filled, or -1 with out->msg.
 */
int priv_resolve(const char *configured, const char *option, uid_t euid,
    priv_lookup_fn lookup, struct priv_user *out)
    __attribute__((warn_unused_result));

/* priv_drop - become user with its groups (initgroups; "" keeps the
 * current user); 0, or -1 + err */
int priv_drop(const char *user, char *err, size_t errsize)
    __attribute__((warn_unused_result));

#endif
