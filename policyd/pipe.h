/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipe - one pipeline of commands over policyd's links (policyd/link.h),
 * with one timeout for all. Each command goes to the link the router
 * names for its slot (a keyless one, like WAIT, to the link of the
 * command before it); a -MOVED or -ASK reply sends it again where the
 * cluster says (ASKING first for ASK), at most PIPE_REDIRECTS times.
 *
 * cb runs exactly once per command, with its index: with the reply, or
 * with NULL when its link is down or failed, or the timeout cut it off.
 * A timeout makes the router drop the links that still owe replies, so
 * a stuck server never piles up requests. Replies are borrowed: they die when cb
 * returns. A reply that says the server cannot serve now
 * (rconn_reply_failing) and a normal one are reported to the router.
 */
#ifndef FG_PIPE_H
#define FG_PIPE_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "cslot.h"
#include "link.h"

#define PIPE_REDIRECTS 5

enum pipe_answer { PIPE_OK, PIPE_FAILING, PIPE_TIMEOUT };

typedef void pipe_cb(const redisReply *, int i, void *arg);
/* the i-th command, borrowed until pipe_send returns */
typedef void pipe_cmd_fn(void *arg, int i, int *argc, const char *const **argv,
    const size_t **argvlen);

struct pipe_router {
	bool slots; /* a cluster: each command's slot is worked out */
	/* the link for slot (-1: any); NULL: none can take it now */
	struct link *(*route)(void *arg, int slot);
	/* a MOVED (ask false) or ASK: the link of to, made when new */
	struct link *(*redirect)(
	    void *arg, int slot, const struct cslot_node *to, bool ask);
	/* what l did: answered all its commands of a pipeline (PIPE_OK),
	 * answered one that it cannot serve now (PIPE_FAILING, why), or
	 * owes one past the timeout (PIPE_TIMEOUT: the router drops it) */
	void (*answer)(
	    void *arg, struct link *l, enum pipe_answer, const char *why);
	void *arg;
};

/* pipe_send - n commands; -1 (and no cb) when none could be sent */
int pipe_send(struct event_base *, long long timeout_ms,
    const struct pipe_router *, int n, pipe_cmd_fn *cmd, void *cmdarg,
    pipe_cb *cb, void *arg) __attribute__((warn_unused_result));

#endif
