/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log - the daemons' logging API (OpenSMTPD's log.h shape).
 *
 * log_init() picks stderr (foreground) or syslog facility mail;
 * log_warn() appends strerror(errno); fatal()/fatalx() are for start-up and
 * broken invariants only, never for peer input. common/ modules never call
 * these on their own: they return errors to the daemon, which logs.
 */
#ifndef FG_LOG_H
#define FG_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "ratelog.h"

#define __dead __attribute__((__noreturn__))

void log_init(const char *ident, bool foreground, int verbose);
void log_setverbose(int verbose);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warnx_every - log_warnx at most once per RATELOG_INTERVAL_MS for
 * rl's kind of event, with the count left out since the last line */
void log_warnx_every(struct ratelog *rl, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_say - a line made elsewhere (a notifier's): log_warnx when warn,
 * else log_info */
void log_say(bool warn, const char *line);
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
__dead void fatal(const char *, ...) __attribute__((format(printf, 1, 2)));
__dead void fatalx(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
