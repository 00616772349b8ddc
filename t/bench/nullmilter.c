/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nullmilter - the trivial milter (make bench): sees the same events as
 * floodgate-milter, negotiates the same protocol steps (no answers to
 * MAIL, RCPT and headers, no unused events) and adds one header at
 * end-of-message, and does nothing else. Postfix with it is the ceiling
 * of any milter on the box: what the milter protocol itself costs, the
 * yardstick for floodgate-milter end to end.
 *
 * usage: nullmilter unix:/path/to/socket   (until SIGTERM)
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>

#include "filter.h" /* FILTER_STEPS: the steps floodgate-milter asks */

/* the steps granted (the same for every connection of one MTA) */
static volatile unsigned long granted;

static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = granted = f1 & FILTER_STEPS;
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return granted & SMFIP_NR_MAIL ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
nm_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return granted & SMFIP_NR_RCPT ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return granted & SMFIP_NR_HDR ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
nm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_eom(SMFICTX *ctx)
{
	smfi_insheader(ctx, 0, "X-Null-Milter", "seen");
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
	    .xxfi_name = "nullmilter",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_ADDHDRS,
	    .xxfi_connect = nm_connect,
	    .xxfi_envfrom = nm_envfrom,
	    .xxfi_envrcpt = nm_envrcpt,
	    .xxfi_header = nm_header,
	    .xxfi_body = nm_body,
	    .xxfi_eom = nm_eom,
	    .xxfi_negotiate = nm_negotiate,
	};

	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter unix:/path\n");
		return 2;
	}
	umask(0); /* smtpd and cleanup (user postfix) connect */
	if (smfi_setconn(argv[1]) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
