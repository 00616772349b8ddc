/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confcheck - validation of floodgate.conf while libconfuse parses it, so
 * every error is reported with the line it is on.
 *
 * Entry points (installed by conf.c): confcheck_num (numbers and
 * durations, with a range table), confcheck_str (every string option),
 * confcheck_limit and confcheck_policyd (whole sections, at their closing
 * brace), confcheck_braces (a file must close every section). Errors go
 * through cfg_error(); never logs.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "confcheck.h"
#include "str.h"
#include "subject.h"
#include "cidr.h"

enum unit { U_NONE, U_SEC, U_MSEC };

/* numeric options: range and unit, checked while parsing */
static const struct numopt {
	const char *name;
	long long min, max;
	enum unit unit;
} numopts[] = {
    {"ipv4_prefix", 1, 32, U_NONE},
    {"ipv6_prefix", 1, 128, U_NONE},
    {"block_ttl", 0, 366LL * 86400, U_SEC},
    {"db", 0, 1024, U_NONE},
    {"timeout", 1, 60000, U_MSEC},
    {"block_cache_time", 0, 86400, U_SEC},
    {"max_connections", 1, 100000, U_NONE},
    {"stats_interval", 0, 86400, U_SEC},
    {"request_timeout", 1, 3600, U_SEC},
    {"window", 1, 31LL * 86400, U_SEC},
    {"messages", 0, 1000000000, U_NONE},
    {"recipients", 0, 1000000000, U_NONE},
    {"bytes", 0, 1LL << 50, U_NONE},
    {"max_client_ips", 0, 100000, U_NONE},
    {"max_senders", 0, 100000, U_NONE},
    {"block_after", 0, 1000000, U_NONE},
    {"trace_maxlen", 0, 100000000, U_NONE},
    {"proc_budget", 1, 1000, U_MSEC},
};

static const struct numopt *
numopt_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(numopts) / sizeof(numopts[0]); i++)
		if (strcmp(numopts[i].name, name) == 0)
			return &numopts[i];
	return NULL;
}

/* cb_num - "N", or with a unit "Nms Ns Nm Nh Nd Nw" for durations */
int
confcheck_num(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const struct numopt *n = numopt_find(cfg_opt_name(opt));
	char digits[32], ev[64];
	size_t len = strspn(value, "0123456789");
	const char *suffix = value + len;
	long long v, mul = 1;

	if (n == NULL || len == 0 || len >= sizeof(digits))
		goto bad;
	memcpy(digits, value, len);
	digits[len] = '\0';
	if (str_tonum(digits, 0, 1LL << 53, &v) == -1)
		goto bad;
	if (*suffix != '\0' && n->unit == U_NONE)
		goto bad;
	if (*suffix == '\0')
		mul = 1; /* the option's own unit */
	else if (strcmp(suffix, "ms") == 0 && n->unit == U_MSEC)
		mul = 1;
	else if (strcmp(suffix, "s") == 0)
		mul = 1;
	else if (strcmp(suffix, "m") == 0)
		mul = 60;
	else if (strcmp(suffix, "h") == 0)
		mul = 3600;
	else if (strcmp(suffix, "d") == 0)
		mul = 86400;
	else if (strcmp(suffix, "w") == 0)
		mul = 7 * 86400;
	else
		goto bad;
	if (n->unit == U_MSEC && *suffix != '\0' && strcmp(suffix, "ms") != 0)
		mul *= 1000;
	/* compare before multiplying: v * mul must not overflow */
	if (v > n->max / mul || v * mul < n->min) {
		cfg_error(cfg, "%s: %s is out of range (%lld..%lld%s)",
		    cfg_opt_name(opt),
		    str_escape(ev, sizeof(ev), value, strlen(value)), n->min,
		    n->max,
		    n->unit == U_MSEC      ? " ms"
		        : n->unit == U_SEC ? " s"
		                           : "");
		return -1;
	}
	*(long *)result = (long)(v * mul);
	return 0;
bad:
	cfg_error(cfg, "%s: invalid value '%s'%s", cfg_opt_name(opt),
	    str_escape(ev, sizeof(ev), value, strlen(value)),
	    n != NULL && n->unit != U_NONE ? " (a number, optionally with "
	                                     "a unit: ms s m h d w)"
	                                   : " (a whole number)");
	return -1;
}

