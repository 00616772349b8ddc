/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qfile - the queue file record parser against a real Postfix 3.7 queue
 * file (t/data/qfile/sendmail.q, a sendmail submission by uid 999) and
 * crafted adversarial images: forged later headers, SMTP mail, every
 * truncation, bad lengths, bounds at max and max+1; qfile_read() on
 * files that are not regular; qfile_valid_id().
 *
 * qfile_scan (floodgate queue): every field of the real file and of
 * real deferred files a milter stamped (t/data/qfile/); crafted
 * whole files (SMTP AUTH, sendmail -t, a bounce, a milter's stamp linked
 * in above Postfix's Received by pointer records), the stamp's folding,
 * the first stamp and first non-empty Message-ID as the milter saw them,
 * values longer than kept; a table of malformed files (sender, size,
 * time, segments) and every truncation; qfile_scan_at on a missing file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qfile.h"
#include "qimg.h"
#include "qrec.h"
#include "tap.h"

/* envelope - the records a sendmail submission has before the content */
static void
envelope(struct img *im)
{
	im->n = 0;
	img_recs(im, 'C', "            293             255               1");
	img_recs(im, 'T', "1795399976 765831");
	img_recs(im, 'A', "rewrite_context=local");
	img_recs(im, 'F', "");
	img_recs(im, 'S', "fgtest1@mx-q.fg.test");
	img_recs(im, 'R', "r@example.net");
	img_recs(im, 'p', "0");
	img_recs(im, 'M', "");
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

static const char *const auth_env[] = {"T1795399976 765831",
    "Arewrite_context=remote", "Aclient_address=203.0.113.7",
    "Asasl_username=Alice@Example.com", "Ssender@example.com", "Oa@x", "Ra@x",
    "Db@x", "Rc@x", NULL};
static const char *const auth_content[] = {
    "NReceived: from c (unknown [203.0.113.7])",
    "N\tby mx (Postfix) with ESMTPSA id ABC", "NX-Floodgate-Origin: v=1; a=1;",
    "N\tk=k1; b=x", "NSubject: hi", "NX-Floodgate-Origin: second",
    "NMessage-ID:", "Nmessage-id : <m1@x>", "NMessage-ID: <m2@x>", "N",
    "NReceived: by x (Postfix, from userid 0)", "Lbody ", "Nline", NULL};
static const char *const none[] = {NULL};

/* test_scan_real - every field of the real sendmail queue file */
static void
test_scan_real(void)
{
	struct qfile_msg m;
	char err[256] = "";

	ok(qfile_scan_at(
	       AT_FDCWD, "t/data/qfile/sendmail.q", &m, err, sizeof(err)) == 0,
	    "scan: the real sendmail file (%s)", err);
	is_str(m.sender, "fgtest1@mx-q.fg.test", "scan: its sender");
	is_int(m.rcpts, 1, "scan: one recipient");
	is_int(m.size, 293, "scan: its size from the size record");
	is_int(m.arrival, 1795399976, "scan: its arrival time");
	is_int(m.origin.uid, 999, "scan: its uid");
	is_str(m.msgid, "<20261123021256.BC190102138@mx-q.fg.test>",
	    "scan: its Message-Id");
	ok(m.stamp[0] == '\0' && m.sasl_username[0] == '\0' &&
	        m.client_address[0] == '\0',
	    "scan: no stamp, no SASL user, no client address");
}

/* test_scan_postfix - real Postfix 3.7 deferred files, stamped by the
 * milter (t/admin-queue.t, key "k1" of FGPostfix::with_milter): a
 * sendmail -t submission by uid 999, whose stamp a pointer record links
 * in above Postfix's Received; an SMTP AUTH message; SMTP from a local
 * process without a Message-ID (cleanup added one, the milter signed it) */
static void
test_scan_postfix(void)
{
	static const struct stamp_key k = {
	    "k1", "0123456789abcdef0123456789abcdef", 32};
	struct qfile_msg m;
	char err[256] = "";

	ok(qfile_scan_at(AT_FDCWD, "t/data/qfile/sendmail-stamped.q", &m, err,
	       sizeof(err)) == 0,
	    "real stamped sendmail file (%s)", err);
	is_int(m.origin.uid, 999, "its uid, from Received under the stamp");
	is_str(m.sender, "fgtest1@mx-q.fg.test", "its sender");
	is_int(m.rcpts, 1, "its recipient (sendmail -t: extracted segment)");
	is_int(m.size, 284, "its size");
	is_str(m.msgid, "<sma2@fg.test>", "its Message-ID");
	ok(strncmp(m.stamp,
	       "v=1; h=web1; src=sendmail; u=9607300b18f996e7;\n\t", 48) == 0,
	    "its stamp, folded lines kept");
	ok(stamp_names_uid(
	       m.stamp, &k, 1, m.msgid, m.sender, "5C689102AA6", 999),
	    "the stamp verifies and names uid 999");
	ok(!stamp_names_uid(
	       m.stamp, &k, 1, m.msgid, m.sender, "5C689102AA7", 999),
	    "not for another queue id");

	ok(qfile_scan_at(
	       AT_FDCWD, "t/data/qfile/sasl.q", &m, err, sizeof(err)) == 0,
	    "real SMTP AUTH file (%s)", err);
	is_str(m.sasl_username, "bob@example.com", "its sasl_username");
	is_str(m.client_address, "127.0.0.1", "its client_address");
	ok(m.origin.uid == -1 && m.rcpts == 1 &&
	        strcmp(m.sender, "bob@example.com") == 0,
	    "no uid, one recipient, its sender");

	ok(qfile_scan_at(AT_FDCWD, "t/data/qfile/smtp-local.q", &m, err,
	       sizeof(err)) == 0,
	    "real SMTP file from a local process (%s)", err);
	is_str(m.msgid, "<20261202033043.91116102AAF@mx-q.fg.test>",
	    "the Message-Id cleanup added");
	ok(stamp_names_uid(
	       m.stamp, &k, 1, m.msgid, m.sender, "91116102AAF", 999),
	    "which the milter signed: the stamp names uid 999");
}

/* test_scan_fields - crafted whole files */
static void
test_scan_fields(void)
{
	static const char *const tenv[] = {
	    "T1795399976 1", "Sfgtest1@mx", NULL};
	static const char *const tcontent[] = {
	    "NReceived: by web1 (Postfix, from userid 1001)",
	    "N\tid 4XkZt3Bq9z; Mon, 23 Nov 2026 02:12:56 +0000",
	    "NTo: a@x, b@x", NULL};
	static const char *const txtra[] = {"Ra@x", "Rb@x", NULL};
	static const char *const benv[] = {"T1", "S", "Rr@x", NULL};
	static struct img im;
	struct qfile_msg m;
	char err[256] = "";

	img_message(&im, auth_env, auth_content, none);
	ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == 0,
	    "scan: an SMTP AUTH message (%s)", err);
	is_str(m.sender, "sender@example.com", "scan: the sender");
	is_int(m.rcpts, 2, "scan: R counted, D (delivered) not");
	is_str(m.sasl_username, "Alice@Example.com", "scan: sasl_username");
	is_str(m.client_address, "203.0.113.7", "scan: client_address");
	is_int(m.arrival, 1795399976, "scan: arrival seconds");
	ok(m.size > 0 && m.origin.uid == -1, "scan: a size, no uid");
	is_str(m.stamp, "v=1; a=1;\n\tk=k1; b=x",
	    "scan: the first stamp with its folded line, not the second");
	is_str(m.msgid, "<m1@x>",
	    "scan: the first non-empty Message-ID (blank before the colon)");

	img_message(&im, tenv, tcontent, txtra);
	ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == 0,
	    "scan: sendmail -t (%s)", err);
	is_int(m.rcpts, 2, "scan: recipients of the extracted segment");
	is_int(m.origin.uid, 1001, "scan: the uid of Postfix's Received");
	ok(m.msgid[0] == '\0' && m.stamp[0] == '\0', "scan: no Message-ID");

	img_message(&im, benv, tcontent, none);
	ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == 0 &&
	        m.sender[0] == '\0' && !m.sender_cut && m.rcpts == 1,
	    "scan: a bounce's null sender (%s)", err);
}

