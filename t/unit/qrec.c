/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qrec - the queue file record layer: lengths (the largest, 6 bytes,
 * beyond the file, over the record bound), every truncation; the logical
 * stream: padding skipped, placeholder pointers, a milter's edit linked
 * in and back, malformed and far pointers, a pointer loop; files: read
 * through the window (a record across a chunk), the bytes bound reached
 * by pointer jumps, and what is not a regular file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qimg.h"
#include "qrec.h"
#include "tap.h"

/* types - the types of the logical stream of r, as a string, up to 'E'
 * or an error ("!" + the error) */
static const char *
types(struct qrec *r)
{
	static char out[512];
	const unsigned char *d;
	size_t n, k = 0;
	int type;

	for (;;) {
		if (qrec_next(r, &type, &d, &n) == -1) {
			snprintf(out + k, sizeof(out) - k, "!%s", r->err);
			return out;
		}
		if (k + 2 < sizeof(out))
			out[k++] = (char)type;
		out[k] = '\0';
		if (type == 'E')
			return out;
	}
}

/* stream - types() of an image */
static const char *
stream(const struct img *im)
{
	static char err[256];
	static struct qrec r;

	qrec_image(&r, im->b, im->n, err, sizeof(err));
	return types(&r);
}

/* test_lengths - length fields at and past their bounds */
static void
test_lengths(void)
{
	static const unsigned char l6[] = {
	    'C', 0x81, 0x80, 0x80, 0x80, 0x80, 0x01};
	static const unsigned char l5[] = {'C', 0x80, 0x80, 0x80, 0x80, 0x00};
	static const unsigned char big[] = {'C', 0xff, 0xff, 0x7f};
	static struct img im;
	static unsigned char data[QREC_RECORD_MAX + 1];
	char err[256];
	struct qrec r;
	const unsigned char *d;
	size_t n, next, i, bad;
	int type;

	qrec_image(&r, l6, sizeof(l6), err, sizeof(err));
	ok(qrec_at(&r, 0, &type, &d, &n, &next) == -1 &&
	        strstr(err, "too long") != NULL,
	    "a 6-byte length is refused (%s)", err);
	qrec_image(&r, l5, sizeof(l5), err, sizeof(err));
	ok(qrec_at(&r, 0, &type, &d, &n, &next) == 0 && n == 0 && next == 6,
	    "a 5-byte length (of 0) is read");
	qrec_image(&r, big, sizeof(big), err, sizeof(err));
	ok(qrec_at(&r, 0, &type, &d, &n, &next) == -1 &&
	        strstr(err, "beyond the file") != NULL,
	    "a length beyond the file is refused (%s)", err);
	im.n = 0;
	img_rec(&im, 'N', data, QREC_RECORD_MAX);
	img_recs(&im, 'E', "");
	is_str(stream(&im), "NE", "a record of QREC_RECORD_MAX bytes is read");
	im.n = 0;
	img_rec(&im, 'N', data, QREC_RECORD_MAX + 1);
	img_recs(&im, 'E', "");
	like(stream(&im), "^!record length 32769 over 32768",
	    "one byte more is refused");
	im.n = 0;
	img_recs(&im, 'A', "name=value");
	img_recs(&im, 'p', "              0");
	img_recs(&im, 'E', "");
	for (i = 0, bad = 0; i < im.n; i++) {
		struct img t = im;

		t.n = i;
		if (strchr(stream(&t), '!') == NULL) {
			printf("# accepted: %zu bytes: %s\n", i, stream(&t));
			bad++;
		}
	}
	ok(bad == 0, "all %zu truncations are refused", im.n);
}

