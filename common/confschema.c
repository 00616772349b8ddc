/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confschema - every option of floodgate.conf, one row each, and the
 * validators the rows name.
 *
 * Entry points: confschema_rows, confschema_find, confschema_is_list,
 * confschema_code. A row is found by (section, name): two sections may
 * use one name with their own bounds. The table is constant; nothing here
 * parses a file, allocates or logs.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "cidr.h"
#include "conf.h"
#include "confschema.h"
#include "rconn.h"
#include "subject.h"

#define DEF_BLOCK_ACTION                                                       \
	"REJECT 5.7.1 Sending suspended for abuse, contact your administrator"
#define DEF_FAIL_ACTION                                                        \
	"DEFER_IF_PERMIT 4.3.0 Rate limit service unavailable, try again "     \
	"later"
#define CONFSCHEMA_QUOTE(x)   #x
#define CONFSCHEMA_DECIMAL(x) CONFSCHEMA_QUOTE(x)

/* confschema_action - a Postfix access(5) action we are willing to send */
static bool
confschema_action(const char *a)
{
	static const char *const words[] = {"DEFER_IF_PERMIT",
	    "DEFER_IF_REJECT", "DEFER", "REJECT", "HOLD", "DISCARD", "WARN",
	    "INFO", "DUNNO", NULL};
	size_t wl = strcspn(a, " ");
	const char *p;
	int i;

	if (strlen(a) == 0 || strlen(a) > CONF_ACTION_MAX)
		return false;
	for (p = a; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	if (wl == 3 && (a[0] == '4' || a[0] == '5') &&
	    isdigit((unsigned char)a[1]) && isdigit((unsigned char)a[2]))
		return true;
	for (i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == wl && strncmp(a, words[i], wl) == 0)
			return true;
	return false;
}

/* confschema_key_spec - "ID:/path" with ID of 1..15 [A-Za-z0-9_-] */
static bool
confschema_key_spec(const char *s)
{
	size_t idlen = strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return idlen >= 1 && idlen <= 15 && s[idlen] == ':' &&
	    s[idlen + 1] == '/';
}

/* confschema_prefix - a key prefix cannot open a hash tag or a format */
static bool
confschema_prefix(const char *s)
{
	return strpbrk(s, "{}% \t") == NULL;
}

/* confschema_user - a sasl name subject_norm accepts */
static bool
confschema_user(const char *s)
{
	static const struct subject_opts so = {32, 128};
	char norm[SUBJECT_VALUE_MAX];

	return subject_norm(SUBJECT_SASL, s, &so, norm, sizeof(norm)) == 0;
}

/* confschema_network - an address or network cidr_parse accepts */
static bool
confschema_network(const char *s)
{
	struct cidr c;

	return cidr_parse(s, &c) == 0;
}

/* confschema_unix_user - a login name (as useradd takes) or a numeric uid */
static bool
confschema_unix_user(const char *s)
{
	size_t n = strspn(s,
	    "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	return n > 0 && n < CONF_NAME_MAX && s[n] == '\0' && s[0] != '-';
}

/* confschema_mode - four octal digits, like 0660 */
static bool
confschema_mode(const char *s)
{
	return strlen(s) == 4 && strspn(s, "01234567") == 4;
}

/* confschema_listen - a policyd socket: inet:HOST:PORT or unix:/PATH */
static bool
confschema_listen(const char *s)
{
	return strncmp(s, "inet:", 5) == 0 || strncmp(s, "unix:/", 6) == 0;
}

/* confschema_milter_socket - libmilter's unix:/PATH or inet[6]:PORT@HOST */
static bool
confschema_milter_socket(const char *s)
{
	return strncmp(s, "unix:/", 6) == 0 || strncmp(s, "inet:", 5) == 0 ||
	    strncmp(s, "inet6:", 6) == 0;
}

/* confschema_absolute - an absolute path */
static bool
confschema_absolute(const char *s)
{
	return s[0] == '/';
}

/* confschema_acl_user - a Redis ACL user name: printable, no blanks */
static bool
confschema_acl_user(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* confschema_server - Redis as the connection reads it (rconn) */
static bool
confschema_server(const char *s)
{
	struct rconn_addr a;
	char why[256];

	return rconn_addr_parse(s, &a, why, sizeof(why)) == 0;
}

/* confschema_metrics - "" (off) or inet:HOST:PORT */
static bool
confschema_metrics(const char *s)
{
	struct rconn_addr a;
	char why[256];

	return s[0] == '\0' ||
	    (strncmp(s, "inet:", 5) == 0 &&
	        rconn_addr_parse(s + 5, &a, why, sizeof(why)) == 0 &&
	        !a.is_unix);
}

/* confschema_address - "" or a mail address to put in a header: no
 * blank, control, quote, angle bracket or comma; not starting with '-' */
static bool
confschema_address(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f ||
		    strchr("\"<>,;()\\", *p) != NULL)
			return false;
	return s[0] != '-';
}

/* confschema_command - "" or an absolute path, then arguments split at
 * blanks (no shell), printable */
static bool
confschema_command(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return s[0] == '\0' || s[0] == '/';
}

static const char *const confschema_mode_words[] = {"enforce", "dryrun"};
static const char *const confschema_failure_words[] = {
    [CONF_FAIL_LOCAL] = "local",
    [CONF_FAIL_DUNNO] = "dunno",
    [CONF_FAIL_DEFER] = "defer",
};
static const char *const confschema_share_words[] = {
    [CONF_SHARE_AUTO] = "auto",
    [CONF_SHARE_FULL] = "full",
};
static const char *const confschema_privacy_words[] = {"full", "opaque"};
static const char *const confschema_limit_words[] = {
    [CONF_MACT_HOLD] = "hold",
    [CONF_MACT_TEMPFAIL] = "tempfail",
    [CONF_MACT_REJECT] = "reject",
};
static const char *const confschema_unattr_words[] = {
    [CONF_MACT_ACCEPT] = "accept",
    [CONF_MACT_HOLD] = "hold",
    [CONF_MACT_TEMPFAIL] = "tempfail",
};

/* where a row is kept: struct conf (C) or struct conf_limit (L) */
#define FSIZE(s, f) sizeof(((struct s *)0)->f)
#define C(f)        .offset = offsetof(struct conf, f), .size = FSIZE(conf, f)
#define L(f)                                                                   \
	.offset = offsetof(struct conf_limit, f), .size = FSIZE(conf_limit, f)
/* a string takes what its char array takes */
#define STR_C(f) C(f), .len = FSIZE(conf, f) - 1
#define STR_L(f) L(f), .len = FSIZE(conf_limit, f) - 1
/* a list of strings takes as many entries as its array has */
#define LIST_C(f, n)                                                           \
	C(f), .count = offsetof(struct conf, n), .len = FSIZE(conf, f[0]) - 1, \
	      .max = FSIZE(conf, f) / FSIZE(conf, f[0])
#define WORDS(w) .words = w, .nwords = (int)(sizeof(w) / sizeof(w[0]))
#define ACTION                                                                 \
	.valid = confschema_action,                                            \
	.complaint =                                                           \
	    "is not an access(5) action (DEFER_IF_PERMIT, DEFER, "             \
	    "REJECT, HOLD, DISCARD, WARN, 4NN or 5NN text, max "               \
	    "" CONFSCHEMA_DECIMAL(CONF_ACTION_MAX) " printable chars)"
#define MODE                                                                   \
	.valid = confschema_mode, .complaint = "is not an octal mode like 0660"
#define DAYS(n) ((n)*86400LL)

static const struct confschema_row confschema_table[] = {
    {"", "node", CONFSCHEMA_STR, "", STR_C(node), .reload = true},
    {"", "mode", CONFSCHEMA_ENUM, "enforce", C(dryrun),
        WORDS(confschema_mode_words), .complaint = "is not enforce or dryrun",
        .reload = true},
    {"", "ipv4_prefix", CONFSCHEMA_INT, "32", .min = 1, .max = 32,
        C(subject.ipv4_prefix), .reload = true},
    {"", "ipv6_prefix", CONFSCHEMA_INT, "64", .min = 1, .max = 128,
        C(subject.ipv6_prefix), .reload = true},
    {"", "block_action", CONFSCHEMA_STR, DEF_BLOCK_ACTION, STR_C(block_action),
        ACTION, .reload = true},
    {"", "block_ttl", CONFSCHEMA_DURATION, "0", .min = 0, .max = DAYS(366),
        .unit = CONFSCHEMA_SEC, C(block_ttl), .reload = true},
    {"", "exempt_users", CONFSCHEMA_USERS, "{}", .max = CONF_EXEMPT_MAX,
        .len = SUBJECT_RAW_MAX, C(exempt_users),
        .count = offsetof(struct conf, nexempt_users), .valid = confschema_user,
        .complaint = "is not a valid user name", .reload = true},
    {"", "exempt_networks", CONFSCHEMA_NETWORKS, "{}", .max = CONF_EXEMPT_MAX,
        .len = CONF_PATH_MAX - 1, C(exempt_networks),
        .count = offsetof(struct conf, nexempt_networks),
        .valid = confschema_network,
        .complaint = "is not an address or network", .reload = true},

    {"redis", "server", CONFSCHEMA_STR, "127.0.0.1:6379", STR_C(redis.server),
        .valid = confschema_server,
        .complaint = "is not HOST:PORT, [IPv6]:PORT or unix:/PATH",
        .reload = true},
    {"redis", "sentinels", CONFSCHEMA_LIST, "{}",
        LIST_C(redis.sentinels, redis.nsentinels), .valid = confschema_server,
        .complaint = "is not HOST:PORT, [IPv6]:PORT or unix:/PATH",
        .reload = true},
    {"redis", "cluster", CONFSCHEMA_LIST, "{}",
        LIST_C(redis.cluster, redis.ncluster), .valid = confschema_server,
        .complaint = "is not HOST:PORT, [IPv6]:PORT or unix:/PATH",
        .reload = true},
    {"redis", "master_name", CONFSCHEMA_STR, "", STR_C(redis.master_name),
        .valid = confschema_acl_user,
        .complaint = "is not a master name (printable, no blanks)",
        .reload = true},
    {"redis", "sentinel_password", CONFSCHEMA_STR, "",
        STR_C(redis.sentinel_password), .reload = true},
    {"redis", "user", CONFSCHEMA_STR, "", STR_C(redis.user),
        .valid = confschema_acl_user,
        .complaint = "is not a Redis ACL user name (printable, no blanks)",
        .reload = true},
    {"redis", "password", CONFSCHEMA_STR, "", STR_C(redis.password),
        .reload = true},
    {"redis", "db", CONFSCHEMA_INT, "0", .min = 0, .max = 1024, C(redis.db),
        .reload = true},
    {"redis", "prefix", CONFSCHEMA_STR, "fg:", STR_C(redis.prefix),
        .valid = confschema_prefix,
        .complaint = "must not contain braces, % or blanks", .reload = true},
    {"redis", "timeout", CONFSCHEMA_DURATION, "200", .min = 1, .max = 60000,
        .unit = CONFSCHEMA_MSEC, C(redis.timeout_ms), .reload = true},
    {"redis", "on_failure", CONFSCHEMA_ENUM, "local", C(redis.on_failure),
        WORDS(confschema_failure_words),
        .complaint = "is not local, dunno or defer", .reload = true},
    {"redis", "failure_action", CONFSCHEMA_STR, DEF_FAIL_ACTION,
        STR_C(redis.failure_action), ACTION, .reload = true},
    {"redis", "block_cache_time", CONFSCHEMA_DURATION, "600", .min = 0,
        .max = DAYS(1), .unit = CONFSCHEMA_SEC, C(redis.block_cache_time),
        .reload = true},
    {"redis", "degraded_share", CONFSCHEMA_ENUM, "auto",
        C(redis.degraded_share), WORDS(confschema_share_words),
        .complaint = "is not auto or full", .reload = true},

    /* policyd's sockets and its server are set up once, at start; who may
     * talk to it is checked per connection, so a reload applies that */
    {"policyd", "listen", CONFSCHEMA_LIST,
        "{\"unix:/var/spool/postfix/private/floodgate\"}", .min = 1,
        LIST_C(policyd.listen, policyd.nlisten), .valid = confschema_listen,
        .complaint = "is not inet:HOST:PORT or unix:/PATH"},
    {"policyd", "socket_mode", CONFSCHEMA_MODE, "0660", C(policyd.socket_mode),
        MODE},
    {"policyd", "socket_owner", CONFSCHEMA_STR, "",
        STR_C(policyd.socket_owner)},
    {"policyd", "socket_group", CONFSCHEMA_STR, "postfix",
        STR_C(policyd.socket_group)},
    {"policyd", "user", CONFSCHEMA_STR, "", STR_C(policyd.user)},
    {"policyd", "allow_users", CONFSCHEMA_LIST, "{\"postfix\", \"root\"}",
        LIST_C(policyd.allow_users, policyd.nallow_users),
        .valid = confschema_unix_user,
        .complaint = "is not a user name or a numeric uid", .reload = true},
    {"policyd", "allow_networks", CONFSCHEMA_NETWORKS, "{}",
        .max = CONF_ALLOW_MAX, .len = CONF_PATH_MAX - 1,
        C(policyd.allow_networks),
        .count = offsetof(struct conf, policyd.nallow_networks),
        .valid = confschema_network,
        .complaint = "is not an address or network", .reload = true},
    {"policyd", "max_connections", CONFSCHEMA_INT, "1000", .min = 1,
        .max = 100000, C(policyd.max_connections)},
    /* 0: half of max_connections, as Postfix's anvil takes half of the
     * process limit; above max_connections it is max_connections */
    {"policyd", "max_connections_per_peer", CONFSCHEMA_INT, "0", .min = 0,
        .max = 100000, C(policyd.max_connections_per_peer), .reload = true},
    {"policyd", "metrics_listen", CONFSCHEMA_STR, "",
        STR_C(policyd.metrics_listen), .valid = confschema_metrics,
        .complaint = "is not inet:HOST:PORT"},
    {"policyd", "stats_interval", CONFSCHEMA_DURATION, "300", .min = 0,
        .max = DAYS(1), .unit = CONFSCHEMA_SEC, C(policyd.stats_interval),
        .reload = true},
    {"policyd", "request_timeout", CONFSCHEMA_DURATION, "10", .min = 1,
        .max = 3600, .unit = CONFSCHEMA_SEC, C(policyd.request_timeout)},
    /* at least Postfix's smtpd_policy_service_max_idle (300 s): Postfix
     * closes an idle connection first (DESIGN: never the server) */
    {"policyd", "idle_timeout", CONFSCHEMA_DURATION, "3600", .min = 300,
        .max = DAYS(1), .unit = CONFSCHEMA_SEC, C(policyd.idle_timeout)},

    {"milter", "socket", CONFSCHEMA_STR,
        "unix:/var/spool/postfix/floodgate/milter.sock", STR_C(milter.socket),
        .valid = confschema_milter_socket,
        .complaint = "is not unix:/PATH or inet:PORT@HOST"},
    {"milter", "socket_mode", CONFSCHEMA_MODE, "0660", C(milter.socket_mode),
        MODE},
    {"milter", "socket_group", CONFSCHEMA_STR, "postfix",
        STR_C(milter.socket_group)},
    {"milter", "user", CONFSCHEMA_STR, "", STR_C(milter.user)},
    {"milter", "queue_directory", CONFSCHEMA_STR, "/var/spool/postfix",
        STR_C(milter.queue_directory), .valid = confschema_absolute,
        .complaint = "is not an absolute path"},
    {"milter", "privacy", CONFSCHEMA_ENUM, "opaque", C(milter.opaque),
        WORDS(confschema_privacy_words), .complaint = "is not opaque or full",
        .reload = true},
    {"milter", "keys", CONFSCHEMA_LIST, "{}", LIST_C(milter.keys, milter.nkeys),
        .valid = confschema_key_spec,
        .complaint = "is not ID:/PATH (ID: 1-15 of [A-Za-z0-9_-])",
        .reload = true},
    {"milter", "verify", CONFSCHEMA_BOOL, "false", C(milter.verify),
        .reload = true},
    {"milter", "on_limit", CONFSCHEMA_ENUM, "hold", C(milter.on_limit),
        WORDS(confschema_limit_words),
        .complaint = "is not hold, tempfail or reject", .reload = true},
    {"milter", "on_block", CONFSCHEMA_ENUM, "hold", C(milter.on_block),
        WORDS(confschema_limit_words),
        .complaint = "is not hold, tempfail or reject", .reload = true},
    {"milter", "on_unattributed", CONFSCHEMA_ENUM, "accept",
        C(milter.on_unattributed), WORDS(confschema_unattr_words),
        .complaint = "is not accept, hold or tempfail", .reload = true},
    {"milter", "trace_maxlen", CONFSCHEMA_INT, "100000", .min = 0,
        .max = 100000000, C(milter.trace_maxlen), .reload = true},
    {"milter", "proc_budget", CONFSCHEMA_DURATION, "50", .min = 1, .max = 1000,
        .unit = CONFSCHEMA_MSEC, C(milter.proc_budget_ms), .reload = true},
    /* above Postfix's smtpd_timeout (300 s) twice: a slow client between
     * two commands must not cost its message; libmilter's own is 7210 s */
    {"milter", "metrics_listen", CONFSCHEMA_STR, "",
        STR_C(milter.metrics_listen), .valid = confschema_metrics,
        .complaint = "is not inet:HOST:PORT"},
    {"milter", "timeout", CONFSCHEMA_DURATION, "600", .min = 1, .max = 7210,
        .unit = CONFSCHEMA_SEC, C(milter.timeout)},

    {"notify", "mail", CONFSCHEMA_STR, "", STR_C(notify.mail),
        .valid = confschema_address, .complaint = "is not a mail address",
        .reload = true},
    {"notify", "from", CONFSCHEMA_STR, "floodgate", STR_C(notify.from),
        .valid = confschema_address, .complaint = "is not a mail address",
        .reload = true},
    {"notify", "sendmail", CONFSCHEMA_STR, "/usr/sbin/sendmail",
        STR_C(notify.sendmail), .valid = confschema_command,
        .complaint = "is not an absolute path (and arguments)", .reload = true},
    {"notify", "exec", CONFSCHEMA_STR, "", STR_C(notify.exec),
        .valid = confschema_command,
        .complaint = "is not an absolute path (and arguments)", .reload = true},
    {"notify", "timeout", CONFSCHEMA_DURATION, "30", .min = 1, .max = 3600,
        .unit = CONFSCHEMA_SEC, C(notify.timeout), .reload = true},
    {"notify", "max", CONFSCHEMA_INT, "20", .min = 1, .max = 100000,
        C(notify.max), .reload = true},
    {"notify", "window", CONFSCHEMA_DURATION, "3600", .min = 1, .max = DAYS(7),
        .unit = CONFSCHEMA_SEC, C(notify.window), .reload = true},

    /* def NULL without inherit: required (confcheck_limit) */
    {"limit", "subject", CONFSCHEMA_ENUM, NULL, L(subject),
        WORDS(subject_names),
        .complaint = "is not one of sasl, ip, uid, sender", .reload = true},
    {"limit", "window", CONFSCHEMA_DURATION, NULL, .min = 1, .max = DAYS(31),
        .unit = CONFSCHEMA_SEC, L(window), .reload = true},
    {"limit", "messages", CONFSCHEMA_INT, "0", .min = 0, .max = 1000000000,
        L(messages), .reload = true},
    {"limit", "recipients", CONFSCHEMA_INT, "0", .min = 0, .max = 1000000000,
        L(recipients), .reload = true},
    {"limit", "bytes", CONFSCHEMA_INT, "0", .min = 0, .max = 1LL << 50,
        L(bytes), .reload = true},
    {"limit", "max_client_ips", CONFSCHEMA_INT, "0", .min = 0, .max = 100000,
        L(max_client_ips), .reload = true},
    {"limit", "max_senders", CONFSCHEMA_INT, "0", .min = 0, .max = 100000,
        L(max_senders), .reload = true},
    {"limit", "block_after", CONFSCHEMA_INT, "0", .min = 0, .max = 1000000,
        L(block_after), .reload = true},
    {"limit", "action", CONFSCHEMA_STR, CONF_DEFAULT_ACTION, STR_L(action),
        ACTION, .reload = true},
    {"limit", "block_action", CONFSCHEMA_STR, NULL, STR_L(block_action), ACTION,
        .inherit = true, .reload = true},
    {"limit", "block_ttl", CONFSCHEMA_DURATION, NULL, .min = 0,
        .max = DAYS(366), .unit = CONFSCHEMA_SEC, L(block_ttl), .inherit = true,
        .reload = true},
    {.name = NULL},
};

const struct confschema_row *
confschema_rows(void)
{
	return confschema_table;
}

/* confschema_find - by section and name: never by the name alone */
const struct confschema_row *
confschema_find(const char *section, const char *name)
{
	const struct confschema_row *r;

	for (r = confschema_table; r->name != NULL; r++)
		if (strcmp(r->section, section) == 0 &&
		    strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

bool
confschema_is_list(const struct confschema_row *r)
{
	return r->type == CONFSCHEMA_LIST || r->type == CONFSCHEMA_USERS ||
	    r->type == CONFSCHEMA_NETWORKS;
}

int
confschema_code(const struct confschema_row *r, const char *word)
{
	int i;

	for (i = 0; i < r->nwords; i++)
		if (r->words[i] != NULL && strcmp(r->words[i], word) == 0)
			return i;
	return -1;
}
