/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * queue - floodgate queue SUBJECT [--hold | --release | --delete --yes]:
 * a subject's messages in this node's Postfix queue (common/admin/qscan.c,
 * matched by common/admin/qmatch.c), listed oldest first, then held,
 * released or deleted with postsuper (common/admin/postfix.c), which
 * says how many it acted on. Every argument is checked, and the whole
 * queue read, before postsuper runs; nothing else writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "out.h"
#include "postfix.h"
#include "qmatch.h"
#include "qscan.h"
#include "queue.h"

enum queue_act { QUEUE_LIST, QUEUE_HOLD, QUEUE_RELEASE, QUEUE_DELETE };

struct queue_row {
	char id[40];
	const char *queue; /* qscan's static names */
	long long arrival, size;
	int rcpts;
	char *sender;
};

struct queue_found {
	struct qmatch q;
	struct queue_row *rows;
	size_t n, cap;
};

static const struct out_col queue_text_cols[] = {
    {"QUEUE_ID", "id", false},
    {"QUEUE", "queue", false},
    {"AGE", "age", false},
    {"SENDER", "sender", false},
    {"RCPTS", "rcpts", true},
    {"SIZE", "size", true},
};

static const struct out_col queue_json_cols[] = {
    {"QUEUE_ID", "id", false},
    {"QUEUE", "queue", false},
    {"ARRIVAL", "arrival", true},
    {"AGE", "age", true},
    {"SENDER", "sender", false},
    {"RCPTS", "rcpts", true},
    {"SIZE", "size", true},
};

/* queue_take - qscan's callback: keep m when it is the subject's */
static int
queue_take(
    void *arg, const char *queue, const char *id, const struct qfile_msg *m)
{
	struct queue_found *f = arg;
	struct queue_row *r;

	if (!qmatch_test(&f->q, id, m))
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap > 0 ? 2 * f->cap : 64;

		if ((r = reallocarray(f->rows, cap, sizeof(*r))) == NULL) {
			ctx_error("out of memory");
			return -1;
		}
		f->rows = r;
		f->cap = cap;
	}
	r = &f->rows[f->n];
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->queue = queue;
	r->arrival = m->arrival;
	r->size = m->size;
	r->rcpts = m->rcpts;
	if ((r->sender = strdup(m->sender)) == NULL) {
		ctx_error("out of memory");
		return -1;
	}
	f->n++;
	return 0;
}

/* queue_by_id - for finding a message seen twice (moved mid-scan) */
static int
queue_by_id(const void *a, const void *b)
{
	return strcmp(((const struct queue_row *)a)->id,
	    ((const struct queue_row *)b)->id);
}

