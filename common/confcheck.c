/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confcheck - floodgate.conf checked against its schema rows while
 * libconfuse parses it, so every error is reported with the line it is on.
 *
 * Entry points: confcheck_value (one value against its row: bounds, words,
 * validator; the callbacks and the schema's own tests use it),
 * confcheck_num and confcheck_str (libconfuse's callbacks for numbers and
 * strings, finding their row by section and name), confcheck_limit and
 * confcheck_policyd, confcheck_redis (checks that span a section's options, at its closing
 * brace). Errors go through cfg_error() or the caller's buffer; never
 * logs. What libconfuse's lexer would take in silence (a comment, string
 * or section never closed) is conflex's.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "confcheck.h"
#include "confschema.h"
#include "str.h"

/* confcheck_row - the row of the option libconfuse is setting in cfg */
static const struct confschema_row *
confcheck_row(cfg_t *cfg, cfg_opt_t *opt)
{
	/* libconfuse names the top level "root" */
	const char *sec = strcmp(cfg->name, "root") == 0 ? "" : cfg->name;

	return confschema_find(sec, cfg_opt_name(opt));
}

/* confcheck_unit - a suffix's multiplier into r's unit, or -1 */
static long long
confcheck_unit(const struct confschema_row *r, const char *suffix)
{
	static const struct {
		const char *suffix;
		long long sec;
	} units[] = {
	    {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 7 * 86400}};
	size_t i;

	if (*suffix == '\0')
		return 1; /* the option's own unit */
	if (r->type != CONFSCHEMA_DURATION)
		return -1;
	if (strcmp(suffix, "ms") == 0)
		return r->unit == CONFSCHEMA_MSEC ? 1 : -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(suffix, units[i].suffix) == 0)
			return units[i].sec *
			    (r->unit == CONFSCHEMA_MSEC ? 1000 : 1);
	return -1;
}

/* confcheck_number - "N", or "Nms Ns Nm Nh Nd Nw" for durations, into
 * *num; returns 0, or -1 with msg */
static int
confcheck_number(const struct confschema_row *r, const char *value,
    long long *num, char *msg, size_t msgsize)
{
	char digits[32], ev[64];
	size_t len = strspn(value, "0123456789");
	long long v, mul = confcheck_unit(r, value + len);

	str_escape(ev, sizeof(ev), value, strlen(value));
	if (len == 0 || len >= sizeof(digits) || mul == -1)
		goto bad;
	memcpy(digits, value, len);
	digits[len] = '\0';
	if (str_tonum(digits, 0, 1LL << 53, &v) == -1)
		goto bad;
	/* compare before multiplying: v * mul must not overflow */
	if (v > r->max / mul || v * mul < r->min) {
		snprintf(msg, msgsize, "%s: %s is out of range (%lld..%lld%s)",
		    r->name, ev, r->min, r->max,
		    r->unit == CONFSCHEMA_MSEC      ? " ms"
		        : r->unit == CONFSCHEMA_SEC ? " s"
		                                    : "");
		return -1;
	}
	if (num != NULL)
		*num = v * mul;
	return 0;
bad:
	snprintf(msg, msgsize, "%s: invalid value '%s'%s", r->name, ev,
	    r->type == CONFSCHEMA_DURATION ? " (a number, optionally with "
	                                     "a unit: ms s m h d w)"
	                                   : " (a whole number)");
	return -1;
}

/* confcheck_value - one value (a list: one entry) against its row; numbers
 * go to *num when it is not NULL. Returns 0, or -1 with msg. */
int
confcheck_value(const struct confschema_row *r, const char *raw, long long *num,
    char *msg, size_t msgsize)
{
	char v[80]; /* the value as error messages may show it */

	if (r->type == CONFSCHEMA_INT || r->type == CONFSCHEMA_DURATION)
		return confcheck_number(r, raw, num, msg, msgsize);
	str_escape(v, sizeof(v), raw, strlen(raw));
	if (r->type == CONFSCHEMA_BOOL) {
		if (strcmp(raw, "true") == 0 || strcmp(raw, "false") == 0)
			return 0;
		snprintf(
		    msg, msgsize, "%s: '%s' is not true or false", r->name, v);
		return -1;
	}
	if (r->len > 0 && strlen(raw) > r->len) {
		snprintf(msg, msgsize, "%s: value too long (max %zu)", r->name,
		    r->len);
		return -1;
	}
	if ((r->type == CONFSCHEMA_ENUM && confschema_code(r, raw) == -1) ||
	    (r->valid != NULL && !r->valid(raw))) {
		snprintf(msg, msgsize, "%s: '%s' %s", r->name, v, r->complaint);
		return -1;
	}
	return 0;
}

