/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf - the whole libconfuse schema in one place, validated while parsed.
 *
 * Entry points: conf_load, conf_free, conf_limit_find, conf_exempt_user,
 * conf_option_names. Numbers and durations go through one callback with a
 * range table, strings through one validator, so every bad value is
 * reported as file:line: message. Never logs; the first error is written
 * to the caller's buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>

#include "conf.h"
#include "str.h"

#define DEF_ACTION                                                             \
	"DEFER_IF_PERMIT 4.7.1 Sending rate limit exceeded, try again later"
#define DEF_BLOCK_ACTION                                                       \
	"REJECT 5.7.1 Sending suspended for abuse, contact your administrator"
#define DEF_FAIL_ACTION                                                        \
	"DEFER_IF_PERMIT 4.3.0 Rate limit service unavailable, try again "     \
	"later"

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
};

static char *conf_errbuf;
static size_t conf_errsize;
static cfg_t *conf_root; /* sections' own file:line are not kept up */

/* conf_errfunc - keep the first error, as file:line: message */
static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[CONF_ERR_MAX];

	if (conf_errbuf == NULL || conf_errbuf[0] != '\0')
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* a section keeps the lexer's line but not the file name */
	if (cfg != NULL && conf_root != NULL && conf_root->filename != NULL)
		snprintf(conf_errbuf, conf_errsize, "%s:%d: %s",
		    conf_root->filename, cfg->line, msg);
	else
		snprintf(conf_errbuf, conf_errsize, "%s", msg);
}

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
static int
cb_num(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
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
	return CONF_PATH_MAX - 1;
}

