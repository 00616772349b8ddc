/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf - conf_load() on temporary files: the minimal example and its
 * values, durations with units, and a table of bad files whose errors must
 * start with "<path>:<line>:" and name the option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "conf.h"
#include "conffile.h"
#include "tap.h"

#define MINIMAL                                                                \
	"redis {\n"                                                            \
	"    server = \"unix:/run/redis/redis-server.sock\"\n"                 \
	"}\n"                                                                  \
	"policyd {\n"                                                          \
	"    listen = { \"inet:127.0.0.1:10040\" }\n"                          \
	"}\n"                                                                  \
	"limit \"sasl-hour\" {\n"                                              \
	"    subject     = \"sasl\"\n"                                         \
	"    window      = 3600\n"                                             \
	"    messages    = 100\n"                                              \
	"    recipients  = 500\n"                                              \
	"    block_after = 10\n"                                               \
	"}\n"                                                                  \
	"limit \"ip-hour\" {\n"                                                \
	"    subject  = \"ip\"\n"                                              \
	"    window   = 3600\n"                                                \
	"    messages = 300\n"                                                 \
	"}\n"

/* a limit "a" whose body starts on line 3 and closes after it */
#define LIM(body) "limit \"a\" {\n  subject = \"sasl\"\n" body "}\n"

