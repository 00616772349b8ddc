/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server - listeners and connections on libevent bufferevents.
 *
 * Entry points: server_new, server_listen, server_nconns, server_drain,
 * server_free.
 * One request at a time per connection (Postfix waits for each answer);
 * bytes that arrive meanwhile stay buffered, bounded by the line and
 * request limits of request.h. A connection closed by the peer while its
 * decision is pending is freed when the decision arrives.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "log.h"
#include "request.h"
#include "server.h"
#include "str.h"

/* warnings any client can repeat: a line a minute each (ratelog.h) */
static struct ratelog server_rl_malformed = RATELOG_INIT,
                      server_rl_timeout = RATELOG_INIT,
                      server_rl_full = RATELOG_INIT;

struct server_conn {
	struct server_conn *next, *prev;
	struct server *srv;
	struct bufferevent *bev;
	struct request req;
	struct decide_conn dc;
	bool busy; /* a decision is pending */
	bool dead; /* peer gone while busy */
	char peer[64];
};

struct server {
	struct event_base *base;
	struct decide *decide;
	struct evconnlistener *ls[CONF_LISTEN_MAX];
	int nls;
	struct server_conn *conns;
	int nconns;
	int max_conns;
	struct timeval write_timeout;
	server_drained_cb *drained; /* set while draining (SIGTERM) */
	void *drained_arg;
};

static void server_conn_read(struct bufferevent *, void *);
static void server_conn_event(struct bufferevent *, short, void *);

struct server *
server_new(struct event_base *base, struct decide *d)
{
	struct server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base = base;
	s->decide = d;
	return s;
}

int
server_nconns(const struct server *s)
{
	return s->nconns;
}

static void
server_conn_free(struct server_conn *c)
{
	struct server *s = c->srv;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	free(c);
	if (s->drained != NULL && s->nconns == 0)
		s->drained(s->drained_arg);
}

/* server_conn_flushed - while draining: the answer is out, close */
static void
server_conn_flushed(struct bufferevent *bev, void *arg)
{
	(void)bev;
	server_conn_free(arg);
}

/* server_conn_close - close now, or once the pending decision has arrived */
static void
server_conn_close(struct server_conn *c)
{
	if (c->busy) {
		c->dead = true;
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		return;
	}
	server_conn_free(c);
}

/* server_conn_answer - decide's callback: write the action, go on reading */
static void
server_conn_answer(void *arg, const char *action)
{
	struct server_conn *c = arg;

	c->busy = false;
	if (c->dead) {
		server_conn_free(c);
		return;
	}
	if (evbuffer_add_printf(bufferevent_get_output(c->bev), "action=%s\n\n",
	        action) == -1) {
		server_conn_free(c);
		return;
	}
	if (c->srv->drained != NULL) {
		/* stopping: no next request; close once the answer is out */
		bufferevent_setcb(
		    c->bev, NULL, server_conn_flushed, server_conn_event, c);
		bufferevent_enable(c->bev, EV_WRITE);
		return;
	}
	request_reset(&c->req);
	bufferevent_enable(c->bev, EV_READ);
	/* a pipelining client may have sent the next request already */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		server_conn_read(c->bev, c);
}

/* server_conn_read - parse buffered lines; start a decision on a full request */
static void
server_conn_read(struct bufferevent *bev, void *arg)
{
	struct server_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	char err[128];
	const char *line;
	size_t len;
	enum request_rc rc;

	while (!c->busy) {
		/* parse in place: no copy unless a line spans two chunks */
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		len = eol.pos == -1 ? evbuffer_get_length(in) : (size_t)eol.pos;
		if (len > REQUEST_LINE_MAX + 1) {
			log_warnx_every(&server_rl_malformed,
			    "client %s: line longer than %d bytes, closing",
			    c->peer, REQUEST_LINE_MAX);
			server_conn_close(c);
			return;
		}
		if (eol.pos == -1)
			return;
		line = (const char *)evbuffer_pullup(in, (ev_ssize_t)len + 1);
		rc = line == NULL
		    ? REQUEST_ERROR
		    : request_line(&c->req, line, len, err, sizeof(err));
		evbuffer_drain(in, len + 1);
		if (rc == REQUEST_ERROR) {
			log_warnx_every(&server_rl_malformed,
			    "client %s: malformed request: %s; closing",
			    c->peer, line == NULL ? "out of memory" : err);
			server_conn_close(c);
			return;
		}
		if (rc == REQUEST_DONE) {
			c->busy = true;
			bufferevent_disable(bev, EV_READ);
			decide_request(c->srv->decide, &c->dc, &c->req,
			    server_conn_answer, c);
			return; /* c may be gone now */
		}
	}
}

static void
server_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct server_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_ERROR)
		log_debug("client %s: %s", c->peer, strerror(errno));
	if (what & BEV_EVENT_TIMEOUT)
		log_warnx_every(&server_rl_timeout,
		    "client %s: write timeout, closing", c->peer);
	server_conn_close(c);
}

