/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf - libFuzzer target: the config loader (common/conf.c: conflex,
 * libconfuse, confcheck, the copy into struct conf) on the input as
 * floodgate.conf (conf_load_text). A refusal names fuzz.conf and a line
 * of the input; a loaded config holds what conf.h promises; and since
 * libconfuse's lexer keeps global state, a reference config must load
 * after every input exactly as it did before the first.
 */
#include "conf.h"
#include "fuzz.h"

static const char conf_ref_text[] =
    "redis {\n    server = \"unix:/run/redis/redis-server.sock\"\n}\n"
    "policyd {\n    listen = { \"inet:127.0.0.1:10040\" }\n}\n"
    "limit \"sasl-hour\" {\n    subject = \"sasl\"\n    window = 3600\n"
    "    messages = 100\n    block_after = 10\n}\n"
    "limit \"ip-hour\" {\n    subject = \"ip\"\n    window = 1h\n"
    "    messages = 300\n}\n";

/* conf_loaded_ok - what a loaded config promises */
static void
conf_loaded_ok(const struct conf *c)
{
	char names[256];
	int i;

	FUZZ_CHECK(c->nlimits >= 0 && c->nlimits <= CONF_LIMITS_MAX);
	FUZZ_CHECK(
	    c->policyd.nlisten >= 1 && c->policyd.nlisten <= CONF_LISTEN_MAX);
	FUZZ_CHECK(c->node[0] != '\0');
	for (i = 0; i < c->nlimits; i++) {
		const struct conf_limit *l = &c->limits[i];

		FUZZ_CHECK(l->name[0] != '\0');
		FUZZ_CHECK((unsigned int)l->subject < SUBJECT_NTYPES);
		FUZZ_CHECK(l->window >= 1 && l->window <= 31 * 86400);
		FUZZ_CHECK(conf_limit_find(c, l->name) == l);
	}
	FUZZ_CHECK(
	    conf_restart_needed(c, c, "policyd", names, sizeof(names)) == 0);
}

/* conf_refused_ok - err is "fuzz.conf:LINE: ..." with a line of text */
static void
conf_refused_ok(const char *err, const uint8_t *data, size_t size)
{
	size_t i, lines = 1;
	int line = 0, n = 0;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (sscanf(err, "fuzz.conf:%d: %n", &line, &n) != 1 || n == 0) {
		fprintf(stderr, "error without its line: %s\n", err);
		FUZZ_CHECK(!"an error names fuzz.conf:LINE:");
	}
	if (line < 1 || (size_t)line > lines)
		fprintf(stderr, "line %d of %zu: %s\n", line, lines, err);
	FUZZ_CHECK(line >= 1 && (size_t)line <= lines);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_limit ref[CONF_LIMITS_MAX];
	static int nref = -1;
	char err[CONF_ERR_MAX];
	struct conf *c;

	if (nref == -1) {
		c = conf_load_text("ref.conf", conf_ref_text,
		    sizeof(conf_ref_text) - 1, err, sizeof(err));
		FUZZ_CHECK(c != NULL && c->nlimits == 2);
		memcpy(ref, c->limits, sizeof(ref));
		nref = c->nlimits;
		conf_free(c);
	}
	c = conf_load_text(
	    "fuzz.conf", (const char *)data, size, err, sizeof(err));
	if (c != NULL)
		conf_loaded_ok(c);
	else
		conf_refused_ok(err, data, size);
	conf_free(c);
	c = conf_load_text("ref.conf", conf_ref_text, sizeof(conf_ref_text) - 1,
	    err, sizeof(err));
	if (c == NULL)
		fprintf(stderr, "the reference config: %s\n", err);
	FUZZ_CHECK(c != NULL && c->nlimits == nref);
	FUZZ_CHECK(memcmp(c->limits, ref, sizeof(ref)) == 0);
	conf_free(c);
	return 0;
}
