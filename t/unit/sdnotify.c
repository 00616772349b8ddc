/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sdnotify - sdnotify_ready() against datagram sockets of the test's own
 * standing in for systemd's: a path and an abstract name receive exactly
 * "READY=1"; no NOTIFY_SOCKET sends nothing and succeeds; a relative
 * name, a name too long and a path where nobody listens fail with why.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"
#include "tap.h"

/* listen_dgram - a datagram socket bound to name ('@': abstract); -1 */
static int
listen_dgram(const char *name)
{
	struct sockaddr_un a;
	size_t n = strlen(name);
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, name, n);
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&a,
	        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) == -1)
		return -1;
	return fd;
}

/* received - the one datagram waiting on fd, or "" */
static const char *
received(int fd)
{
	static char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int
main(void)
{
	char dir[] = "/tmp/sdnotify.XXXXXX", path[128], abs[64], err[256];
	char longname[200];
	int fd;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/notify", dir);

	/* a socket path, as systemd's /run/systemd/notify */
	fd = listen_dgram(path);
	ok(fd != -1, "the test's notify socket");
	setenv("NOTIFY_SOCKET", path, 1);
	err[0] = '\0';
	is_int(sdnotify_ready(err, sizeof(err)), 0, "sent to a path");
	is_str(received(fd), "READY=1", "which received READY=1");
	is_str(received(fd), "", "once");
	close(fd);

	/* an abstract name */
	snprintf(abs, sizeof(abs), "@fg-sdnotify-%ld", (long)getpid());
	fd = listen_dgram(abs);
	ok(fd != -1, "an abstract notify socket");
	setenv("NOTIFY_SOCKET", abs, 1);
	is_int(sdnotify_ready(err, sizeof(err)), 0, "sent to @name");
	is_str(received(fd), "READY=1", "which received READY=1");
	close(fd);

	/* not started by systemd */
	unsetenv("NOTIFY_SOCKET");
	is_int(sdnotify_ready(err, sizeof(err)), 0, "no NOTIFY_SOCKET: 0");

	/* names that cannot be a notify socket */
	setenv("NOTIFY_SOCKET", "run/notify", 1);
	is_int(sdnotify_ready(err, sizeof(err)), -1, "a relative name: -1");
	like(err, "^NOTIFY_SOCKET=run/notify: not a socket", "saying why");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	is_int(sdnotify_ready(err, sizeof(err)), -1, "a name too long: -1");

	/* the socket is gone (systemd stopped listening) */
	setenv("NOTIFY_SOCKET", path, 1);
	unlink(path);
	is_int(sdnotify_ready(err, sizeof(err)), -1, "nobody listens: -1");
	like(err, "^send to .*/notify: No such file", "saying why");

	rmdir(dir);
	return tap_done();
}
