/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stamp - HMAC-SHA256 against RFC 4231 test cases 1-4 and 6; the exact
 * full and opaque stamps (MACs computed independently with Python's hmac
 * module); folding at 78 columns; hostile values that try to add a field
 * or a line; verification: each one-byte change fails, a different
 * Message-ID or sender fails, key rotation, CRLF refolding, malformed
 * stamps; key files (mode, size, spec) and a config's milter.keys;
 * stamp_names_uid as a table (uid, opaque tag, queue id, key, forgery).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "origin.h"
#include "stamp.h"
#include "str.h"
#include "tap.h"

static const char full_want[] =
    "v=1; h=web1; src=smtp-local; uid=1001; user=alice; pid=4242; "
    "exe=/usr/bin/php8.2; cwd=/var/www/a; script=/var/www/a/contact.php; "
    "q=ABC123; t=1700000000; k=k1; "
    "b=CvMjgyuJ80hSlse/oVNCF7JUyd4Gdkyoe4Y1SYYNpig=";
static const char opaque_want[] =
    "v=1; h=web1; src=smtp-local; u=a8088d95e310fe32; q=ABC123; "
    "t=1700000000; k=k1; b=RAjFq0B9iTQciQ5DcGDjS8XxMmrRyTzVAdnnPkr7t/k=";

static void
hex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
test_hmac(void)
{
	static const struct {
		int tc;
		unsigned char key[131];
		size_t klen;
		unsigned char data[64];
		size_t dlen;
		const char *want;
	} v[] = {
	    {1, {0}, 20, "Hi There", 8,
	        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cf"
	        "f7"},
	    {2, "Jefe", 4, "what do ya want for nothing?", 28,
	        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec38"
	        "43"},
	    {3, {0}, 20, {0}, 50,
	        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565"
	        "fe"},
	    {4, {0}, 25, {0}, 50,
	        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff4672966"
	        "5b"},
	    {6, {0}, 131,
	        "Test Using Larger Than Block-Size Key - Hash Key First", 54,
	        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f"
	        "54"},
	};
	unsigned char key[131], data[64], mac[32];
	char got[65], name[32];
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memcpy(key, v[i].key, sizeof(key));
		memcpy(data, v[i].data, sizeof(data));
		for (j = 0; j < v[i].klen; j++)
			key[j] = v[i].tc == 1 ? 0x0b
			    : v[i].tc == 4    ? (unsigned char)(j + 1)
			    : v[i].tc == 2    ? key[j]
			                      : 0xaa;
		if (v[i].tc == 3 || v[i].tc == 4)
			memset(data, v[i].tc == 3 ? 0xdd : 0xcd, 50);
		got[0] = '\0';
		if (stamp_hmac(key, v[i].klen, data, v[i].dlen, mac) == 0)
			hex(mac, 32, got);
		snprintf(name, sizeof(name), "RFC 4231 test case %d", v[i].tc);
		is_str(got, v[i].want, name);
	}
}

/* unfold - the header value with its folding removed */
static void
unfold(const char *in, char *out)
{
	for (; *in != '\0'; in++)
		if (*in != '\n' && *in != '\r' && *in != '\t')
			*out++ = *in;
		else if (*in == '\t')
			*out++ = ' ';
	*out = '\0';
}

/* folded_ok - each line of "X-Floodgate-Origin: value" within 78 */
static int
folded_ok(const char *v)
{
	size_t col = sizeof(STAMP_HEADER) + 1;

	for (; *v != '\0'; v++, col++) {
		if (*v == '\n') {
			if (v[1] != '\t')
				return 0;
			col = 0;
		}
		if (col > 78)
			return 0;
	}
	return 1;
}

static const struct origin sample = {
    .src = ORIGIN_SMTP_LOCAL,
    .uid = 1001,
    .user = "alice",
    .have_proc = true,
    .proc = {.pid = 4242,
        .exe = "/usr/bin/php8.2",
        .cwd = "/var/www/a",
        .script = "/var/www/a/contact.php"},
    .qid = "ABC123",
};

/* fmt - stamp_format of o written on web1 at 1700000000, sent by sender */
static int
fmt(char *out, size_t size, const struct origin *o, bool opaque,
    const struct stamp_key *k, const char *msgid, const char *sender)
{
	static struct origin c;
	struct stamp_facts f;

	c = *o;
	str_lcpy(c.sender, sender, sizeof(c.sender));
	origin_facts(&c, &f);
	return stamp_format(
	    out, size, &f, "web1", 1700000000, opaque, k, msgid);
}