/* test_scan_milter - a stamp a milter inserted at the top, linked in
 * by pointer records as cleanup does it; padding left where it was */
static void
test_scan_milter(void)
{
	static struct img im;
	struct qfile_origin o;
	struct qfile_msg m;
	char err[256] = "";
	size_t c, body, p1, back, x;

	im.n = 0;
	c = img_recs(&im, 'C',
	    "              0               0               0"
	    "               0               0               0");
	img_recs(&im, 'T', "1795399976 1");
	img_recs(&im, 'S', "web42@web1");
	img_recs(&im, 'R', "r@example.net");
	img_ptr(&im, 0); /* after the last recipient */
	img_recs(&im, 'M', "");
	body = im.n;
	p1 = img_ptr(&im, 0);
	img_recs(&im, 'w', "pad");
	back = im.n;
	img_recs(&im, 'N', "\tid 4XkZt3Bq9z; Mon, 23 Nov 2026");
	img_recs(&im, 'N', "Message-ID: <s1@web1>");
	img_recs(&im, 'N', "");
	img_recs(&im, 'N', "body");
	x = im.n;
	img_recs(&im, 'X', "");
	img_recs(&im, 'E', "");
	img_num(&im, c, x - body);
	img_num(&im, p1, im.n);
	img_recs(&im, 'N', "X-Floodgate-Origin: v=1; h=web1;");
	img_recs(&im, 'N', "\tsrc=sendmail; k=k1; b=x");
	img_recs(&im, 'N', "Received: by web1 (Postfix, from userid 1042)");
	img_ptr(&im, back);
	ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == 0,
	    "scan: a file a milter edited (%s)", err);
	is_int(m.origin.uid, 1042,
	    "scan: Postfix's Received under the milter's stamp gives the uid");
	is_str(m.stamp, "v=1; h=web1;\n\tsrc=sendmail; k=k1; b=x",
	    "scan: the stamp, reached through the pointer");
	is_str(m.msgid, "<s1@web1>", "scan: the Message-ID after the edit");
	ok(qfile_parse(im.b, im.n, &o, err, sizeof(err)) == 0 && o.uid == 1042,
	    "the milter's reader gives the same uid (%s)", err);
}

