/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peer - policyd's trust boundary as a table: the facts of a peer and the
 * rules of allow_users / allow_networks -> the verdict; peer_identify() on
 * real sockets (a unix socketpair, a loopback TCP connection: this
 * process's uid either way); the per-peer connection cap and the log
 * slot of a refused peer.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "ratelog.h"
#include "sockdiag.h"
#include "tap.h"

struct pcase {
	const char *name;
	enum peer_kind kind;
	bool have_uid;
	uid_t uid;
	const char *addr;
	enum peer_verdict want;
};

/* rules: uids 107 (postfix) and 0; networks 192.0.2.0/24, 2001:db8::/32 */
static const struct pcase cases[] = {
    {"postfix on the unix socket", PEER_LOCAL, true, 107, "unix", PEER_ALLOW},
    {"root on the unix socket", PEER_LOCAL, true, 0, "unix", PEER_ALLOW},
    {"nobody on the unix socket", PEER_LOCAL, true, 65534, "unix",
        PEER_NOT_ALLOWED_USER},
    {"a web user over 127.0.0.1", PEER_LOCAL, true, 1001, "127.0.0.1",
        PEER_NOT_ALLOWED_USER},
    {"postfix over 127.0.0.1", PEER_LOCAL, true, 107, "127.0.0.1", PEER_ALLOW},
    {"a local owner the kernel did not name", PEER_LOCAL, false, 0, "127.0.0.1",
        PEER_UNKNOWN_USER},
    {"unknown owner of a unix peer is not root", PEER_LOCAL, false, 0, "unix",
        PEER_UNKNOWN_USER},
    {"remote in allow_networks", PEER_REMOTE, false, 0, "192.0.2.7",
        PEER_ALLOW},
    {"remote v6 in allow_networks", PEER_REMOTE, false, 0, "2001:db8::5",
        PEER_ALLOW},
    {"remote outside allow_networks", PEER_REMOTE, false, 0, "198.51.100.1",
        PEER_NOT_ALLOWED_NETWORK},
    {"a remote uid means nothing", PEER_REMOTE, true, 0, "198.51.100.1",
        PEER_NOT_ALLOWED_NETWORK},
    {"a local peer is never let in by address", PEER_LOCAL, true, 1001,
        "192.0.2.9", PEER_NOT_ALLOWED_USER},
};

static void
peer_table_cases(void)
{
	struct peer_rules r;
	struct peer p;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.uids[r.nuids++] = 107;
	r.uids[r.nuids++] = 0;
	if (cidr_parse("192.0.2.0/24", &r.nets[r.nnets++]) == -1 ||
	    cidr_parse("2001:db8::/32", &r.nets[r.nnets++]) == -1)
		ok(0, "cidr_parse");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.kind = cases[i].kind;
		p.have_uid = cases[i].have_uid;
		p.uid = cases[i].uid;
		snprintf(p.addr, sizeof(p.addr), "%s", cases[i].addr);
		is_int(peer_check(&r, &p), cases[i].want, cases[i].name);
	}
	memset(&r, 0, sizeof(r));
	p.kind = PEER_REMOTE;
	snprintf(p.addr, sizeof(p.addr), "192.0.2.7");
	is_int(peer_check(&r, &p), PEER_NOT_ALLOWED_NETWORK,
	    "no allow_networks: no remote peer");
}

/* rules_from_conf - names and uids of allow_users resolved */
static void
rules_from_conf(void)
{
	static struct conf c;
	struct peer_rules r;
	char msg[256];

	memset(&c, 0, sizeof(c));
	snprintf(c.policyd.allow_users[0], CONF_NAME_MAX, "root");
	snprintf(c.policyd.allow_users[1], CONF_NAME_MAX, "4242");
	snprintf(c.policyd.allow_users[2], CONF_NAME_MAX, "no-such-user-fg");
	c.policyd.nallow_users = 3;
	is_int(peer_rules_load(&r, &c, msg, sizeof(msg)), 1,
	    "allow_users: one unknown name");
	is_str(msg, "no-such-user-fg", "  named");
	is_int(r.nuids, 2, "  the others resolved");
	is_int(r.uids[0], 0, "  root is uid 0");
	is_int(r.uids[1], 4242, "  a numeric uid is taken as it is");
}

/* identify - this process's own connections: its uid either way */
static void
identify(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr un = {.sa_family = AF_UNIX};
	struct sockaddr_storage peer;
	socklen_t len = sizeof(sin);
	struct peer p;
	int sp[2], l, c, a, nl = sockdiag_open();

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		ok(0, "socketpair");
		return;
	}
	is_int(peer_identify(sp[0], &un, sizeof(un), -1, &p), 0, "unix peer");
	ok(p.kind == PEER_LOCAL && p.have_uid && p.uid == getuid(),
	    "  SO_PEERCRED: our uid %lu", (unsigned long)p.uid);
	ok(strncmp(p.key, "uid:", 4) == 0, "  counted by uid (%s)", p.key);
	close(sp[0]);
	close(sp[1]);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l == -1 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l, 1) == -1 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == -1 ||
	    (c = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		ok(0, "a loopback connection");
		return;
	}
	len = sizeof(peer);
	a = accept(l, (struct sockaddr *)&peer, &len);
	is_int(peer_identify(a, (struct sockaddr *)&peer, len, nl, &p), 0,
	    "loopback TCP peer");
	ok(p.kind == PEER_LOCAL && p.have_uid && p.uid == getuid(),
	    "  sock_diag: the owner of the client socket, our uid");
	is_str(p.addr, "127.0.0.1", "  its address");
	close(a);
	close(c);
	close(l);
	close(nl);
}

/* cap - max_connections_per_peer per key; released slots come back */
static void
cap(void)
{
	struct peer_table *t = peer_table_new(4);
	struct peer_slot *s[5];
	unsigned long skipped;

	s[0] = peer_table_take(t, "uid:65534", 2);
	s[1] = peer_table_take(t, "uid:65534", 2);
	ok(s[0] != NULL && s[0] == s[1], "two connections of one peer");
	ok(peer_table_take(t, "uid:65534", 2) == NULL, "a third: over the cap");
	s[2] = peer_table_take(t, "uid:107", 2);
	ok(s[2] != NULL, "another peer is not affected");
	peer_table_release(t, s[0]);
	ok((s[3] = peer_table_take(t, "uid:65534", 2)) != NULL,
	    "a released slot can be taken again");
	s[4] = peer_table_take(t, "ip:192.0.2.1", 2);
	ok(peer_table_take(t, "ip:192.0.2.2", 2) != NULL,
	    "as many peers as connections fit");
	ok(peer_table_take(t, "ip:192.0.2.3", 2) == NULL,
	    "no more: a slot in use is never evicted");
	ok(peer_table_log(t, "uid:65534", &skipped) && skipped == 0,
	    "a refused peer's first refusal is logged");
	ok(!peer_table_log(t, "uid:65534", &skipped),
	    "the next within the interval is not");
	ok(peer_table_log(t, "uid:1001", &skipped),
	    "another refused peer has its own slot");
	peer_table_free(t);
}

int
main(void)
{
	peer_table_cases();
	rules_from_conf();
	identify();
	cap();
	return tap_done();
}
