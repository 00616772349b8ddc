/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockdiag - exact inet_diag lookups and the host's own addresses.
 *
 * Entry points: sockdiag_open, sockdiag_lookup, sockdiag_lookup_with,
 * sockdiag_is_local. An IPv4 pair is
 * looked up as AF_INET, then as v4-mapped AF_INET6 (a client may use an
 * IPv6 socket); replies are checked for length, sequence and type before
 * use. A socket with inode 0 (TIME_WAIT, closed) has no owner: ENOENT,
 * never uid 0. The interface address list is cached for SOCKDIAG_CACHE_S.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <ifaddrs.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockdiag.h"

#define SOCKDIAG_CACHE_S   10
#define SOCKDIAG_ADDRS_MAX 64
#define SOCKDIAG_RECV_MS   200

int
sockdiag_open(void)
{
	struct timeval tv = {0, SOCKDIAG_RECV_MS * 1000};
	int fd =
	    socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd != -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* sockdiag_ask - one exact request of family on netlink socket nlfd (-1:
 * a socket of its own); 0, or -1 with errno */
static int
sockdiag_ask(int nlfd, int family, const void *src, const void *dst,
    size_t alen, uint16_t sport, uint16_t dport, struct sockdiag_owner *out)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
	union {
		char buf[8192];
		struct nlmsghdr align;
	} u;
	struct nlmsghdr *h;
	ssize_t n;
	int fd = nlfd, rc = -1, err = ENOENT;
	static __thread unsigned int seq;

	if (fd == -1 && (fd = sockdiag_open()) == -1)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = ++seq;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	req.r.id.idiag_sport = sport;
	req.r.id.idiag_dport = dport;
	memcpy(req.r.id.idiag_src, src, alen);
	memcpy(req.r.id.idiag_dst, dst, alen);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl,
	        sizeof(nl)) != (ssize_t)sizeof(req))
		goto out;
	for (;;) {
		n = recv(fd, u.buf, sizeof(u.buf), 0);
		if (n < 0) {
			err = errno == EAGAIN ? ETIMEDOUT : errno;
			goto out;
		}
		for (h = &u.align; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req.nlh.nlmsg_seq)
				continue; /* not ours */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					err = EPROTO;
				else
					err = e->error < 0 ? -e->error : ENOENT;
				goto out;
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			    h->nlmsg_len >=
			        NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
				const struct inet_diag_msg *m = NLMSG_DATA(h);

				if (m->idiag_inode == 0)
					goto out; /* ENOENT: no owner */
				out->uid = m->idiag_uid;
				out->inode = m->idiag_inode;
				rc = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
		}
	}
out:
	if (nlfd == -1)
		close(fd);
	if (rc == -1)
		errno = err;
	return rc;
}

int
sockdiag_lookup(const struct sockaddr *client, const struct sockaddr *server,
    struct sockdiag_owner *out)
{
	return sockdiag_lookup_with(-1, client, server, out);
}

int
sockdiag_lookup_with(int nlfd, const struct sockaddr *client,
    const struct sockaddr *server, struct sockdiag_owner *out)
{
	if (client->sa_family == AF_INET && server->sa_family == AF_INET) {
		const struct sockaddr_in *c =
		    (const struct sockaddr_in *)client;
		const struct sockaddr_in *s =
		    (const struct sockaddr_in *)server;
		struct in6_addr c6, s6;

		if (sockdiag_ask(nlfd, AF_INET, &c->sin_addr, &s->sin_addr, 4,
		        c->sin_port, s->sin_port, out) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		/* an AF_INET6 client socket talking to a v4 address */
		memset(&c6, 0, sizeof(c6));
		memset(&s6, 0, sizeof(s6));
		c6.s6_addr[10] = c6.s6_addr[11] = 0xff;
		s6.s6_addr[10] = s6.s6_addr[11] = 0xff;
		memcpy(&c6.s6_addr[12], &c->sin_addr, 4);
		memcpy(&s6.s6_addr[12], &s->sin_addr, 4);
		return sockdiag_ask(nlfd, AF_INET6, &c6, &s6, 16, c->sin_port,
		    s->sin_port, out);
	}
	if (client->sa_family == AF_INET6 && server->sa_family == AF_INET6) {
		const struct sockaddr_in6 *c =
		    (const struct sockaddr_in6 *)client;
		const struct sockaddr_in6 *s =
		    (const struct sockaddr_in6 *)server;

		if (IN6_IS_ADDR_V4MAPPED(&c->sin6_addr) &&
		    IN6_IS_ADDR_V4MAPPED(&s->sin6_addr) &&
		    sockdiag_ask(nlfd, AF_INET, &c->sin6_addr.s6_addr[12],
		        &s->sin6_addr.s6_addr[12], 4, c->sin6_port,
		        s->sin6_port, out) == 0)
			return 0;
		return sockdiag_ask(nlfd, AF_INET6, &c->sin6_addr,
		    &s->sin6_addr, 16, c->sin6_port, s->sin6_port, out);
	}
	errno = EAFNOSUPPORT;
	return -1;
}

static pthread_mutex_t sockdiag_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sockaddr_storage sockdiag_addrs[SOCKDIAG_ADDRS_MAX];
static int sockdiag_naddrs;
static time_t sockdiag_addrs_at;

/* sockdiag_refresh - the interface addresses (locked) */
static void
sockdiag_refresh(void)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) == -1)
		return;
	sockdiag_naddrs = 0;
	for (i = ifa; i != NULL && sockdiag_naddrs < SOCKDIAG_ADDRS_MAX;
	     i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			memcpy(&sockdiag_addrs[sockdiag_naddrs++], i->ifa_addr,
			    sizeof(struct sockaddr_in));
		else if (i->ifa_addr->sa_family == AF_INET6)
			memcpy(&sockdiag_addrs[sockdiag_naddrs++], i->ifa_addr,
			    sizeof(struct sockaddr_in6));
	}
	freeifaddrs(ifa);
	sockdiag_addrs_at = time(NULL);
}

/* sockdiag_same_host - a equals the address part of sockaddr l */
static bool
sockdiag_same_host(const struct sockaddr_storage *l, int family, const void *a)
{
	if (l->ss_family != family)
		return false;
	if (family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)l)->sin_addr, a,
		           4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)l)->sin6_addr, a, 16) == 0;
}

bool
sockdiag_is_local(const struct sockaddr *sa)
{
	const void *a;
	int family = sa->sa_family, i;
	bool found = false;

	if (family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;

		if ((ntohl(s->sin_addr.s_addr) >> 24) == 127)
			return true;
		a = &s->sin_addr;
	} else if (family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
			if (s->sin6_addr.s6_addr[12] == 127)
				return true;
			family = AF_INET;
			a = &s->sin6_addr.s6_addr[12];
		} else
			a = &s->sin6_addr;
	} else
		return false;
	pthread_mutex_lock(&sockdiag_mu);
	if (sockdiag_addrs_at == 0 ||
	    time(NULL) - sockdiag_addrs_at >= SOCKDIAG_CACHE_S)
		sockdiag_refresh();
	for (i = 0; i < sockdiag_naddrs && !found; i++)
		found = sockdiag_same_host(&sockdiag_addrs[i], family, a);
	pthread_mutex_unlock(&sockdiag_mu);
	return found;
}
