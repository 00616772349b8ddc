/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pulse - policyd's periodic Redis work on the store: the heartbeat
 * (common/beat.h, every BEAT_INTERVAL_MS, the first as soon as Redis is
 * up), and
 * Redis' clock learnt anew (TIME) when the last reading is old. What the
 * heartbeat learns goes to the store (store_set_nodes, _replicas).
 */
#ifndef FG_PULSE_H
#define FG_PULSE_H

#include <event2/event.h>

#include "store.h"

struct pulse;

/* pulse_new - on the store, with the store's config (store_conf) */
struct pulse *pulse_new(struct event_base *, struct store *);
void pulse_free(struct pulse *);
/* pulse_beat - a heartbeat now (Redis just came up) */
void pulse_beat(struct pulse *);

#endif
