/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * priv - priv_resolve() on a table: the configured user, the euid and
 * which users exist → the user both daemons become, the level of the log
 * line and its text (or the refusal). No daemon, no real accounts: the
 * user database is a fake lookup.
 */
#include <stdio.h>
#include <string.h>

#include "priv.h"
#include "tap.h"

/* the fake user database of the current case: "name:uid,name:uid" */
static const char *fake_users;

static long long
fake_lookup(const char *name)
{
	const char *p = fake_users;
	size_t n = strlen(name);
	long long uid;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == ':' &&
		    sscanf(p + n + 1, "%lld", &uid) == 1)
			return uid;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return -1;
}

#define ALL    "root:0,floodgate:998,nobody:65534,alice:1001,toor:0"
#define NOFG   "root:0,nobody:65534,alice:1001"
#define NONE   "root:0,alice:1001"
#define FGUID0 "root:0,floodgate:0,nobody:65534"

static const struct {
	const char *configured;
	unsigned int euid;
	const char *users;
	int rc;
	const char *name;
	enum priv_log log;
	const char *msg;
} cases[] = {
    /* root, nothing set: floodgate, else nobody, else refuse */
    {"", 0, ALL, 0, "floodgate", PRIV_LOG_INFO,
        "dropping to user floodgate (policyd.user not set)"},
    {"", 0, NOFG, 0, "nobody", PRIV_LOG_INFO,
        "dropping to user nobody (policyd.user not set, no user floodgate)"},
    {"", 0, NONE, -1, "", PRIV_LOG_NONE,
        "policyd.user not set and neither user floodgate nor nobody "
        "exists: create one or set policyd.user"},
    /* a floodgate with uid 0 is no drop: take nobody */
    {"", 0, FGUID0, 0, "nobody", PRIV_LOG_INFO,
        "dropping to user nobody (policyd.user not set, no user floodgate)"},
    /* root, a user set: that one */
    {"alice", 0, ALL, 0, "alice", PRIV_LOG_INFO,
        "dropping to user alice (policyd.user)"},
    {"nobody", 0, ALL, 0, "nobody", PRIV_LOG_INFO,
        "dropping to user nobody (policyd.user)"},
    {"bob", 0, ALL, -1, "", PRIV_LOG_NONE, "policyd.user: no such user bob"},
    /* root by name (or any uid-0 name): stays, and warns */
    {"root", 0, ALL, 0, "", PRIV_LOG_WARN,
        "running as root by request (policyd.user = \"root\")"},
    {"toor", 0, ALL, 0, "", PRIV_LOG_WARN,
        "running as root by request (policyd.user = \"toor\")"},
    /* not root: as configured, nothing to say */
    {"", 1001, ALL, 0, "", PRIV_LOG_NONE, ""},
    {"", 1001, NONE, 0, "", PRIV_LOG_NONE, ""},
    {"alice", 1001, ALL, 0, "alice", PRIV_LOG_NONE, ""},
    {"root", 1001, ALL, 0, "root", PRIV_LOG_NONE, ""},
};

int
main(void)
{
	struct priv_user pu;
	char name[160];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_users = cases[i].users;
		rc = priv_resolve(cases[i].configured, "policyd.user",
		    (uid_t)cases[i].euid, fake_lookup, &pu);
		snprintf(name, sizeof(name), "user '%s' euid %u [%s]",
		    cases[i].configured, cases[i].euid, cases[i].users);
		is_int(rc, cases[i].rc, name);
		if (rc == 0)
			is_str(pu.name, cases[i].name, "  becomes");
		is_int(pu.log, cases[i].log, "  log level");
		is_str(pu.msg, cases[i].msg, "  message");
	}
	/* the system lookup: root always exists and keeps root by name */
	ok(priv_resolve("root", "milter.user", 0, NULL, &pu) == 0 &&
	        pu.name[0] == '\0' && pu.log == PRIV_LOG_WARN,
	    "system lookup: root by name");
	return tap_done();
}