static void
test_format(const struct stamp_key *k)
{
	char out[STAMP_MAX], flat[STAMP_MAX], big[PROC_PATH_MAX];
	static struct origin s;

	s = sample;
	ok(fmt(out, sizeof(out), &s, false, k, " <m1@fg.test>\r\n",
	       "alice@fg.test") == 0,
	    "full stamp formatted");
	unfold(out, flat);
	is_str(flat, full_want, "full stamp: fields and MAC as computed apart");
	ok(strchr(out, '\n') != NULL && folded_ok(out),
	    "folded with newline-tab, no line over 78");
	ok(fmt(out, sizeof(out), &s, true, k, "<m1@fg.test>",
	       "alice@fg.test") == 0,
	    "opaque stamp formatted");
	unfold(out, flat);
	is_str(
	    flat, opaque_want, "opaque: a keyed uid hash, no names or paths");
	ok(fmt(out, sizeof(out), &s, false, NULL, "", "") == 0 &&
	        strstr(out, "k=") == NULL && strstr(out, "b=") == NULL,
	    "without a key: unsigned");
	ok(fmt(out, sizeof(out), &s, true, NULL, "", "") == 0 &&
	        strstr(out, "u=") == NULL && strstr(out, "uid=") == NULL,
	    "opaque without a key: no uid at all");

	str_lcpy(s.user, "a; uid=0", sizeof(s.user));
	str_lcpy(s.proc.exe, "/bin/x\r\nX-Evil: 1", sizeof(s.proc.exe));
	str_lcpy(s.proc.cwd, "\"q\"\\%", sizeof(s.proc.cwd));
	ok(fmt(out, sizeof(out), &s, false, k, "", "") == 0,
	    "hostile values formatted");
	unfold(out, flat);
	ok(strstr(flat, "user=a%3B%20uid%3D0;") != NULL,
	    "'; uid=0' in a value is encoded, adds no field");
	ok(strstr(flat, "exe=/bin/x%0D%0AX-Evil:%201;") != NULL &&
	        strstr(out, "\r") == NULL,
	    "CR LF in a value is encoded, adds no line");
	ok(strstr(flat, "cwd=%22q%22%5C%25;") != NULL,
	    "quotes, backslash and %% encoded");
	memset(big, '%', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	str_lcpy(s.proc.script, big, sizeof(s.proc.script));
	ok(fmt(out, sizeof(out), &s, false, k, "", "") == 0,
	    "a %zu-byte value formatted", sizeof(big) - 1);
	unfold(out, flat);
	ok(strstr(flat, "script=%25") != NULL &&
	        strlen(strstr(flat, "script=")) -
	                strlen(strstr(flat, "; q=")) ==
	            7 + 198,
	    "cut to whole escapes within %d bytes", STAMP_VALUE_MAX);
	ok(strstr(out, ";\n\tscript=%25") != NULL &&
	        strstr(out, "%25;\n\tq=") != NULL,
	    "an overlong field stands on a line of its own");
	ok(fmt(out, 64, &sample, false, k, "", "") == -1,
	    "a too small buffer is an error, not a cut stamp");
}

static void
test_verify(const struct stamp_key *keys)
{
	char out[STAMP_MAX], bad[STAMP_MAX], crlf[2 * STAMP_MAX];
	const char *mid = "<m1@fg.test>", *snd = "alice@fg.test";
	size_t i, j, n, fails = 0;

	if (fmt(out, sizeof(out), &sample, false, &keys[0], mid, snd) != 0)
		exit(1);
	ok(stamp_verify(out, keys, 1, mid, snd), "a stamp verifies");
	ok(stamp_verify(out, keys, 1, "  <m1@fg.test>  ", snd),
	    "with blanks around the Message-ID");
	ok(!stamp_verify(out, keys, 1, "<m2@fg.test>", snd),
	    "not with another Message-ID");
	ok(!stamp_verify(out, keys, 1, mid, "bob@fg.test"),
	    "not with another sender");
	ok(!stamp_verify(out, keys + 1, 1, mid, snd), "not without its key");
	ok(stamp_verify(out, keys, 2, mid, snd) &&
	        stamp_verify(
	            out, (struct stamp_key[]){keys[1], keys[0]}, 2, mid, snd),
	    "rotation: found among several keys in any order");
	n = strlen(out);
	for (i = 0; i < n; i++) {
		memcpy(bad, out, n + 1);
		bad[i] = bad[i] == 'x' ? 'y' : 'x';
		if (stamp_verify(bad, keys, 2, mid, snd))
			fails++;
	}
	is_int((long long)fails, 0, "every one-byte change fails");
	for (i = j = 0; i <= n; i++) {
		if (out[i] == '\n')
			crlf[j++] = '\r';
		crlf[j++] = out[i];
	}
	ok(stamp_verify(crlf, keys, 1, mid, snd), "refolded with CRLF");

	static const char *const junk[] = {
	    "",
	    "v=1",
	    "v=1; k=k1",
	    "b=AAAA",
	    ";;;;;",
	    "v=2; h=web1; k=k1; b=CvMjgyuJ80hSlse/oVNCF7JUyd4Gdkyoe4Y1SYYNpig=",
	    "v=1; k=k1; b=CvMjgyuJ80hSlse/oVNCF7JUyd4Gdkyoe4Y1SYYNpig=; x=1",
	    "v=1; k=k1; h=w; b=CvMjgyuJ80hSlse/oVNCF7JUyd4Gdkyoe4Y1SYYNpig=",
	    "v=1; k=zz; b=CvMjgyuJ80hSlse/oVNCF7JUyd4Gdkyoe4Y1SYYNpig=",
	    "v=1; k=k1; b=!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
	};
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		ok(!stamp_verify(junk[i], keys, 2, mid, snd), "refused: '%s'",
		    junk[i]);
	memset(bad, 'a', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	ok(!stamp_verify(bad, keys, 2, mid, snd), "an overlong value refused");
	ok(!stamp_verify(NULL, keys, 2, mid, snd), "NULL refused");
}

/* keyfile - write a key file; its spec "ID:path" into spec */
static void
keyfile(const char *dir, const char *name, const char *data, size_t len,
    mode_t mode, char *spec, size_t specsize)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) == -1)
		exit(1);
	close(fd);
	snprintf(spec, specsize, "k1:%s", path);
}

