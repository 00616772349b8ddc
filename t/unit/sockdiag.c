/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockdiag - sockdiag_lookup() against real loopback connections opened by
 * a child running as another uid (nobody): the owner uid and the inode of
 * the child's socket; an IPv4 client to a dual-stack listener; no socket,
 * a closed one, a bad family; sockdiag_is_local(). Needs root.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockdiag.h"
#include "tap.h"

#define NOBODY 65534

struct conn {
	pid_t pid;
	int accepted;
	int go[2]; /* parent -> child: close now */
	unsigned long child_inode;
	struct sockaddr_storage client, server;
};

/* open_conn - a child (uid nobody) connects to listener lfd of family */
static int
open_conn(int lfd, int cfamily, const struct sockaddr *to, socklen_t tolen,
    struct conn *c)
{
	int up[2];
	socklen_t len;
	ssize_t n;

	if (pipe(up) == -1 || pipe(c->go) == -1)
		return -1;
	if ((c->pid = fork()) == 0) {
		struct stat st;
		unsigned long ino = 0;
		char x;
		int fd;

		close(c->go[1]);
		close(up[0]);
		if (setgid(NOBODY) == -1 || setuid(NOBODY) == -1)
			_exit(1);
		fd = socket(cfamily, SOCK_STREAM, 0);
		if (fd == -1 || connect(fd, to, tolen) == -1)
			_exit(1);
		if (fstat(fd, &st) == 0)
			ino = (unsigned long)st.st_ino;
		if (write(up[1], &ino, sizeof(ino)) != sizeof(ino))
			_exit(1);
		if (read(c->go[0], &x, 1) < 0)
			_exit(1);
		close(fd);
		if (read(c->go[0], &x, 1) < 0) /* wait for the end */
			_exit(1);
		_exit(0);
	}
	close(up[1]);
	close(c->go[0]);
	n = read(up[0], &c->child_inode, sizeof(c->child_inode));
	close(up[0]);
	if (n != sizeof(c->child_inode))
		return -1;
	c->accepted = accept(lfd, NULL, NULL);
	len = sizeof(c->client);
	if (getpeername(c->accepted, (struct sockaddr *)&c->client, &len) == -1)
		return -1;
	len = sizeof(c->server);
	return getsockname(c->accepted, (struct sockaddr *)&c->server, &len);
}

static void
close_conn(struct conn *c)
{
	close(c->go[1]);
	close(c->accepted);
	waitpid(c->pid, NULL, 0);
}

