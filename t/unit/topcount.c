/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * topcount - the "who sends most" counts: added up per subject and
 * minute in memory, written as one ZADD of the busiest subjects per type
 * into the node's set, the node in the minute's set of nodes, TTLs;
 * the last minute's final counts at a new one; bounded; exact under
 * concurrent adds.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "topcount.h"
#include "topset.h"

#define MIN(m) (60000LL * (m) + 5000) /* a time in minute m */

/* line - command i of f as one line (cut) */
static const char *
line(const struct topcount_flush *f, int i)
{
	static char buf[4096];
	int a;

	buf[0] = '\0';
	for (a = 0; a < f->argc[i] && strlen(buf) < sizeof(buf) - 64; a++)
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
		topcount_add(SUBJECT_UID, "web42", 1, MIN(40));
	for (i = 0; i < 100; i++) {
		snprintf(v, sizeof(v), "user%d", i);
		topcount_add(SUBJECT_UID, v, 1, MIN(40));
	}
	return NULL;
}

int
main(void)
{
	struct topcount_flush *f;
	pthread_t t[4];
	char v[32];
	int i;

	ok(topcount_take("fg:", "mx1", MIN(10)) == NULL,
	    "nothing counted: nothing written");
	topcount_add(SUBJECT_SASL, "alice@example.com", 1, MIN(10));
	topcount_add(SUBJECT_SASL, "alice@example.com", 1, MIN(10));
	topcount_add(SUBJECT_SASL, "bob@example.com", 3, MIN(10));
	topcount_add(SUBJECT_IP, "203.0.113.7", 1, MIN(10));
	topcount_add(SUBJECT_SASL, "carol@example.com", 0, MIN(10));
	topcount_add(SUBJECT_SASL, "", 1, MIN(10));
	f = topcount_take("fg:", "mx1", MIN(10));
	ok(f != NULL, "a write");
	is_int(f->ncmd, 8, "2 types: ZADD, EXPIRE, SADD, EXPIRE each");
	ok(has(f,
	       "ZADD fg:{top:sasl}:10:mx1 3 bob@example.com 2 "
	       "alice@example.com"),
	    "one ZADD: this minute's counts, busiest first");
	ok(has(f, "EXPIRE fg:{top:sasl}:10:mx1 " TOPSET_TTL_S),
	    "the node's set expires");
	ok(has(f, "SADD fg:{top:sasl}:10 mx1") &&
	        has(f, "EXPIRE fg:{top:sasl}:10 " TOPSET_TTL_S),
	    "the node in the minute's set of nodes, which expires");
	ok(has(f, "ZADD fg:{top:ip}:10:mx1 1 203.0.113.7"), "the ip's own set");
	topcount_free(f);
	ok(topcount_take("fg:", "mx1", MIN(10)) == NULL,
	    "nothing new: nothing written");
	topcount_add(SUBJECT_SASL, "alice@example.com", 5, MIN(10));
	f = topcount_take("fg:", "mx1", MIN(10));
	ok(f != NULL &&
	        has(f,
	            "ZADD fg:{top:sasl}:10:mx1 7 alice@example.com "
	            "3 bob@example.com"),
	    "the minute's counts so far (absolute: a lost write loses "
	    "nothing)");
	is_int(f != NULL ? f->ncmd : 0, 8, "every type of the minute again");
	topcount_free(f);

	/* a new minute: the last one's final counts, then the new one's */
	topcount_add(SUBJECT_SASL, "alice@example.com", 1, MIN(10) + 50000);
	topcount_add(SUBJECT_SASL, "dave@example.com", 2, MIN(11));
	f = topcount_take("fg:", "mx1", MIN(11));
	ok(f != NULL &&
	        has(f,
	            "ZADD fg:{top:sasl}:10:mx1 8 alice@example.com "
	            "3 bob@example.com"),
	    "a new minute: minute 10's last counts written");
	ok(f != NULL && has(f, "ZADD fg:{top:sasl}:11:mx1 2 dave@example.com"),
	    "and minute 11's from zero");
	topcount_free(f);
	f = topcount_take("fg:", "mx1", MIN(12));
	ok(f == NULL, "a minute with nothing: nothing written");

	/* the busiest TOPCOUNT_SEND only; TOPCOUNT_MAX subjects a minute */
	for (i = 0; i < TOPCOUNT_MAX + 10; i++) {
		snprintf(v, sizeof(v), "u%d", i);
		topcount_add(SUBJECT_UID, v, i == 77 ? 1000 : 1, MIN(20));
	}
	topcount_add(SUBJECT_UID, "u0", 1, MIN(20));
	is_int((long long)topcount_dropped(), 10,
	    "10 subjects over the bound dropped");
	f = topcount_take("fg:", "mx1", MIN(20));
	ok(f != NULL && f->argc[0] == 2 + 2 * TOPCOUNT_SEND,
	    "one ZADD of TOPCOUNT_SEND subjects");
	ok(f != NULL &&
	        strncmp(line(f, 0),
	            "ZADD fg:{top:uid}:20:mx1 1000 u77 2 u0 1 u", 41) == 0,
	    "the busiest first, a subject already there counted when full");
	topcount_free(f);

	/* exact with four threads adding at once */
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	f = topcount_take("fg:", "mx1", MIN(40));
	ok(f != NULL &&
	        strncmp(line(f, 0),
	            "ZADD fg:{top:uid}:40:mx1 40000 web42 4 user", 43) == 0,
	    "4 threads x 10000: 40000 exactly, each other user 4");
	ok(f != NULL && f->argc[0] == 2 + 2 * TOPCOUNT_SEND,
	    "the busiest TOPCOUNT_SEND of 101");
	topcount_free(f);
	return tap_done();
}