static const struct {
	const char *text;
	int line;
	const char *what; /* the error must mention it */
} bad[] = {
    {"colour = 1\n", 1, "colour"},
    {"node = \"n\"\n\n\ncolour = 1\n", 4, "colour"},
    {"redis {\n  server = \"a:1\"\n  colour = 1\n}\n", 3, "colour"},
    {LIM("  window = 1\n  messages = 1\n  colour = 2\n"), 5, "colour"},
    {"bogus {\n}\n", 1, "bogus"},
    {"node = \"n\"\nbogus \"x\" {\n  a = 1\n}\n", 2, "bogus"},
    {LIM("  window = 0\n  messages = 1\n"), 3, "window"},
    {LIM("  window = \"abc\"\n  messages = 1\n"), 3, "window"},
    {LIM("  window = abc\n  messages = 1\n"), 3, "window"},
    {LIM("  window = 5x\n  messages = 1\n"), 3, "window"},
    {LIM("  window = 200ms\n  messages = 1\n"), 3, "window"},
    {LIM("  window = 32d\n  messages = 1\n"), 3, "window"},
    {LIM("  window = 1\n  messages = -1\n"), 4, "messages"},
    {LIM("  window = 1\n  messages = 1h\n"), 4, "messages"},
    {LIM("  window = 1\n  messages = 1000000001\n"), 4, "messages"},
    {"limit \"a\" {\n  subject = \"bogus\"\n}\n", 2, "subject"},
    {"limit \"a\" {\n  subject = \"SASL\"\n}\n", 2, "subject"},
    {LIM("  window = 1\n  action = \"OK\"\n  messages = 1\n"), 4, "action"},
    {LIM("  window = 1\n  messages = 1\n  action = \"REJECT a\x01 b\"\n"), 5,
        "action"},
    {LIM("  window = 1\n  messages = 1\n  action = \"REJECTED\"\n"), 5,
        "action"},
    {LIM("  window = 1\n  messages = 1\n  action = \"\"\n"), 5, "action"},
    {LIM("  window = 1\n  messages = 1\n  action = \"600 no\"\n"), 5, "action"},
    {LIM("  window = 1\n  messages = 1\n  block_action = \"OK\"\n"), 5,
        "block_action"},
    {"block_action = \"PERMIT\"\n", 1, "block_action"},
    {"redis {\n  failure_action = \"OK\"\n}\n", 2, "failure_action"},
    {"mode = \"fast\"\n", 1, "mode"},
    {"redis {\n  on_failure = \"x\"\n}\n", 2, "on_failure"},
    {"redis {\n  server = \"localhost\"\n}\n", 2, "server"},
    /* the forms the connection reads (common/rconn.c), no other */
    {"redis {\n  server = \"::1:6379\"\n}\n", 2, "[IPv6]:PORT"},
    {"redis {\n  server = \"10.0.0.5:99999\"\n}\n", 2, "server"},
    {"redis {\n  server = \"unix:redis.sock\"\n}\n", 2, "server"},
    {"redis {\n  timeout = 0\n}\n", 2, "timeout"},
    {"redis {\n  timeout = 61s\n}\n", 2, "timeout"},
    {"redis {\n  timeout = 2x\n}\n", 2, "timeout"},
    {"ipv4_prefix = 33\n", 1, "ipv4_prefix"},
    {"ipv4_prefix = 0\n", 1, "ipv4_prefix"},
    {"ipv6_prefix = 129\n", 1, "ipv6_prefix"},
    {"policyd {\n  listen = {\"tcp:1\"}\n}\n", 2, "listen"},
    {"policyd {\n  listen = {\"inet:1:2\", \"unix:rel\"}\n}\n", 2, "listen"},
    {"policyd {\n  socket_mode = \"999\"\n}\n", 2, "socket_mode"},
    {"policyd {\n  socket_mode = \"0660 \"\n}\n", 2, "socket_mode"},
    {"policyd {\n  max_connections = 0\n}\n", 2, "max_connections"},
    {"policyd {\n  allow_users = {\"postfix\", \"a b\"}\n}\n", 2,
        "allow_users"},
    {"policyd {\n  allow_users = {\"-x\"}\n}\n", 2, "allow_users"},
    {"policyd {\n  allow_networks = {\"10.0.0.0/33\"}\n}\n", 2,
        "allow_networks"},
    {"policyd {\n  idle_timeout = 299s\n}\n", 2, "idle_timeout"},
    {"policyd {\n  max_connections_per_peer = -1\n}\n", 2,
        "max_connections_per_peer"},
    {"exempt_networks = {\"1.2.3.4/99\"}\n", 1, "exempt_networks"},
    {"exempt_networks = {\"10.0.0.0/8\",\n  \"nonsense\"}\n", 2,
        "exempt_networks"},
    /* checked after parsing: conf.h still promises file:line */
    {"node = \"n\"\nredis {\n  prefix = \"a{b\"\n}\n", 3, "prefix"},
    {"node = \"n\"\nexempt_users = {\"ok\", \"a\x01b\"}\n", 2, "exempt_users"},
    {"policyd {\n  listen = {}\n}\n", 3, "listen"}, /* at the closing brace */
    {"node = \""
     "0123456789012345678901234567890123456789"
     "012345678901234567890123456789\"\n",
        1, "node"},
    {"redis {\n  prefix = \"a b\"\n}\n", 2, "prefix"},
    {"milter {\n  privacy = \"none\"\n}\n", 2, "privacy"},
    {"milter {\n  on_limit = \"accept\"\n}\n", 2, "on_limit"},
    {"milter {\n  on_block = \"HOLD\"\n}\n", 2, "on_block"},
    {"milter {\n  on_unattributed = \"reject\"\n}\n", 2, "on_unattributed"},
    {"milter {\n  keys = {\"/etc/k\"}\n}\n", 2, "keys"},
    {"milter {\n  keys = {\"1:rel\"}\n}\n", 2, "keys"},
    {"milter {\n  keys = {\"0123456789abcdef:/k\"}\n}\n", 2, "keys"},
    {"milter {\n  keys = {\"1:/a\",\"2:/a\",\"3:/a\",\"4:/a\",\"5:/a\","
     "\"6:/a\",\"7:/a\",\"8:/a\",\"9:/a\"}\n}\n",
        2, "keys"},
    {"milter {\n  queue_directory = \"spool\"\n}\n", 2, "queue_directory"},
    {"milter {\n  socket = \"/run/m.sock\"\n}\n", 2, "socket"},
    {"milter {\n  socket_mode = \"660\"\n}\n", 2, "socket_mode"},
    {"milter {\n  verify = maybe\n}\n", 2, "verify"},
    {"milter {\n  trace_maxlen = -1\n}\n", 2, "trace_maxlen"},
    {"milter {\n  proc_budget = 2s\n}\n", 2, "proc_budget"},
    {"milter {\n  proc_budget = 0\n}\n", 2, "proc_budget"},
    /* an empty option name: libconfuse fails without a word (found by
     * t/fuzz/conf); the line it stopped at, in a section too */
    {"${} = 1\n", 1, "syntax error"},
    {"node = \"n\"\n\"\" = 1\n", 2, "syntax error"},
    {"redis {\n  server = \"a:1\"\n\n  '' = 1\n}\n", 4, "syntax error"},
    {LIM("  window = 1\n  messages = 1\n  ${FG_UNSET} = 1\n"), 5, "syntax"},
    /* the loader's option (confopts.c) is out of any file's reach */
    {"\"floodgate|loader\" = \"x\"\n", 1, "floodgate"},
    {"redis {\n  \"floodgate|loader\" = \"x\"\n}\n", 2, "floodgate"},
};

