/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limiter - the sliding-window limiter as pipelined Redis commands.
 *
 * Entry points: limiter_start, limiter_ncmd, limiter_cmd, limiter_take,
 * limiter_finish, limiter_refund, limiter_free, limiter_clock,
 * limiter_now_ms. Per limit two integer buckets; the estimate is current
 * + previous * (1 - elapsed/window). The current bucket is counted first
 * (HINCRBY answers the new count, every node's requests in it) and taken
 * back when the request is refused, so a subject's requests one after
 * another get exactly the decisions of an all-or-nothing check; requests
 * racing at a limit can only be refused, never let through (each sees
 * the other's count). Nothing here is Lua: a script costs Redis 5x more
 * per request (make bench, callgrind).
 *
 * Storage: one allocation per subject, sized from its limits; every
 * string of a command lives in it until limiter_free. Never logs.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limiter.h"
#include "str.h"

#define NMETRIC       3
#define EVENTS_MAXLEN "10000"
/* fields of a block hash read at most (ours are 8; an admin may add) */
#define BLOCK_FIELDS_MAX 64

enum cmd_kind {
	C_LIMITS,
	C_BLOCK,
	C_INCR,
	C_USAGE,
	C_ZADD,
	C_ZCOUNT,
	C_FOLLOW
};

struct cmd {
	enum cmd_kind kind;
	int set;  /* C_ZADD, C_ZCOUNT: 0 ips, 1 senders */
	int lim;  /* C_ZCOUNT: the limit */
	int argc; /* argv[arg0 .. arg0 + argc) */
	int arg0;
};

/* one limit of the subject: the config and what Redis answered */
struct lstate {
	const struct conf_limit *cl;
	long long wms, b, last, dcur, dprev;
	double frac;
	const char *ws, *cur[NMETRIC], *prev[NMETRIC], *dcurf, *dprevf, *lastf;
	int incr[NMETRIC];        /* C_INCR command of cur[j] */
	bool own[NMETRIC];        /* that command is this limit's */
	long long count[NMETRIC]; /* cur after this request's increment */
	long long prevv[NMETRIC]; /* previous bucket */
	long long over[NMETRIC];  /* override, or -1 */
	long long zcount[2];      /* distinct ips, senders; -1 not asked */
};

struct limiter {
	const struct conf *c;
	struct limiter_req r;
	long long now, maxw;
	int n, k, metric[NMETRIC]; /* active metrics: 0 m, 1 r, 2 B */
	long long inc[NMETRIC];
	struct lstate *l;
	const char *usage, *blockk, *limk, *setk[2], *evk, *subj;
	bool exempt, blocked, zadded[2];
	char brule[CONF_NAME_MAX], breason[96];
	int ncmd, maxcmd, nargs, maxargs;
	struct cmd *cmd;
	const char **argv;
	char *buf;
	size_t used, size;
};

static const char *const mletter[NMETRIC] = {"m", "r", "B"};
static const char *const mname[NMETRIC] = {"messages", "recipients", "bytes"};

/* put - a formatted string kept in l's buffer; NULL when full */
static const char *__attribute__((format(printf, 2, 3)))
put(struct limiter *l, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s = l->buf + l->used;

	va_start(ap, fmt);
	n = vsnprintf(s, l->size - l->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= l->size - l->used)
		return NULL;
	l->used += (size_t)n + 1;
	return s;
}

/* the end of an argument list (NULL is a failed put) */
static const char END[] = "";

/* arg - one more argument of the last command; 0 or -1 */
static int
arg(struct limiter *l, const char *s)
{
	if (s == NULL || l->nargs == l->maxargs || l->ncmd == 0)
		return -1;
	l->argv[l->nargs] = s;
	l->nargs++;
	l->cmd[l->ncmd - 1].argc++;
	return 0;
}

/* cmdv - a command of kind with its arguments up to END; 0 or -1 */
static int
cmdv(struct limiter *l, enum cmd_kind kind, ...)
{
	va_list ap;
	const char *s;
	int rc = 0;

	if (l->ncmd == l->maxcmd)
		return -1;
	l->cmd[l->ncmd] = (struct cmd){.kind = kind, .arg0 = l->nargs};
	l->ncmd++;
	va_start(ap, kind);
	while ((s = va_arg(ap, const char *)) != END)
		if (arg(l, s) == -1)
			rc = -1;
	va_end(ap);
	return rc;
}
#define CMD(l, kind, ...) cmdv(l, kind, __VA_ARGS__, END)

/* cat - the strings up to END joined, kept in l's buffer; NULL when full
 * or when one of them is NULL (an earlier failure) */
static const char *
cat(struct limiter *l, ...)
{
	va_list ap;
	const char *p;
	char *s = l->buf + l->used;
	size_t n = 0, len;
	int bad = 0;

	va_start(ap, l);
	while ((p = va_arg(ap, const char *)) != END) {
		if (p == NULL || (len = strlen(p)) >= l->size - l->used - n) {
			bad = 1;
			break;
		}
		memcpy(s + n, p, len);
		n += len;
	}
	va_end(ap);
	if (bad || n >= l->size - l->used)
		return NULL;
	s[n] = '\0';
	l->used += n + 1;
	return s;
}
#define CAT(l, ...) cat(l, __VA_ARGS__, END)

/* num - a number, kept in l's buffer */
static const char *
num(struct limiter *l, long long v)
{
	char *s = l->buf + l->used;
	size_t n = str_lltoa(s, l->size - l->used, v);

	if (n == 0)
		return NULL;
	l->used += n + 1;
	return s;
}

void
limiter_free(struct limiter *l)
{
	free(l); /* one block: the tables and buffer follow it */
}

/* alloc - l, its tables and buffer in one block for n limits of k
 * metrics; text: the bytes its strings need beyond the per-limit bound
 * (see limiter_start); NULL when out of memory. The bounds are counted
 * from the commands laid out (every number 20 digits): the first round
 * has 15 + n(6k + 11) arguments, the follow-ups 66 + n(4k + 14); a
 * limit's names and numbers take at most 512 + 192k bytes besides its
 * name five times. */
static struct limiter *
alloc(int n, int k, size_t text)
{
	int maxcmd = 10 + n * (k + 3), maxargs = 66 + n * (6 * k + 14);
	size_t size = text + (size_t)n * (size_t)(512 + 192 * k);
	size_t hdr = sizeof(struct limiter) +
	    (size_t)(n ? n : 1) * sizeof(struct lstate);
	size_t tables = (size_t)maxargs * sizeof(char *) +
	    (size_t)maxcmd * sizeof(struct cmd);
	struct limiter *l = malloc(hdr + tables + size);
	char *p;

	if (l == NULL)
		return NULL;
	memset(l, 0, hdr);
	p = (char *)l + hdr;
	l->l = (struct lstate *)(l + 1);
	l->argv = (const char **)p;
	p += (size_t)maxargs * sizeof(char *);
	l->cmd = (struct cmd *)p;
	p += (size_t)maxcmd * sizeof(struct cmd);
	l->buf = p;
	l->size = size;
	l->maxcmd = maxcmd;
	l->maxargs = maxargs;
	l->n = n;
	l->k = k;
	return l;
}

/* layout - the names of every key and field, each number formatted once */
static int
layout(struct limiter *l)
{
	char *base = l->buf + l->used;
	int i, j;

	/* the subject's key, once; the others are it plus a suffix */
	if (subject_key(base, l->size - l->used, l->c->redis.prefix, l->r.type,
	        l->r.value, "") == -1)
		return -1;
	l->used += strlen(base) + 1;
	l->usage = base;
	l->blockk = CAT(l, base, ":block");
	l->limk = CAT(l, base, ":limits");
	l->setk[0] = CAT(l, base, ":ips");
	l->setk[1] = CAT(l, base, ":senders");
	l->evk = CAT(l, l->c->redis.prefix, "events");
	l->subj = CAT(l, subject_type_name(l->r.type), ":", l->r.value);
	if (!l->usage || !l->blockk || !l->limk || !l->setk[0] || !l->setk[1] ||
	    !l->evk || !l->subj)
		return -1;
	for (i = 0; i < l->n; i++) {
		struct lstate *ls = &l->l[i];
		const char *ws, *bs, *ps;

		ls->wms = ls->cl->window * 1000;
		ls->b = l->now / ls->wms;
		ls->frac = (double)(ls->wms - (l->now - ls->b * ls->wms)) /
		    (double)ls->wms;
		if (ls->wms > l->maxw)
			l->maxw = ls->wms;
		ws = ls->ws = num(l, ls->cl->window);
		bs = num(l, ls->b);
		ps = num(l, ls->b - 1);
		for (j = 0; j < l->k; j++) {
			ls->cur[j] =
			    CAT(l, mletter[l->metric[j]], ":", ws, ":", bs);
			ls->prev[j] =
			    CAT(l, mletter[l->metric[j]], ":", ws, ":", ps);
			if (!ls->cur[j] || !ls->prev[j])
				return -1;
		}
		ls->dcurf = CAT(l, "d:", ls->cl->name, ":", bs);
		ls->dprevf = CAT(l, "d:", ls->cl->name, ":", ps);
		ls->lastf = CAT(l, "L:", ls->cl->name);
		ls->zcount[0] = ls->zcount[1] = -1;
		if (!ls->dcurf || !ls->dprevf || !ls->lastf)
			return -1;
	}
	return 0;
}

/* wants_set - some limit reads set s (0 ips, 1 senders) of this request */
static bool
wants_set(const struct limiter *l, int s)
{
	const char *member = s == 0 ? l->r.ip : l->r.sender;
	int i;

	if (member == NULL || member[0] == '\0')
		return false;
	for (i = 0; i < l->n; i++)
		if ((s == 0 ? l->l[i].cl->max_client_ips
		            : l->l[i].cl->max_senders) > 0)
			return true;
	return false;
}

/* first - the commands of the round trip */
static int
first(struct limiter *l)
{
	int i, j, x, s, rc = 0;

	rc |= CMD(l, C_LIMITS, "HMGET", l->limk, "exempt");
	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->k; j++)
			rc |= arg(
			    l, CAT(l, mname[l->metric[j]], ":", l->l[i].ws));
	rc |= CMD(l, C_BLOCK, "HGETALL", l->blockk);
	/* one HINCRBY per distinct current field (limits may share one) */
	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->k; j++) {
			struct lstate *ls = &l->l[i];

			ls->incr[j] = -1;
			for (x = 0; x < i && ls->incr[j] == -1; x++)
				if (strcmp(l->l[x].cur[j], ls->cur[j]) == 0)
					ls->incr[j] = l->l[x].incr[j];
			if (ls->incr[j] != -1)
				continue;
			ls->incr[j] = l->ncmd;
			ls->own[j] = true;
			rc |= CMD(l, C_INCR, "HINCRBY", l->usage, ls->cur[j],
			    num(l, l->inc[j]));
		}
	if (l->n > 0) {
		rc |= CMD(l, C_USAGE, "HMGET", l->usage);
		for (i = 0; i < l->n; i++) {
			for (j = 0; j < l->k; j++)
				rc |= arg(l, l->l[i].prev[j]);
			rc |= arg(l, l->l[i].dcurf);
			rc |= arg(l, l->l[i].dprevf);
			rc |= arg(l, l->l[i].lastf);
		}
	}
	for (s = 0; s < 2; s++) {
		if (!wants_set(l, s))
			continue;
		l->zadded[s] = true;
		rc |= CMD(l, C_ZADD, "ZADD", l->setk[s], num(l, l->now),
		    s == 0 ? l->r.ip : l->r.sender);
		l->cmd[l->ncmd - 1].set = s;
		for (i = 0; i < l->n; i++) {
			if ((s == 0 ? l->l[i].cl->max_client_ips
			            : l->l[i].cl->max_senders) <= 0)
				continue;
			rc |= CMD(l, C_ZCOUNT, "ZCOUNT", l->setk[s],
			    num(l, l->now - l->l[i].wms), "+inf");
			l->cmd[l->ncmd - 1].set = s;
			l->cmd[l->ncmd - 1].lim = i;
		}
	}
	return rc ? -1 : 0;
}

