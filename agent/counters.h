/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the backup writes for a record from the active: output counter
 * advanced (oseq-shift, or more with the adaptive shift; saturating at the
 * SA's counter width), input counter and replay bitmap as they are,
 * lifetimes as they are, and only ever upwards. Pure functions.
 */
#ifndef AGENT_COUNTERS_H
#define AGENT_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "xha_nl.h"

/* 2^64-1 for ESN SAs, 2^32-1 for the others. */
uint64_t counters_limit(uint8_t replay_mode);

/* oseq + shift, saturated at counters_limit(replay_mode). */
uint64_t counters_shift(uint64_t oseq, uint64_t shift, uint8_t replay_mode);

/*
 * The SA_SET request for a record: identity, oseq = rec.oseq + shift and
 * seq = rec.seq, each flagged in t->has only if non-zero (zero changes
 * nothing on an SA that has seen nothing, and a zero SEQ on an SA that
 * received packets would only be refused); the bitmap only together with
 * SEQ (it is relative to seq); the lifetimes whenever the record has them.
 */
void counters_target(const struct xha_sa *rec, uint64_t shift,
		     struct xha_sa *t);

/*
 * After -ERANGE: keep only what still raises something on the SA as it is
 * now (cur, from SA_GET; clamped to cur's counter width): OSEQ if above
 * cur's, SEQ if above cur's, or equal to it with a bitmap that sets a bit
 * cur lacks. BITMAP goes wherever SEQ goes. LIFETIME is always kept
 * (lower values are ignored by the kernel, never refused). Returns false
 * if nothing would change: then nothing needs to be written.
 */
bool counters_raise_only(const struct xha_sa *t, const struct xha_sa *cur,
			 struct xha_sa *out);

/*
 * Merge two records of the same SA (into and rec, in either order): the
 * higher oseq, the higher seq, the higher of each lifetime counter, and
 * the union of both replay windows relative to the higher seq (the older
 * window shifted by the seq difference; bits shifted past the window are
 * dropped). A record without a bitmap contributes its top (seq itself).
 */
void counters_merge(struct xha_sa *into, const struct xha_sa *rec);

/*
 * OR the window of src (src_words words, relative to src_seq) into dst
 * (dst_words words, relative to dst_seq >= src_seq). Pure bit arithmetic.
 */
void counters_bitmap_or(uint32_t *dst, unsigned int dst_words,
			uint64_t dst_seq, const uint32_t *src,
			unsigned int src_words, uint64_t src_seq);

#endif /* AGENT_COUNTERS_H */