/* action_valid - a Postfix access(5) action we are willing to send */
static bool
action_valid(const char *a)
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

/* str_maxlen - longest value a string option's struct conf field takes */
static size_t
str_maxlen(const char *name)
{
	if (strcmp(name, "node") == 0 || strcmp(name, "prefix") == 0 ||
	    strcmp(name, "socket_owner") == 0 ||
	    strcmp(name, "socket_group") == 0 || strcmp(name, "user") == 0)
		return CONF_NAME_MAX - 1;
	if (strcmp(name, "password") == 0)
		return CONF_NAME_MAX * 2 - 1;
	if (strstr(name, "action") != NULL)
		return CONF_ACTION_MAX;
	if (strcmp(name, "exempt_users") == 0)
		return SUBJECT_RAW_MAX;
	if (strncmp(name, "on_", 3) == 0 || strcmp(name, "privacy") == 0)
		return 16;
	return CONF_PATH_MAX - 1;
}

/* key_spec_valid - "ID:/path" with ID of 1..15 [A-Za-z0-9_-] */
static bool
key_spec_valid(const char *s)
{
	size_t idlen = strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return idlen >= 1 && idlen <= 15 && s[idlen] == ':' &&
	    s[idlen + 1] == '/';
}

/* milter_str_bad - the milter section's own words; true (and an error
 * reported) when raw is not acceptable for name */
static bool
milter_str_bad(cfg_t *cfg, const char *name, const char *raw, const char *v)
{
	bool unattr = strcmp(name, "on_unattributed") == 0;

	if (strncmp(name, "on_", 3) == 0 && strcmp(name, "on_failure") != 0 &&
	    strcmp(raw, "hold") != 0 && strcmp(raw, "tempfail") != 0 &&
	    (unattr || strcmp(raw, "reject") != 0) &&
	    (!unattr || strcmp(raw, "accept") != 0)) {
		cfg_error(cfg, "%s: '%s' is not %s", name, v,
		    unattr ? "accept, hold or tempfail"
		           : "hold, tempfail or reject");
		return true;
	}
	if (strcmp(name, "privacy") == 0 && strcmp(raw, "opaque") != 0 &&
	    strcmp(raw, "full") != 0) {
		cfg_error(cfg, "privacy: '%s' is not opaque or full", v);
		return true;
	}
	if (strcmp(name, "keys") == 0 && !key_spec_valid(raw)) {
		cfg_error(cfg,
		    "keys: '%s' is not ID:/PATH (ID: 1-15 of "
		    "[A-Za-z0-9_-])",
		    v);
		return true;
	}
	if (strcmp(name, "queue_directory") == 0 && raw[0] != '/') {
		cfg_error(
		    cfg, "queue_directory: '%s' is not an absolute path", v);
		return true;
	}
	if (strcmp(name, "socket") == 0 && strncmp(raw, "unix:/", 6) != 0 &&
	    strncmp(raw, "inet:", 5) != 0 && strncmp(raw, "inet6:", 6) != 0) {
		cfg_error(
		    cfg, "socket: '%s' is not unix:/PATH or inet:PORT@HOST", v);
		return true;
	}
	return false;
}