struct limiter *
limiter_start(const struct conf *c, const struct limiter_req *r)
{
	long long incs[NMETRIC] = {r->messages, r->recipients, r->bytes};
	const char *ip = r->ip != NULL ? r->ip : "",
	           *sender = r->sender != NULL ? r->sender : "",
	           *by = r->by != NULL ? r->by : "";
	struct limiter *l;
	size_t text;
	int i, j, n = 0, k = 0;

	for (j = 0; j < NMETRIC; j++)
		k += incs[j] > 0;
	/* the keys hold prefix and value six times; 512 for the fixed
	 * words, numbers and a block's reason */
	text = 6 * (strlen(r->value) + strlen(c->redis.prefix)) + 512;
	for (i = 0; i < c->nlimits; i++)
		if (c->limits[i].subject == r->type) {
			n++;
			text += 5 * strlen(c->limits[i].name);
		}
	if ((l = alloc(n, k, text)) == NULL)
		return NULL;
	l->c = c;
	l->r = *r;
	l->now = r->now_ms != 0 ? r->now_ms : limiter_now_ms();
	for (j = 0, k = 0; j < NMETRIC; j++)
		if (incs[j] > 0) {
			l->metric[k] = j;
			l->inc[k++] = incs[j];
		}
	for (i = 0, j = 0; i < c->nlimits; i++)
		if (c->limits[i].subject == r->type)
			l->l[j++].cl = &c->limits[i];
	l->r.ip = ip;
	l->r.sender = sender;
	l->r.by = by;
	if (l->now <= 0 || layout(l) == -1 || first(l) == -1) {
		limiter_free(l);
		return NULL;
	}
	return l;
}

