// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "sakey.h"
#include "shift.h"

#define SHIFT_BUCKETS 65536
#define SHIFT_RETRY_MS 1000	/* after a failed write */
#define NEVER UINT64_MAX

struct sentry {
	struct sentry *next;
	struct sa_key key;
	uint8_t replay_mode;
	bool over;		/* counted in stats.over already */
	bool report;		/* ...and not reported yet */
	uint64_t last_oseq;	/* highest oseq a record carried */
	uint64_t last_ms;	/* when that record arrived */
	uint64_t base_oseq;	/* start of the current rate interval */
	uint64_t base_ms;
	double rate;		/* packets per second: max(interval, ewma) */
	double ewma;
	uint64_t written;	/* the kernel holds at least this */
	uint64_t next_ms;	/* re-raise due */
};

struct shift {
	struct shift_params p;
	struct shift_stats st;
	size_t count;
	unsigned int cursor;	/* shift_tick goes on from this bucket */
	struct sentry *buckets[SHIFT_BUCKETS];
};

struct shift *shift_new(const struct shift_params *p)
{
	struct shift *sh = calloc(1, sizeof(*sh));

	if (sh) {
		sh->p = *p;
		if (!sh->p.tick_visits)
			sh->p.tick_visits = SHIFT_TICK_VISITS;
		if (!sh->p.tick_writes)
			sh->p.tick_writes = SHIFT_TICK_WRITES;
	}
	return sh;
}

void shift_clear(struct shift *sh)
{
	struct sentry *e, *next;
	unsigned int i;

	if (!sh->count)
		return;
	for (i = 0; i < SHIFT_BUCKETS; i++) {
		for (e = sh->buckets[i]; e; e = next) {
			next = e->next;
			free(e);
		}
		sh->buckets[i] = NULL;
	}
	sh->count = 0;
}

void shift_free(struct shift *sh)
{
	if (!sh)
		return;
	shift_clear(sh);
	free(sh);
}

size_t shift_count(const struct shift *sh)
{
	return sh->count;
}

const struct shift_stats *shift_get_stats(const struct shift *sh)
{
	return &sh->st;
}

static struct sentry **find(struct shift *sh, const struct xha_sa *sa,
			    struct sa_key *k)
{
	struct sentry **pe;

	sa_key_make(sa, k);
	pe = &sh->buckets[sa_key_hash(k, SHIFT_BUCKETS)];
	while (*pe && memcmp(&(*pe)->key, k, sizeof(*k)))
		pe = &(*pe)->next;
	return pe;
}

static void mark_over(struct shift *sh, struct sentry *e)
{
	e->over = true;
	e->report = true;
	sh->st.over++;
}

int shift_observe(struct shift *sh, const struct xha_sa *rec, uint64_t now)
{
	struct sa_key k;
	struct sentry **pe = find(sh, rec, &k), *e = *pe;
	uint64_t dt, gap;
	double sample;

	if (!e) {
		if (sh->count >= sh->p.max_entries ||
		    !(e = calloc(1, sizeof(*e)))) {
			sh->st.full++;
			return -ENOSPC;
		}
		e->key = k;
		e->replay_mode = rec->replay_mode;
		e->last_oseq = e->base_oseq = rec->oseq;
		e->last_ms = e->base_ms = now;
		e->next_ms = NEVER;	/* nothing written yet */
		*pe = e;
		sh->count++;
		return 0;
	}
	if (rec->oseq < e->last_oseq)
		return 0;	/* reordered: older than what we know */
	e->replay_mode = rec->replay_mode;
	gap = now > e->last_ms ? now - e->last_ms : 0;
	dt = now > e->base_ms ? now - e->base_ms : 0;
	if (dt >= SHIFT_MIN_INTERVAL_MS) {
		sample = (double)(rec->oseq - e->base_oseq) * 1000.0 /
			 (double)dt;
		/* EWMA with weight 1/4: an increase shows at once through
		 * the sample, a decrease takes a few records. */
		e->ewma = e->ewma > 0 ? e->ewma + (sample - e->ewma) / 4 :
					sample;
		e->rate = sample > e->ewma ? sample : e->ewma;
		e->base_oseq = rec->oseq;
		e->base_ms = now;
	}
	/* What a failover just before this record would have needed. */
	if (!e->over && e->rate * (double)(gap + sh->p.margin_ms) / 1000.0 >
				(double)sh->p.base)
		mark_over(sh, e);
	e->last_oseq = rec->oseq;
	e->last_ms = now;
	/* The need moved with the record: due again at once if the rate
	 * outgrew what was written. */
	if (e->written)
		e->next_ms = now;
	return 0;
}