static void
server_on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server *s = arg;
	struct server_conn *c;

	(void)l;
	if (s->nconns >= s->max_conns) {
		log_warnx_every(&server_rl_full,
		    "connection limit (%d) reached, refusing a client; "
		    "raise policyd.max_connections",
		    s->max_conns);
		evutil_closesocket(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->srv = s;
	request_reset(&c->req);
	if (sa->sa_family == AF_UNIX)
		str_lcpy(c->peer, "unix", sizeof(c->peer));
	else if (getnameinfo(sa, (socklen_t)salen, c->peer, sizeof(c->peer),
	             NULL, 0, NI_NUMERICHOST) != 0)
		str_lcpy(c->peer, "?", sizeof(c->peer));
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	bufferevent_setcb(c->bev, server_conn_read, NULL, server_conn_event, c);
	/* a write timeout only: Postfix keeps idle connections open */
	bufferevent_set_timeouts(c->bev, NULL, &s->write_timeout);
	bufferevent_enable(c->bev, EV_READ);
}

/* server_listen_unix - bind a unix socket with the configured mode and owner */
static struct evconnlistener *
server_listen_unix(struct server *s, const struct conf *cf, const char *path,
    char *err, size_t errsize)
{
	struct sockaddr_un sun;
	struct evconnlistener *l;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_lcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errsize, "unix:%s: path too long", path);
		return NULL;
	}
	if (cf->policyd.socket_owner[0] != '\0') {
		struct passwd *pw = getpwnam(cf->policyd.socket_owner);

		if (pw == NULL) {
			snprintf(err, errsize, "socket_owner: no user %s",
			    cf->policyd.socket_owner);
			return NULL;
		}
		uid = pw->pw_uid;
	}
	if (cf->policyd.socket_group[0] != '\0') {
		struct group *gr = getgrnam(cf->policyd.socket_group);

		if (gr == NULL) {
			snprintf(err, errsize, "socket_group: no group %s",
			    cf->policyd.socket_group);
			return NULL;
		}
		gid = gr->gr_gid;
	}
	unlink(path);
	l = evconnlistener_new_bind(s->base, server_on_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128,
	    (struct sockaddr *)&sun, sizeof(sun));
	if (l == NULL) {
		snprintf(err, errsize, "unix:%s: %s", path, strerror(errno));
		return NULL;
	}
	if (chmod(path, (mode_t)cf->policyd.socket_mode) == -1 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	        chown(path, uid, gid) == -1)) {
		snprintf(err, errsize, "unix:%s: %s", path, strerror(errno));
		evconnlistener_free(l);
		return NULL;
	}
	return l;
}

/* server_listen_inet - bind "HOST:PORT" ("[v6]:PORT" for IPv6) */
static struct evconnlistener *
server_listen_inet(
    struct server *s, const char *spec, char *err, size_t errsize)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	struct evconnlistener *l;

	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) ==
	    -1) {
		snprintf(err, errsize, "inet:%s: not HOST:PORT", spec);
		return NULL;
	}
	l = evconnlistener_new_bind(s->base, server_on_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    128, (struct sockaddr *)&ss, sslen);
	if (l == NULL)
		snprintf(err, errsize, "inet:%s: %s", spec, strerror(errno));
	return l;
}

/* server_listen - open every listen socket of cf; returns 0 or -1 */
int
server_listen(
    struct server *s, const struct conf *cf, char *err, size_t errsize)
{
	int i;

	s->max_conns = cf->policyd.max_connections;
	s->write_timeout.tv_sec = cf->policyd.request_timeout;
	s->write_timeout.tv_usec = 0;
	for (i = 0; i < cf->policyd.nlisten; i++) {
		const char *spec = cf->policyd.listen[i];
		struct evconnlistener *l;

		if (strncmp(spec, "unix:", 5) == 0)
			l = server_listen_unix(s, cf, spec + 5, err, errsize);
		else
			l = server_listen_inet(s, spec + 5, err, errsize);
		if (l == NULL)
			return -1;
		s->ls[s->nls++] = l;
	}
	return 0;
}

/*
 * server_drain - stop accepting, close idle connections, answer the pending
 * requests and close those once written; drained(arg) runs when none is
 * left (at once if none was open). The caller bounds the wait.
 */
void
server_drain(struct server *s, server_drained_cb *drained, void *arg)
{
	struct server_conn *c, *next;
	int i;

	for (i = 0; i < s->nls; i++)
		evconnlistener_free(s->ls[i]);
	s->nls = 0;
	s->drained = drained;
	s->drained_arg = arg;
	if (s->nconns == 0) {
		drained(arg);
		return;
	}
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (!c->busy)
			server_conn_free(
			    c); /* may call drained() on the last one */
	}
}

void
server_free(struct server *s)
{
	int i;

	if (s == NULL)
		return;
	s->drained = NULL;
	for (i = 0; i < s->nls; i++)
		evconnlistener_free(s->ls[i]);
	while (s->conns != NULL) {
		s->conns->busy = false;
		server_conn_free(s->conns);
	}
	free(s);
}