/*
 * Cross-field checks run when a limit section closes: the line reported
 * must lie within the section (first..last line).
 */
static const struct {
	const char *text;
	int first, last;
	const char *what;
} cross[] = {
    {LIM("  window = 1\n"), 1, 4, "sets none"},
    {"node = \"n\"\n" LIM("  window = 1\n"), 2, 5, "sets none"},
    {"limit \"a\" {\n  subject = \"ip\"\n  window = 1\n"
     "  max_client_ips = 3\n}\n",
        1, 5, "max_client_ips"},
    {"limit \"a\" {\n  subject = \"uid\"\n  window = 1\n  messages = 1\n"
     "  max_senders = 3\n}\n",
        1, 6, "max_senders"},
    {"limit \"a\" {\n  window = 1\n  messages = 1\n}\n", 1, 4, "subject"},
    {LIM("  messages = 1\n"), 1, 4, "window"},
    {"limit \"a b\" {\n  subject = \"sasl\"\n  window = 1\n"
     "  messages = 1\n}\n",
        1, 5, "name"},
    {LIM("  window = 1\n  messages = 1\n")
            LIM("  window = 1\n  messages = 1\n"),
        5, 10, "duplicate"},
    {"redis {\n}\n" LIM("  window = 1\n  messages = 1\n")
            LIM("  window = 1\n  messages = 1\n"),
        7, 12, "duplicate"},
};