/* Packets to cover rate x (min(now - last + extra, horizon) + margin). */
static uint64_t need(const struct shift *sh, const struct sentry *e,
		     uint64_t now, uint32_t extra_ms)
{
	uint64_t x = now > e->last_ms ? now - e->last_ms : 0;
	double n;

	x += extra_ms;
	if (x > sh->p.horizon_ms)
		x = sh->p.horizon_ms;
	x += sh->p.margin_ms;
	n = e->rate * (double)x / 1000.0;
	if (n >= 18446744073709549568.0)	/* largest double < 2^64 */
		return UINT64_MAX;
	return (uint64_t)n + (n > (double)(uint64_t)n);
}

static uint64_t advance(const struct shift *sh, const struct sentry *e,
			uint64_t now, uint32_t extra_ms)
{
	uint64_t n = need(sh, e, now, extra_ms);

	return n > sh->p.base ? n : sh->p.base;
}

static void fill(struct shift *sh, struct sentry *e, uint64_t now,
		 uint32_t extra_ms, struct shift_write *w)
{
	w->advance = advance(sh, e, now, extra_ms);
	sa_key_to_sa(&e->key, &w->sa);
	w->sa.replay_mode = e->replay_mode;
	w->sa.oseq = counters_shift(e->last_oseq, w->advance, e->replay_mode);
	/*
	 * What the active node may have sent by now (no lookahead, no
	 * oseq-shift slack): the module's wrap guard may give up the rest to
	 * leave room below 2^32, never this.
	 */
	w->sa.has = XHA_SA_HAS_OSEQ;
	/* No rate yet: nothing of the advance is known to be slack. */
	if (e->rate > 0) {
		w->sa.oseq_min = counters_shift(e->last_oseq,
						need(sh, e, now, 0),
						e->replay_mode);
		if (w->sa.oseq_min > w->sa.oseq)
			w->sa.oseq_min = w->sa.oseq;
		w->sa.has |= XHA_SA_HAS_OSEQ_MIN;
	}
	w->rate = e->rate;
	if (!e->over && need(sh, e, now, 0) > sh->p.base)
		mark_over(sh, e);
	w->newly_over = e->report;
	e->report = false;
}

uint64_t shift_target(struct shift *sh, const struct xha_sa *rec,
		      uint64_t now, bool ahead, struct shift_write *w)
{
	uint64_t floor = counters_shift(rec->oseq, sh->p.base,
					rec->replay_mode);
	struct shift_write tmp;
	struct sa_key k;
	struct sentry *e = *find(sh, rec, &k);

	if (!w)
		w = &tmp;
	if (!e) {
		memset(w, 0, sizeof(*w));
		w->advance = sh->p.base;
		return floor;
	}
	fill(sh, e, now, ahead ? sh->p.lookahead_ms : 0, w);
	return w->sa.oseq > floor ? w->sa.oseq : floor;
}

/*
 * When the need plus refresh_ms reaches what was written: the time t at
 * which rate x (t - last + margin + refresh) = written - last_oseq.
 */