/* test_scan_bounds - values longer than kept */
static void
test_scan_bounds(void)
{
	static char longs[QFILE_ADDR_MAX + 20], longa[QFILE_ATTR_MAX + 40],
	    longm[400], fold[200];
	const char *env[] = {"T1", longs, longa, "Rr@x", NULL};
	const char *content[] = {longm, "NX-Floodgate-Origin: v=1", fold, fold,
	    fold, fold, fold, fold, fold, fold, fold, fold, fold,
	    "NX-Floodgate-Origin: v=1; the second", NULL};
	static struct img im;
	struct qfile_msg m;
	char err[256] = "";

	longs[0] = 'S';
	memset(longs + 1, 's', sizeof(longs) - 2);
	snprintf(longa, sizeof(longa), "Asasl_username=");
	memset(longa + 15, 'a', sizeof(longa) - 16);
	snprintf(longm, sizeof(longm), "NMessage-ID: <");
	memset(longm + 14, 'm', sizeof(longm) - 15);
	fold[0] = 'N';
	fold[1] = '\t';
	memset(fold + 2, 'f', sizeof(fold) - 3);
	img_message(&im, env, content, none);
	ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == 0,
	    "scan: long values (%s)", err);
	ok(m.sender_cut && strlen(m.sender) == QFILE_ADDR_MAX - 1,
	    "scan: a sender longer than kept is cut, and says so");
	ok(m.sasl_username[0] == '\0',
	    "scan: a sasl_username longer than kept is dropped");
	ok(strlen(m.msgid) == STAMP_MSGID_MAX - 1 && m.msgid[0] == '<',
	    "scan: a Message-ID cut at %d bytes, as the milter signs it",
	    STAMP_MSGID_MAX - 1);
	ok(m.stamp[0] == '\0',
	    "scan: a stamp longer than %d bytes is dropped, the next one not "
	    "taken",
	    STAMP_MAX - 1);
}