static void
minimal(void)
{
	char err[CONF_ERR_MAX];
	struct conf *c = load(MINIMAL, err, sizeof(err));

	if (!ok(c != NULL, "the minimal example loads")) {
		printf("#   err: %s\n", err);
		return;
	}
	is_int(c->nlimits, 2, "two limits");
	is_str(c->limits[0].name, "sasl-hour", "limit 0 name");
	is_int(c->limits[0].subject, SUBJECT_SASL, "limit 0 subject sasl");
	is_int(c->limits[0].window, 3600, "limit 0 window");
	is_int(c->limits[0].messages, 100, "limit 0 messages");
	is_int(c->limits[0].recipients, 500, "limit 0 recipients");
	is_int(c->limits[0].bytes, 0, "limit 0 bytes unset");
	is_int(c->limits[0].block_after, 10, "limit 0 block_after");
	is_int(c->limits[0].block_ttl, 0, "limit 0 block_ttl from the root");
	ok(strncmp(c->limits[0].action, "DEFER_IF_PERMIT", 15) == 0,
	    "default action is DEFER_IF_PERMIT...");
	ok(strncmp(c->limits[0].block_action, "REJECT", 6) == 0,
	    "default block_action is REJECT...");
	is_str(c->limits[1].name, "ip-hour", "limit 1 name");
	is_int(c->limits[1].subject, SUBJECT_IP, "limit 1 subject ip");
	is_int(c->limits[1].window, 3600, "limit 1 window");
	is_int(c->limits[1].messages, 300, "limit 1 messages");
	is_int(c->limits[1].recipients, 0, "limit 1 recipients unset");
	is_int(c->limits[1].block_after, 0, "limit 1 block_after unset");
	ok(conf_limit_find(c, "ip-hour") == &c->limits[1], "find ip-hour");
	ok(conf_limit_find(c, "nope") == NULL, "find an unknown limit");
	is_str(c->redis.server, "unix:/run/redis/redis-server.sock",
	    "redis.server");
	is_int(c->policyd.nlisten, 1, "one listen socket");
	is_str(
	    c->policyd.listen[0], "inet:127.0.0.1:10040", "policyd.listen[0]");
	is_str(c->redis.prefix, "fg:", "default prefix fg:");
	is_int(c->redis.timeout_ms, 200, "default timeout 200 ms");
	is_int(
	    c->redis.on_failure, CONF_FAIL_LOCAL, "default on_failure local");
	is_int(c->redis.db, 0, "default db 0");
	is_int(c->policyd.socket_mode, 0660, "default socket_mode 0660");
	is_str(
	    c->policyd.socket_group, "postfix", "default socket_group postfix");
	is_int(c->policyd.nallow_users, 2, "allow_users: two by default");
	is_str(c->policyd.allow_users[0], "postfix", "allow_users: postfix");
	is_str(c->policyd.allow_users[1], "root", "allow_users: and root");
	is_int(
	    c->policyd.nallow_networks, 0, "allow_networks: none by default");
	is_int(c->policyd.request_timeout, 10, "default request_timeout 10s");
	is_int(c->policyd.idle_timeout, 3600, "default idle_timeout 1h");
	is_int(c->subject.ipv4_prefix, 32, "default ipv4_prefix 32");
	is_int(c->subject.ipv6_prefix, 64, "default ipv6_prefix 64");
	ok(!c->dryrun, "default mode enforce");
	ok(c->node[0] != '\0', "node defaults to something");
	is_str(c->milter.socket,
	    "unix:/var/spool/postfix/floodgate/milter.sock",
	    "default milter.socket");
	is_int(c->milter.socket_mode, 0660, "default milter.socket_mode");
	is_str(c->milter.socket_group, "postfix", "default socket_group");
	is_str(c->milter.queue_directory, "/var/spool/postfix",
	    "default queue_directory");
	ok(c->milter.opaque, "default privacy opaque");
	is_int(c->milter.nkeys, 0, "no keys by default");
	ok(!c->milter.verify, "verify off by default");
	is_int(c->milter.on_limit, CONF_MACT_HOLD, "default on_limit hold");
	is_int(c->milter.on_block, CONF_MACT_HOLD, "default on_block hold");
	is_int(c->milter.on_unattributed, CONF_MACT_ACCEPT,
	    "default on_unattributed accept");
	is_int(c->milter.trace_maxlen, 100000, "default trace_maxlen");
	is_int(c->milter.proc_budget_ms, 50, "default proc_budget 50 ms");
	is_str(c->path, path, "path kept");
	conf_free(c);
}

/* value - load text and return one number picked by which, or -1 */
static long long
value(const char *text, const char *which)
{
	char err[CONF_ERR_MAX];
	struct conf *c = load(text, err, sizeof(err));
	long long v = -1;

	if (c == NULL) {
		printf("# %s\n", err);
		return -1;
	}
	if (strcmp(which, "window") == 0)
		v = c->limits[0].window;
	else if (strcmp(which, "timeout") == 0)
		v = c->redis.timeout_ms;
	else if (strcmp(which, "block_ttl") == 0)
		v = c->limits[0].block_ttl;
	else if (strcmp(which, "block_cache_time") == 0)
		v = c->redis.block_cache_time;
	conf_free(c);
	return v;
}

static void
durations(void)
{
	static const struct {
		const char *text, *which;
		long long want;
	} cases[] = {
	    {LIM("  window = 1h\n  messages = 1\n"), "window", 3600},
	    {LIM("  window = 90m\n  messages = 1\n"), "window", 5400},
	    {LIM("  window = \"90m\"\n  messages = 1\n"), "window", 5400},
	    {LIM("  window = 45s\n  messages = 1\n"), "window", 45},
	    {LIM("  window = 2d\n  messages = 1\n"), "window", 172800},
	    {LIM("  window = 1w\n  messages = 1\n"), "window", 604800},
	    {LIM("  window = 31d\n  messages = 1\n"), "window", 31 * 86400},
	    {"redis {\n  timeout = 200ms\n}\n", "timeout", 200},
	    {"redis {\n  timeout = 2s\n}\n", "timeout", 2000},
	    {"redis {\n  timeout = 1m\n}\n", "timeout", 60000},
	    {"redis {\n  timeout = 750\n}\n", "timeout", 750},
	    {"redis {\n  block_cache_time = 10m\n}\n", "block_cache_time", 600},
	    {"block_ttl = 1d\n" LIM("  window = 1\n  messages = 1\n"),
	        "block_ttl", 86400},
	    {"block_ttl = 1d\n" LIM("  window = 1\n  messages = 1\n"
	                            "  block_ttl = 5m\n"),
	        "block_ttl", 300},
	};
	size_t i;
	char name[96];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *eq = strstr(cases[i].text, cases[i].which);

		snprintf(name, sizeof(name), "duration %.*s",
		    (int)strcspn(eq != NULL ? eq : "", "\n"),
		    eq != NULL ? eq : "");
		is_int(
		    value(cases[i].text, cases[i].which), cases[i].want, name);
	}
}

