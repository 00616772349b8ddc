/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qmatch - floodgate queue's SUBJECT against a message, as a table: sasl
 * in any case, IPv4 exact (and by a configured ipv4_prefix), IPv6 by its
 * /64 (and a configured ipv6_prefix), sender (cut senders never), the
 * null sender, uid by Postfix's "from userid" (as the milter names it),
 * else by a stamp that verifies, names the message's queue id and the
 * uid; "from userid" wins over a stamp; bad subjects refused.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmatch.h"
#include "tap.h"

struct msg {
	const char *sasl, *client, *sender;
	bool cut;
	long long uid;       /* from userid, -1 none */
	long long stamp_uid; /* a stamp naming this uid, -1 none */
	const char *stamp_qid;
};

static const struct stamp_key qmatch_key = {
    "k1", "0123456789abcdef0123456789abcdef", 32};

/* fill - a qfile_msg of queue id Q1 from a row */
static void
fill(struct qfile_msg *m, const struct msg *r)
{
	struct stamp_facts f = {.src = "smtp-local", .qid = r->stamp_qid};

	memset(m, 0, sizeof(*m));
	snprintf(m->sasl_username, sizeof(m->sasl_username), "%s",
	    r->sasl != NULL ? r->sasl : "");
	snprintf(m->client_address, sizeof(m->client_address), "%s",
	    r->client != NULL ? r->client : "");
	snprintf(m->sender, sizeof(m->sender), "%s",
	    r->sender != NULL ? r->sender : "");
	m->sender_cut = r->cut;
	m->origin.uid = r->uid;
	snprintf(m->msgid, sizeof(m->msgid), "<q@fg.test>");
	f.uid = r->stamp_uid;
	f.sender = m->sender;
	if (r->stamp_uid >= 0 &&
	    stamp_format(m->stamp, sizeof(m->stamp), &f, "web1", 1, true,
	        &qmatch_key, m->msgid) == -1)
		exit(1);
}

/* conf - a config with keyfile as milter.keys and the prefixes */
static struct conf *
conf(const char *keyfile, int v4, int v6)
{
	char text[512], err[512];
	struct conf *c;

	snprintf(text, sizeof(text),
	    "ipv4_prefix = %d\nipv6_prefix = %d\n"
	    "milter {\n keys = { \"k1:%s\" }\n}\n",
	    v4, v6, keyfile);
	if ((c = conf_load_text(
	         "q.conf", text, strlen(text), err, sizeof(err))) == NULL) {
		printf("# %s\n", err);
		exit(1);
	}
	return c;
}