int
limiter_ncmd(const struct limiter *l)
{
	return l->ncmd;
}

void
limiter_cmd(const struct limiter *l, int i, int *argc, const char *const **argv,
    const size_t **argvlen)
{
	*argc = l->cmd[i].argc;
	*argv = l->argv + l->cmd[i].arg0;
	*argvlen = NULL; /* C strings: no lengths kept (memory per request) */
}

/* intval - a reply element holding an integer (nil: 0); 0 or -1 */
static int
intval(const redisReply *e, long long *v)
{
	if (e->type == REDIS_REPLY_NIL) {
		*v = 0;
		return 0;
	}
	if (e->type == REDIS_REPLY_INTEGER) {
		*v = e->integer;
		return 0;
	}
	if (e->type != REDIS_REPLY_STRING || e->len > 20)
		return -1;
	return str_tonum(e->str, INT64_MIN / 2, INT64_MAX / 2, v);
}

/* text - a printable copy of a string element (nil: "") */
static void
text(const redisReply *e, char *dst, size_t size)
{
	size_t i, n = 0;

	if (e->type == REDIS_REPLY_STRING)
		for (i = 0; i < e->len && n + 1 < size; i++)
			dst[n++] = e->str[i] >= 0x20 && e->str[i] < 0x7f
			    ? e->str[i]
			    : '?';
	dst[n] = '\0';
}