static struct sockaddr_in
sin4(const char *a, int port)
{
	struct sockaddr_in s = {
	    .sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static struct sockaddr_in6
sin6(const char *a)
{
	struct sockaddr_in6 s = {.sin6_family = AF_INET6};

	inet_pton(AF_INET6, a, &s.sin6_addr);
	return s;
}

int
main(void)
{
	struct sockaddr_in l4 = sin4("127.0.0.1", 0);
	struct sockaddr_in6 l6 = {.sin6_family = AF_INET6}, a6;
	struct sockdiag_owner o;
	struct conn c;
	struct timeval t0, t1;
	socklen_t len = sizeof(l4);
	int lfd, l6fd, off = 0, i, rc;
	char x = 'x';

	if (geteuid() != 0) {
		printf("Bail out! t/unit/sockdiag needs root\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	/* 1. IPv4 client (uid nobody) -> 127.0.0.1 listener */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&l4, sizeof(l4)) == -1 ||
	    listen(lfd, 8) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&l4, &len) == -1 ||
	    open_conn(lfd, AF_INET, (struct sockaddr *)&l4, sizeof(l4), &c) ==
	        -1) {
		printf("Bail out! cannot set up a loopback connection\n");
		return 1;
	}
	rc = sockdiag_lookup(
	    (struct sockaddr *)&c.client, (struct sockaddr *)&c.server, &o);
	ok(rc == 0, "an IPv4 loopback client is found (%s)",
	    rc == 0 ? "ok" : strerror(errno));
	is_int(o.uid, NOBODY, "owner uid is the child's (nobody)");
	ok(o.inode == c.child_inode && o.inode != 0,
	    "the inode is the child's socket, not the server's (%lu vs %lu)",
	    o.inode, c.child_inode);
	/* the server's end of the same connection is root's */
	rc = sockdiag_lookup(
	    (struct sockaddr *)&c.server, (struct sockaddr *)&c.client, &o);
	ok(rc == 0 && o.uid == 0 && o.inode != c.child_inode,
	    "the reversed tuple finds the server's socket (uid %u)",
	    (unsigned int)o.uid);

	/* timing, printed only: a shared box makes asserts meaningless */
	gettimeofday(&t0, NULL);
	for (i = 0; i < 10000; i++)
		if (sockdiag_lookup((struct sockaddr *)&c.client,
		        (struct sockaddr *)&c.server, &o) == -1)
			break;
	gettimeofday(&t1, NULL);
	printf("# %.1f us per lookup (10000 lookups)\n",
	    ((t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_usec - t0.tv_usec)) /
	        10000.0);
	is_int(i, 10000, "10000 lookups in a row succeed");

	/* 5. the child closes its end: no owner any more (never uid 0) */
	if (write(c.go[1], &x, 1) != 1)
		return 1;
	usleep(100000);
	rc = sockdiag_lookup(
	    (struct sockaddr *)&c.client, (struct sockaddr *)&c.server, &o);
	ok(rc == -1 && errno == ENOENT,
	    "a socket closed by its owner is not attributed (%s)",
	    rc == 0 ? "found" : strerror(errno));
	close_conn(&c);

	/* 3. nothing on that tuple */
	{
		struct sockaddr_in a = sin4("127.0.0.1", 1),
		                   b = sin4("127.0.0.1", 2);

		rc = sockdiag_lookup(
		    (struct sockaddr *)&a, (struct sockaddr *)&b, &o);
		ok(rc == -1 && errno == ENOENT, "no socket: ENOENT");
	}
	/* 4. a bad family, or mixed ones */
	{
		struct sockaddr un = {.sa_family = AF_UNIX};
		struct sockaddr_in a = sin4("127.0.0.1", 1);

		rc = sockdiag_lookup(&un, &un, &o);
		ok(rc == -1 && errno == EAFNOSUPPORT, "AF_UNIX: EAFNOSUPPORT");
		rc = sockdiag_lookup(
		    (struct sockaddr *)&a, (struct sockaddr *)&l6, &o);
		ok(rc == -1 && errno == EAFNOSUPPORT, "mixed families refused");
	}

	/* 2. an IPv4 client to a dual-stack listener: v4-mapped peer */
	l6fd = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(l6fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	l6.sin6_addr = in6addr_any;
	len = sizeof(l6);
	if (bind(l6fd, (struct sockaddr *)&l6, sizeof(l6)) == -1 ||
	    listen(l6fd, 8) == -1 ||
	    getsockname(l6fd, (struct sockaddr *)&l6, &len) == -1) {
		ok(0, "dual-stack listener");
	} else {
		struct sockaddr_in to = sin4("127.0.0.1", ntohs(l6.sin6_port));

		if (open_conn(l6fd, AF_INET, (struct sockaddr *)&to, sizeof(to),
		        &c) == -1)
			ok(0, "connect to the dual-stack listener");
		else {
			ok(c.client.ss_family == AF_INET6,
			    "the milter sees a v4-mapped IPv6 peer");
			rc = sockdiag_lookup((struct sockaddr *)&c.client,
			    (struct sockaddr *)&c.server, &o);
			ok(rc == 0 && o.uid == NOBODY &&
			        o.inode == c.child_inode,
			    "a v4-mapped pair is looked up as IPv4 (%s)",
			    rc == 0 ? "ok" : strerror(errno));
			close_conn(&c);
		}
	}
	close(l6fd);
	close(lfd);

	/* 6. local addresses */
	{
		struct sockaddr_in a = sin4("127.0.0.1", 0),
		                   b = sin4("127.0.0.2", 0),
		                   d = sin4("192.0.2.1", 0),
		                   e = sin4("203.0.113.9", 0);
		struct ifaddrs *ifa, *i2;

		ok(sockdiag_is_local((struct sockaddr *)&a), "127.0.0.1 local");
		ok(sockdiag_is_local((struct sockaddr *)&b), "127.0.0.2 local");
		a6 = sin6("::1");
		ok(sockdiag_is_local((struct sockaddr *)&a6), "::1 local");
		a6 = sin6("::ffff:127.0.0.1");
		ok(sockdiag_is_local((struct sockaddr *)&a6),
		    "::ffff:127.0.0.1 local");
		ok(!sockdiag_is_local((struct sockaddr *)&d),
		    "192.0.2.1 not local");
		ok(!sockdiag_is_local((struct sockaddr *)&e),
		    "203.0.113.9 not local");
		a6 = sin6("2001:db8::1");
		ok(!sockdiag_is_local((struct sockaddr *)&a6),
		    "2001:db8::1 not local");
		if (getifaddrs(&ifa) == 0) {
			for (i2 = ifa; i2 != NULL; i2 = i2->ifa_next) {
				struct sockaddr_in *s;

				if (i2->ifa_addr == NULL ||
				    i2->ifa_addr->sa_family != AF_INET)
					continue;
				s = (struct sockaddr_in *)i2->ifa_addr;
				if ((ntohl(s->sin_addr.s_addr) >> 24) == 127)
					continue;
				ok(sockdiag_is_local(i2->ifa_addr),
				    "the host's own %s is local",
				    inet_ntoa(s->sin_addr));
				break;
			}
			freeifaddrs(ifa);
		}
	}
	return tap_done();
}
