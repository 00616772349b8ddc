/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sdnotify - systemd's readiness protocol without libsystemd: one
 * datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an
 * abstract name written with a leading '@'), sd_notify(3).
 *
 * Entry point: sdnotify_ready. Never logs: the daemon does. It leaves
 * NOTIFY_SOCKET set (unsetenv would race with the threads that spawn
 * programs; systemd's NotifyAccess=main ignores anyone but the daemon).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

/* sdnotify_send - one datagram of state to $NOTIFY_SOCKET; see sdnotify_ready */
static int
sdnotify_send(const char *state, char *err, size_t errsize)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	socklen_t len;
	size_t n, slen = strlen(state);
	ssize_t w;
	int fd;

	if (name == NULL || name[0] == '\0')
		return 0;
	n = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || n < 2 ||
	    n >= sizeof(addr.sun_path)) {
		snprintf(err, errsize,
		    "NOTIFY_SOCKET=%.64s: not a socket path nor an abstract "
		    "name",
		    name);
		return -1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, name, n);
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	do
		w = sendto(fd, state, slen, MSG_NOSIGNAL,
		    (struct sockaddr *)&addr, len);
	while (w == -1 && errno == EINTR);
	if (w != (ssize_t)slen) {
		snprintf(err, errsize, "send to %.64s: %s", name,
		    w == -1 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
sdnotify_ready(char *err, size_t errsize)
{
	return sdnotify_send("READY=1", err, errsize);
}
