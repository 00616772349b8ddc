/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipe - pipelines over one or more async links, with redirections.
 *
 * Entry points: pipe_send. A redirection asks the caller's command
 * function for the command again: its arguments live until its reply is
 * in (the limiter keeps its commands until the round is settled). Each
 * hiredis callback holds the pipeline (outstanding); it is freed when
 * the last one ran and its timer is gone. hiredis 0.14 hands NULL to
 * every pending callback of a context it frees: a command already
 * answered ignores it. A link is only touched from a reply that came
 * through it (then it is alive): it is reported serving when the last
 * of its commands in the pipeline is answered and none said failing.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>

#include "pipe.h"
#include "rconn.h"
#include "resp.h"

/* one command of a pipeline */
struct pipe_cmd {
	struct pipe *p;
	int i;
	bool done;
	int redirects;
	struct link *l; /* the link it waits on */
	int on;         /* its entry in the pipeline's links, -1 none */
};

/* a link of the pipeline: its commands not answered yet */
struct pipe_link {
	struct link *l;
	int left;
	bool bad; /* one said failing, or got no reply */
};

#define PIPE_LINKS 8

struct pipe {
	struct pipe_link ln[PIPE_LINKS];
	int nln;
	pipe_cb *cb;
	void *arg;
	pipe_cmd_fn *cmdfn;
	void *cmdarg;
	struct pipe_router rt;
	struct event *timer;
	int n, answered, outstanding;
	struct pipe_cmd cmd[];
};

static void pipe_on_reply(redisAsyncContext *, void *, void *);

/* pipe_release - one holder less; the last frees */
static void
pipe_release(struct pipe *p)
{
	if (--p->outstanding > 0)
		return;
	event_free(p->timer);
	free(p);
}

/* pipe_on_link - c is sent on l: its link's entry counts it */
static void
pipe_on_link(struct pipe_cmd *c, struct link *l)
{
	struct pipe *p = c->p;
	int j;

	for (j = 0; j < p->nln && p->ln[j].l != l; j++)
		;
	if (j == p->nln) {
		if (j == PIPE_LINKS) {
			c->on = -1; /* not followed: never reported serving */
			return;
		}
		p->ln[p->nln++] = (struct pipe_link){l, 0, false};
	}
	p->ln[j].left++;
	c->on = j;
}

/* pipe_off_link - c's link answered it (r; NULL: it failed): when that
 * was its last command and none failed, the link is serving. Called
 * only from a reply that came through the link */
static void
pipe_off_link(struct pipe_cmd *c, const redisReply *r, bool failing)
{
	struct pipe *p = c->p;
	struct pipe_link *e;

	if (c->on == -1)
		return;
	e = &p->ln[c->on];
	c->on = -1;
	e->bad |= r == NULL || failing;
	if (--e->left == 0 && !e->bad && r != NULL)
		p->rt.answer(p->rt.arg, e->l, PIPE_OK, NULL);
}

/* pipe_answer - command c's reply (NULL: none); the last stops the
 * timer */
static void
pipe_answer(struct pipe_cmd *c, const redisReply *r)
{
	struct pipe *p = c->p;

	if (c->done)
		return;
	c->done = true;
	if (++p->answered == p->n)
		evtimer_del(p->timer);
	p->cb(r, c->i, p->arg);
}

/* pipe_put - send c on l; 0, or -1 when l cannot take it */
static int
pipe_put(struct pipe_cmd *c, struct link *l, bool asking)
{
	redisAsyncContext *ctx = l != NULL ? link_ctx(l) : NULL;
	const char *const *argv;
	const size_t *len;
	char resp[2048];
	size_t rl;
	int argc;

	if (ctx == NULL || link_state(l) == LINK_DOWN)
		return -1;
	if (asking && redisAsyncCommand(ctx, NULL, NULL, "ASKING") != REDIS_OK)
		return -1;
	c->p->cmdfn(c->p->cmdarg, c->i, &argc, &argv, &len);
	/* our formatter; hiredis' (slower) for an outsized command. hiredis
	 * compares the name with "subscribe\r\n" and the like (11 bytes):
	 * the bytes after a short command are set, not left unset */
	if ((rl = resp_format(resp, sizeof(resp), argc, argv, len)) > 0)
		memset(resp + rl, 0,
		    sizeof(resp) - rl < 16 ? sizeof(resp) - rl : 16);
	if (rl > 0 ? redisAsyncFormattedCommand(
	                 ctx, pipe_on_reply, c, resp, rl) != REDIS_OK
	           : redisAsyncCommandArgv(ctx, pipe_on_reply, c, argc,
	                 (const char **)argv, len) != REDIS_OK)
		return -1;
	c->l = l;
	pipe_on_link(c, l);
	c->p->outstanding++;
	return 0;
}

