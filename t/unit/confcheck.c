/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confcheck - conf_load on the README's example and on a table of bad
 * files: every error names file:line and the option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

#define LIM(body) "limit \"a\" {\n  subject = \"sasl\"\n" body "}\n"

static const struct {
	const char *text;
	int line;
	const char *what;
} bad[] = {
    {"colour = 1\n", 1, "colour"},
    {"redis {\n  server = \"a:1\"\n  colour = 1\n}\n", 3, "colour"},
    {"bogus {\n}\n", 1, "bogus"},
    {LIM("  window = 0\n  messages = 1\n"), 3, "window"},
    {LIM("  window = abc\n  messages = 1\n"), 3, "window"},
    {LIM("  window = 5x\n  messages = 1\n"), 3, "window"},
    {LIM("  window = 1\n  messages = -1\n"), 4, "messages"},
    {LIM("  window = 1\n"), 4, "sets none"},
    {"limit \"a\" {\n  subject = \"bogus\"\n}\n", 2, "subject"},
    {"limit \"a\" {\n  subject = \"ip\"\n  window = 1\n"
     "  max_client_ips = 3\n}\n",
        5, "max_client_ips"},
    {LIM("  window = 1\n  messages = 1\n  action = \"OK\"\n"), 5, "action"},
    {LIM("  window = 1\n  messages = 1\n  action = \"REJECT a\tb\"\n"), 5,
        "action"},
    {"mode = \"fast\"\n", 1, "mode"},
    {"redis {\n  on_failure = \"x\"\n}\n", 2, "on_failure"},
    {"redis {\n  timeout = 5m\n}\n", 2, "timeout"},
    {"ipv4_prefix = 33\n", 1, "ipv4_prefix"},
    {"policyd {\n  listen = {\"tcp:1\"}\n}\n", 2, "listen"},
    {"policyd {\n  socket_mode = \"999\"\n}\n", 2, "socket_mode"},
    {"exempt_networks = {\"1.2.3.4/99\"}\n", 1, "exempt_networks"},
    {LIM("  window = 1\n  messages = 1\n")
            LIM("  window = 1\n  messages = 1\n"),
        6, "duplicate"},
};

static char path[] = "/tmp/fgconfXXXXXX";

static struct conf *
load(const char *text, char *err, size_t errsize)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return conf_load(path, err, errsize);
}

int
main(void)
{
	char err[CONF_ERR_MAX], want[64];
	struct conf *c;
	size_t i;
	int fd = mkstemp(path);

	if (fd == -1)
		return 1;
	close(fd);
	c = load(
	    "redis {\n  server = \"unix:/run/redis/redis-server.sock\"\n}\n"
	    "policyd {\n  listen = { \"inet:127.0.0.1:10040\" }\n}\n"
	    "limit \"sasl-hour\" {\n  subject = \"sasl\"\n  window = 3600\n"
	    "  messages = 100\n  recipients = 500\n  block_after = 10\n}\n"
	    "limit \"ip-hour\" {\n  subject = \"ip\"\n  window = 1h\n"
	    "  messages = 300\n}\n",
	    err, sizeof(err));
	ok(c != NULL, "the README example loads (%s)", c ? "" : err);
	if (c == NULL)
		return tap_done();
	is_int(c->nlimits, 2, "two limits");
	is_int(c->limits[0].window, 3600, "window 3600");
	is_int(c->limits[1].window, 3600, "window 1h");
	is_int(c->limits[0].recipients, 500, "recipients");
	is_int(c->limits[0].block_after, 10, "block_after");
	ok(strncmp(c->limits[0].action, "DEFER_IF_PERMIT 4.7.1", 21) == 0,
	    "default action DEFER_IF_PERMIT 4.7.1");
	ok(strncmp(c->limits[0].block_action, "REJECT 5.7.1", 12) == 0,
	    "default block action REJECT 5.7.1");
	is_int(c->limits[1].subject, SUBJECT_IP, "ip subject");
	is_str(c->redis.prefix, "fg:", "default prefix");
	is_int(c->redis.timeout_ms, 200, "default timeout 200 ms");
	is_int(
	    c->redis.on_failure, CONF_FAIL_LOCAL, "default on_failure local");
	is_int(c->subject.ipv6_prefix, 64, "default ipv6 prefix 64");
	conf_free(c);
	c = load("redis {\n  timeout = 2s\n}\n", err, sizeof(err));
	ok(c != NULL && c->redis.timeout_ms == 2000, "timeout 2s = 2000 ms");
	conf_free(c);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = load(bad[i].text, err, sizeof(err));
		snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
		ok(c == NULL && strncmp(err, want, strlen(want)) == 0 &&
		        strstr(err, bad[i].what) != NULL,
		    "bad %zu: %s at line %d", i, bad[i].what, bad[i].line);
		if (c != NULL || strncmp(err, want, strlen(want)) != 0)
			printf("#   got: %s\n", c ? "(loaded)" : err);
		conf_free(c);
	}
	unlink(path);
	c = conf_load("/nonexistent/fg.conf", err, sizeof(err));
	ok(c == NULL && strstr(err, "/nonexistent/fg.conf") != NULL,
	    "a missing file is named");
	return tap_done();
}
