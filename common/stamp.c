/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stamp - format, sign and verify X-Floodgate-Origin.
 *
 * Entry points: stamp_format, stamp_verify, stamp_names_uid,
 * stamp_key_load, stamp_keys_load, stamp_hmac. The signed text is the header's fields before b=, joined with "; " (folding whitespace does not count), a newline, the
 * trimmed Message-ID, a newline and the envelope sender. Opaque stamps
 * carry u=, the first 8 bytes of HMAC(key, "uid:N") in hex, instead of
 * names and paths.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "stamp.h"

#define FIELDS_MAX 20
#define FOLD_AT    78
#define HDR_LEN    (sizeof(STAMP_HEADER) + 1) /* "X-Floodgate-Origin: " */

int
stamp_hmac(const unsigned char *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[32])
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &n) == NULL ||
	    n != 32)
		return -1;
	return 0;
}

/* stamp_enc - percent-encode v into out (cut at STAMP_VALUE_MAX, whole escapes) */
static void
stamp_enc(char *out, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		bool esc = *p < 0x21 || *p > 0x7e || strchr("%;=\"\\", *p);

		if (o + (esc ? 3 : 1) > STAMP_VALUE_MAX)
			break;
		if (esc) {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

struct stamp_fields {
	char f[FIELDS_MAX][STAMP_VALUE_MAX + 16];
	int n;
};

/* stamp_add - the field name=v, v encoded; none when v is empty or fs
 * is full */
static void
stamp_add(struct stamp_fields *fs, const char *name, const char *v)
{
	char e[STAMP_VALUE_MAX + 1];

	if (v == NULL || v[0] == '\0' || fs->n == FIELDS_MAX)
		return;
	stamp_enc(e, v);
	snprintf(fs->f[fs->n++], sizeof(fs->f[0]), "%s=%s", name, e);
}

/* stamp_mac_b64 - base64 HMAC of fields[0..n) + msgid + sender; 0 or -1 */
static int
stamp_mac_b64(const struct stamp_key *k, char fields[][STAMP_VALUE_MAX + 16],
    int n, const char *msgid, const char *sender, char b64[48])
{
	char text[STAMP_MAX + 2 * 1024];
	unsigned char mac[32];
	size_t len = 0, ml;
	int i, w;

	msgid = msgid != NULL ? msgid : "";
	msgid += strspn(msgid, " \t");
	ml = strlen(msgid);
	while (ml > 0 && strchr(" \t\r\n", msgid[ml - 1]) != NULL)
		ml--;
	for (i = 0; i < n; i++) {
		w = snprintf(text + len, sizeof(text) - len, "%s%s",
		    i > 0 ? "; " : "", fields[i]);
		if (w < 0 || (size_t)w >= sizeof(text) - len)
			return -1;
		len += (size_t)w;
	}
	if (ml > 1000)
		ml = 1000;
	w = snprintf(text + len, sizeof(text) - len, "\n%.*s\n%.1000s", (int)ml,
	    msgid, sender != NULL ? sender : "");
	if (w < 0 || (size_t)w >= sizeof(text) - len)
		return -1;
	len += (size_t)w;
	if (stamp_hmac(k->key, k->len, text, len, mac) == -1)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, mac, 32);
	return 0;
}

/* stamp_uid_tag - an opaque stamp's u=: the first 8 bytes of
 * HMAC(key, "uid:N") in hex; 0 or -1 */
static int
stamp_uid_tag(const struct stamp_key *k, long long uid, char tag[17])
{
	unsigned char mac[32];
	char num[32];
	int i;

	snprintf(num, sizeof(num), "uid:%lld", uid);
	if (stamp_hmac(k->key, k->len, num, strlen(num), mac) == -1)
		return -1;
	for (i = 0; i < 8; i++)
		snprintf(tag + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

int
stamp_format(char *out, size_t size, const struct stamp_facts *f,
    const char *host, long long t, bool opaque, const struct stamp_key *k,
    const char *msgid)
{
	static __thread struct stamp_fields fs;
	char num[32], b64[48], uh[17];
	size_t len = 0, line = HDR_LEN;
	int i, w;

	fs.n = 0;
	stamp_add(&fs, "v", "1");
	stamp_add(&fs, "h", host != NULL && host[0] ? host : "-");
	stamp_add(&fs, "src", f->src);
	if (opaque) {
		if (f->uid >= 0 && k != NULL) {
			if (stamp_uid_tag(k, f->uid, uh) == -1)
				return -1;
			stamp_add(&fs, "u", uh);
		}
	} else {
		if (f->uid >= 0) {
			snprintf(num, sizeof(num), "%lld", f->uid);
			stamp_add(&fs, "uid", num);
			stamp_add(&fs, "user", f->user);
		}
		if (f->pid > 0) {
			snprintf(num, sizeof(num), "%lld", f->pid);
			stamp_add(&fs, "pid", num);
		}
		stamp_add(&fs, "exe", f->exe);
		stamp_add(&fs, "cwd", f->cwd);
		stamp_add(&fs, "script", f->script);
		stamp_add(&fs, "claimed", f->claimed);
		stamp_add(&fs, "auth", f->auth);
	}
	stamp_add(&fs, "q", f->qid != NULL && f->qid[0] ? f->qid : "-");
	snprintf(num, sizeof(num), "%lld", t);
	stamp_add(&fs, "t", num);
	if (k != NULL) {
		stamp_add(&fs, "k", k->id);
		if (stamp_mac_b64(k, fs.f, fs.n, msgid, f->sender, b64) == -1)
			return -1;
		snprintf(fs.f[fs.n++], sizeof(fs.f[0]), "b=%s", b64);
	}
	for (i = 0; i < fs.n; i++) {
		size_t fl = strlen(fs.f[i]);
		bool fold = i > 0 && line + 2 + fl > FOLD_AT;

		w = snprintf(out + len, size - len, "%s%s",
		    i == 0     ? ""
		        : fold ? ";\n\t"
		               : "; ",
		    fs.f[i]);
		if (w < 0 || (size_t)w >= size - len)
			return -1;
		len += (size_t)w;
		line = fold ? 8 + fl : line + (i > 0 ? 2 : 0) + fl;
	}
	return 0;
}

/* stamp_check - the key value's b= verifies under (for msgid and
 * sender), its fields before b= into fs; NULL when it does not verify */
static const struct stamp_key *
stamp_check(const char *value, const struct stamp_key *keys, int nkeys,
    const char *msgid, const char *sender, struct stamp_fields *fs)
{
	char buf[STAMP_MAX], b64[48];
	const struct stamp_key *k = NULL;
	const char *b = NULL, *kid = NULL;
	unsigned char want[48], got[48];
	char *p, *f;
	size_t n = 0;
	int i;

	if (value == NULL || strlen(value) >= sizeof(buf))
		return NULL;
	for (p = (char *)value; *p != '\0'; p++) /* unfold */
		if (*p != '\r' && *p != '\n')
			buf[n++] = *p;
	buf[n] = '\0';
	fs->n = 0;
	for (p = buf; (f = strsep(&p, ";")) != NULL;) {
		f += strspn(f, " \t");
		n = strlen(f);
		while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
			f[--n] = '\0';
		if (b != NULL || fs->n == FIELDS_MAX || n >= sizeof(fs->f[0]))
			return NULL; /* b= must be last */
		if (strncmp(f, "b=", 2) == 0) {
			b = f + 2;
			continue;
		}
		if (strncmp(f, "k=", 2) == 0)
			kid = f + 2;
		memcpy(fs->f[fs->n++], f, n + 1);
	}
	if (fs->n == 0 || strcmp(fs->f[0], "v=1") != 0 || b == NULL ||
	    kid == NULL || strlen(b) != 44)
		return NULL;
	kid = fs->f[fs->n - 1]; /* k= must come just before b= */
	if (strncmp(kid, "k=", 2) != 0)
		return NULL;
	for (i = 0; i < nkeys && k == NULL; i++)
		if (strcmp(keys[i].id, kid + 2) == 0)
			k = &keys[i];
	if (k == NULL ||
	    stamp_mac_b64(k, fs->f, fs->n, msgid, sender, b64) == -1)
		return NULL;
	if (EVP_DecodeBlock(want, (const unsigned char *)b64, 44) < 32 ||
	    EVP_DecodeBlock(got, (const unsigned char *)b, 44) < 32)
		return NULL;
	return CRYPTO_memcmp(want, got, 32) == 0 && strcmp(b64, b) == 0 ? k
	                                                                : NULL;
}

bool
stamp_verify(const char *value, const struct stamp_key *keys, int nkeys,
    const char *msgid, const char *sender)
{
	static __thread struct stamp_fields fs;

	return stamp_check(value, keys, nkeys, msgid, sender, &fs) != NULL;
}

/* stamp_field - the value of field name in fs (the first), or NULL */
static const char *
stamp_field(const struct stamp_fields *fs, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < fs->n; i++)
		if (strncmp(fs->f[i], name, n) == 0 && fs->f[i][n] == '=')
			return fs->f[i] + n + 1;
	return NULL;
}

bool
stamp_names_uid(const char *value, const struct stamp_key *keys, int nkeys,
    const char *msgid, const char *sender, const char *qid, long long uid)
{
	static __thread struct stamp_fields fs;
	const struct stamp_key *k;
	const char *q, *v;
	char want[32];

	if (uid < 0 || qid == NULL || qid[0] == '\0' ||
	    (k = stamp_check(value, keys, nkeys, msgid, sender, &fs)) == NULL)
		return false;
	/* a genuine stamp copied onto another message names another id */
	if ((q = stamp_field(&fs, "q")) == NULL || strcmp(q, qid) != 0)
		return false;
	if ((v = stamp_field(&fs, "uid")) != NULL) {
		snprintf(want, sizeof(want), "%lld", uid);
		return strcmp(v, want) == 0;
	}
	if ((v = stamp_field(&fs, "u")) != NULL)
		return stamp_uid_tag(k, uid, want) == 0 && strcmp(v, want) == 0;
	return false;
}

int
stamp_key_load(const char *spec, struct stamp_key *k, char *err, size_t errsize)
{
	size_t idlen = strspn(spec,
	    "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
	unsigned char buf[80];
	const char *path;
	struct stat st;
	ssize_t n;
	int fd;

	memset(k, 0, sizeof(*k));
	if (idlen == 0 || idlen >= STAMP_KEY_ID_MAX || spec[idlen] != ':' ||
	    spec[idlen + 1] != '/') {
		snprintf(err, errsize, "'%.40s': not ID:/PATH", spec);
		return -1;
	}
	path = spec + idlen + 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errsize,
		    "%s: readable by others (mode %04o): chmod 600", path,
		    (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n < 16 || n > 64) {
		snprintf(err, errsize, "%s: the secret must be 16 to 64 bytes",
		    path);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(k->id, spec, idlen);
	memcpy(k->key, buf, (size_t)n);
	k->len = (size_t)n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
stamp_keys_load(const struct conf *c, struct stamp_key *keys, int *n, char *err,
    size_t errsize)
{
	char kerr[256];
	int i;

	*n = 0;
	for (i = 0; i < c->milter.nkeys && i < STAMP_KEYS_MAX; i++) {
		if (stamp_key_load(c->milter.keys[i], &keys[i], kerr,
		        sizeof(kerr)) == -1) {
			snprintf(err, errsize, "milter.keys: %s", kerr);
			explicit_bzero(keys, (size_t)i * sizeof(*keys));
			return -1;
		}
	}
	*n = i;
	return 0;
}
