/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockdiag - who owns the client end of a local TCP connection: an exact
 * NETLINK_SOCK_DIAG lookup (no dump) of the 4-tuple, unprivileged, in
 * microseconds. It must run while the client socket still exists (the
 * milter's connect callback, policyd's accept). Used by both daemons;
 * thread-safe: one netlink socket per call. Never logs.
 */
#ifndef FG_SOCKDIAG_H
#define FG_SOCKDIAG_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>

struct sockdiag_owner {
	uid_t uid;
	unsigned long inode;
};

/* sockdiag_lookup - owner of the TCP socket whose local end is client and
 * remote end server (AF_INET or AF_INET6, ports set); 0, or -1 with errno:
 * ENOENT no such socket (or one without owner, e.g. TIME_WAIT),
 * EAFNOSUPPORT a bad family, another errno on netlink failure */
int sockdiag_lookup(const struct sockaddr *client,
    const struct sockaddr *server, struct sockdiag_owner *)
    __attribute__((warn_unused_result));
/* sockdiag_is_local - loopback or one of this host's own addresses */
bool sockdiag_is_local(const struct sockaddr *);

#endif