int
limiter_take(struct limiter *l, int i, const redisReply *r)
{
	const struct cmd *cm = &l->cmd[i];
	size_t want = (size_t)cm->argc - 2, x;
	long long v;
	int a, j;

	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return -1;
	switch (cm->kind) {
	case C_LIMITS:
	case C_USAGE:
		if (r->type != REDIS_REPLY_ARRAY || r->elements != want)
			return -1;
		break;
	case C_BLOCK: /* field, value pairs; none: no block */
		if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0 ||
		    r->elements > 2 * BLOCK_FIELDS_MAX)
			return -1;
		break;
	default:
		if (r->type != REDIS_REPLY_INTEGER)
			return -1;
	}
	switch (cm->kind) {
	case C_LIMITS:
		l->exempt = r->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[0]->str, "1") == 0;
		for (x = 1; x < want; x++) {
			struct lstate *ls = &l->l[(x - 1) / (size_t)l->k];

			/* an override that is no count is ignored */
			ls->over[(x - 1) % (size_t)l->k] =
			    r->element[x]->type == REDIS_REPLY_STRING &&
			        intval(r->element[x], &v) == 0 && v >= 0
			    ? v
			    : -1;
		}
		return 0;
	case C_BLOCK:
		l->blocked = r->elements > 0;
		for (x = 0; x + 1 < r->elements; x += 2) {
			const redisReply *f = r->element[x];

			if (f->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(f->str, "rule") == 0)
				text(r->element[x + 1], l->brule,
				    sizeof(l->brule));
			else if (strcmp(f->str, "reason") == 0)
				text(r->element[x + 1], l->breason,
				    sizeof(l->breason));
		}
		return 0;
	case C_INCR:
		for (a = 0; a < l->n; a++)
			for (j = 0; j < l->k; j++)
				if (l->l[a].incr[j] == i)
					l->l[a].count[j] = r->integer;
		return 0;
	case C_USAGE:
		for (a = 0, x = 0; a < l->n; a++) {
			struct lstate *ls = &l->l[a];

			for (j = 0; j < l->k; j++)
				if (intval(r->element[x++], &ls->prevv[j]) ==
				    -1)
					return -1;
			if (intval(r->element[x++], &ls->dcur) == -1 ||
			    intval(r->element[x++], &ls->dprev) == -1 ||
			    intval(r->element[x++], &ls->last) == -1)
				return -1;
		}
		return 0;
	case C_ZCOUNT:
		l->l[cm->lim].zcount[cm->set] = r->integer;
		return 0;
	default:
		return 0;
	}
}