/* confcheck_num - libconfuse's parser of every number option */
int
confcheck_num(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const struct confschema_row *r = confcheck_row(cfg, opt);
	char msg[CONF_ERR_MAX];
	long long v;

	if (r == NULL) {
		cfg_error(cfg, "%s: not in the schema", cfg_opt_name(opt));
		return -1;
	}
	if (confcheck_value(r, value, &v, msg, sizeof(msg)) == -1) {
		cfg_error(cfg, "%s", msg);
		return -1;
	}
	*(long *)result = (long)v;
	return 0;
}

/* confcheck_str - libconfuse's validator of every string option (and each
 * entry of a list), as it is parsed */
int
confcheck_str(cfg_t *cfg, cfg_opt_t *opt)
{
	const struct confschema_row *r = confcheck_row(cfg, opt);
	unsigned int i, n = cfg_opt_size(opt);
	char msg[CONF_ERR_MAX];

	if (r == NULL) {
		cfg_error(cfg, "%s: not in the schema", cfg_opt_name(opt));
		return -1;
	}
	if (confschema_is_list(r) && n > r->max) {
		cfg_error(cfg, "%s: more than %lld entries", r->name, r->max);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *raw = cfg_opt_getnstr(opt, i);

		if (raw != NULL &&
		    confcheck_value(r, raw, NULL, msg, sizeof(msg)) == -1) {
			cfg_error(cfg, "%s", msg);
			return -1;
		}
	}
	return 0;
}

/* confcheck_limit - one limit section as a whole, at its closing brace:
 * its name, the options it needs, the ones that need subject sasl */
int
confcheck_limit(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *subj = cfg_getstr(sec, "subject");
	const char *title = cfg_title(sec);
	const struct confschema_row *r;

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
	for (r = confschema_rows(); r->name != NULL; r++)
		if (strcmp(r->section, "limit") == 0 && r->def == NULL &&
		    !r->inherit && cfg_size(sec, r->name) == 0) {
			cfg_error(sec, "limit \"%s\": %s is required", title,
			    r->name);
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

/* confcheck_policyd - the policyd section as a whole: listen's entries */
int
confcheck_policyd(cfg_t *cfg, cfg_opt_t *opt)
{
	const struct confschema_row *r = confschema_find("policyd", "listen");
	cfg_t *sec = cfg_opt_getnsec(opt, 0);
	unsigned int n = cfg_size(sec, "listen");

	(void)cfg; /* errors go on the section: it has the line */
	if (n < r->min || n > r->max) {
		cfg_error(sec, "listen: %lld to %lld sockets", r->min, r->max);
		return -1;
	}
	return 0;
}

/* confcheck_redis - the redis section as a whole: an ACL user needs its
 * password, sentinels the name of the master they watch; sentinels or a
 * cluster, not both */
int
confcheck_redis(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, 0);
	const char *user = cfg_getstr(sec, "user");
	const char *pw = cfg_getstr(sec, "password");
	const char *name = cfg_getstr(sec, "master_name");

	(void)cfg;
	if (user != NULL && user[0] != '\0' && (pw == NULL || pw[0] == '\0')) {
		cfg_error(sec, "user: needs a password (Redis ACL AUTH)");
		return -1;
	}
	if (cfg_size(sec, "sentinels") > 0 && cfg_size(sec, "cluster") > 0) {
		cfg_error(sec,
		    "sentinels and cluster: one or the other (a "
		    "cluster fails over by itself)");
		return -1;
	}
	if (cfg_size(sec, "cluster") > 0 && cfg_getint(sec, "db") != 0) {
		cfg_error(sec, "db: a cluster has only db 0");
		return -1;
	}
	if (cfg_size(sec, "sentinels") > 0 &&
	    (name == NULL || name[0] == '\0')) {
		cfg_error(sec,
		    "sentinels: needs master_name (the name the "
		    "sentinels monitor)");
		return -1;
	}
	return 0;
}
