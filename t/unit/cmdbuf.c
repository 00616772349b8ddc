/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmdbuf - strings keep their place while the buffer grows; the tables
 * grow past their inline size; every bound fails the buffer instead of
 * growing on; a failure is sticky. Also window: the estimate that the
 * limiter and the local counters share.
 */
#include <string.h>

#include "cmdbuf.h"
#include "tap.h"
#include "window.h"

static void
growth(void)
{
	static char big[3 * CMDBUF_INLINE];
	struct cmdbuf b;
	const char *first, *huge, *n;
	int i, bad = 0;

	cmdbuf_init(&b);
	first = cmdbuf_put(&b, "%s:%d", "first", 1);
	memset(big, 'x', sizeof(big) - 1);
	huge = CMDBUF_CAT(&b, big, "!");
	n = cmdbuf_num(&b, -9223372036854775807LL);
	ok(first != NULL && huge != NULL && n != NULL,
	    "strings past the "
	    "inline chunk");
	is_str(first, "first:1", "the first one has not moved");
	ok(huge != NULL && strlen(huge) == sizeof(big) && huge[0] == 'x',
	    "a string larger than a chunk is whole");
	is_str(n, "-9223372036854775807", "a number");
	for (i = 0; i < 500; i++) {
		CMDBUF_CMD(&b, i, -i, "HINCRBY", first, cmdbuf_num(&b, i));
		CMDBUF_ARGS(&b, huge);
	}
	ok(!cmdbuf_failed(&b), "500 commands, 2000 arguments");
	is_int(cmdbuf_ncmd(&b), 500, "all kept");
	for (i = 0; i < 500; i++) {
		const struct cmdbuf_cmd *c = cmdbuf_get(&b, i);
		const char *const *argv = cmdbuf_argv(&b, i);

		bad += c->kind != i || c->aux != -i || c->argc != 4 ||
		    strcmp(argv[0], "HINCRBY") != 0 || argv[1] != first ||
		    argv[3] != huge;
	}
	is_int(bad, 0, "each with its kind and arguments, in order");
	cmdbuf_clear(&b);
	is_int(cmdbuf_ncmd(&b), 0, "clear forgets the commands");
	is_str(first, "first:1", "not the strings");
	cmdbuf_free(&b);
}

static void
bounds(void)
{
	struct cmdbuf b;
	int i;

	cmdbuf_init(&b);
	cmdbuf_arg(&b, "x");
	ok(cmdbuf_failed(&b), "an argument before any command fails");
	cmdbuf_free(&b);

	cmdbuf_init(&b);
	cmdbuf_cmd(&b, 0, 0);
	cmdbuf_arg(&b, NULL);
	ok(cmdbuf_failed(&b), "a NULL argument (an earlier failure) fails");
	ok(cmdbuf_put(&b, "x") == NULL, "and the failure is sticky");
	cmdbuf_free(&b);

	cmdbuf_init(&b);
	cmdbuf_cmd(&b, 0, 0);
	for (i = 0; i < CMDBUF_MAX_ARGS && !cmdbuf_failed(&b); i++)
		cmdbuf_arg(&b, "a");
	ok(!cmdbuf_failed(&b), "CMDBUF_MAX_ARGS arguments fit");
	cmdbuf_arg(&b, "a");
	ok(cmdbuf_failed(&b), "one more fails");
	cmdbuf_free(&b);

	cmdbuf_init(&b);
	for (i = 0; i <= CMDBUF_MAX_CMDS; i++)
		cmdbuf_cmd(&b, 0, 0);
	ok(cmdbuf_failed(&b) && cmdbuf_ncmd(&b) == CMDBUF_MAX_CMDS,
	    "past CMDBUF_MAX_CMDS commands fails");
	cmdbuf_free(&b);

	cmdbuf_init(&b);
	for (i = 0; i < 2 * CMDBUF_MAX_BYTES / 1000 && !cmdbuf_failed(&b); i++)
		(void)cmdbuf_put(&b, "%01000d", i);
	ok(cmdbuf_failed(&b) && b.total <= CMDBUF_MAX_BYTES,
	    "text stops at CMDBUF_MAX_BYTES (%zu)", b.total);
	cmdbuf_free(&b);
}

static void
window(void)
{
	/* a 60 s window, 15 s into bucket 10 */
	is_int(window_bucket(615000, 60000), 10, "bucket of 615 s");
	ok(window_weight(615000, 60000) == 0.75,
	    "the previous bucket weighs 3/4 a quarter into the window");
	ok(window_weight(600000, 60000) == 1.0, "all of it at the start");
	ok(window_estimate(10, 40, 0.75) == 40.0, "10 + 40 * 3/4");
}

int
main(void)
{
	growth();
	bounds();
	window();
	return tap_done();
}
