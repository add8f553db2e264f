/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The adaptive oseq shift (backup only). For each SA the backup hears of,
 * an estimate of the active node's output packet rate, taken from the
 * records: the oseq delta over the time between two records, as
 * max(last interval, EWMA) so that it follows an increase at once and a
 * decrease slowly. The backup's oseq is kept at least
 *
 *   advance(now) = max(oseq-shift, rate x (min(now - last, horizon) + margin))
 *
 * ahead of the last record's oseq: written with a lookahead, re-raised
 * shortly before the lookahead runs out (about one write per sending SA
 * per lookahead), and once more, without lookahead, at takeover. The
 * horizon bounds how far an SA that went quiet is extrapolated. Pure
 * logic: time is passed in (milliseconds), writes go through a callback.
 */
#ifndef AGENT_SHIFT_H
#define AGENT_SHIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xha_nl.h"

/* Below this, two records do not make a rate sample (same scan, bulk). */
#define SHIFT_MIN_INTERVAL_MS 50

struct shift_params {
	uint32_t base;		/* oseq-shift: the least advance */
	uint32_t margin_ms;	/* adaptive-shift-margin */
	uint32_t lookahead_ms;	/* written this far ahead of the need */
	uint32_t refresh_ms;	/* re-raised when less than this is left */
	uint32_t horizon_ms;	/* extrapolated at most this far */
	uint32_t expire_ms;	/* entries not heard of this long go */
	size_t max_entries;
	/* shift_tick's budget (0: the defaults below): it visits at most
	 * tick_visits due entries and writes at most tick_writes; what is
	 * left is due at the next tick. */
	size_t tick_visits;
	size_t tick_writes;
};

#define SHIFT_TICK_VISITS 65536
#define SHIFT_TICK_WRITES 4096

struct shift_stats {
	uint64_t over;		/* SAs that needed more than oseq-shift */
	uint64_t raises;	/* re-raises from the timer */
	uint64_t takeover_raises; /* final advances written at takeover */
	uint64_t full;		/* records not tracked: table full */
	uint64_t expired;	/* entries dropped, not heard of */
};

/* One write: identity, the oseq to write, and why. */
struct shift_write {
	struct xha_sa sa;	/* identity, replay_mode, oseq, oseq_min */
	uint64_t advance;	/* over the last record's oseq */
	double rate;		/* packets per second */
	bool newly_over;	/* first time this SA needs more than base */
};

struct shift;

struct shift *shift_new(const struct shift_params *p);
void shift_free(struct shift *sh);
/* Forget every SA (the node became active); statistics stay. */
void shift_clear(struct shift *sh);
size_t shift_count(const struct shift *sh);
/* New parameters (a reload): entries and rates stay; each SA's next
 * record or re-raise uses them. */
void shift_set_params(struct shift *sh, const struct shift_params *p);
const struct shift_stats *shift_get_stats(const struct shift *sh);

/*
 * A record arrived at now: track its SA, update the rate. A record whose
 * oseq is below the last one (reordered) changes nothing. Returns 0, or
 * -ENOSPC when the table is full (the SA gets oseq-shift only).
 */
int shift_observe(struct shift *sh, const struct xha_sa *rec, uint64_t now);

/*
 * The oseq to write for rec's SA at now, with the lookahead if ahead:
 * never below rec.oseq + base (saturated at the SA's width). w, if not
 * NULL, is filled for logging (newly_over: the first time the need,
 * without lookahead, exceeds base; counted in the statistics).
 */
uint64_t shift_target(struct shift *sh, const struct xha_sa *rec,
		      uint64_t now, bool ahead, struct shift_write *w);

/* The kernel now holds at least oseq for this SA. */
void shift_written(struct shift *sh, const struct xha_sa *id, uint64_t oseq,
		   uint64_t now);

/*
 * Writes one oseq (w->sa), or queues it for a batch. Returns 0 when the
 * kernel holds (or, queued, will hold) at least that much afterwards
 * (also when it already did), or a negative errno: the SA is tried again
 * a second later. A queued write that fails: shift_write_failed().
 */
typedef int (*shift_write_cb)(void *arg, const struct shift_write *w);

/* A write cb accepted failed after all: tried again a second later. */
void shift_write_failed(struct shift *sh, const struct xha_sa *id,
			uint64_t now);

/*
 * Timer: re-raise the SAs whose lookahead is running out (less than
 * refresh_ms left), drop those not heard of for expire_ms. Only the SAs
 * due are looked at, the earliest first (entries wait in a heap by due
 * time: an idle SA costs a tick nothing). Within the budget (tick_visits,
 * tick_writes): the rest is still due at the next call; each SA is
 * looked at most once per call.
 */
void shift_tick(struct shift *sh, uint64_t now, shift_write_cb cb, void *arg);

/*
 * Takeover: write the final advance (no lookahead) of every SA whose
 * written oseq is below it. Returns how many were written; *over counts
 * the SAs whose final advance exceeds base.
 */
unsigned int shift_takeover(struct shift *sh, uint64_t now, shift_write_cb cb,
			    void *arg, unsigned int *over);

#endif /* AGENT_SHIFT_H */