/* queue_by_age - oldest first, then by id */
static int
queue_by_age(const void *a, const void *b)
{
	const struct queue_row *x = a, *y = b;

	if (x->arrival != y->arrival)
		return x->arrival < y->arrival ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* queue_sort - one row a queue id, oldest first */
static void
queue_sort(struct queue_found *f)
{
	size_t i, k = 0;

	if (f->n == 0)
		return; /* rows is NULL then, which qsort may not be given */
	qsort(f->rows, f->n, sizeof(*f->rows), queue_by_id);
	for (i = 0; i < f->n; i++) {
		if (k > 0 && strcmp(f->rows[k - 1].id, f->rows[i].id) == 0) {
			free(f->rows[i].sender);
			continue;
		}
		f->rows[k++] = f->rows[i];
	}
	f->n = k;
	qsort(f->rows, f->n, sizeof(*f->rows), queue_by_age);
}

/* queue_list - the rows as a table or JSON lines; 0 or -1 (said) */
static int
queue_list(const struct ctx *x, const struct queue_found *f)
{
	char arrival[32], age[32], rcpts[16], size[32];
	const char *v[7];
	long long now = (long long)time(NULL);
	struct out *o;
	size_t i;
	int rc = 0;

	o = out_new(x->json ? "message" : NULL, NULL, x->json ? 7 : 6,
	    x->json ? queue_json_cols : queue_text_cols, x->json);
	if (o == NULL) {
		ctx_error("out of memory");
		return -1;
	}
	for (i = 0; i < f->n && rc == 0; i++) {
		const struct queue_row *r = &f->rows[i];
		long long secs = r->arrival >= 0 ? now - r->arrival : -1;
		int k = 0;

		snprintf(arrival, sizeof(arrival), "%lld", r->arrival);
		if (x->json)
			snprintf(age, sizeof(age), "%lld", secs);
		else
			ctx_age(secs, age, sizeof(age));
		snprintf(rcpts, sizeof(rcpts), "%d", r->rcpts);
		snprintf(size, sizeof(size), "%lld", r->size);
		v[k++] = r->id;
		v[k++] = r->queue;
		if (x->json)
			v[k++] = arrival;
		v[k++] = age;
		v[k++] = x->json || r->sender[0] != '\0' ? r->sender : "<>";
		v[k++] = rcpts;
		v[k++] = size;
		if (out_row(o, v) == -1) {
			ctx_error("out of memory");
			rc = -1;
		}
	}
	out_end(o);
	return rc;
}

/* queue_act - postsuper on the rows act applies to; the count said;
 * 0 or -1 (said) */
static int
queue_act(const struct ctx *x, const struct queue_found *f, enum queue_act act)
{
	static const char *const name[] = {"", "hold", "release", "delete"};
	static const char *const done_as[] = {
	    "", "held", "released", "deleted"};
	static const enum postfix_act pact[] = {
	    POSTFIX_HOLD, POSTFIX_HOLD, POSTFIX_RELEASE, POSTFIX_DELETE};
	const char **ids = calloc(f->n + 1, sizeof(*ids));
	char err[1024];
	size_t i, n = 0;
	long long done;

	if (ids == NULL) {
		ctx_error("out of memory");
		return -1;
	}
	for (i = 0; i < f->n; i++) {
		bool held = strcmp(f->rows[i].queue, "hold") == 0;

		if (act == QUEUE_DELETE || (act == QUEUE_HOLD && !held) ||
		    (act == QUEUE_RELEASE && held))
			ids[n++] = f->rows[i].id;
	}
	done = 0;
	if (n > 0 &&
	    postfix_super(pact[act], ids, n, &done, err, sizeof(err)) == -1) {
		ctx_error("queue: %s: %s", name[act], err);
		free(ids);
		return -1;
	}
	free(ids);
	if (x->json) {
		fputs("{\"kind\":\"action\",\"subject\":", stdout);
		out_json_str(f->q.t.name);
		printf(",\"action\":\"%s\",\"matched\":%zu,\"asked\":%zu,"
		       "\"done\":%lld}\n",
		    name[act], f->n, n, done);
	} else {
		printf("%s %lld of %zu message%s", done_as[act], done, n,
		    n == 1 ? "" : "s");
		if (n < f->n)
			printf("; %zu %s", f->n - n,
			    act == QUEUE_HOLD ? "already on hold"
			                      : "not on hold");
		putchar('\n');
	}
	fflush(stdout);
	return 0;
}

/* queue_args - argv into the subject and the action; 0 or -1 (said) */
static int
queue_args(int argc, char **argv, const char **subject, enum queue_act *act)
{
	static const char usage[] =
	    "usage: floodgate queue SUBJECT [--hold | --release | --delete "
	    "--yes]";
	bool yes = false;
	int i;

	*subject = NULL;
	*act = QUEUE_LIST;
	for (i = 1; i < argc; i++) {
		enum queue_act a = QUEUE_LIST;

		if (strcmp(argv[i], "--yes") == 0) {
			yes = true;
			continue;
		}
		if (strcmp(argv[i], "--hold") == 0)
			a = QUEUE_HOLD;
		else if (strcmp(argv[i], "--release") == 0)
			a = QUEUE_RELEASE;
		else if (strcmp(argv[i], "--delete") == 0)
			a = QUEUE_DELETE;
		else if (argv[i][0] == '-' || *subject != NULL) {
			ctx_error("%s", usage);
			return -1;
		} else {
			*subject = argv[i];
			continue;
		}
		if (*act != QUEUE_LIST) {
			ctx_error("queue: one of --hold, --release, --delete");
			return -1;
		}
		*act = a;
	}
	if (*subject == NULL) {
		ctx_error("%s", usage);
		return -1;
	}
	if (yes != (*act == QUEUE_DELETE)) {
		ctx_error(yes ? "queue: --yes goes with --delete only"
		              : "queue: --delete cannot be undone: add --yes");
		return -1;
	}
	return 0;
}

int
queue_main(struct ctx *x, int argc, char **argv)
{
	static struct queue_found f;
	char qdir[POSTFIX_PATH_MAX], why[1024];
	const char *subject;
	enum queue_act act;
	size_t i;
	int rc = CTX_ERR;

	memset(&f, 0, sizeof(f));
	if (queue_args(argc, argv, &subject, &act) == -1)
		return CTX_ERR;
	if (qmatch_init(&f.q, x->c, subject, why, sizeof(why)) == -1) {
		ctx_error("%s", why);
		qmatch_clear(&f.q);
		return CTX_ERR;
	}
	if (postfix_queue_dir(qdir, sizeof(qdir), why, sizeof(why)) == -1)
		ctx_error("queue: %s", why);
	else if (qscan_run(qdir, QSCAN_FILES_MAX, queue_take, &f) == 0) {
		queue_sort(&f);
		rc = f.n == 0 ? CTX_NONE : CTX_OK;
		if (f.n == 0 && !x->json)
			printf("no message of %s in the queue\n", f.q.t.name);
		else if (f.n > 0 && queue_list(x, &f) == -1)
			rc = CTX_ERR;
		if (rc == CTX_OK && act != QUEUE_LIST &&
		    queue_act(x, &f, act) == -1)
			rc = CTX_ERR;
	}
	qmatch_clear(&f.q);
	for (i = 0; i < f.n; i++)
		free(f.rows[i].sender);
	free(f.rows);
	return rc;
}
