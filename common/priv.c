/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * priv - switch to an unprivileged user: supplementary groups, gid, uid,
 * in that order (a uid change first would forbid the others). Never logs.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

int
priv_drop(const char *user, char *err, size_t errsize)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errsize, "user: no such user %s", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		snprintf(err, errsize, "cannot become user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}
