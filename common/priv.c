/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * priv - the user a daemon runs as. priv_resolve applies the one rule both
 * daemons share (started as root with no user set, become floodgate, or
 * nobody when there is no floodgate; root only when asked for by name);
 * priv_drop switches: supplementary groups, gid, uid, in that order (a uid
 * change first would forbid the others). Never logs: it fills a message
 * and says at which level the daemon should log it.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

/* priv_lookup_system - getpwnam's uid of name, or -1 */
static long long
priv_lookup_system(const char *name)
{
	struct passwd *pw = getpwnam(name);

	return pw != NULL ? (long long)pw->pw_uid : -1;
}

/* priv_set - fill *out; 0, or -1 when the name does not fit */
static int
priv_set(struct priv_user *out, const char *name, enum priv_log log)
{
	if (snprintf(out->name, sizeof(out->name), "%s", name) >=
	    (int)sizeof(out->name)) {
		snprintf(out->msg, sizeof(out->msg), "user name too long");
		return -1;
	}
	out->log = log;
	return 0;
}

int
priv_resolve(const char *configured, const char *option, uid_t euid,
    priv_lookup_fn lookup, struct priv_user *out)
{
	const char *pick;
	long long uid;

	memset(out, 0, sizeof(*out));
	if (lookup == NULL)
		lookup = priv_lookup_system;
	if (euid != 0) /* no rights to drop: as configured, as before */
		return priv_set(out, configured, PRIV_LOG_NONE);
	if (configured[0] != '\0') {
		if ((uid = lookup(configured)) == -1) {
			snprintf(out->msg, sizeof(out->msg),
			    "%s: no such user %s", option, configured);
			return -1;
		}
		if (uid == 0) {
			snprintf(out->msg, sizeof(out->msg),
			    "running as root by request (%s = \"%s\")", option,
			    configured);
			return priv_set(out, "", PRIV_LOG_WARN);
		}
		snprintf(out->msg, sizeof(out->msg), "dropping to user %s (%s)",
		    configured, option);
		return priv_set(out, configured, PRIV_LOG_INFO);
	}
	if (lookup(PRIV_DEFAULT_USER) > 0) {
		pick = PRIV_DEFAULT_USER;
		snprintf(out->msg, sizeof(out->msg),
		    "dropping to user %s (%s not set)", pick, option);
	} else if (lookup(PRIV_FALLBACK_USER) > 0) {
		pick = PRIV_FALLBACK_USER;
		snprintf(out->msg, sizeof(out->msg),
		    "dropping to user %s (%s not set, no user %s)", pick,
		    option, PRIV_DEFAULT_USER);
	} else {
		snprintf(out->msg, sizeof(out->msg),
		    "%s not set and neither user %s nor %s exists: create "
		    "one or set %s",
		    option, PRIV_DEFAULT_USER, PRIV_FALLBACK_USER, option);
		return -1;
	}
	return priv_set(out, pick, PRIV_LOG_INFO);
}

int
priv_drop(const char *user, char *err, size_t errsize)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errsize, "no such user %s", user);
		return -1;
	}
	/* its own supplementary groups: in postdrop, Postfix's sendmail
	 * queues a notification even under NoNewPrivileges (no setgid) */
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		snprintf(err, errsize, "cannot become user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}
