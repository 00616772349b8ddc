/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf - floodgate.conf loaded: struct conf and its entry points.
 *
 * conf_load() parses and validates a whole file (conf_load_text() the
 * same text from memory) and returns an immutable
 * struct conf the caller owns (conf_free). Every error names file:line.
 * Both daemons read the same file; each uses its own section. The options
 * themselves are rows of confschema.c.
 */
#ifndef FG_CONF_H
#define FG_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "subject.h"

#define CONF_NAME_MAX   64
#define CONF_ACTION_MAX 200
#define CONF_PATH_MAX   256
#define CONF_LIMITS_MAX 32
#define CONF_LISTEN_MAX 8
#define CONF_EXEMPT_MAX 256
#define CONF_ALLOW_MAX  32 /* policyd.allow_users, allow_networks */
/* the action of a limit that sets none */
#define CONF_DEFAULT_ACTION                                                    \
	"DEFER_IF_PERMIT 4.7.1 Sending rate limit exceeded, try again later"
#define CONF_ERR_MAX       512
#define CONF_FILE_MAX      (1024 * 1024) /* bytes of a config file */
#define CONF_KEYS_MAX      8
#define CONF_SENTINELS_MAX 8
#define CONF_CLUSTER_MAX   16

/* what the milter does with a message (on_limit, on_block, ...) */
enum conf_mact {
	CONF_MACT_ACCEPT,   /* let it pass (on_unattributed only) */
	CONF_MACT_HOLD,     /* smfi_quarantine: Postfix's hold queue */
	CONF_MACT_TEMPFAIL, /* 4xx; sendmail mail stays in the queue */
	CONF_MACT_REJECT,   /* 5xx over SMTP; hold for local submissions */
};

enum conf_failure {
	CONF_FAIL_LOCAL, /* enforce with per-node counters */
	CONF_FAIL_DUNNO, /* let everything pass */
	CONF_FAIL_DEFER, /* answer failure_action */
};

/* degraded_share: what part of each limit a node enforces without Redis */
enum conf_share {
	CONF_SHARE_AUTO, /* 1 / the live nodes last seen (heartbeats) */
	CONF_SHARE_FULL, /* all of it */
};

struct conf_limit {
	char name[CONF_NAME_MAX];
	enum subject_type subject;
	long long window;   /* seconds */
	long long messages; /* 0 = no such limit */
	long long recipients;
	long long bytes;
	long long max_client_ips; /* sasl only */
	long long max_senders;    /* sasl only */
	long long block_after;    /* denials in window; 0 = never */
	long long block_ttl;      /* seconds; 0 = until lifted */
	char action[CONF_ACTION_MAX + 1];
	char block_action[CONF_ACTION_MAX + 1];
};

struct conf {
	char path[CONF_PATH_MAX];
	char node[CONF_NAME_MAX];
	bool dryrun;
	struct subject_opts subject;
	char block_action[CONF_ACTION_MAX + 1];
	long long block_ttl;
	char **exempt_users; /* normalised sasl names */
	int nexempt_users;
	struct cidr *exempt_networks;
	int nexempt_networks;

	struct {
		char server[CONF_PATH_MAX];
		char sentinels[CONF_SENTINELS_MAX][CONF_PATH_MAX];
		int nsentinels; /* > 0: the master is found through them */
		char master_name[CONF_NAME_MAX];
		char cluster[CONF_CLUSTER_MAX][CONF_PATH_MAX];
		int ncluster; /* > 0: a Redis Cluster, these its seeds */
		char sentinel_password[CONF_NAME_MAX * 2];
		char user[CONF_NAME_MAX]; /* ACL user; "" the default one */
		char password[CONF_NAME_MAX * 2];
		int db;
		char prefix[CONF_NAME_MAX];
		long long timeout_ms;
		enum conf_failure on_failure;
		char failure_action[CONF_ACTION_MAX + 1];
		long long block_cache_time;
		enum conf_share degraded_share;
	} redis;

	struct {
		char listen[CONF_LISTEN_MAX][CONF_PATH_MAX];
		int nlisten;
		int socket_mode;
		char socket_owner[CONF_NAME_MAX];
		char socket_group[CONF_NAME_MAX];
		char user[CONF_NAME_MAX];
		char allow_users[CONF_ALLOW_MAX][CONF_NAME_MAX];
		int nallow_users;
		struct cidr *allow_networks;
		int nallow_networks;
		int max_connections;
		int max_connections_per_peer; /* 0: max_connections / 2 */
		long long stats_interval;
		char metrics_listen[CONF_PATH_MAX]; /* "" off, inet:HOST:PORT */
		long long request_timeout; /* s, from a request's first byte */
		long long idle_timeout;    /* s, between requests */
	} policyd;

	struct {
		char socket[CONF_PATH_MAX];
		int socket_mode;
		char socket_group[CONF_NAME_MAX];
		char user[CONF_NAME_MAX];
		char queue_directory[CONF_PATH_MAX];
		bool opaque;                             /* privacy = opaque */
		char keys[CONF_KEYS_MAX][CONF_PATH_MAX]; /* "ID:/path" */
		int nkeys;
		bool verify;
		enum conf_mact on_limit;
		enum conf_mact on_block;
		enum conf_mact on_unattributed;
		long long trace_maxlen;
		long long proc_budget_ms;
		long long timeout; /* s, libmilter's session timeout */
		char metrics_listen[CONF_PATH_MAX]; /* "" off, inet:HOST:PORT */
	} milter;

	struct {
		char mail[CONF_PATH_MAX]; /* "" no mail */
		char from[CONF_PATH_MAX];
		char sendmail[CONF_PATH_MAX]; /* program and arguments */
		char exec[CONF_PATH_MAX];     /* "" none */
		long long timeout;            /* s, each program */
		long long max;                /* notifications a window */
		long long window;             /* s */
	} notify;

	struct conf_limit limits[CONF_LIMITS_MAX];
	int nlimits;
};

struct conf *conf_load(const char *path, char *err, size_t errsize)
    __attribute__((warn_unused_result));
/* conf_load_text - the same from text[0..len) instead of a file, its
 * errors naming name */
struct conf *conf_load_text(const char *name, const char *text, size_t len,
    char *err, size_t errsize) __attribute__((warn_unused_result));
void conf_free(struct conf *);
const struct conf_limit *conf_limit_find(const struct conf *, const char *);
bool conf_exempt_user(const struct conf *, const char *normalised);
/* conf_restart_needed - section's options (not "limit") that differ but
 * that a reload does not apply, as "listen, user"; returns how many */
int conf_restart_needed(const struct conf *old, const struct conf *new,
    const char *section, char *names, size_t size);

#endif