/* vstr - validate one string option as it is parsed */
static int
vstr(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *name = cfg_opt_name(opt);
	unsigned int i, n = cfg_opt_size(opt);
	size_t max = str_maxlen(name);
	struct subject_opts so = {32, 128};

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
static int
vlimit(cfg_t *cfg, cfg_opt_t *opt)
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
static int
vpolicyd(cfg_t *cfg, cfg_opt_t *opt)
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

#define NUM(n, d) CFG_INT_CB(n, d, CFGF_NONE, cb_num)

static cfg_opt_t limit_opts[] = {CFG_STR("subject", NULL, CFGF_NODEFAULT),
    NUM("window", 0), NUM("messages", 0), NUM("recipients", 0), NUM("bytes", 0),
    NUM("max_client_ips", 0), NUM("max_senders", 0), NUM("block_after", 0),
    CFG_STR("action", DEF_ACTION, CFGF_NONE),
    CFG_STR("block_action", NULL, CFGF_NODEFAULT), NUM("block_ttl", -1),
    CFG_END()};

static cfg_opt_t redis_opts[] = {CFG_STR("server", "127.0.0.1:6379", CFGF_NONE),
    CFG_STR("password", "", CFGF_NONE), NUM("db", 0),
    CFG_STR("prefix", "fg:", CFGF_NONE), NUM("timeout", 200),
    CFG_STR("on_failure", "local", CFGF_NONE),
    CFG_STR("failure_action", DEF_FAIL_ACTION, CFGF_NONE),
    NUM("block_cache_time", 600), CFG_END()};

static cfg_opt_t policyd_opts[] = {
    CFG_STR_LIST("listen", "{inet:127.0.0.1:10040}", CFGF_NONE),
    CFG_STR("socket_mode", "0666", CFGF_NONE),
    CFG_STR("socket_owner", "", CFGF_NONE),
    CFG_STR("socket_group", "", CFGF_NONE), CFG_STR("user", "", CFGF_NONE),
    NUM("max_connections", 1000), NUM("stats_interval", 300),
    NUM("request_timeout", 60), CFG_END()};

static cfg_opt_t root_opts[] = {CFG_STR("node", "", CFGF_NONE),
    CFG_STR("mode", "enforce", CFGF_NONE), NUM("ipv4_prefix", 32),
    NUM("ipv6_prefix", 64),
    CFG_STR("block_action", DEF_BLOCK_ACTION, CFGF_NONE), NUM("block_ttl", 0),
    CFG_STR_LIST("exempt_users", "{}", CFGF_NONE),
    CFG_STR_LIST("exempt_networks", "{}", CFGF_NONE),
    CFG_SEC("redis", redis_opts, CFGF_NONE),
    CFG_SEC("policyd", policyd_opts, CFGF_NONE),
    CFG_SEC("limit", limit_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_END()};

/* conf_option_names - every option as "section.name" (for doc tests) */
const char *const *
conf_option_names(void)
{
	static const char *names[64];
	static const struct {
		const char *sec;
		cfg_opt_t *opts;
	} secs[] = {{"", root_opts}, {"redis.", redis_opts},
	    {"policyd.", policyd_opts}, {"limit.", limit_opts}};
	static char store[64][64];
	size_t s, n = 0;
	cfg_opt_t *o;

	if (names[0] != NULL)
		return names;
	for (s = 0; s < sizeof(secs) / sizeof(secs[0]); s++)
		for (o = secs[s].opts; o->name != NULL && n < 63; o++) {
			if (o->type == CFGT_SEC)
				continue;
			snprintf(store[n], sizeof(store[n]), "%s%s",
			    secs[s].sec, o->name);
			names[n] = store[n];
			n++;
		}
	names[n] = NULL;
	return names;
}

/* set_validators - install vstr on every string option of a schema */
static void
set_validators(cfg_t *cfg, const char *prefix, cfg_opt_t *opts)
{
	char path[128];
	cfg_opt_t *o;

	for (o = opts; o->name != NULL; o++) {
		if (o->type != CFGT_STR)
			continue;
		snprintf(path, sizeof(path), "%s%s", prefix, o->name);
		cfg_set_validate_func(cfg, path, vstr);
	}
}

/* copy_str - config string into a fixed field; returns 0 or -1 */
static int
copy_str(char *dst, size_t size, const char *src, char *err, size_t errsize,
    const char *path, const char *what)
{
	if (str_lcpy(dst, src != NULL ? src : "", size) < size)
		return 0;
	snprintf(err, errsize, "%s: %s: value too long (max %zu)", path, what,
	    size - 1);
	return -1;
}

/* copy_limit - one validated limit section into l */
static int
copy_limit(const struct conf *c, cfg_t *sec, struct conf_limit *l, char *err,
    size_t errsize)
{
	const char *ba = cfg_getstr(sec, "block_action");

	str_lcpy(l->name, cfg_title(sec), sizeof(l->name));
	l->subject =
	    (enum subject_type)subject_type_code(cfg_getstr(sec, "subject"));
	l->window = cfg_getint(sec, "window");
	l->messages = cfg_getint(sec, "messages");
	l->recipients = cfg_getint(sec, "recipients");
	l->bytes = cfg_getint(sec, "bytes");
	l->max_client_ips = cfg_getint(sec, "max_client_ips");
	l->max_senders = cfg_getint(sec, "max_senders");
	l->block_after = cfg_getint(sec, "block_after");
	l->block_ttl = cfg_getint(sec, "block_ttl");
	if (l->block_ttl < 0)
		l->block_ttl = c->block_ttl;
	if (copy_str(l->action, sizeof(l->action), cfg_getstr(sec, "action"),
	        err, errsize, c->path, "action") == -1)
		return -1;
	return copy_str(l->block_action, sizeof(l->block_action),
	    ba != NULL ? ba : c->block_action, err, errsize, c->path,
	    "block_action");
}

/* copy_lists - exempt users (normalised) and networks */
static int
copy_lists(struct conf *c, cfg_t *cfg, char *err, size_t errsize)
{
	unsigned int i, n;
	char v[SUBJECT_VALUE_MAX];

	n = cfg_size(cfg, "exempt_users");
	if (n > CONF_EXEMPT_MAX ||
	    cfg_size(cfg, "exempt_networks") > CONF_EXEMPT_MAX) {
		snprintf(err, errsize, "%s: more than %d exempt entries",
		    c->path, CONF_EXEMPT_MAX);
		return -1;
	}
	if ((c->exempt_users = calloc(n + 1, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		const char *u = cfg_getnstr(cfg, "exempt_users", i);

		if (subject_norm(SUBJECT_SASL, u, &c->subject, v, sizeof(v)) ==
		    -1) {
			snprintf(err, errsize,
			    "%s: exempt_users: invalid "
			    "user name '%.64s'",
			    c->path, u);
			return -1;
		}
		if ((c->exempt_users[i] = strdup(v)) == NULL)
			goto nomem;
		c->nexempt_users++;
	}
	n = cfg_size(cfg, "exempt_networks");
	if ((c->exempt_networks = calloc(n + 1, sizeof(struct cidr))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if (cidr_parse(cfg_getnstr(cfg, "exempt_networks", i),
		        &c->exempt_networks[c->nexempt_networks++]) == -1)
			return -1; /* vstr already refused it */
	return 0;
nomem:
	snprintf(err, errsize, "%s: out of memory", c->path);
	return -1;
}

/* copy_sections - redis and policyd sections into c */
static int
copy_sections(struct conf *c, cfg_t *cfg, char *err, size_t errsize)
{
	cfg_t *r = cfg_getsec(cfg, "redis"), *p = cfg_getsec(cfg, "policyd");
	const char *fail = cfg_getstr(r, "on_failure");
	unsigned int i;

	if (copy_str(c->redis.server, sizeof(c->redis.server),
	        cfg_getstr(r, "server"), err, errsize, c->path,
	        "redis.server") == -1 ||
	    copy_str(c->redis.password, sizeof(c->redis.password),
	        cfg_getstr(r, "password"), err, errsize, c->path,
	        "redis.password") == -1 ||
	    copy_str(c->redis.prefix, sizeof(c->redis.prefix),
	        cfg_getstr(r, "prefix"), err, errsize, c->path,
	        "redis.prefix") == -1 ||
	    copy_str(c->redis.failure_action, sizeof(c->redis.failure_action),
	        cfg_getstr(r, "failure_action"), err, errsize, c->path,
	        "redis.failure_action") == -1)
		return -1;
	if (strpbrk(c->redis.prefix, "{}% \t") != NULL) {
		snprintf(err, errsize,
		    "%s: redis.prefix: must not contain "
		    "braces, %% or blanks",
		    c->path);
		return -1;
	}
	c->redis.db = (int)cfg_getint(r, "db");
	c->redis.timeout_ms = cfg_getint(r, "timeout");
	c->redis.block_cache_time = cfg_getint(r, "block_cache_time");
	c->redis.on_failure = strcmp(fail, "dunno") == 0 ? CONF_FAIL_DUNNO
	    : strcmp(fail, "defer") == 0                 ? CONF_FAIL_DEFER
	                                                 : CONF_FAIL_LOCAL;

	if (cfg_size(p, "listen") > CONF_LISTEN_MAX ||
	    cfg_size(p, "listen") == 0) {
		snprintf(err, errsize, "%s: policyd.listen: 1 to %d sockets",
		    c->path, CONF_LISTEN_MAX);
		return -1;
	}
	for (i = 0; i < cfg_size(p, "listen"); i++)
		if (copy_str(c->policyd.listen[c->policyd.nlisten++],
		        CONF_PATH_MAX, cfg_getnstr(p, "listen", i), err,
		        errsize, c->path, "policyd.listen") == -1)
			return -1;
	c->policyd.socket_mode =
	    (int)strtol(cfg_getstr(p, "socket_mode"), NULL, 8);
	if (copy_str(c->policyd.socket_owner, CONF_NAME_MAX,
	        cfg_getstr(p, "socket_owner"), err, errsize, c->path,
	        "socket_owner") == -1 ||
	    copy_str(c->policyd.socket_group, CONF_NAME_MAX,
	        cfg_getstr(p, "socket_group"), err, errsize, c->path,
	        "socket_group") == -1 ||
	    copy_str(c->policyd.user, CONF_NAME_MAX, cfg_getstr(p, "user"), err,
	        errsize, c->path, "policyd.user") == -1)
		return -1;
	c->policyd.max_connections = (int)cfg_getint(p, "max_connections");
	c->policyd.stats_interval = cfg_getint(p, "stats_interval");
	c->policyd.request_timeout = cfg_getint(p, "request_timeout");
	return 0;
}

/* copy_conf - the parsed tree into c; returns 0 or -1 with err set */
static int
copy_conf(struct conf *c, cfg_t *cfg, char *err, size_t errsize)
{
	unsigned int i, n;

	if (copy_str(c->node, sizeof(c->node), cfg_getstr(cfg, "node"), err,
	        errsize, c->path, "node") == -1)
		return -1;
	if (c->node[0] == '\0' && gethostname(c->node, sizeof(c->node)) == -1)
		str_lcpy(c->node, "unknown", sizeof(c->node));
	c->node[sizeof(c->node) - 1] = '\0';
	c->dryrun = strcmp(cfg_getstr(cfg, "mode"), "dryrun") == 0;
	c->subject.ipv4_prefix = (int)cfg_getint(cfg, "ipv4_prefix");
	c->subject.ipv6_prefix = (int)cfg_getint(cfg, "ipv6_prefix");
	c->block_ttl = cfg_getint(cfg, "block_ttl");
	if (copy_str(c->block_action, sizeof(c->block_action),
	        cfg_getstr(cfg, "block_action"), err, errsize, c->path,
	        "block_action") == -1)
		return -1;
	if (copy_lists(c, cfg, err, errsize) == -1 ||
	    copy_sections(c, cfg, err, errsize) == -1)
		return -1;
	n = cfg_size(cfg, "limit");
	if (n > CONF_LIMITS_MAX) {
		snprintf(err, errsize, "%s: more than %d limit sections",
		    c->path, CONF_LIMITS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (copy_limit(c, cfg_getnsec(cfg, "limit", i),
		        &c->limits[c->nlimits++], err, errsize) == -1)
			return -1;
	return 0;
}

/*
 * braces_closed - libconfuse 3.3 accepts end of file inside a section, so a
 * truncated file would load; scan braces outside strings and comments.
 * Returns 0, or -1 with err naming the line of the unclosed brace (other
 * syntax errors are left to libconfuse).
 */
static int
braces_closed(const char *path, char *err, size_t errsize)
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

/* conf_load - parse and validate path; returns a new conf or NULL + err */
struct conf *
conf_load(const char *path, char *err, size_t errsize)
{
	struct conf *c;
	cfg_t *cfg;
	int rc;

	err[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	if (copy_str(c->path, sizeof(c->path), path, err, errsize, path,
	        "path") == -1) {
		free(c);
		return NULL;
	}
	if ((cfg = cfg_init(root_opts, CFGF_NONE)) == NULL) {
		snprintf(err, errsize, "%s: out of memory", path);
		free(c);
		return NULL;
	}
	conf_errbuf = err;
	conf_errsize = errsize;
	conf_root = cfg;
	cfg_set_error_function(cfg, conf_errfunc);
	set_validators(cfg, "", root_opts);
	set_validators(cfg, "redis|", redis_opts);
	set_validators(cfg, "policyd|", policyd_opts);
	set_validators(cfg, "limit|", limit_opts);
	cfg_set_validate_func(cfg, "limit", vlimit);
	cfg_set_validate_func(cfg, "policyd", vpolicyd);
	rc = braces_closed(path, err, errsize) == -1 ? CFG_PARSE_ERROR
	                                             : cfg_parse(cfg, path);
	if (rc == CFG_FILE_ERROR)
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
	else if (rc != CFG_SUCCESS && err[0] == '\0')
		snprintf(err, errsize, "%s: parse error", path);
	if (rc == CFG_SUCCESS && copy_conf(c, cfg, err, errsize) == 0) {
		cfg_free(cfg);
		conf_errbuf = NULL;
		conf_root = NULL;
		return c;
	}
	cfg_free(cfg);
	conf_errbuf = NULL;
	conf_root = NULL;
	conf_free(c);
	return NULL;
}

void
conf_free(struct conf *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nexempt_users; i++)
		free(c->exempt_users[i]);
	free(c->exempt_users);
	free(c->exempt_networks);
	free(c);
}

/* conf_limit_find - limit by name, or NULL */
const struct conf_limit *
conf_limit_find(const struct conf *c, const char *name)
{
	int i;

	for (i = 0; i < c->nlimits; i++)
		if (strcmp(c->limits[i].name, name) == 0)
			return &c->limits[i];
	return NULL;
}

/* conf_exempt_user - a normalised sasl name is in exempt_users */
bool
conf_exempt_user(const struct conf *c, const char *user)
{
	int i;

	for (i = 0; i < c->nexempt_users; i++)
		if (strcmp(c->exempt_users[i], user) == 0)
			return true;
	return false;
}
