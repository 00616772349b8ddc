/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rconn - the Redis connection pieces both daemons share: the server
 * address (a table of accepted and refused forms), the handshake laid out
 * and judged, and the up/down state: one log line per change, the
 * backoff doubling to its cap and starting over once up.
 */
#include <stdlib.h>
#include <string.h>

#include "rconn.h"
#include "redisreply.h"
#include "tap.h"

static const struct {
	const char *server;
	int rc;
	bool is_unix;
	const char *host;
	int port;
} addrs[] = {
    {"127.0.0.1:6379", 0, false, "127.0.0.1", 6379},
    {"redis.example.com:7000", 0, false, "redis.example.com", 7000},
    {"[::1]:6379", 0, false, "::1", 6379},
    {"[2001:db8::5]:26379", 0, false, "2001:db8::5", 26379},
    {"unix:/run/redis/redis-server.sock", 0, true,
        "/run/redis/redis-server.sock", 0},
    {"::1:6379", -1, false, "", 0}, /* a bare v6 address is ambiguous */
    {"[::1]6379", -1, false, "", 0},
    {"[::1]", -1, false, "", 0},
    {"127.0.0.1", -1, false, "", 0},
    {"127.0.0.1:0", -1, false, "", 0},
    {"127.0.0.1:65536", -1, false, "", 0},
    {"127.0.0.1:63x", -1, false, "", 0},
    {":6379", -1, false, "", 0},
    {"unix:relative.sock", -1, false, "", 0},
    {"", -1, false, "", 0},
};

static redisReply *
mk(int type, const char *s)
{
	redisReply *r = calloc(1, sizeof(*r));

	r->type = type;
	r->str = (char *)s;
	r->len = s != NULL ? strlen(s) : 0;
	return r;
}

static void
address(void)
{
	struct rconn_addr a;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		int rc =
		    rconn_addr_parse(addrs[i].server, &a, why, sizeof(why));

		ok(rc == addrs[i].rc &&
		        (rc == -1 ||
		            (a.is_unix == addrs[i].is_unix &&
		                strcmp(a.host, addrs[i].host) == 0 &&
		                a.port == addrs[i].port)),
		    "'%s' %s", addrs[i].server, rc == 0 ? "parsed" : "refused");
	}
	is_int(
	    rconn_addr_parse("::1:6379", &a, why, sizeof(why)), -1, "bare v6");
	ok(strstr(why, "[V6]:PORT") != NULL, "the error names the forms");
}

static void
handshake(void)
{
	static struct conf c;
	struct rconn_handshake h;
	redisReply *r, *t, *e[2];
	char why[256];

	rconn_handshake_init(&h, &c);
	ok(h.n == 3 && strcmp(h.cmd[0].argv[0], "TIME") == 0 &&
	        strcmp(h.cmd[1].argv[0], "ROLE") == 0 &&
	        strcmp(h.cmd[2].argv[0], "PING") == 0,
	    "no password, db 0: TIME, ROLE and PING");
	strcpy(c.redis.password, "s3cret");
	c.redis.db = 3;
	rconn_handshake_init(&h, &c);
	ok(h.n == 5 && h.cmd[0].argc == 2 &&
	        strcmp(h.cmd[0].argv[1], "s3cret") == 0 &&
	        strcmp(h.cmd[1].argv[0], "SELECT") == 0 &&
	        strcmp(h.cmd[1].argv[1], "3") == 0,
	    "AUTH and SELECT first");
	strcpy(c.redis.user, "floodgate");
	rconn_handshake_init(&h, &c);
	ok(h.cmd[0].argc == 3 && strcmp(h.cmd[0].argv[1], "floodgate") == 0 &&
	        strcmp(h.cmd[0].argv[2], "s3cret") == 0,
	    "an ACL user: AUTH user password");
	r = mk(REDIS_REPLY_ERROR, "WRONGPASS invalid username-password pair");
	is_int(rconn_handshake_reply(&h, &h.cmd[0], r, why, sizeof(why)), -1,
	    "a refused AUTH fails the connection");
	is_str(why, "AUTH: WRONGPASS invalid username-password pair",
	    "and says why");
	free(r);
	is_int(rconn_handshake_reply(&h, &h.cmd[1], NULL, why, sizeof(why)), -1,
	    "no reply fails");
	r = mk(REDIS_REPLY_STATUS, "PONG");
	is_int(rconn_handshake_reply(&h, &h.cmd[4], r, why, sizeof(why)), 0,
	    "PONG completes it");
	is_int(rconn_handshake_reply(&h, &h.cmd[2], r, why, sizeof(why)), -1,
	    "a TIME that is no time fails");
	free(r);
	e[0] = mk(REDIS_REPLY_STRING, "1700000000");
	e[1] = mk(REDIS_REPLY_STRING, "5");
	t = mk(REDIS_REPLY_ARRAY, NULL);
	t->elements = 2;
	t->element = e;
	is_int(rconn_handshake_reply(&h, &h.cmd[2], t, why, sizeof(why)), 0,
	    "a TIME teaches the clock");
	free(e[0]);
	free(e[1]);
	free(t);
}

