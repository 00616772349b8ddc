/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server - connections on libevent bufferevents.
 *
 * Entry points: server_new, server_listen, server_reconf, server_nconns,
 * server_stats, server_drain, server_free.
 * One request at a time per connection (Postfix waits for each answer);
 * bytes that arrive meanwhile stay buffered, bounded by the line and
 * request limits of request.h and by not reading while a decision is
 * pending or answers pile up unread. A connection closed by the peer
 * while its decision is pending is freed when the decision arrives.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "listener.h"
#include "log.h"
#include "peer.h"
#include "request.h"
#include "server.h"
#include "sockdiag.h"
#include "str.h"

/* answers a client may leave unread before we stop reading its requests:
 * Postfix reads each answer before it asks again, so its output never
 * holds more than one (~100 bytes); without the bound a client that
 * pipelines and never reads grew RSS by 2 MB a second */
#define SERVER_OUTPUT_MAX 16384

/* warnings any client can repeat: a line a minute each (ratelog.h) */
static struct ratelog server_rl_malformed = RATELOG_INIT,
                      server_rl_timeout = RATELOG_INIT,
                      server_rl_unread = RATELOG_INIT,
                      server_rl_full = RATELOG_INIT,
                      server_rl_capped = RATELOG_INIT;

/* connections a burst must reach before its end gives memory back */
#define SERVER_TRIM_PEAK 256

struct server_conn {
	struct server_conn *next, *prev;
	struct server *srv;
	struct bufferevent *bev;
	struct request req;
	struct decide_conn dc;
	struct event *deadline;  /* request_timeout from a first byte */
	struct peer_slot *slot;  /* its count in the peer table */
	bool busy;               /* a decision is pending */
	bool dead;               /* peer gone while busy */
	bool closing;            /* closed once its answers are out */
	char peer[PEER_KEY_MAX]; /* for the log */
};

struct server {
	struct event_base *base;
	struct decide *decide;
	struct listener *listener;
	struct peer_rules rules;
	struct peer_table *peers;
	int nlfd; /* sock_diag: a peer check needs no new descriptor */
	struct server_conn *conns;
	int nconns;
	int peak;      /* most connections since memory was last given back */
	int max_conns; /* what the fd limit allows of max_connections */
	int per_peer;
	struct timeval request_timeout, idle_timeout;
	struct server_stats st;
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
	s->nlfd = -1;
	return s;
}

int
server_nconns(const struct server *s)
{
	return s->nconns;
}

void
server_stats(const struct server *s, struct server_stats *st)
{
	*st = s->st;
	st->conns = s->nconns;
	st->paused = listener_paused(s->listener);
}

/* server_trim - after a burst of connections has mostly gone (down to a
 * quarter of a peak of at least SERVER_TRIM_PEAK), give the memory their
 * buffers held back to the system: glibc keeps freed heap otherwise, and
 * cycles of thousands of connections left policyd at 150+ MB */
static void
server_trim(struct server *s)
{
	if (s->nconns > s->peak)
		s->peak = s->nconns;
	if (s->peak < SERVER_TRIM_PEAK || s->nconns > s->peak / 4)
		return;
	malloc_trim(0);
	s->peak = s->nconns;
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
	if (c->deadline != NULL)
		event_free(c->deadline);
	peer_table_release(s->peers, c->slot);
	free(c);
	server_trim(s);
	if (s->drained != NULL && s->nconns == 0)
		s->drained(s->drained_arg);
}

/* server_conn_flushed - the last answers are out: close */
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

/* server_conn_finish - read no more; close once the answers already
 * queued are written (bounded by the write timeout) */
static void
server_conn_finish(struct server_conn *c)
{
	if (c->busy ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		server_conn_close(c);
		return;
	}
	c->closing = true;
	evtimer_del(c->deadline);
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(
	    c->bev, NULL, server_conn_flushed, server_conn_event, c);
	bufferevent_enable(c->bev, EV_WRITE);
}

/* server_conn_resume - read again and parse what is buffered */
static void
server_conn_resume(struct server_conn *c)
{
	bufferevent_setcb(c->bev, server_conn_read, NULL, server_conn_event, c);
	bufferevent_enable(c->bev, EV_READ);
	/* a pipelining client may have sent the next request already */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		server_conn_read(c->bev, c);
}