static void
others(void)
{
	char err[CONF_ERR_MAX];
	struct conf *c = load(
	    "mode = \"dryrun\"\nnode = \"mx1\"\nipv4_prefix = 24\n"
	    "exempt_users = {\"Alice@Example.COM\"}\n"
	    "exempt_networks = {\"10.0.0.0/8\", \"2001:db8::/32\", "
	    "\"192.0.2.1\"}\n"
	    "redis {\n  on_failure = \"defer\"\n  prefix = \"rl:\"\n"
	    "  db = 3\n}\n"
	    "policyd {\n  listen = {\"inet:127.0.0.1:1\", \"unix:/run/s\"}\n"
	    "  socket_mode = \"0660\"\n}\n" LIM(
	        "  window = 1\n  messages = 1\n"
	        "  action = \"450 4.7.1 slow\"\n"
	        "  block_action = \"HOLD\"\n"),
	    err, sizeof(err));

	if (!ok(c != NULL, "a config using most options loads")) {
		printf("#   err: %s\n", err);
		return;
	}
	ok(c->dryrun, "mode dryrun");
	is_str(c->node, "mx1", "node");
	is_int(c->subject.ipv4_prefix, 24, "ipv4_prefix 24");
	ok(conf_exempt_user(c, "alice@example.com"),
	    "exempt user normalised to lower case");
	ok(!conf_exempt_user(c, "bob@example.com"), "others are not exempt");
	is_int(c->nexempt_networks, 3, "three exempt networks");
	ok(cidr_match(c->exempt_networks, c->nexempt_networks, "10.9.8.7"),
	    "exempt network matches");
	is_int(c->redis.on_failure, CONF_FAIL_DEFER, "on_failure defer");
	is_str(c->redis.prefix, "rl:", "prefix rl:");
	is_int(c->redis.db, 3, "db 3");
	is_int(c->policyd.nlisten, 2, "two listen sockets");
	is_str(c->policyd.listen[1], "unix:/run/s", "second socket");
	is_int(c->policyd.socket_mode, 0660, "socket_mode 0660");
	is_str(c->limits[0].action, "450 4.7.1 slow", "4NN action accepted");
	is_str(c->limits[0].block_action, "HOLD", "limit's own block_action");
	conf_free(c);

	c = load("redis {\n  prefix = \"a{b\"\n}\n", err, sizeof(err));
	ok(c == NULL && strncmp(err, path, strlen(path)) == 0 &&
	        strstr(err, "prefix") != NULL,
	    "prefix with a brace is refused (%s)", err);
	conf_free(c);
	c = load("redis {\n  server = \"a:1\"\n", err, sizeof(err));
	ok(c == NULL && has_prefix(err, 1) &&
	        strstr(err, "'{' is never closed") != NULL,
	    "a section missing its closing brace is refused at its line (%s)",
	    err);
	conf_free(c);
	c = load("", err, sizeof(err));
	ok(c != NULL && c->nlimits == 0 && c->policyd.nlisten == 1,
	    "an empty file loads with defaults (%s)", err);
	conf_free(c);
	c = load(
	    "milter {\n  socket = \"inet:8891@127.0.0.1\"\n"
	    "  privacy = \"full\"\n  keys = {\"k2:/etc/a\", \"k1:/etc/b\"}\n"
	    "  verify = true\n  on_limit = \"reject\"\n"
	    "  on_block = \"tempfail\"\n  on_unattributed = \"hold\"\n"
	    "  proc_budget = 200ms\n  trace_maxlen = 0\n}\n",
	    err, sizeof(err));
	ok(c != NULL && !c->milter.opaque && c->milter.nkeys == 2 &&
	        strcmp(c->milter.keys[0], "k2:/etc/a") == 0 &&
	        c->milter.verify && c->milter.on_limit == CONF_MACT_REJECT &&
	        c->milter.on_block == CONF_MACT_TEMPFAIL &&
	        c->milter.on_unattributed == CONF_MACT_HOLD &&
	        c->milter.proc_budget_ms == 200 &&
	        c->milter.trace_maxlen == 0 &&
	        strcmp(c->milter.socket, "inet:8891@127.0.0.1") == 0,
	    "a milter section is read (%s)", err);
	conf_free(c);
}