/* test_scan_bad - malformed files, each refused with its reason */
static void
test_scan_bad(void)
{
	static const char *const nos[] = {"T1", "Rr@x", NULL};
	static const char *const not [] = {"Sa@x", "Rr@x", NULL};
	static const char *const twos[] = {"T1", "Sa@x", "Sb@x", NULL};
	static const char *const badt[] = {"Tsoon", "Sa@x", NULL};
	static const char *const badt2[] = {"T-1", "Sa@x", NULL};
	static const char *const news[] = {"T1", "S", "S", NULL};
	static const char *const body[] = {"NSubject: x", "N", "Nb", NULL};
	static struct img im;
	struct qfile_msg m;
	char err[256];
	size_t c, i, bad;

	const struct {
		const char *const *env;
		const char *want;
		const char *what;
	} t[] = {
	    {nos, "no sender record", "no sender"},
	    {not, "no time record", "no arrival time"},
	    {twos, "a second or malformed sender", "two senders"},
	    {news, "a second or malformed sender", "two null senders"},
	    {badt, "malformed time record", "a time that is no number"},
	    {badt2, "malformed time record", "a negative time"},
	};

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		img_message(&im, t[i].env, body, none);
		err[0] = '\0';
		ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == -1 &&
		        strstr(err, t[i].want) != NULL,
		    "scan refuses %s (%s)", t[i].what, err);
	}
	c = img_message(&im, auth_env, body, none);
	memcpy(im.b + c, "abc", 3);
	ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == -1 &&
	        strstr(err, "malformed size record") != NULL,
	    "scan refuses a size that is no number (%s)", err);
	img_num(&im, c, im.n);
	ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == -1 &&
	        strstr(err, "content size beyond") != NULL,
	    "scan refuses a content size beyond the file (%s)", err);
	c = img_message(&im, auth_env, body, none);
	img_num(&im, c, 2 + strlen("Subject: x")); /* the next line */
	ok(qfile_scan(im.b, im.n, &m, err, sizeof(err)) == -1 &&
	        strstr(err, "no extracted segment") != NULL,
	    "scan refuses a content size that misses 'X' (%s)", err);
	img_message(&im, auth_env, auth_content, none);
	for (i = 0, bad = 0; i < im.n; i++) {
		if (qfile_scan(im.b, i, &m, err, sizeof(err)) != -1) {
			printf("# accepted: %zu bytes\n", i);
			bad++;
		}
	}
	ok(bad == 0, "scan refuses all %zu truncations", im.n);
	errno = 0;
	ok(qfile_scan_at(
	       AT_FDCWD, "t/data/qfile/missing", &m, err, sizeof(err)) == -1 &&
	        errno == ENOENT,
	    "scan_at: a vanished file is ENOENT (%s)", err);
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
	img_recs(
	    &im, 'N', "Received: by web1.example (Postfix, from userid 1001)");
	img_recs(&im, 'N', "\tid 4XkZt3Bq9z; Mon, 23 Nov 2026 02:12:56 +0000");
	img_recs(&im, 'N', "Received: by x (Postfix, from userid 0)");
	img_recs(&im, 'N', "Subject: hi");
	is_int(parse(&im, err, sizeof(err)), 1001,
	    "the first header gives the uid, a forged later one is ignored");

	/* SMTP mail: first header is not ours */
	envelope(&im);
	img_recs(&im, 'N', "Received: from client (unknown [127.0.0.1])");
	img_recs(&im, 'N', "Received: by x (Postfix, from userid 0)");
	ok(parse(&im, err, sizeof(err)) == -1 &&
	        strstr(err, "not a local submission") != NULL,
	    "SMTP mail is refused, even with a forged later header (%s)", err);

	/* the header split over L records */
	envelope(&im);
	img_recs(&im, 'L', "Received: by web1 (Postfix, ");
	img_recs(&im, 'N', "from userid 0)");
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
			img_recs(&im, 'N', badl[i]);
			if (parse(&im, err, sizeof(err)) != -1) {
				bad++;
				printf("# accepted: %s\n", badl[i]);
			}
		}
		ok(bad == 0, "%zu malformed first lines are all refused", i);
	}
	envelope(&im);
	img_recs(
	    &im, 'N', "Received: by web1 (Postfix, from userid 4294967294)");
	is_int(parse(&im, err, sizeof(err)), 4294967294LL,
	    "the largest uid 4294967294 is taken");
	envelope(&im);
	img_recs(&im, 'N', "Received: by web1 (Postfix, from userid 0)");
	is_int(parse(&im, err, sizeof(err)), 0, "uid 0 (root) is taken");

	/* host bound: 255 ok, 256 refused */
	memset(host, 'h', 256);
	host[255] = '\0';
	snprintf(line, sizeof(line), "Received: by %s (Postfix, from userid 7)",
	    host);
	envelope(&im);
	img_recs(&im, 'N', line);
	is_int(parse(&im, err, sizeof(err)), 7, "a 255-byte host is taken");
	host[255] = 'h';
	host[256] = '\0';
	snprintf(line, sizeof(line), "Received: by %s (Postfix, from userid 7)",
	    host);
	envelope(&im);
	img_recs(&im, 'N', line);
	is_int(parse(&im, err, sizeof(err)), -1, "a 256-byte host is refused");

	/* every truncation of a valid image fails cleanly */
	envelope(&im);
	img_recs(&im, 'N', "Received: by web1 (Postfix, from userid 1001)");
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
	img_recs(&im, 'E', "");
	ok(parse(&im, err, sizeof(err)) == -1 &&
	        strstr(err, "no content") != NULL,
	    "no content before the end record (%s)", err);
	ok(qfile_parse((const unsigned char *)"", 0, &o, err, sizeof(err)) ==
	        -1,
	    "an empty file is refused");

	/* record count bound: QREC_RECORDS_MAX envelope records */
	{
		unsigned char *b = malloc(2 * QREC_RECORDS_MAX + 64);
		size_t n = 0;
		int k;

		for (k = 0; k < QREC_RECORDS_MAX; k++) {
			b[n++] = 'A';
			b[n++] = 0;
		}
		b[n++] = 'M';
		b[n++] = 0;
		ok(qfile_parse(b, n, &o, err, sizeof(err)) == -1 &&
		        strstr(err, "more than") != NULL,
		    "more than %d records are refused (%s)", QREC_RECORDS_MAX,
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
	test_scan_real();
	test_scan_postfix();
	test_scan_fields();
	test_scan_milter();
	test_scan_bounds();
	test_scan_bad();
	return tap_done();
}