/* role - ROLE says whether the server is the master, and its replicas */
static void
role(void)
{
	static struct conf c;
	struct rconn_handshake h;
	redisReply *r;
	char why[256];
	int n = -1;

	rconn_handshake_init(&h, &c);
	r = rarr(3, rstr("master"), rnum(42),
	    rarr(2, rarr(3, rstr("127.0.0.1"), rstr("6380"), rstr("42")),
	        rarr(3, rstr("127.0.0.1"), rstr("6381"), rstr("40"))));
	is_int(rconn_handshake_reply(&h, &h.cmd[1], r, why, sizeof(why)), 0,
	    "a master passes");
	is_int(h.replicas, 2, "with its two replicas counted");
	rfree(r);
	r = rarr(3, rstr("master"), rnum(0), rarr(0));
	is_int(rconn_role(r, &n, why, sizeof(why)), 0, "a lone master passes");
	is_int(n, 0, "no replica");
	rfree(r);
	r = rarr(5, rstr("slave"), rstr("127.0.0.1"), rnum(6379),
	    rstr("connected"), rnum(42));
	is_int(rconn_role(r, &n, why, sizeof(why)), -1, "a replica fails");
	is_str(
	    why, "a replica of 127.0.0.1:6379, not a master", "and says whose");
	rfree(r);
	r = rarr(2, rstr("sentinel"), rarr(1, rstr("floodgate")));
	is_int(rconn_role(r, &n, why, sizeof(why)), -1, "a sentinel fails");
	is_str(why, "a sentinel, not a master", "and says so");
	rfree(r);
	r = mk(REDIS_REPLY_ERROR, "NOPERM this user has no permissions");
	is_int(rconn_role(r, &n, why, sizeof(why)), -1,
	    "a ROLE the ACL refuses fails");
	ok(strstr(why, "+role") != NULL, "and names the permission");
	free(r);
	r = rarr(1, rnum(1));
	is_int(rconn_role(r, &n, why, sizeof(why)), -1, "a wrong shape fails");
	rfree(r);
}

static void
state(void)
{
	static struct conf c;
	struct rconn_state s;
	char msg[RCONN_MSG_MAX];
	int i, logged = 0;

	strcpy(c.redis.server, "127.0.0.1:6379");
	rconn_state_init(&s);
	ok(rconn_went_down(&s, "Connection refused", "127.0.0.1:6379", 1000,
	       msg, sizeof(msg)),
	    "the first failure is logged");
	is_str(msg,
	    "redis: down: Connection refused (server=127.0.0.1:6379); "
	    "on_failure policy applies until it is back",
	    "naming why and the server");
	ok(!rconn_may_connect(&s, 1000 + RCONN_BACKOFF_MIN_MS - 1) &&
	        rconn_may_connect(&s, 1000 + RCONN_BACKOFF_MIN_MS),
	    "no connect before the backoff is over");
	for (i = 0; i < 20; i++)
		logged += rconn_went_down(
		    &s, "Connection refused", "x", 2000, msg, sizeof(msg));
	is_int(logged, 0, "20 more failures: not logged again");
	is_int(s.delay_ms, RCONN_BACKOFF_MAX_MS, "the backoff is capped");
	ok(rconn_went_up(&s, &c, c.redis.server, msg, sizeof(msg)),
	    "up is logged");
	is_str(msg, "redis: up (server=127.0.0.1:6379 db=0)", "once");
	ok(!rconn_went_up(&s, &c, c.redis.server, msg, sizeof(msg)),
	    "not twice");
	is_int(s.delay_ms, RCONN_BACKOFF_MIN_MS, "the backoff starts over");
	ok(rconn_went_down(&s, "timeout", "x", 3000, msg, sizeof(msg)),
	    "down again after up: logged again");
}

static void
open_warning(void)
{
	static struct conf c;
	struct rconn_state s;
	char msg[RCONN_MSG_MAX * 2];

	rconn_state_init(&s);
	strcpy(c.redis.server, "127.0.0.1:6379");
	ok(rconn_open_warning(&s, &c, c.redis.server, msg, sizeof(msg)) &&
	        strstr(msg, "without a password") != NULL,
	    "TCP without a password: warned");
	ok(!rconn_open_warning(&s, &c, c.redis.server, msg, sizeof(msg)),
	    "once");
	rconn_state_init(&s);
	strcpy(c.redis.password, "secret");
	ok(!rconn_open_warning(&s, &c, c.redis.server, msg, sizeof(msg)),
	    "with a password: not");
	c.redis.password[0] = '\0';
	strcpy(c.redis.server, "unix:/run/redis/redis.sock");
	ok(!rconn_open_warning(&s, &c, c.redis.server, msg, sizeof(msg)),
	    "a unix socket (its mode guards it): not");
}

int
main(void)
{
	address();
	open_warning();
	handshake();
	role();
	state();
	return tap_done();
}
