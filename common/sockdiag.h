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
/* sockdiag_open - a netlink socket for sockdiag_lookup_with (one thread
 * at a time): a lookup then needs no descriptor, even when a process has
 * none left; -1 with errno */
int sockdiag_open(void);
/* sockdiag_lookup_with - sockdiag_lookup on netlink socket nlfd */
int sockdiag_lookup_with(int nlfd, const struct sockaddr *client,
    const struct sockaddr *server, struct sockdiag_owner *)
    __attribute__((warn_unused_result));
/* sockdiag_is_local - loopback or one of this host's own addresses */
bool sockdiag_is_local(const struct sockaddr *);

#endif