/* server_conn_writable - back-pressure over: the client took its answers */
static void
server_conn_writable(struct bufferevent *bev, void *arg)
{
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	server_conn_resume(arg);
}

/* server_conn_answer - decide's callback: write the action, go on reading */
static void
server_conn_answer(void *arg, const char *action)
{
	struct server_conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	c->busy = false;
	if (c->dead) {
		server_conn_free(c);
		return;
	}
	if (evbuffer_add_printf(out, "action=%s\n\n", action) == -1) {
		server_conn_free(c);
		return;
	}
	if (c->srv->drained != NULL) {
		/* stopping: no next request; close once the answer is out */
		server_conn_finish(c);
		return;
	}
	request_reset(&c->req);
	if (evbuffer_get_length(out) > SERVER_OUTPUT_MAX) {
		/* read on when half of it is taken; the write timeout closes
		 * a client that takes nothing */
		bufferevent_setwatermark(
		    c->bev, EV_WRITE, SERVER_OUTPUT_MAX / 2, 0);
		bufferevent_setcb(c->bev, server_conn_read,
		    server_conn_writable, server_conn_event, c);
		return;
	}
	server_conn_resume(c);
}

/* server_conn_expired - a request still incomplete at request_timeout */
static void
server_conn_expired(evutil_socket_t fd, short ev, void *arg)
{
	struct server_conn *c = arg;

	(void)fd;
	(void)ev;
	c->srv->st.timeouts++;
	log_warnx_every(&server_rl_timeout,
	    "client %s: request not complete %lld s after its first byte, "
	    "closing",
	    c->peer, (long long)c->srv->request_timeout.tv_sec);
	server_conn_finish(c);
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

	while (!c->busy && !c->closing) {
		if (evbuffer_get_length(in) == 0)
			return;
		/* the clock of a request starts at its first byte */
		if (!evtimer_pending(c->deadline, NULL))
			evtimer_add(c->deadline, &c->srv->request_timeout);
		/* parse in place: no copy unless a line spans two chunks */
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		len = eol.pos == -1 ? evbuffer_get_length(in) : (size_t)eol.pos;
		if (len > REQUEST_LINE_MAX + 1) {
			log_warnx_every(&server_rl_malformed,
			    "client %s: line longer than %d bytes, closing",
			    c->peer, REQUEST_LINE_MAX);
			server_conn_finish(c);
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
			server_conn_finish(c);
			return;
		}
		if (rc == REQUEST_DONE) {
			evtimer_del(c->deadline);
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
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_WRITING)) {
		c->srv->st.timeouts++;
		log_warnx_every(&server_rl_unread,
		    "client %s: takes no answers for %lld s, closing", c->peer,
		    (long long)c->srv->request_timeout.tv_sec);
	} else if (what & BEV_EVENT_TIMEOUT)
		log_debug("client %s: idle for %lld s, closing", c->peer,
		    (long long)c->srv->idle_timeout.tv_sec);
	server_conn_close(c);
}

/* server_admit - may this peer have one more connection? its slot, or
 * NULL (refused, counted and logged) */
static struct peer_slot *
server_admit(struct server *s, evutil_socket_t fd, struct sockaddr *sa,
    int salen, char *name, size_t namesize)
{
	struct peer p;
	struct peer_slot *slot;
	enum peer_verdict v;
	unsigned long skipped;

	if (peer_identify(fd, sa, (socklen_t)salen, s->nlfd, &p) == -1)
		return NULL;
	peer_describe(&p, name, namesize);
	if ((v = peer_check(&s->rules, &p)) != PEER_ALLOW) {
		s->st.refused++;
		if (!peer_table_log(s->peers, p.key, &skipped))
			return NULL;
		if (skipped > 0)
			log_warnx("refused client %s: %s (%lu more from it "
			          "not logged since the last)",
			    name, peer_verdict_name(v), skipped);
		else
			log_warnx("refused client %s: %s", name,
			    peer_verdict_name(v));
		return NULL;
	}
	if (s->nconns >= s->max_conns) {
		s->st.full++;
		log_warnx_every(&server_rl_full,
		    "connection limit (%d) reached, refusing a client; "
		    "raise policyd.max_connections",
		    s->max_conns);
		return NULL;
	}
	if ((slot = peer_table_take(s->peers, p.key, s->per_peer)) == NULL) {
		s->st.capped++;
		log_warnx_every(&server_rl_capped,
		    "client %s holds %d connections "
		    "(policyd.max_connections_per_peer), refusing another",
		    name, s->per_peer);
	}
	return slot;
}

