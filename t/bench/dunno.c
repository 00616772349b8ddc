/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dunno - the trivial policy server: answers action=DUNNO to every
 * request, on libevent like floodgate-policyd. Its throughput under the
 * load generator is the ceiling of the box (generator and kernel), the
 * yardstick for every other system in make bench.
 *
 * usage: dunno PORT   (listens on 127.0.0.1:PORT until killed)
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define REQUEST_MAX 8192

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr p;

	(void)arg;
	for (;;) {
		p = evbuffer_search(in, "\n\n", 2, NULL);
		if (p.pos < 0) {
			if (evbuffer_get_length(in) > REQUEST_MAX)
				bufferevent_free(bev);
			return;
		}
		evbuffer_drain(in, (size_t)p.pos + 2);
		bufferevent_write(bev, "action=DUNNO\n\n", 14);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	struct event_base *base = arg;
	struct bufferevent *bev;
	int one = 1;

	(void)l;
	(void)sa;
	(void)len;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
	bufferevent_enable(bev, EV_READ);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	struct event_base *base;
	struct evconnlistener *l;

	if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
		fprintf(stderr, "usage: dunno PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((base = event_base_new()) == NULL)
		return 1;
	l = evconnlistener_new_bind(base, on_accept, base,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (l == NULL) {
		perror("dunno: listen");
		return 1;
	}
	event_base_dispatch(base);
	evconnlistener_free(l);
	event_base_free(base);
	return 0;
}
