/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the backup writes for a record from the active: output counter
 * shifted by oseq-shift (saturating at the SA's counter width), input
 * counter as is, and only ever upwards. Pure functions.
 */
#ifndef AGENT_COUNTERS_H
#define AGENT_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "xha_nl.h"

/* 2^64-1 for ESN SAs, 2^32-1 for the others. */
uint64_t counters_limit(uint8_t replay_mode);

/* oseq + shift, saturated at counters_limit(replay_mode). */
uint64_t counters_shift(uint64_t oseq, uint32_t shift, uint8_t replay_mode);

/*
 * The SA_SET request for a record: identity, oseq = rec.oseq + shift and
 * seq = rec.seq, each flagged in t->has only if non-zero (zero changes
 * nothing on an SA that has seen nothing, and a zero SEQ on an SA that
 * received packets would only be refused).
 */
void counters_target(const struct xha_sa *rec, uint32_t shift,
		     struct xha_sa *t);

/*
 * After -ERANGE: keep only the counters of t that are above the SA's
 * current ones (cur, from SA_GET; clamped to cur's counter width).
 * Returns false if nothing is left to write.
 */
bool counters_raise_only(const struct xha_sa *t, const struct xha_sa *cur,
			 struct xha_sa *out);

/* Merge a newer record for the same SA: the higher of each counter. */
void counters_merge(struct xha_sa *into, const struct xha_sa *rec);

#endif /* AGENT_COUNTERS_H */