/* vstr - validate one string option as it is parsed */
int
confcheck_str(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *name = cfg_opt_name(opt);
	unsigned int i, n = cfg_opt_size(opt);
	size_t max = str_maxlen(name);
	struct subject_opts so = {32, 128};

	if (strcmp(name, "keys") == 0 && n > CONF_KEYS_MAX) {
		cfg_error(cfg, "keys: more than %d keys", CONF_KEYS_MAX);
		return -1;
	}
	if (strncmp(name, "exempt_", 7) == 0 && n > CONF_EXEMPT_MAX) {
		cfg_error(
		    cfg, "%s: more than %d entries", name, CONF_EXEMPT_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *raw = cfg_opt_getnstr(opt, i);
		char v[80], norm[SUBJECT_VALUE_MAX];
		struct cidr c;

		if (raw == NULL)
			continue;
		/* v: the value as error messages may show it */
		str_escape(v, sizeof(v), raw, strlen(raw));
		if (strlen(raw) > max) {
			cfg_error(
			    cfg, "%s: value too long (max %zu)", name, max);
			return -1;
		}
		if (strcmp(name, "prefix") == 0 &&
		    strpbrk(raw, "{}% \t") != NULL) {
			cfg_error(cfg,
			    "prefix: '%s' must not contain braces, "
			    "%% or blanks",
			    v);
			return -1;
		}
		if (strcmp(name, "exempt_users") == 0 &&
		    subject_norm(SUBJECT_SASL, raw, &so, norm, sizeof(norm)) ==
		        -1) {
			cfg_error(cfg,
			    "exempt_users: '%s' is not a valid user "
			    "name",
			    v);
			return -1;
		}
		if (strstr(name, "action") != NULL && !action_valid(raw)) {
			cfg_error(cfg,
			    "%s: '%s' is not an access(5) action "
			    "(DEFER_IF_PERMIT, DEFER, REJECT, HOLD, DISCARD, "
			    "WARN, 4NN or 5NN text, max %d printable chars)",
			    name, v, CONF_ACTION_MAX);
			return -1;
		}
		if (strcmp(name, "exempt_networks") == 0 &&
		    cidr_parse(raw, &c) == -1) {
			cfg_error(cfg, "%s: '%s' is not an address or network",
			    name, v);
			return -1;
		}
		if (strcmp(name, "subject") == 0 &&
		    subject_type_code(raw) == -1) {
			cfg_error(cfg,
			    "subject: '%s' is not one of sasl, ip, "
			    "uid, sender",
			    v);
			return -1;
		}
		if (strcmp(name, "mode") == 0 && strcmp(raw, "enforce") != 0 &&
		    strcmp(raw, "dryrun") != 0) {
			cfg_error(
			    cfg, "mode: '%s' is not enforce or dryrun", v);
			return -1;
		}
		if (strcmp(name, "on_failure") == 0 &&
		    strcmp(raw, "local") != 0 && strcmp(raw, "dunno") != 0 &&
		    strcmp(raw, "defer") != 0) {
			cfg_error(cfg,
			    "on_failure: '%s' is not local, dunno or "
			    "defer",
			    v);
			return -1;
		}
		if (strcmp(name, "socket_mode") == 0 &&
		    (strlen(raw) != 4 || strspn(raw, "01234567") != 4)) {
			cfg_error(cfg,
			    "socket_mode: '%s' is not an octal mode "
			    "like 0660",
			    v);
			return -1;
		}
		if (strcmp(name, "listen") == 0 &&
		    strncmp(raw, "inet:", 5) != 0 &&
		    strncmp(raw, "unix:/", 6) != 0) {
			cfg_error(cfg,
			    "listen: '%s' is not inet:HOST:PORT or "
			    "unix:/PATH",
			    v);
			return -1;
		}
		if (milter_str_bad(cfg, name, raw, v))
			return -1;
		if (strcmp(name, "server") == 0 &&
		    strncmp(raw, "unix:/", 6) != 0 &&
		    strrchr(raw, ':') == NULL) {
			cfg_error(cfg,
			    "server: '%s' is not HOST:PORT or "
			    "unix:/PATH",
			    v);
			return -1;
		}
	}
	return 0;
}

/* vlimit - cross-field checks of one limit section, at its closing brace */
int
confcheck_limit(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *subj = cfg_getstr(sec, "subject");
	const char *title = cfg_title(sec);

	(void)cfg; /* errors go on the section: it has the line */
	if (cfg_opt_size(opt) > CONF_LIMITS_MAX) {
		cfg_error(sec, "more than %d limit sections", CONF_LIMITS_MAX);
		return -1;
	}
	if (title == NULL || title[0] == '\0' ||
	    strlen(title) >= CONF_NAME_MAX ||
	    strspn(title,
	        "abcdefghijklmnopqrstuvwxyz"
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(title)) {
		cfg_error(sec, "limit: name must be 1-%d of [A-Za-z0-9-_.]",
		    CONF_NAME_MAX - 1);
		return -1;
	}
	if (subj == NULL) {
		cfg_error(sec, "limit \"%s\": subject is required", title);
		return -1;
	}
	if (cfg_getint(sec, "window") == 0) {
		cfg_error(sec, "limit \"%s\": window is required", title);
		return -1;
	}
	if (cfg_getint(sec, "messages") == 0 &&
	    cfg_getint(sec, "recipients") == 0 &&
	    cfg_getint(sec, "bytes") == 0 &&
	    cfg_getint(sec, "max_client_ips") == 0 &&
	    cfg_getint(sec, "max_senders") == 0) {
		cfg_error(sec,
		    "limit \"%s\": sets none of messages, recipients, "
		    "bytes, max_client_ips, max_senders",
		    title);
		return -1;
	}
	if (strcmp(subj, "sasl") != 0 &&
	    (cfg_getint(sec, "max_client_ips") != 0 ||
	        cfg_getint(sec, "max_senders") != 0)) {
		cfg_error(sec,
		    "limit \"%s\": max_client_ips and max_senders "
		    "need subject = \"sasl\"",
		    title);
		return -1;
	}
	return 0;
}

/* vpolicyd - the policyd section as a whole: 1..CONF_LISTEN_MAX sockets */
int
confcheck_policyd(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, 0);
	unsigned int n = cfg_size(sec, "listen");

	(void)cfg; /* errors go on the section: it has the line */
	if (n == 0 || n > CONF_LISTEN_MAX) {
		cfg_error(sec, "listen: 1 to %d sockets", CONF_LISTEN_MAX);
		return -1;
	}
	return 0;
}

/*
 * braces_closed - libconfuse 3.3 accepts end of file inside a section, so a
 * truncated file would load; scan braces outside strings and comments.
 * Returns 0, or -1 with err naming the line of the unclosed brace (other
 * syntax errors are left to libconfuse).
 */
int
confcheck_braces(const char *path, char *err, size_t errsize)
{
	enum { CODE, DQ, SQ, LINE, BLOCK } st = CODE;
	int open_line[32], depth = 0, line = 1, ch, prev = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0; /* cfg_parse reports it */
	while ((ch = getc(f)) != EOF) {
		if (ch == '\n')
			line++;
		switch (st) {
		case CODE:
			if (ch == '"')
				st = DQ;
			else if (ch == '\'')
				st = SQ;
			else if (ch == '#' || (ch == '/' && prev == '/'))
				st = LINE;
			else if (ch == '*' && prev == '/')
				st = BLOCK;
			else if (ch == '{' && depth < 32)
				open_line[depth++] = line;
			else if (ch == '}' && depth > 0)
				depth--;
			break;
		case DQ:
			if (ch == '"' && prev != '\\')
				st = CODE;
			break;
		case SQ:
			if (ch == '\'')
				st = CODE;
			break;
		case LINE:
			if (ch == '\n')
				st = CODE;
			break;
		case BLOCK:
			if (ch == '/' && prev == '*')
				st = CODE;
			break;
		}
		/* an escaped backslash does not escape the next quote */
		prev = (st == DQ && ch == '\\' && prev == '\\') ? 0 : ch;
	}
	fclose(f);
	if (depth == 0)
		return 0;
	snprintf(err, errsize, "%s:%d: '{' is never closed", path,
	    open_line[depth - 1]);
	return -1;
}
