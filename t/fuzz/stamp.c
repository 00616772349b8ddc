/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stamp - libFuzzer target: the milter's X-Floodgate-Origin verifier
 * (common/stamp.c stamp_verify) on any header value, and the stamps
 * stamp_format makes of any origin, which must verify under their key and
 * Message-ID and sender, and under no other key or sender; an unsigned
 * stamp never verifies. The input: a flags byte (bit 0 opaque, 1 a
 * process, 2 a uid, 3-4 the source, 5 the key), then NUL-separated: the
 * header value, Message-ID, sender, claimed script, auth, user, exe, cwd,
 * script, queue id and host.
 */
#include "fuzz.h"
#include "origin.h"
#include "stamp.h"

static const struct stamp_key stamp_keys[2] = {
    {"k1", "0123456789abcdef0123456789abcdef", 32},
    {"old-2", "fedcba9876543210", 16},
};

/* stamp_origin - o from the input's fields after the header value */
static void
stamp_origin(const uint8_t *data, size_t size, size_t *off, uint8_t flags,
    struct origin *o, char *host, size_t hostsize)
{
	memset(o, 0, sizeof(*o));
	o->src = (enum origin_src)((flags >> 3) & 3);
	o->uid = flags & 4 ? 1001 : -1;
	o->have_proc = (flags & 2) != 0;
	o->proc.pid = 4242;
	fuzz_take(data, size, off, o->sender, sizeof(o->sender));
	fuzz_take(data, size, off, o->claimed, sizeof(o->claimed));
	fuzz_take(data, size, off, o->auth, sizeof(o->auth));
	fuzz_take(data, size, off, o->user, sizeof(o->user));
	fuzz_take(data, size, off, o->proc.exe, sizeof(o->proc.exe));
	fuzz_take(data, size, off, o->proc.cwd, sizeof(o->proc.cwd));
	fuzz_take(data, size, off, o->proc.script, sizeof(o->proc.script));
	fuzz_take(data, size, off, o->qid, sizeof(o->qid));
	fuzz_take(data, size, off, host, hostsize);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char value[STAMP_MAX + 64], msgid[1200], host[300],
	    other[ORIGIN_TEXT_MAX + 1], out[STAMP_MAX];
	static struct origin o;
	struct stamp_facts f;
	uint8_t flags = size > 0 ? data[0] : 0;
	const struct stamp_key *k = &stamp_keys[(flags >> 5) & 1],
	                       *not_k = &stamp_keys[!((flags >> 5) & 1)];
	size_t off = size > 0 ? 1 : 0;
	bool opaque = flags & 1;

	fuzz_take(data, size, &off, value, sizeof(value));
	fuzz_take(data, size, &off, msgid, sizeof(msgid));
	stamp_origin(data, size, &off, flags, &o, host, sizeof(host));
	(void)stamp_verify(value, stamp_keys, 2, msgid, o.sender);
	origin_facts(&o, &f);
	snprintf(other, sizeof(other), "%sx", o.sender);
	if (stamp_format(out, sizeof(out), &f, host, 1795399976, opaque, k,
	        msgid) == 0) {
		FUZZ_CHECK(stamp_verify(out, stamp_keys, 2, msgid, o.sender));
		FUZZ_CHECK(!stamp_verify(out, not_k, 1, msgid, o.sender));
		FUZZ_CHECK(!stamp_verify(out, stamp_keys, 2, msgid, other));
	}
	if (stamp_format(out, sizeof(out), &f, host, 1795399976, opaque, NULL,
	        msgid) == 0)
		FUZZ_CHECK(!stamp_verify(out, stamp_keys, 2, msgid, o.sender));
	return 0;
}