/* pipe_redirected - r moved c elsewhere: sent there; true, or false
 * when r is no redirection (or one too many) */
static bool
pipe_redirected(struct pipe_cmd *c, const redisReply *r)
{
	struct pipe *p = c->p;
	struct cslot_node to;
	enum cslot_redirect how;
	int slot;

	how = cslot_redirect_parse(r, link_host(c->l), &slot, &to);
	if (how == CSLOT_NONE || c->redirects >= PIPE_REDIRECTS)
		return false;
	c->redirects++;
	if (pipe_put(c, p->rt.redirect(p->rt.arg, slot, &to, how == CSLOT_ASK),
	        how == CSLOT_ASK) == -1)
		pipe_answer(c, NULL);
	return true;
}

/* pipe_on_reply - hiredis' callback of one command */
static void
pipe_on_reply(redisAsyncContext *ctx, void *reply, void *priv)
{
	struct pipe_cmd *c = priv;
	struct pipe *p = c->p;
	const redisReply *r = reply;
	bool failing = rconn_reply_failing(r);

	(void)ctx;
	if (c->done || r == NULL) {
		if (r == NULL && c->on != -1)
			pipe_off_link(c, NULL, false); /* its link went */
		pipe_answer(c, NULL);
	} else {
		/* the reply came through c->l: it is alive now. A link
		 * fails once a pipeline, however many of its replies say
		 * so (each failure lengthens its backoff) */
		bool first = failing && c->on != -1 && !p->ln[c->on].bad;

		pipe_off_link(c, r, failing);
		if (first)
			p->rt.answer(p->rt.arg, c->l, PIPE_FAILING, r->str);
		if (!pipe_redirected(c, r))
			pipe_answer(c, r);
	}
	pipe_release(p);
}

/* pipe_on_timeout - too slow: NULL for every command not answered, then
 * the router drops the links that owe them (hiredis hands NULL to their
 * callbacks) */
static void
pipe_on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct pipe *p = arg;
	struct link *owe[PIPE_REDIRECTS + 8];
	int i, j, nowe = 0;

	(void)fd;
	(void)ev;
	p->outstanding++; /* keep p while its callbacks run */
	for (i = 0; i < p->n; i++) {
		struct pipe_cmd *c = &p->cmd[i];

		if (c->done)
			continue;
		for (j = 0; j < nowe && owe[j] != c->l; j++)
			;
		if (j == nowe && nowe < (int)(sizeof(owe) / sizeof(owe[0])) &&
		    c->l != NULL)
			owe[nowe++] = c->l;
		pipe_answer(c, NULL);
	}
	for (j = 0; j < nowe; j++)
		p->rt.answer(
		    p->rt.arg, owe[j], PIPE_TIMEOUT, "command timeout");
	pipe_release(p);
}

int
pipe_send(struct event_base *base, long long timeout_ms,
    const struct pipe_router *rt, int n, pipe_cmd_fn *cmd, void *cmdarg,
    pipe_cb *cb, void *arg)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct link *l, *prev = NULL;
	const char *const *argv;
	const size_t *len;
	struct pipe *p;
	int i, argc, slot, sent = 0;

	if (n < 1 ||
	    (p = calloc(1, sizeof(*p) + (size_t)n * sizeof(p->cmd[0]))) == NULL)
		return -1;
	p->cb = cb;
	p->arg = arg;
	p->cmdfn = cmd;
	p->cmdarg = cmdarg;
	p->rt = *rt;
	p->n = n;
	p->outstanding = 1; /* this function's */
	if ((p->timer = evtimer_new(base, pipe_on_timeout, p)) == NULL) {
		free(p);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct pipe_cmd *c = &p->cmd[i];

		c->p = p;
		c->i = i;
		cmd(cmdarg, i, &argc, &argv, &len);
		slot = rt->slots ? cslot_cmd_slot(argc, argv, len) : -1;
		l = slot == -1 && prev != NULL ? prev
		                               : rt->route(rt->arg, slot);
		prev = l;
		if (pipe_put(c, l, false) == 0)
			sent++;
	}
	if (sent == 0) {
		pipe_release(p);
		return -1;
	}
	evtimer_add(p->timer, &tv);
	/* commands no link could take answer NULL at once */
	for (i = 0; i < n; i++)
		if (p->cmd[i].l == NULL)
			pipe_answer(&p->cmd[i], NULL);
	pipe_release(p);
	return 0;
}
