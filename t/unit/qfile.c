/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qfile - the queue file record parser against a real Postfix 3.7 queue
 * file (t/data/qfile/sendmail.q, a sendmail submission by uid 999) and
 * crafted adversarial images: forged later headers, SMTP mail, every
 * truncation, bad lengths, bounds at max and max+1; qfile_read() on
 * files that are not regular; qfile_valid_id().
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qfile.h"
#include "tap.h"

struct img {
	unsigned char b[8192];
	size_t n;
};

/* rec - append one record (Postfix's rec_put length encoding) */
static void
rec(struct img *im, int type, const char *data, size_t len)
{
	size_t l = len;

	im->b[im->n++] = (unsigned char)type;
	do {
		unsigned char c = l & 0x7f;

		if ((l >>= 7) != 0)
			c |= 0x80;
		im->b[im->n++] = c;
	} while (l != 0);
	memcpy(im->b + im->n, data, len);
	im->n += len;
}

static void
recs(struct img *im, int type, const char *s)
{
	rec(im, type, s, strlen(s));
}

/* envelope - the records a sendmail submission has before the content */
static void
envelope(struct img *im)
{
	im->n = 0;
	recs(im, 'C', "            293             255               1");
	recs(im, 'T', "1795399976 765831");
	recs(im, 'A', "rewrite_context=local");
	recs(im, 'F', "");
	recs(im, 'S', "fgtest1@mx-q.fg.test");
	recs(im, 'R', "r@example.net");
	recs(im, 'p', "0");
	recs(im, 'M', "");
}

/* parse - qfile_parse of im; the uid, or -1 */
static long long
parse(const struct img *im, char *err, size_t errsize)
{
	struct qfile_origin o;

	if (qfile_parse(im->b, im->n, &o, err, errsize) == -1)
		return -1;
	return o.uid;
}

