/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listener - policyd's listening sockets: "unix:/PATH" (mode, owner,
 * group) and "inet:HOST:PORT", with the system's largest backlog; accept
 * pauses for a moment when the process or the system is out of file
 * descriptors instead of spinning, and says so once per state change.
 *
 * listener_fds() sizes the fd limit for max_connections at start.
 * Opened before privileges are dropped; the callback owns each fd.
 */
#ifndef FG_LISTENER_H
#define FG_LISTENER_H

#include <sys/socket.h>

#include <event2/event.h>

#include "conf.h"

struct listener;
typedef void listener_accept_cb(
    evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg);

/* listener_open - every listen socket of cf; NULL with err */
struct listener *listener_open(struct event_base *, const struct conf *cf,
    listener_accept_cb *, void *arg, char *err, size_t errsize);
/* listener_free - close them all (a unix socket's file stays) */
void listener_free(struct listener *);
/* listener_paused - how many times accepting paused for want of fds */
unsigned long listener_paused(const struct listener *);
/*
 * listener_fds - raise the soft RLIMIT_NOFILE to what want connections
 * need (up to the hard limit); returns how many connections fit, want or
 * fewer (then msg says why)
 */
int listener_fds(int want, char *msg, size_t msgsize);

#endif
