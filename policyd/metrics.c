/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics - policyd's tallies and their HTTP endpoint.
 *
 * Entry points: metrics_new, metrics_free, metrics_listen,
 * metrics_answer, metrics_decision, metrics_block, metrics_write. Only
 * the event loop's thread touches them. Any other path than /metrics is
 * 404; the server answers GET and HEAD only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "metrics.h"
#include "prom.h"
#include "str.h"

#define METRICS_STATES (RS_ETRN + 1)

static const char *const metrics_actions[] = {"DUNNO", "DEFER_IF_PERMIT",
    "DEFER_IF_REJECT", "DEFER", "REJECT", "HOLD", "DISCARD", "WARN", "INFO",
    "4XX", "5XX", "OTHER"};
#define METRICS_ACTIONS                                                        \
	((int)(sizeof(metrics_actions) / sizeof(metrics_actions[0])))

static const char *const metrics_kinds[] = {"over", "blocked", "failure"};
#define METRICS_KINDS 3

struct metrics_rule {
	char name[64];
	uint64_t decisions[METRICS_KINDS];
	uint64_t blocks;
};

struct metrics {
	struct evhttp *http;
	metrics_more_fn *more;
	void *arg;
	uint64_t answers[METRICS_STATES][METRICS_ACTIONS];
	struct prom_hist latency;
	struct metrics_rule rule[METRICS_RULES + 1]; /* the last: "other" */
	int nrule;
};

struct metrics *
metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m != NULL)
		str_lcpy(m->rule[METRICS_RULES].name, "other",
		    sizeof(m->rule[0].name));
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m);
}

/* metrics_action - the index of action's first word */
static int
metrics_action(const char *a)
{
	size_t n = strcspn(a, " ");
	int i;

	if (n == 3 && (a[0] == '4' || a[0] == '5'))
		return a[0] == '4' ? 9 : 10;
	for (i = 0; i < 9; i++)
		if (strlen(metrics_actions[i]) == n &&
		    strncmp(a, metrics_actions[i], n) == 0)
			return i;
	return METRICS_ACTIONS - 1;
}

void
metrics_answer(
    struct metrics *m, enum request_state st, const char *action, uint64_t us)
{
	if ((int)st < 0 || (int)st >= METRICS_STATES)
		st = RS_UNKNOWN;
	m->answers[st][metrics_action(action)]++;
	prom_observe(&m->latency, us);
}

/* metrics_rule - the entry of rule name, made when there is room */
static struct metrics_rule *
metrics_rule(struct metrics *m, const char *name)
{
	int i;

	for (i = 0; i < m->nrule; i++)
		if (strcmp(m->rule[i].name, name) == 0)
			return &m->rule[i];
	if (m->nrule == METRICS_RULES ||
	    strlen(name) >= sizeof(m->rule[0].name))
		return &m->rule[METRICS_RULES];
	str_lcpy(m->rule[m->nrule].name, name, sizeof(m->rule[0].name));
	return &m->rule[m->nrule++];
}

void
metrics_decision(struct metrics *m, const char *rule, const char *decision)
{
	struct metrics_rule *r = metrics_rule(m, rule[0] ? rule : "-");
	int k;

	for (k = 0; k < METRICS_KINDS; k++)
		if (strcmp(decision, metrics_kinds[k]) == 0)
			r->decisions[k]++;
}

void
metrics_block(struct metrics *m, const char *rule)
{
	metrics_rule(m, rule[0] ? rule : "-")->blocks++;
}

void
metrics_write(struct metrics *m, struct evbuffer *b)
{
	const struct metrics_rule *r;
	int s, a, i, k;

	prom_family(b, "floodgate_policyd_answers_total", "counter",
	    "Policy answers by the request's protocol state and the action");
	for (s = 0; s < METRICS_STATES; s++)
		for (a = 0; a < METRICS_ACTIONS; a++)
			if (m->answers[s][a] > 0)
				prom_sample(b,
				    "floodgate_policyd_answers_total",
				    m->answers[s][a], "state",
				    request_state_name((enum request_state)s),
				    "action", metrics_actions[a], NULL);
	prom_family(b, "floodgate_policyd_decisions_total", "counter",
	    "Refusals by the rule that decided and the decision");
	for (i = 0; i <= METRICS_RULES; i++) {
		r = &m->rule[i];
		for (k = 0;
		     k < METRICS_KINDS && (i < m->nrule || i == METRICS_RULES);
		     k++)
			if (r->decisions[k] > 0)
				prom_sample(b,
				    "floodgate_policyd_decisions_total",
				    r->decisions[k], "rule", r->name,
				    "decision", metrics_kinds[k], NULL);
	}
	prom_family(b, "floodgate_policyd_blocks_written_total", "counter",
	    "Blocks this node wrote, by rule");
	for (i = 0; i <= METRICS_RULES; i++)
		if ((i < m->nrule || i == METRICS_RULES) &&
		    m->rule[i].blocks > 0)
			prom_sample(b, "floodgate_policyd_blocks_written_total",
			    m->rule[i].blocks, "rule", m->rule[i].name, NULL);
	prom_hist_write(b, "floodgate_policyd_answer_seconds",
	    "Time from a request read to its answer", &m->latency);
}

/* metrics_body - a scrape: the tallies, then the daemon's own */
static void
metrics_body(void *arg, struct evbuffer *b)
{
	struct metrics *m = arg;

	metrics_write(m, b);
	if (m->more != NULL)
		m->more(m->arg, b);
}

int
metrics_listen(struct metrics *m, struct event_base *base, const char *spec,
    metrics_more_fn *more, void *arg, char *err, size_t errsize)
{
	m->more = more;
	m->arg = arg;
	m->http = prom_listen(base, spec, "policyd.metrics_listen",
	    metrics_body, m, err, errsize);
	return m->http != NULL ? 0 : -1;
}