/* server_on_accept - the listener's: admit the peer, or close at once */
static void
server_on_accept(evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct server *s = arg;
	struct server_conn *c;
	char name[PEER_KEY_MAX];
	struct peer_slot *slot;

	if ((slot = server_admit(s, fd, sa, salen, name, sizeof(name))) ==
	    NULL) {
		evutil_closesocket(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->deadline = evtimer_new(s->base, server_conn_expired, c)) ==
	        NULL ||
	    (c->bev = bufferevent_socket_new(
	         s->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		if (c != NULL && c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		peer_table_release(s->peers, slot);
		return;
	}
	c->srv = s;
	c->slot = slot;
	str_lcpy(c->peer, name, sizeof(c->peer));
	request_reset(&c->req);
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	if (s->nconns > s->peak)
		s->peak = s->nconns;
	bufferevent_setcb(c->bev, server_conn_read, NULL, server_conn_event, c);
	/* reading: idle_timeout, longer than Postfix keeps a connection
	 * idle; writing: an answer must be taken within request_timeout */
	bufferevent_set_timeouts(c->bev, &s->idle_timeout, &s->request_timeout);
	bufferevent_enable(c->bev, EV_READ);
}

/* server_per_peer - max_connections_per_peer as it applies: 0 is half of
 * max_connections, and none is above it */
static int
server_per_peer(const struct conf *cf, int max_conns)
{
	int n = cf->policyd.max_connections_per_peer;

	if (n == 0)
		n = max_conns / 2 > 0 ? max_conns / 2 : 1;
	return n < max_conns ? n : max_conns;
}

void
server_reconf(struct server *s, const struct conf *cf)
{
	char unknown[CONF_ERR_MAX];

	if (peer_rules_load(&s->rules, cf, unknown, sizeof(unknown)) > 0)
		log_warnx(
		    "policyd.allow_users: no such user: %s (skipped)", unknown);
	s->per_peer = server_per_peer(cf, s->max_conns);
}

/* server_listen - open every listen socket of cf; returns 0 or -1 */
int
server_listen(
    struct server *s, const struct conf *cf, char *err, size_t errsize)
{
	char msg[256];

	s->max_conns =
	    listener_fds(cf->policyd.max_connections, msg, sizeof(msg));
	if (msg[0] != '\0')
		log_warnx("%s", msg);
	s->request_timeout.tv_sec = cf->policyd.request_timeout;
	s->idle_timeout.tv_sec = cf->policyd.idle_timeout;
	server_reconf(s, cf);
	if ((s->nlfd = sockdiag_open()) == -1)
		log_warn("sock_diag socket (a socket per lookup instead)");
	if ((s->peers = peer_table_new(s->max_conns)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	s->listener =
	    listener_open(s->base, cf, server_on_accept, s, err, errsize);
	return s->listener == NULL ? -1 : 0;
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

	listener_free(s->listener);
	s->listener = NULL;
	s->drained = drained;
	s->drained_arg = arg;
	if (s->nconns == 0) {
		drained(arg);
		return;
	}
	/* close the idle; those with answers still queued once they are
	 * out; the last one closed calls drained() */
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (!c->busy && !c->closing)
			server_conn_finish(c);
	}
}

void
server_free(struct server *s)
{
	if (s == NULL)
		return;
	s->drained = NULL;
	listener_free(s->listener);
	while (s->conns != NULL) {
		s->conns->busy = false;
		server_conn_free(s->conns);
	}
	peer_table_free(s->peers);
	if (s->nlfd != -1)
		close(s->nlfd);
	free(s);
}
