/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topcount - the "who sends most" counts: added up per subject in
 * memory, taken whole as ZINCRBY and EXPIRE commands into the minute's
 * sets (common/topset.h), bounded, exact under concurrent adds.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "topcount.h"
#include "topset.h"

/* line - command i of f as one line */
static const char *
line(const struct topcount_flush *f, int i)
{
	static char buf[512];
	int a;

	buf[0] = '\0';
	for (a = 0; a < f->argc[i]; a++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    a > 0 ? " " : "", f->argv[i][a]);
	return buf;
}

/* has - some command of f is s */
static int
has(const struct topcount_flush *f, const char *s)
{
	int i;

	for (i = 0; i < f->ncmd; i++)
		if (strcmp(line(f, i), s) == 0)
			return 1;
	return 0;
}

/* adder - 10000 messages of one subject and 1 each of 100 others */
static void *
adder(void *arg)
{
	char v[32];
	int i;

	(void)arg;
	for (i = 0; i < 10000; i++)
		topcount_add(SUBJECT_UID, "web42", 1);
	for (i = 0; i < 100; i++) {
		snprintf(v, sizeof(v), "user%d", i);
		topcount_add(SUBJECT_UID, v, 1);
	}
	return NULL;
}

int
main(void)
{
	const long long now = 60000LL * 30000030 + 5000; /* minute 30000030 */
	struct topcount_flush *f;
	pthread_t t[4];
	char v[32];
	int i;

	ok(topcount_take("fg:", now) == NULL, "nothing counted: no flush");
	topcount_add(SUBJECT_SASL, "alice@example.com", 1);
	topcount_add(SUBJECT_SASL, "alice@example.com", 1);
	topcount_add(SUBJECT_SASL, "bob@example.com", 3);
	topcount_add(SUBJECT_IP, "203.0.113.7", 1);
	topcount_add(SUBJECT_SASL, "carol@example.com", 0);
	topcount_add(SUBJECT_SASL, "", 1);
	f = topcount_take("fg:", now);
	ok(f != NULL, "a flush");
	is_int(f->ncmd, 5, "3 subjects, 2 sets: 5 commands");
	ok(has(f, "ZINCRBY fg:{top:sasl}:30000030 2 alice@example.com"),
	    "alice's 2 messages in one ZINCRBY");
	ok(has(f, "ZINCRBY fg:{top:sasl}:30000030 3 bob@example.com"),
	    "bob's 3");
	ok(has(f, "ZINCRBY fg:{top:ip}:30000030 1 203.0.113.7"),
	    "the ip in its type's set");
	ok(has(f, "EXPIRE fg:{top:sasl}:30000030 " TOPSET_TTL_S) &&
	        has(f, "EXPIRE fg:{top:ip}:30000030 " TOPSET_TTL_S),
	    "each set written gets its TTL");
	is_str(line(f, f->ncmd - 1), "EXPIRE fg:{top:ip}:30000030 300",
	    "after the counts");
	topcount_free(f);
	ok(topcount_take("fg:", now) == NULL, "taken whole: nothing left");

	/* bounded: TOPCOUNT_MAX subjects, the rest dropped and counted */
	for (i = 0; i < TOPCOUNT_MAX + 10; i++) {
		snprintf(v, sizeof(v), "u%d", i);
		topcount_add(SUBJECT_UID, v, 1);
	}
	topcount_add(SUBJECT_UID, "u0", 1);
	is_int((long long)topcount_dropped(), 10,
	    "10 subjects over the bound dropped");
	f = topcount_take("fg:", now);
	is_int(
	    f->ncmd, TOPCOUNT_MAX + 1, "the bound's subjects and one EXPIRE");
	ok(has(f, "ZINCRBY fg:{top:uid}:30000030 2 u0"),
	    "a subject already there still counts when full");
	topcount_free(f);

	/* exact with four threads adding at once */
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	f = topcount_take("fg:", now);
	ok(has(f, "ZINCRBY fg:{top:uid}:30000030 40000 web42"),
	    "4 threads x 10000: 40000 exactly");
	ok(has(f, "ZINCRBY fg:{top:uid}:30000030 4 user99"), "and 4 of user99");
	is_int(f->ncmd, 102, "101 subjects and one EXPIRE");
	topcount_free(f);
	return tap_done();
}