int
main(void)
{
	char keyfile[] = "/tmp/fgqmatch.XXXXXX", why[512], name[64];
	struct passwd *pw = getpwuid(0);
	long long nobody = getpwnam("nobody") != NULL
	    ? (long long)getpwnam("nobody")->pw_uid
	    : 65534;
	const struct {
		int v4, v6;
		const char *subject;
		struct msg m;
		bool want;
		const char *what;
	} t[] = {
	    {32, 64, "alice@example.com",
	        {.sasl = "Alice@Example.COM", .uid = -1, .stamp_uid = -1}, true,
	        "sasl: any case"},
	    {32, 64, "sasl:alice@example.com",
	        {.sasl = "alice@example.org", .uid = -1, .stamp_uid = -1},
	        false, "sasl: another user"},
	    {32, 64, "alice", {.sender = "alice", .uid = -1, .stamp_uid = -1},
	        false, "sasl: not the sender"},
	    {32, 64, "203.0.113.7",
	        {.client = "203.0.113.7", .uid = -1, .stamp_uid = -1}, true,
	        "ip: IPv4 exact"},
	    {32, 64, "ip:203.0.113.7",
	        {.client = "203.0.113.8", .uid = -1, .stamp_uid = -1}, false,
	        "ip: not the next IPv4 address"},
	    {24, 64, "ip:203.0.113.7",
	        {.client = "203.0.113.8", .uid = -1, .stamp_uid = -1}, true,
	        "ip: ipv4_prefix = 24, as the daemons count it"},
	    {32, 64, "ip:2001:db8:1:2::5",
	        {.client = "2001:db8:1:2:ffff::1", .uid = -1, .stamp_uid = -1},
	        true, "ip: IPv6 by its /64"},
	    {32, 64, "2001:db8:1:2::5",
	        {.client = "2001:db8:1:3::5", .uid = -1, .stamp_uid = -1},
	        false, "ip: not the next /64"},
	    {32, 48, "2001:db8:1:2::5",
	        {.client = "2001:db8:1:3::5", .uid = -1, .stamp_uid = -1}, true,
	        "ip: ipv6_prefix = 48"},
	    {32, 64, "ip:203.0.113.7", {.uid = -1, .stamp_uid = -1}, false,
	        "ip: a local submission has none"},
	    {32, 64, "sender:Bob@Example.org",
	        {.sender = "bob@example.org", .uid = -1, .stamp_uid = -1}, true,
	        "sender: any case"},
	    {32, 64, "sender:bob@example.org",
	        {.sender = "bob@example.org",
	            .cut = true,
	            .uid = -1,
	            .stamp_uid = -1},
	        false, "sender: a cut sender never"},
	    {32, 64, "sender:<>", {.sender = "", .uid = -1, .stamp_uid = -1},
	        true, "sender:<>: the null sender"},
	    {32, 64, "sender:<>", {.sender = "x@y", .uid = -1, .stamp_uid = -1},
	        false, "sender:<>: not another"},
	    {32, 64, "uid:root", {.uid = 0, .stamp_uid = -1}, true,
	        "uid: from userid 0 is root"},
	    {32, 64, "uid:0", {.uid = 0, .stamp_uid = -1}, true,
	        "uid:0 is named root"},
	    {32, 64, "uid:root", {.uid = 1, .stamp_uid = -1}, false,
	        "uid: not another uid"},
	    {32, 64, "uid:4242424", {.uid = 4242424, .stamp_uid = -1}, true,
	        "uid: a uid without a name by number"},
	    {32, 64, "uid:nobody",
	        {.uid = -1, .stamp_uid = nobody, .stamp_qid = "Q1"}, true,
	        "uid: a verified stamp names it"},
	    {32, 64, "uid:nobody",
	        {.uid = -1, .stamp_uid = nobody, .stamp_qid = "Q2"}, false,
	        "uid: a stamp of another queue id"},
	    {32, 64, "uid:root",
	        {.uid = -1, .stamp_uid = nobody, .stamp_qid = "Q1"}, false,
	        "uid: a stamp of another uid"},
	    {32, 64, "uid:nobody",
	        {.uid = 0, .stamp_uid = nobody, .stamp_qid = "Q1"}, false,
	        "uid: from userid wins over a stamp"},
	    {32, 64, "uid:nobody",
	        {.sender = "s@x",
	            .cut = true,
	            .uid = -1,
	            .stamp_uid = nobody,
	            .stamp_qid = "Q1"},
	        false, "uid: no stamp verifies with a cut sender"},
	};
	struct qfile_msg m;
	struct qmatch q;
	struct conf *c;
	size_t i;
	int fd;

	if (pw == NULL || (fd = mkstemp(keyfile)) == -1 ||
	    write(fd, qmatch_key.key, 32) != 32 || fchmod(fd, 0600) == -1)
		return 1;
	close(fd);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = conf(keyfile, t[i].v4, t[i].v6);
		fill(&m, &t[i].m);
		if (qmatch_init(&q, c, t[i].subject, why, sizeof(why)) == -1) {
			ok(0, "%s: %s", t[i].what, why);
			conf_free(c);
			continue;
		}
		ok(qmatch_test(&q, "Q1", &m) == t[i].want, "%s", t[i].what);
		qmatch_clear(&q);
		conf_free(c);
	}

	c = conf(keyfile, 32, 64);
	ok(qmatch_init(&q, c, "sender:<>", why, sizeof(why)) == 0 &&
	        strcmp(q.t.name, "sender:<>") == 0,
	    "sender:<> is named so");
	ok(qmatch_init(&q, c, "uid:0", why, sizeof(why)) == 0 &&
	        strcmp(q.t.name, "uid:root") == 0 && q.uid == 0 && q.nkeys == 1,
	    "uid:0 is uid:root, number 0, the key loaded");
	qmatch_clear(&q);
	ok(qmatch_init(&q, c, "uid:nosuchuser42", why, sizeof(why)) == -1 &&
	        strstr(why, "no such user") != NULL,
	    "a uid name nobody has: %s", why);
	ok(qmatch_init(&q, c, "sender:", why, sizeof(why)) == -1,
	    "an empty sender is not sender:<> (%s)", why);
	ok(qmatch_init(&q, c, "zz:top", why, sizeof(why)) == -1 &&
	        strstr(why, "unknown subject type") != NULL,
	    "an unknown type: %s", why);
	conf_free(c);
	chmod(keyfile, 0644);
	c = conf(keyfile, 32, 64);
	snprintf(name, sizeof(name), "uid:%s", pw->pw_name);
	ok(qmatch_init(&q, c, name, why, sizeof(why)) == -1 &&
	        strstr(why, "milter.keys") != NULL,
	    "a uid subject needs the keys: %s", why);
	ok(qmatch_init(&q, c, "sasl:a@b", why, sizeof(why)) == 0,
	    "other subjects do not");
	conf_free(c);
	unlink(keyfile);
	return tap_done();
}
