/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf - the whole libconfuse schema in one place, validated while parsed.
 *
 * Entry points: conf_load, conf_free, conf_limit_find, conf_exempt_user,
 * conf_option_names. The validators (confcheck.c) run while libconfuse
 * parses, so every bad value is reported as file:line: message; then the
 * tree is copied into a struct conf the caller owns. Never logs; the
 * first error is written to the caller's buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>

#include "conf.h"
#include "confcheck.h"
#include "str.h"

#define DEF_BLOCK_ACTION                                                       \
	"REJECT 5.7.1 Sending suspended for abuse, contact your administrator"
#define DEF_FAIL_ACTION                                                        \
	"DEFER_IF_PERMIT 4.3.0 Rate limit service unavailable, try again "     \
	"later"

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

#define NUM(n, d) CFG_INT_CB(n, d, CFGF_NONE, confcheck_num)

static cfg_opt_t limit_opts[] = {CFG_STR("subject", NULL, CFGF_NODEFAULT),
    NUM("window", 0), NUM("messages", 0), NUM("recipients", 0), NUM("bytes", 0),
    NUM("max_client_ips", 0), NUM("max_senders", 0), NUM("block_after", 0),
    CFG_STR("action", CONF_DEFAULT_ACTION, CFGF_NONE),
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

static cfg_opt_t milter_opts[] = {
    CFG_STR(
        "socket", "unix:/var/spool/postfix/floodgate/milter.sock", CFGF_NONE),
    CFG_STR("socket_mode", "0660", CFGF_NONE),
    CFG_STR("socket_group", "postfix", CFGF_NONE),
    CFG_STR("user", "", CFGF_NONE),
    CFG_STR("queue_directory", "/var/spool/postfix", CFGF_NONE),
    CFG_STR("privacy", "opaque", CFGF_NONE),
    CFG_STR_LIST("keys", "{}", CFGF_NONE),
    CFG_BOOL("verify", cfg_false, CFGF_NONE),
    CFG_STR("on_limit", "hold", CFGF_NONE),
    CFG_STR("on_block", "hold", CFGF_NONE),
    CFG_STR("on_unattributed", "accept", CFGF_NONE),
    NUM("trace_maxlen", 100000), NUM("proc_budget", 50), CFG_END()};

static cfg_opt_t root_opts[] = {CFG_STR("node", "", CFGF_NONE),
    CFG_STR("mode", "enforce", CFGF_NONE), NUM("ipv4_prefix", 32),
    NUM("ipv6_prefix", 64),
    CFG_STR("block_action", DEF_BLOCK_ACTION, CFGF_NONE), NUM("block_ttl", 0),
    CFG_STR_LIST("exempt_users", "{}", CFGF_NONE),
    CFG_STR_LIST("exempt_networks", "{}", CFGF_NONE),
    CFG_SEC("redis", redis_opts, CFGF_NONE),
    CFG_SEC("policyd", policyd_opts, CFGF_NONE),
    CFG_SEC("milter", milter_opts, CFGF_NONE),
    CFG_SEC("limit", limit_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_END()};

/* conf_option_names - every option as "section.name" (for doc tests) */
const char *const *
conf_option_names(void)
{
	static const char *names[80];
	static const struct {
		const char *sec;
		cfg_opt_t *opts;
	} secs[] = {{"", root_opts}, {"redis.", redis_opts},
	    {"policyd.", policyd_opts}, {"milter.", milter_opts},
	    {"limit.", limit_opts}};
	static char store[80][64];
	size_t s, n = 0;
	cfg_opt_t *o;

	if (names[0] != NULL)
		return names;
	for (s = 0; s < sizeof(secs) / sizeof(secs[0]); s++)
		for (o = secs[s].opts; o->name != NULL && n < 79; o++) {
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
		cfg_set_validate_func(cfg, path, confcheck_str);
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
	if ((c->exempt_users = calloc(n + 1, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		const char *u = cfg_getnstr(cfg, "exempt_users", i);

		if (subject_norm(SUBJECT_SASL, u, &c->subject, v, sizeof(v)) ==
		    -1)
			return -1; /* vstr already refused it */
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
	c->redis.db = (int)cfg_getint(r, "db");
	c->redis.timeout_ms = cfg_getint(r, "timeout");
	c->redis.block_cache_time = cfg_getint(r, "block_cache_time");
	c->redis.on_failure = strcmp(fail, "dunno") == 0 ? CONF_FAIL_DUNNO
	    : strcmp(fail, "defer") == 0                 ? CONF_FAIL_DEFER
	                                                 : CONF_FAIL_LOCAL;

	if (cfg_size(p, "listen") > CONF_LISTEN_MAX)
		return -1; /* vstr refused it: guards listen[] */
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

/* mact - an on_* word (validated by confcheck_str) */
static enum conf_mact
mact(const char *w)
{
	return strcmp(w, "accept") == 0  ? CONF_MACT_ACCEPT
	    : strcmp(w, "tempfail") == 0 ? CONF_MACT_TEMPFAIL
	    : strcmp(w, "reject") == 0   ? CONF_MACT_REJECT
	                                 : CONF_MACT_HOLD;
}

/* copy_milter - the milter section into c */
static int
copy_milter(struct conf *c, cfg_t *cfg, char *err, size_t errsize)
{
	cfg_t *m = cfg_getsec(cfg, "milter");
	unsigned int i;

	if (copy_str(c->milter.socket, sizeof(c->milter.socket),
	        cfg_getstr(m, "socket"), err, errsize, c->path,
	        "milter.socket") == -1 ||
	    copy_str(c->milter.socket_group, sizeof(c->milter.socket_group),
	        cfg_getstr(m, "socket_group"), err, errsize, c->path,
	        "milter.socket_group") == -1 ||
	    copy_str(c->milter.user, sizeof(c->milter.user),
	        cfg_getstr(m, "user"), err, errsize, c->path,
	        "milter.user") == -1 ||
	    copy_str(c->milter.queue_directory,
	        sizeof(c->milter.queue_directory),
	        cfg_getstr(m, "queue_directory"), err, errsize, c->path,
	        "milter.queue_directory") == -1)
		return -1;
	c->milter.socket_mode =
	    (int)strtol(cfg_getstr(m, "socket_mode"), NULL, 8);
	c->milter.opaque = strcmp(cfg_getstr(m, "privacy"), "full") != 0;
	if (cfg_size(m, "keys") > CONF_KEYS_MAX)
		return -1; /* vstr refused it: guards keys[] */
	for (i = 0; i < cfg_size(m, "keys"); i++)
		if (copy_str(c->milter.keys[c->milter.nkeys++], CONF_PATH_MAX,
		        cfg_getnstr(m, "keys", i), err, errsize, c->path,
		        "milter.keys") == -1)
			return -1;
	c->milter.verify = cfg_getbool(m, "verify");
	c->milter.on_limit = mact(cfg_getstr(m, "on_limit"));
	c->milter.on_block = mact(cfg_getstr(m, "on_block"));
	c->milter.on_unattributed = mact(cfg_getstr(m, "on_unattributed"));
	c->milter.trace_maxlen = cfg_getint(m, "trace_maxlen");
	c->milter.proc_budget_ms = cfg_getint(m, "proc_budget");
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
	    copy_sections(c, cfg, err, errsize) == -1 ||
	    copy_milter(c, cfg, err, errsize) == -1)
		return -1;
	n = cfg_size(cfg, "limit");
	if (n > CONF_LIMITS_MAX)
		return -1; /* vlimit refused it: guards limits[] */
	for (i = 0; i < n; i++)
		if (copy_limit(c, cfg_getnsec(cfg, "limit", i),
		        &c->limits[c->nlimits++], err, errsize) == -1)
			return -1;
	return 0;
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
	set_validators(cfg, "milter|", milter_opts);
	set_validators(cfg, "limit|", limit_opts);
	cfg_set_validate_func(cfg, "limit", confcheck_limit);
	cfg_set_validate_func(cfg, "policyd", confcheck_policyd);
	rc = confcheck_braces(path, err, errsize) == -1 ? CFG_PARSE_ERROR
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
	if (err[0] == '\0') /* a guard behind a validator tripped */
		snprintf(err, errsize, "%s: invalid configuration", path);
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