int
main(void)
{
	struct qfile_origin o;
	struct img im;
	char err[256], host[300], line[400];
	size_t i;
	int bad;

	/* a real queue file */
	ok(qfile_read("t/data/qfile/sendmail.q", &o, err, sizeof(err)) == 0,
	    "a real sendmail queue file parses (%s)", err);
	is_int(o.uid, 999, "its uid is 999");
	is_str(o.host, "mx-q.fg.test", "its host");

	/* crafted: genuine first header */
	envelope(&im);
	recs(&im, 'N', "Received: by web1.example (Postfix, from userid 1001)");
	recs(&im, 'N', "\tid 4XkZt3Bq9z; Mon, 23 Nov 2026 02:12:56 +0000");
	recs(&im, 'N', "Received: by x (Postfix, from userid 0)");
	recs(&im, 'N', "Subject: hi");
	is_int(parse(&im, err, sizeof(err)), 1001,
	    "the first header gives the uid, a forged later one is ignored");

	/* SMTP mail: first header is not ours */
	envelope(&im);
	recs(&im, 'N', "Received: from client (unknown [127.0.0.1])");
	recs(&im, 'N', "Received: by x (Postfix, from userid 0)");
	ok(parse(&im, err, sizeof(err)) == -1 &&
	        strstr(err, "not a local submission") != NULL,
	    "SMTP mail is refused, even with a forged later header (%s)", err);

	/* the header split over L records */
	envelope(&im);
	recs(&im, 'L', "Received: by web1 (Postfix, ");
	recs(&im, 'N', "from userid 0)");
	ok(parse(&im, err, sizeof(err)) == -1, "an L record is refused (%s)",
	    err);

	/* variants that must all be refused */
	{
		static const char *const badl[] = {
		    "Received: by web1 (Postfix, from userid 1001) ",
		    "Received: by web1 (Postfix, from userid 1001",
		    "Received: by web1 (Postfix, from userid -1)",
		    /* t/fuzz/qfile: Postfix writes %ld, never 0-padded */
		    "Received: by web1 (Postfix, from userid 0001001)",
		    "Received: by web1 (Postfix, from userid 00)",
		    "Received: by web1 (Postfix, from userid +1)",
		    "Received: by web1 (Postfix, from userid 1 1)",
		    "Received: by web1 (Postfix, from userid )",
		    "Received: by web1 (Postfix, from userid 4294967295)",
		    "Received: by web1 (Postfix, from userid "
		    "99999999999999999)",
		    "Received: by  (Postfix, from userid 5)",
		    "Received: by we/b1 (Postfix, from userid 5)",
		    "received: by web1 (Postfix, from userid 5)",
		    "Received:  by web1 (Postfix, from userid 5)",
		    "Received: by web1 (postfix, from userid 5)",
		    "Received: by web1",
		    "",
		};

		for (i = 0, bad = 0; i < sizeof(badl) / sizeof(badl[0]); i++) {
			envelope(&im);
			recs(&im, 'N', badl[i]);
			if (parse(&im, err, sizeof(err)) != -1) {
				bad++;
				printf("# accepted: %s\n", badl[i]);
			}
		}
		ok(bad == 0, "%zu malformed first lines are all refused", i);
	}
	envelope(&im);
	recs(&im, 'N', "Received: by web1 (Postfix, from userid 4294967294)");
	is_int(parse(&im, err, sizeof(err)), 4294967294LL,
	    "the largest uid 4294967294 is taken");
	envelope(&im);
	recs(&im, 'N', "Received: by web1 (Postfix, from userid 0)");
	is_int(parse(&im, err, sizeof(err)), 0, "uid 0 (root) is taken");

	/* host bound: 255 ok, 256 refused */
	memset(host, 'h', 256);
	host[255] = '\0';
	snprintf(line, sizeof(line), "Received: by %s (Postfix, from userid 7)",
	    host);
	envelope(&im);
	recs(&im, 'N', line);
	is_int(parse(&im, err, sizeof(err)), 7, "a 255-byte host is taken");
	host[255] = 'h';
	host[256] = '\0';
	snprintf(line, sizeof(line), "Received: by %s (Postfix, from userid 7)",
	    host);
	envelope(&im);
	recs(&im, 'N', line);
	is_int(parse(&im, err, sizeof(err)), -1, "a 256-byte host is refused");

	/* every truncation of a valid image fails cleanly */
	envelope(&im);
	recs(&im, 'N', "Received: by web1 (Postfix, from userid 1001)");
	for (i = 0, bad = 0; i < im.n; i++) {
		struct img t = im;

		t.n = i;
		if (parse(&t, err, sizeof(err)) != -1)
			bad++;
	}
	ok(bad == 0, "all %zu truncations are refused", im.n);

	/* lengths: 5 continuation bytes, beyond the end, zero */
	{
		static const unsigned char l6[] = {
		    'C', 0x81, 0x80, 0x80, 0x80, 0x80, 0x01};
		static const unsigned char big[] = {'C', 0xff, 0xff, 0x7f};
		static const unsigned char zero[] = {
		    'C', 0, 'T', 0, 'M', 0, 'N', 0};

		ok(qfile_parse(l6, sizeof(l6), &o, err, sizeof(err)) == -1 &&
		        strstr(err, "too long") != NULL,
		    "a 6-byte length is refused (%s)", err);
		ok(qfile_parse(big, sizeof(big), &o, err, sizeof(err)) == -1 &&
		        strstr(err, "beyond") != NULL,
		    "a length beyond the file is refused (%s)", err);
		ok(qfile_parse(zero, sizeof(zero), &o, err, sizeof(err)) == -1,
		    "zero-length records, empty first line: refused (%s)", err);
	}
	envelope(&im);
	im.n -= 2; /* drop 'M' */
	recs(&im, 'E', "");
	ok(parse(&im, err, sizeof(err)) == -1 &&
	        strstr(err, "no content") != NULL,
	    "no content before the end record (%s)", err);
	ok(qfile_parse((const unsigned char *)"", 0, &o, err, sizeof(err)) ==
	        -1,
	    "an empty file is refused");

	/* record count bound: QFILE_RECORDS_MAX envelope records */
	{
		unsigned char *b = malloc(2 * QFILE_RECORDS_MAX + 64);
		size_t n = 0;
		int k;

		for (k = 0; k < QFILE_RECORDS_MAX; k++) {
			b[n++] = 'A';
			b[n++] = 0;
		}
		b[n++] = 'M';
		b[n++] = 0;
		ok(qfile_parse(b, n, &o, err, sizeof(err)) == -1 &&
		        strstr(err, "more than") != NULL,
		    "more than %d records are refused (%s)", QFILE_RECORDS_MAX,
		    err);
		free(b);
	}

	/* qfile_read on things that are not regular files */
	{
		char dir[] = "/tmp/fgqfile.XXXXXX", p[128], l[128];

		if (mkdtemp(dir) == NULL)
			return 1;
		snprintf(p, sizeof(p), "%s/fifo", dir);
		mkfifo(p, 0600);
		ok(qfile_read(p, &o, err, sizeof(err)) == -1 &&
		        strstr(err, "not a regular file") != NULL,
		    "a FIFO is refused without blocking (%s)", err);
		unlink(p);
		snprintf(l, sizeof(l), "%s/link", dir);
		if (symlink("/work/main/t/data/qfile/sendmail.q", l) == -1)
			return 1;
		ok(qfile_read(l, &o, err, sizeof(err)) == -1,
		    "a symlink is refused (%s)", err);
		unlink(l);
		ok(qfile_read(dir, &o, err, sizeof(err)) == -1,
		    "a directory is refused (%s)", err);
		snprintf(p, sizeof(p), "%s/missing", dir);
		ok(qfile_read(p, &o, err, sizeof(err)) == -1 &&
		        strstr(err, "No such file") != NULL,
		    "a missing file is refused (%s)", err);
		rmdir(dir);
	}

	ok(qfile_valid_id("BC190102138"), "short queue id");
	ok(qfile_valid_id("4XkZt3Bq9zHn7"), "long queue id");
	ok(!qfile_valid_id(""), "empty id refused");
	ok(!qfile_valid_id("../x"), "../x refused");
	ok(!qfile_valid_id("a/b"), "a/b refused");
	ok(qfile_valid_id("0123456789abcdef0123456789abcdef"), "32 chars ok");
	ok(!qfile_valid_id("0123456789abcdef0123456789abcdefX"),
	    "33 chars refused");
	return tap_done();
}