static void schedule(struct shift *sh, struct sentry *e)
{
	double t;

	if (e->rate <= 0 || e->written <= e->last_oseq) {
		e->next_ms = e->rate > 0 ? e->last_ms : NEVER;
		return;
	}
	t = (double)e->last_ms +
	    (double)(e->written - e->last_oseq) * 1000.0 / e->rate -
	    (double)sh->p.margin_ms - (double)sh->p.refresh_ms;
	if (t > (double)e->last_ms + sh->p.horizon_ms)
		e->next_ms = NEVER;	/* covers the horizon already */
	else
		e->next_ms = t < (double)e->last_ms ? e->last_ms :
						     (uint64_t)t;
}

void shift_written(struct shift *sh, const struct xha_sa *id, uint64_t oseq,
		   uint64_t now)
{
	struct sa_key k;
	struct sentry *e = *find(sh, id, &k);

	(void)now;
	if (!e)
		return;
	if (oseq > e->written)
		e->written = oseq;
	schedule(sh, e);
}

static void remove_entry(struct shift *sh, struct sentry **pe)
{
	struct sentry *e = *pe;

	*pe = e->next;
	free(e);
	sh->count--;
}

void shift_write_failed(struct shift *sh, const struct xha_sa *id,
			uint64_t now)
{
	struct sa_key k;
	struct sentry *e = *find(sh, id, &k);

	if (!e)
		return;
	/* What the kernel holds is unknown: at least what a record's write
	 * left there, which shift_written() reports again. */
	e->written = 0;
	e->next_ms = now + SHIFT_RETRY_MS;
}

/* One entry's turn; true if it was written (or queued). */
static bool tick_one(struct shift *sh, struct sentry *e, uint64_t now,
		     shift_write_cb cb, void *arg)
{
	struct shift_write w;

	if (now < e->next_ms)
		return false;
	fill(sh, e, now, sh->p.lookahead_ms, &w);
	if (w.sa.oseq <= e->written) {
		schedule(sh, e);
		if (e->next_ms <= now)
			e->next_ms = NEVER;
		return false;
	}
	if (cb(arg, &w) < 0) {
		e->next_ms = now + SHIFT_RETRY_MS;
		return true;
	}
	sh->st.raises++;
	e->written = w.sa.oseq;
	schedule(sh, e);
	if (e->next_ms <= now)
		e->next_ms = now + SHIFT_RETRY_MS;
	return true;
}

void shift_tick(struct shift *sh, uint64_t now, shift_write_cb cb, void *arg)
{
	struct sentry **pe, *e;
	size_t visits = 0, writes = 0;
	unsigned int b;

	if (!sh->count)
		return;
	/* Whole buckets (a few entries each), from where the last tick
	 * stopped, at most once round the table. */
	for (b = 0; b < SHIFT_BUCKETS; b++) {
		if (visits >= sh->p.tick_visits || writes >= sh->p.tick_writes)
			break;
		pe = &sh->buckets[sh->cursor];
		sh->cursor = (sh->cursor + 1) % SHIFT_BUCKETS;
		while ((e = *pe)) {
			visits++;
			if (now > e->last_ms &&
			    now - e->last_ms > sh->p.expire_ms) {
				sh->st.expired++;
				remove_entry(sh, pe);
				continue;
			}
			pe = &e->next;
			writes += tick_one(sh, e, now, cb, arg);
		}
	}
}

unsigned int shift_takeover(struct shift *sh, uint64_t now, shift_write_cb cb,
			    void *arg, unsigned int *over)
{
	struct shift_write w;
	struct sentry *e;
	unsigned int i, n = 0;

	*over = 0;
	if (!sh->count)
		return 0;
	for (i = 0; i < SHIFT_BUCKETS; i++)
		for (e = sh->buckets[i]; e; e = e->next) {
			fill(sh, e, now, 0, &w);
			if (w.advance > sh->p.base)
				(*over)++;
			if (w.sa.oseq <= e->written || cb(arg, &w) < 0)
				continue;
			e->written = w.sa.oseq;
			sh->st.takeover_raises++;
			n++;
		}
	return n;
}
