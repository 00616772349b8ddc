/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log - stderr or syslog(LOG_MAIL) output for both daemons.
 *
 * Entry points: log_init, log_warn/warnx/info/debug, log_warnx_every,
 * fatal/fatalx.
 * Thread-safe as far as stdio and syslog(3) are (the milter logs from
 * libmilter's threads). Never allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "clock.h"
#include "log.h"

static bool log_foreground = true;
static int log_verbose;
static const char *log_ident = "floodgate";

/* log_init - choose the sink; verbose > 0 enables debug lines */
void
log_init(const char *ident, bool foreground, int verbose)
{
	log_ident = ident;
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	tzset();
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

/* log_vlog - one line to the chosen sink; errstr is appended when non-NULL */
static void __attribute__((format(printf, 3, 0)))
log_vlog(int pri, const char *errstr, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground) {
		if (errstr != NULL)
			fprintf(stderr, "%s: %s: %s\n", log_ident, msg, errstr);
		else
			fprintf(stderr, "%s: %s\n", log_ident, msg);
		return;
	}
	if (errstr != NULL)
		syslog(pri, "%s: %s", msg, errstr);
	else
		syslog(pri, "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	char ebuf[256];
	int saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, strerror_r(saved, ebuf, sizeof(ebuf)), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_warnx_every(struct ratelog *rl, const char *fmt, ...)
{
	va_list ap;
	unsigned long skipped;
	char msg[1800];

	if (!ratelog_take(rl, clock_mono_ms(), &skipped))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (skipped > 0)
		log_warnx("%s (%lu more like it not logged since the last)",
		    msg, skipped);
	else
		log_warnx("%s", msg);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	char ebuf[256];
	int saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, strerror_r(saved, ebuf, sizeof(ebuf)), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_say(bool warn, const char *line)
{
	if (warn)
		log_warnx("%s", line);
	else
		log_info("%s", line);
}