/* test_pointers - the stream a reader sees through a milter's edits */
static void
test_pointers(void)
{
	static struct img im;
	size_t p1, back;

	/* A, an edited line moved to the heap and back, N, E, heap */
	im.n = 0;
	img_recs(&im, 'A', "a=1");
	img_recs(&im, 'w', "padding");
	img_recs(&im, 'p', "              0");
	p1 = img_ptr(&im, 0);
	back = im.n;
	img_recs(&im, 'N', "after");
	img_recs(&im, 'E', "");
	img_num(&im, p1, im.n);
	img_recs(&im, 'S', "inserted");
	img_recs(&im, 'R', "moved");
	img_ptr(&im, back);
	is_str(stream(&im), "ASRNE",
	    "padding skipped, a placeholder passed, an edit followed there "
	    "and back");

	im.n = 0;
	img_recs(&im, 'p', "12a");
	like(stream(&im), "^!malformed pointer", "a pointer with a letter");
	im.n = 0;
	img_rec(&im, 'p', "1\0", 2);
	like(stream(&im), "^!malformed pointer", "a pointer with a NUL");
	im.n = 0;
	img_recs(&im, 'p', "               ");
	like(stream(&im), "^!malformed pointer", "a pointer of blanks");
	im.n = 0;
	img_recs(&im, 'p', "-5");
	like(stream(&im), "^!malformed pointer", "a negative pointer");
	im.n = 0;
	img_recs(&im, 'p', "1234567890123456789012345");
	like(stream(&im), "^!malformed pointer", "a 25-digit pointer");
	im.n = 0;
	img_recs(&im, 'p', "99999999999999999999");
	like(stream(&im), "^!pointer record beyond", "a 20-digit pointer");
	im.n = 0;
	p1 = img_ptr(&im, 0);
	img_recs(&im, 'E', "");
	img_num(&im, p1, im.n);
	like(stream(&im), "^!pointer record beyond the file",
	    "a pointer to the end of the file");
	im.n = 0;
	img_recs(&im, 'A', "a=1");
	img_ptr(&im, 5); /* itself */
	like(stream(&im), "^A!more than 100000 records",
	    "a pointer loop ends at the record bound");
}

/* file - im written to dir/name; 0 or -1 */
static int
file(const char *dir, const char *name, const struct img *im)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) == NULL)
		return -1;
	if (fwrite(im->b, 1, im->n, f) != im->n) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* test_files - the window, the bytes bound, what is no regular file */
static void
test_files(void)
{
	static struct img im;
	static unsigned char pad[20000];
	char dir[] = "/tmp/fgqrec.XXXXXX", err[256] = "", p[300];
	struct qrec r;
	size_t far, near, start, i;
	int fd;

	if (mkdtemp(dir) == NULL || (fd = open(dir, O_RDONLY)) == -1)
		exit(1);
	/* records across the 8 KiB chunks, one of them split by it */
	im.n = 0;
	memset(pad, 'x', sizeof(pad));
	img_rec(&im, 'N', pad, 8000);
	img_rec(&im, 'L', pad, 1000);
	img_rec(&im, 'N', pad, 20000);
	img_recs(&im, 'E', "");
	if (file(dir, "window", &im) == -1)
		exit(1);
	ok(qrec_open_at(&r, fd, "window", err, sizeof(err)) == 0,
	    "a file opens (%s)", err);
	is_str(types(&r), "NLNE", "records across chunk ends are read whole");
	qrec_close(&r);

	/* jumps between two far places: each costs a chunk */
	im.n = 0;
	img_recs(&im, 'A', "a=1");
	start = im.n;
	near = img_ptr(&im, 0);
	img_rec(&im, 'N', pad, 8000);
	img_rec(&im, 'N', pad, 8000);
	far = im.n;
	img_ptr(&im, start);
	img_num(&im, near, far);
	if (file(dir, "pingpong", &im) == -1)
		exit(1);
	ok(qrec_open_at(&r, fd, "pingpong", err, sizeof(err)) == 0,
	    "opened (%s)", err);
	like(types(&r), "^A!more than 4194304 bytes read$",
	    "jumps back and forth end at QREC_SCAN_MAX bytes read");
	ok(r.nrec < QREC_RECORDS_MAX, "before the record bound (%d)", r.nrec);
	qrec_close(&r);

	errno = 0;
	ok(qrec_open_at(&r, fd, "missing", err, sizeof(err)) == -1 &&
	        errno == ENOENT && strstr(err, "missing: No such") != NULL,
	    "a missing file: ENOENT (%s)", err);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	mkfifo(p, 0600);
	ok(qrec_open_at(&r, fd, "fifo", err, sizeof(err)) == -1 &&
	        strstr(err, "not a regular file") != NULL,
	    "a FIFO is refused without blocking (%s)", err);
	snprintf(p, sizeof(p), "%s/link", dir);
	if (symlink("window", p) == -1)
		exit(1);
	ok(qrec_open_at(&r, fd, "link", err, sizeof(err)) == -1 &&
	        errno == ELOOP,
	    "a symlink is not followed (%s)", err);
	ok(qrec_open_at(&r, AT_FDCWD, dir, err, sizeof(err)) == -1 &&
	        strstr(err, "not a regular file") != NULL,
	    "a directory is refused");
	for (i = 0; i < 4; i++) {
		static const char *const f[] = {
		    "window", "pingpong", "fifo", "link"};

		unlinkat(fd, f[i], 0);
	}
	close(fd);
	rmdir(dir);
}

int
main(void)
{
	test_lengths();
	test_pointers();
	test_files();
	return tap_done();
}
