/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipe - pipelines over one or more async links, with redirections.
 *
 * Entry points: pipe_send. A redirection asks the caller's command
 * function for the command again: its arguments live until its reply is
 * in (the limiter keeps its commands until the round is settled). Each hiredis callback holds the pipeline (outstanding); it is
 * freed when the last one ran and its timer is gone. hiredis 0.14 hands
 * NULL to every pending callback of a context it frees: a command
 * already answered ignores it.
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
	bool replied, failing; /* a reply came, one that said failing */
	int redirects;
	struct link *l; /* the link it waits on */
};

struct pipe {
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

/* pipe_served - every command answered: each link that answered all of
 * its commands without saying it cannot serve is reported as serving
 * (a read that passes beside a refused write is not) */
static void
pipe_served(struct pipe *p)
{
	struct link *seen[8];
	bool bad[8];
	int i, j, n = 0;

	for (i = 0; i < p->n; i++) {
		struct pipe_cmd *c = &p->cmd[i];

		if (c->l == NULL)
			continue;
		for (j = 0; j < n && seen[j] != c->l; j++)
			;
		if (j == n) {
			if (n == (int)(sizeof(seen) / sizeof(seen[0])))
				continue;
			seen[n] = c->l;
			bad[n++] = false;
		}
		bad[j] |= !c->replied || c->failing;
	}
	for (j = 0; j < n; j++)
		if (!bad[j])
			p->rt.answer(p->rt.arg, seen[j], PIPE_OK, NULL);
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
	if (r != NULL) {
		c->replied = true;
		c->failing = rconn_reply_failing(r);
		if (c->failing)
			p->rt.answer(p->rt.arg, c->l, PIPE_FAILING, r->str);
	}
	if (++p->answered == p->n) {
		evtimer_del(p->timer);
		pipe_served(p);
	}
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
	/* our formatter; hiredis' (slower) for an outsized command */
	if ((rl = resp_format(resp, sizeof(resp), argc, argv, len)) > 0
	        ? redisAsyncFormattedCommand(ctx, pipe_on_reply, c, resp, rl) !=
	            REDIS_OK
	        : redisAsyncCommandArgv(ctx, pipe_on_reply, c, argc,
	              (const char **)argv, len) != REDIS_OK)
		return -1;
	c->l = l;
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

	(void)ctx;
	if (!c->done && r != NULL && !pipe_redirected(c, r))
		pipe_answer(c, r);
	else if (r == NULL)
		pipe_answer(c, NULL);
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
		slot = cslot_cmd_slot(argc, argv, len);
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