static void
test_keys(struct stamp_key *keys)
{
	char dir[] = "/tmp/fgstamp.XXXXXX", spec[300], err[256], cmd[300];
	char big[100];
	struct stamp_key k;

	if (mkdtemp(dir) == NULL)
		exit(1);
	keyfile(dir, "a", "0123456789abcdef0123456789abcdef\n", 33, 0600, spec,
	    sizeof(spec));
	ok(stamp_key_load(spec, &keys[0], err, sizeof(err)) == 0,
	    "a 32-byte 0600 key file loads");
	is_str(keys[0].id, "k1", "with its id");
	is_int((long long)keys[0].len, 32, "the trailing newline is not key");
	keyfile(dir, "b", "fedcba9876543210", 16, 0400, spec, sizeof(spec));
	spec[1] = '0';
	ok(stamp_key_load(spec, &keys[1], err, sizeof(err)) == 0 &&
	        strcmp(keys[1].id, "k0") == 0,
	    "a 16-byte 0400 key loads as k0");

	keyfile(dir, "c", "0123456789abcdef", 16, 0640, spec, sizeof(spec));
	ok(stamp_key_load(spec, &k, err, sizeof(err)) == -1 &&
	        strstr(err, "mode 0640") != NULL,
	    "group-readable refused: %s", err);
	keyfile(dir, "d", "short", 5, 0600, spec, sizeof(spec));
	ok(stamp_key_load(spec, &k, err, sizeof(err)) == -1 &&
	        strstr(err, "16 to 64") != NULL,
	    "a 5-byte key refused");
	memset(big, 'z', sizeof(big));
	keyfile(dir, "e", big, sizeof(big), 0600, spec, sizeof(spec));
	ok(stamp_key_load(spec, &k, err, sizeof(err)) == -1,
	    "a 100-byte key refused");
	ok(stamp_key_load("k1:/nonexistent/key", &k, err, sizeof(err)) == -1 &&
	        strstr(err, "/nonexistent/key") != NULL,
	    "a missing file is named");
	snprintf(spec, sizeof(spec), "k1:%s", dir);
	ok(stamp_key_load(spec, &k, err, sizeof(err)) == -1 &&
	        strstr(err, "not a regular file") != NULL,
	    "a directory refused");
	ok(stamp_key_load("k1:relative/key", &k, err, sizeof(err)) == -1,
	    "a relative path refused");
	ok(stamp_key_load("nocolon", &k, err, sizeof(err)) == -1,
	    "a spec without ID: refused");
	ok(stamp_key_load("bad id:/x", &k, err, sizeof(err)) == -1,
	    "an id with a space refused");
	ok(stamp_key_load("0123456789abcdefg:/x", &k, err, sizeof(err)) == -1,
	    "an id of 17 chars refused");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		exit(1);
}

