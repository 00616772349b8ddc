/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * floodgate - the admin command (floodgate(8)): what is blocked and why,
 * lift or set a block's conditions, follow the events, find a flood's
 * messages in this node's Postfix queue.
 *
 * usage: floodgate [-c FILE] [-j] COMMAND [ARGS]
 * Same config file and Redis code as the daemons (common/), so it works
 * on one Redis, a Sentinel master or a Cluster. Exit status: 0 done or
 * found, 1 nothing found, 2 an error (one line on stderr).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocked.h"
#include "ctx.h"
#include "edit.h"
#include "events.h"
#include "queue.h"
#include "subject.h"
#include "top.h"
#include "version.h"
#include "why.h"

struct main_cmd {
	const char *name;
	int (*run)(struct ctx *, int, char **);
	const char *args;
};

static const struct main_cmd main_cmds[] = {
    {"blocked", blocked_main, ""},
    {"why", why_main, " SUBJECT"},
    {"unblock", edit_unblock, " SUBJECT [--reset]"},
    {"exempt", edit_exempt, " SUBJECT [--off]"},
    {"limit", edit_limit, " SUBJECT METRIC:WINDOW N|--off"},
    {"top", top_main, " [-n N] [--subject sasl|ip|uid|sender]"},
    {"events", events_main, " [-f] [-n N]"},
    {"queue", queue_main, " SUBJECT [--hold | --release | --delete --yes]"},
};

#define MAIN_NCMDS ((int)(sizeof(main_cmds) / sizeof(main_cmds[0])))

/* main_usage - the synopsis on stderr; exit status 2 */
static int
main_usage(void)
{
	int i;

	fprintf(stderr, "usage: floodgate [-c FILE] [-j] COMMAND [ARGS]\n");
	for (i = 0; i < MAIN_NCMDS; i++)
		fprintf(stderr, "       floodgate %s%s\n", main_cmds[i].name,
		    main_cmds[i].args);
	return CTX_ERR;
}

int
main(int argc, char *argv[])
{
	struct ctx x = {.path = FLOODGATE_CONF};
	char err[CONF_ERR_MAX];
	int ch, i, rc;

	/* options before the command only; the command parses its own */
	while ((ch = getopt(argc, argv, "+c:jV")) != -1) {
		switch (ch) {
		case 'c':
			x.path = optarg;
			break;
		case 'j':
			x.json = true;
			break;
		case 'V':
			printf("floodgate %s\n", FLOODGATE_VERSION);
			return CTX_OK;
		default:
			return main_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return main_usage();
	for (i = 0; i < MAIN_NCMDS; i++)
		if (strcmp(argv[0], main_cmds[i].name) == 0)
			break;
	if (i == MAIN_NCMDS) {
		ctx_error("%.64s: unknown command", argv[0]);
		return main_usage();
	}
	if (subject_init() == -1) {
		ctx_error("OpenSSL: no SHA-256 digest");
		return CTX_ERR;
	}
	if ((x.c = conf_load(x.path, err, sizeof(err))) == NULL) {
		ctx_error("%s", err);
		return CTX_ERR;
	}
	rc = main_cmds[i].run(&x, argc, argv);
	if (x.sc != NULL)
		sconn_free(x.sc);
	conf_free(x.c);
	return rc;
}