static void
bad_files(void)
{
	char err[CONF_ERR_MAX], label[32];
	struct conf *c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(label, sizeof(label), "bad %zu", i);
		refused(bad[i].text, bad[i].line, bad[i].what, label);
	}
	for (i = 0; i < sizeof(cross) / sizeof(cross[0]); i++) {
		int l;

		c = load(cross[i].text, err, sizeof(err));
		l = errline(err);
		if (!ok(c == NULL && l >= cross[i].first &&
		            l <= cross[i].last &&
		            strstr(err, cross[i].what) != NULL,
		        "cross %zu: line %d in %d..%d, mentions %s", i, l,
		        cross[i].first, cross[i].last, cross[i].what))
			printf("#   err: %s\n", c != NULL ? "(loaded)" : err);
		conf_free(c);
	}

	c = load(MINIMAL, err, sizeof(err));
	ok(c != NULL, "a good file loads after failures (%s)", err);
	conf_free(c);
	c = conf_load("/nonexistent/fg.conf", err, sizeof(err));
	ok(c == NULL && strncmp(err, "/nonexistent/fg.conf", 20) == 0,
	    "missing file fails with its path (%s)", err);
	conf_free(c);
}

/*
 * A huge count times its unit must be refused, not wrapped: 8753663275718653
 * weeks is 20608 s modulo 2^64. In a child, as a sanitizer stops there.
 */
/* more limits than CONF_LIMITS_MAX; errors show no raw control bytes */
static void
bounds(void)
{
	static char text[CONF_LIMITS_MAX * 80 + 64];
	char err[CONF_ERR_MAX];
	size_t o = 0;
	int i;

	for (i = 0; i <= CONF_LIMITS_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "limit \"l%d\" {\n  subject = \"ip\"\n  window = 1\n"
		    "  messages = 1\n}\n",
		    i);
	conf_free(load(text, err, sizeof(err)));
	ok(has_prefix(err, 5 * (CONF_LIMITS_MAX + 1)) &&
	        strstr(err, "more than") != NULL,
	    "limit %d of %d is refused at its line (%s)", CONF_LIMITS_MAX + 1,
	    CONF_LIMITS_MAX, err);
	conf_free(load("mode = \"a\x01\"\n", err, sizeof(err)));
	ok(strchr(err, 1) == NULL && strstr(err, "\\x01") != NULL,
	    "a control byte is escaped in the message (%s)", err);
}

static void
overflow(void)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	pid_t pid;
	int status = -1;

	if ((pid = fork()) == 0) {
		c = load(LIM("  window = 8753663275718653w\n  messages = 1\n"),
		    err, sizeof(err));
		if (c != NULL)
			printf("#   loaded with window %lld\n",
			    c->limits[0].window);
		else if (!has_prefix(err, 3) || strstr(err, "window") == NULL)
			printf("#   err: %s\n", err);
		fflush(stdout);
		_exit(c == NULL && has_prefix(err, 3) &&
		            strstr(err, "window") != NULL
		        ? 0
		        : 3);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "window = 8753663275718653w is out of range (child status %d)",
	    status);
}

int
main(void)
{
	if (!ok(conffile_make(), "a temporary config file"))
		return tap_done();
	minimal();
	durations();
	others();
	bad_files();
	bounds();
	overflow();
	unlink(path);
	return tap_done();
}