/* test_names_uid - which uid a stamp is counted for, by floodgate queue */
static void
test_names_uid(const struct stamp_key *keys)
{
	static char full[STAMP_MAX], opaque[STAMP_MAX], nouid[STAMP_MAX],
	    unsigned_[STAMP_MAX], forged[STAMP_MAX];
	static struct origin remote;
	const char *mid = "<m1@fg.test>", *snd = "alice@fg.test";
	const struct {
		const char *stamp;
		int nkeys, key0;
		const char *msgid, *sender, *qid;
		long long uid;
		bool want;
		const char *what;
	} t[] = {
	    {full, 2, 0, mid, snd, "ABC123", 1001, true, "full: its uid"},
	    {full, 2, 0, mid, snd, "ABC123", 1002, false, "full: another uid"},
	    {full, 2, 0, mid, snd, "ABC124", 1001, false,
	        "full: copied onto another queue id"},
	    {full, 2, 0, "<m2@fg.test>", snd, "ABC123", 1001, false,
	        "full: another Message-ID"},
	    {full, 2, 0, mid, "bob@fg.test", "ABC123", 1001, false,
	        "full: another sender"},
	    {full, 1, 1, mid, snd, "ABC123", 1001, false,
	        "full: not under another key"},
	    {full, 2, 0, mid, snd, "", 1001, false, "full: no queue id"},
	    {full, 2, 0, mid, snd, "ABC123", -1, false, "full: uid -1"},
	    {opaque, 2, 0, mid, snd, "ABC123", 1001, true,
	        "opaque: the tag of its uid"},
	    {opaque, 2, 0, mid, snd, "ABC123", 1002, false,
	        "opaque: not another uid's tag"},
	    {opaque, 1, 1, mid, snd, "ABC123", 1001, false,
	        "opaque: not under another key"},
	    {nouid, 2, 0, mid, snd, "ABC123", 1001, false,
	        "a stamp without a uid names none"},
	    {unsigned_, 2, 0, mid, snd, "ABC123", 1001, false,
	        "an unsigned stamp names none"},
	    {forged, 2, 0, mid, snd, "ABC123", 0, false,
	        "uid=1001 changed to uid=0: the MAC fails"},
	    {forged, 2, 0, mid, snd, "ABC123", 1001, false,
	        "and names no other uid either"},
	};
	char *p;
	size_t i;

	if (fmt(full, sizeof(full), &sample, false, &keys[0], mid, snd) != 0 ||
	    fmt(opaque, sizeof(opaque), &sample, true, &keys[0], mid, snd) !=
	        0 ||
	    fmt(unsigned_, sizeof(unsigned_), &sample, false, NULL, mid, snd) !=
	        0)
		exit(1);
	remote = sample;
	remote.src = ORIGIN_REMOTE;
	remote.uid = -1;
	remote.have_proc = false;
	if (fmt(nouid, sizeof(nouid), &remote, false, &keys[0], mid, snd) != 0)
		exit(1);
	str_lcpy(forged, full, sizeof(forged));
	if ((p = strstr(forged, "uid=1001")) == NULL)
		exit(1);
	memmove(p + 5, p + 8, strlen(p + 8) + 1);
	p[4] = '0';
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(stamp_names_uid(t[i].stamp, keys + t[i].key0, t[i].nkeys,
		       t[i].msgid, t[i].sender, t[i].qid,
		       t[i].uid) == t[i].want,
		    "names_uid: %s", t[i].what);
}

/* test_keys_load - a config's milter.keys, all or none */
static void
test_keys_load(void)
{
	char dir[] = "/tmp/fgstampc.XXXXXX", a[128], b[128], text[512],
	     err[512], cmd[300];
	struct stamp_key keys[STAMP_KEYS_MAX];
	struct conf *c;
	int n = -1;

	if (mkdtemp(dir) == NULL)
		exit(1);
	keyfile(dir, "a", "0123456789abcdef", 16, 0600, a, sizeof(a));
	keyfile(dir, "b", "0123456789abcdef", 16, 0644, b, sizeof(b));
	snprintf(text, sizeof(text),
	    "milter {\n keys = { \"%s\", \"k2:%s\" }\n}\n", a,
	    strchr(a, ':') + 1);
	c = conf_load_text("keys.conf", text, strlen(text), err, sizeof(err));
	ok(c != NULL && stamp_keys_load(c, keys, &n, err, sizeof(err)) == 0 &&
	        n == 2 && strcmp(keys[1].id, "k2") == 0,
	    "milter.keys: both keys load (%s)", c != NULL ? "" : err);
	conf_free(c);
	snprintf(text, sizeof(text),
	    "milter {\n keys = { \"%s\", \"%s\" }\n}\n", a, b);
	c = conf_load_text("keys.conf", text, strlen(text), err, sizeof(err));
	n = -1;
	ok(c != NULL && stamp_keys_load(c, keys, &n, err, sizeof(err)) == -1 &&
	        n == 0 && strstr(err, "milter.keys: ") == err &&
	        strstr(err, "mode 0644") != NULL,
	    "a key readable by others: none kept (%s)", err);
	conf_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		exit(1);
}

int
main(void)
{
	struct stamp_key keys[2];

	test_hmac();
	test_keys(keys);
	test_format(&keys[0]);
	test_verify(keys);
	test_names_uid(keys);
	test_keys_load();
	return tap_done();
}