/* compensate - take back the increments (a refused or refunded request) */
static int
compensate(struct limiter *l)
{
	int i, j, rc = 0;

	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->k; j++)
			if (l->l[i].own[j])
				rc |= CMD(l, C_FOLLOW, "HINCRBY", l->usage,
				    l->l[i].cur[j], num(l, -l->inc[j]));
	return rc;
}

/* roll - on a new bucket of a limit, delete the fields no estimate reads
 * any more and renew the TTLs: a key lives two of its longest windows
 * past a roll, so through the next bucket of every limit */
static int
roll(struct limiter *l)
{
	int i, s, rc = 0, hset = -1;
	long long x;
	bool rolled = false, fresh;

	for (i = 0; i < l->n; i++) {
		struct lstate *ls = &l->l[i];
		long long w = ls->cl->window;

		if (ls->last == ls->b)
			continue;
		for (x = ls->last - 1; ls->last != 0 && x <= ls->last; x++)
			if (x < ls->b - 1)
				rc |= CMD(l, C_FOLLOW, "HDEL", l->usage,
				    put(l, "m:%lld:%lld", w, x),
				    put(l, "r:%lld:%lld", w, x),
				    put(l, "B:%lld:%lld", w, x),
				    put(l, "d:%s:%lld", ls->cl->name, x));
		if (hset == -1) {
			rc |= CMD(l, C_FOLLOW, "HSET", l->usage);
			hset = l->ncmd - 1;
		}
		if (hset == l->ncmd - 1) { /* pairs go to the open HSET */
			rc |= arg(l, ls->lastf);
			rc |= arg(l, num(l, ls->b));
		} else
			rc |= CMD(l, C_FOLLOW, "HSET", l->usage, ls->lastf,
			    num(l, ls->b));
		rolled = true;
	}
	if (rolled)
		rc |=
		    CMD(l, C_FOLLOW, "PEXPIRE", l->usage, num(l, 2 * l->maxw));
	for (s = 0; s < 2; s++) {
		if (!l->zadded[s])
			continue;
		/* alone in its window: maybe a new set */
		for (i = 0, fresh = false; i < l->n; i++)
			fresh |= l->l[i].zcount[s] == 1;
		if (rolled)
			rc |= CMD(l, C_FOLLOW, "ZREMRANGEBYSCORE", l->setk[s],
			    "-inf", put(l, "(%lld", l->now - l->maxw));
		if (rolled || fresh)
			rc |= CMD(l, C_FOLLOW, "PEXPIRE", l->setk[s],
			    num(l, 2 * l->maxw));
	}
	return rc;
}

/* block - write the block hash and the event (not in dry-run) */
static int
block(struct limiter *l, const struct limiter_result *res, const char *reason,
    long long ttl)
{
	const char *value = num(l, res->value), *limit = num(l, res->limit);
	int rc = 0;

	if (l->r.mode == LIMITER_DRYRUN)
		return 0;
	rc |= CMD(l, C_FOLLOW, "HSET", l->blockk, "reason", reason, "rule",
	    res->rule, "value", value, "limit", limit, "at",
	    num(l, l->now / 1000), "by", l->r.by, "node", l->c->node);
	if (ttl > 0)
		rc |= CMD(l, C_FOLLOW, "EXPIRE", l->blockk, num(l, ttl));
	rc |= CMD(l, C_FOLLOW, "XADD", l->evk, "MAXLEN", "~", EVENTS_MAXLEN,
	    "*", "event", "block", "subject", l->subj, "rule", res->rule,
	    "reason", reason, "value", value, "limit", limit, "node",
	    l->c->node, "by", l->r.by);
	return rc;
}

/* judge - the first limit and metric over, and the first compromise
 * signal (distinct ips or senders over); fills res for the one that
 * decides; returns its limit, or -1 when everything passes */
static int
judge(struct limiter *l, struct limiter_result *res, bool *signal)
{
	int i, j, s, deny = -1;

	for (i = 0; i < l->n; i++) {
		struct lstate *ls = &l->l[i];
		const long long max[NMETRIC] = {
		    ls->cl->messages, ls->cl->recipients, ls->cl->bytes};

		for (j = 0; j < l->k && deny == -1; j++) {
			long long m =
			    ls->over[j] >= 0 ? ls->over[j] : max[l->metric[j]];
			double v = (double)ls->count[j] +
			    (double)ls->prevv[j] * ls->frac;

			if (m > 0 && v > (double)m) {
				deny = i;
				str_lcpy(res->what, mname[l->metric[j]],
				    sizeof(res->what));
				res->value = (long long)v;
				res->limit = m;
			}
		}
		for (s = 0; s < 2; s++) {
			long long m = s == 0 ? ls->cl->max_client_ips
			                     : ls->cl->max_senders;

			if (m > 0 && ls->zcount[s] > m) {
				*signal = true;
				str_lcpy(
				    res->rule, ls->cl->name, sizeof(res->rule));
				str_lcpy(res->what,
				    s == 0 ? "client_ips" : "senders",
				    sizeof(res->what));
				res->value = ls->zcount[s];
				res->limit = m;
				return i;
			}
		}
	}
	if (deny != -1)
		str_lcpy(res->rule, l->l[deny].cl->name, sizeof(res->rule));
	return deny;
}

int
limiter_finish(struct limiter *l, struct limiter_result *res)
{
	bool signal = false, dry = l->r.mode == LIMITER_DRYRUN, comp = false;
	const char *reason;
	int i, rc = 0;

	memset(res, 0, sizeof(*res));
	res->now_ms = l->now;
	l->ncmd = l->nargs = 0;
	if (l->exempt || l->blocked) {
		res->status = l->exempt ? LIMITER_EXEMPT : LIMITER_BLOCKED;
		if (l->blocked && !l->exempt) {
			str_lcpy(res->rule, l->brule, sizeof(res->rule));
			str_lcpy(res->what, l->breason, sizeof(res->what));
		}
		comp = true;
	} else if ((i = judge(l, res, &signal)) != -1 && signal) {
		res->status = LIMITER_BLOCK_NOW;
		reason =
		    put(l, "%s %lld > %lld", res->what, res->value, res->limit);
		rc |=
		    reason ? block(l, res, reason, l->l[i].cl->block_ttl) : -1;
		comp = !dry;
	} else if (i != -1) {
		struct lstate *ls = &l->l[i];
		double d =
		    (double)(ls->dcur + 1) + (double)ls->dprev * ls->frac;

		res->status = LIMITER_OVER;
		rc |= CMD(l, C_FOLLOW, "HINCRBY", l->usage, ls->dcurf, "1");
		comp = !dry;
		if (ls->cl->block_after > 0 &&
		    d >= (double)ls->cl->block_after) {
			res->status = LIMITER_OVER_BLOCK;
			reason = put(l, "%s over limit %lld, %lld denials",
			    res->what, res->limit, (long long)d);
			rc |= reason ? block(l, res, reason, ls->cl->block_ttl)
			             : -1;
		}
	}
	if (comp)
		rc |= compensate(l);
	rc |= roll(l);
	return rc ? -1 : 0;
}

int
limiter_refund(struct limiter *l)
{
	l->ncmd = l->nargs = 0;
	return compensate(l) ? -1 : 0;
}

/* Redis' clock minus this host's monotonic clock, and when it was learnt
 * (monotonic ms): written by any thread, read by all (atomics) */
static long long clock_offset_ms, clock_synced_ms;

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
limiter_clock(const redisReply *r)
{
	long long sec, usec, now = mono_ms();

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    intval(r->element[0], &sec) == -1 ||
	    intval(r->element[1], &usec) == -1 || sec <= 0 || usec < 0)
		return -1;
	__atomic_store_n(
	    &clock_offset_ms, sec * 1000 + usec / 1000 - now, __ATOMIC_RELAXED);
	__atomic_store_n(&clock_synced_ms, now, __ATOMIC_RELAXED);
	return 0;
}

bool
limiter_clock_stale(void)
{
	long long t = __atomic_load_n(&clock_synced_ms, __ATOMIC_RELAXED);

	return t == 0 || mono_ms() - t > LIMITER_CLOCK_MS;
}

long long
limiter_now_ms(void)
{
	long long off = __atomic_load_n(&clock_offset_ms, __ATOMIC_RELAXED);
	struct timespec ts;

	/* never synced (the offset of Redis' epoch time to a clock counting
	 * from boot is never 0): this host's clock */
	if (off == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	return mono_ms() + off;
}
