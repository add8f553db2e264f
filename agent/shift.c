// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "sakey.h"
#include "shift.h"

#define SHIFT_MIN_BUCKETS 1024	/* then grown with the entries */
#define SHIFT_RETRY_MS 1000	/* after a failed write */
#define NEVER UINT64_MAX

struct sentry {
	struct sa_node node;	/* first: the table's link and key */
	size_t heap;		/* position in sh->heap */
	uint64_t due;		/* min(next_ms, expiry): the heap's key */
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

/*
 * The entries by SA identity, and every entry in a min-heap by the time
 * something is due for it (a re-raise, or being forgotten): shift_tick
 * looks only at what is due, never at the idle SAs, however many there
 * are (a bulk sync brings one per SA).
 */
struct shift {
	struct shift_params p;
	struct shift_stats st;
	size_t count;
	struct sa_table t;
	struct sentry **heap;	/* count entries, earliest due first */
	size_t heap_cap;
};

void shift_set_params(struct shift *sh, const struct shift_params *p)
{
	sh->p = *p;
	if (!sh->p.tick_visits)
		sh->p.tick_visits = SHIFT_TICK_VISITS;
	if (!sh->p.tick_writes)
		sh->p.tick_writes = SHIFT_TICK_WRITES;
}

struct shift *shift_new(const struct shift_params *p)
{
	struct shift *sh = calloc(1, sizeof(*sh));

	if (!sh)
		return NULL;
	if (sa_table_init(&sh->t, SHIFT_MIN_BUCKETS) < 0) {
		free(sh);
		return NULL;
	}
	shift_set_params(sh, p);
	return sh;
}

void shift_clear(struct shift *sh)
{
	size_t i;

	if (!sh->count)
		return;
	for (i = 0; i < sh->count; i++)
		free(sh->heap[i]);
	sa_table_clear(&sh->t);
	sh->count = 0;
}

void shift_free(struct shift *sh)
{
	if (!sh)
		return;
	shift_clear(sh);
	sa_table_free(&sh->t);
	free(sh->heap);
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

/* ---- the heap ---- */

static void heap_set(struct shift *sh, size_t i, struct sentry *e)
{
	sh->heap[i] = e;
	e->heap = i;
}

static void heap_up(struct shift *sh, size_t i)
{
	struct sentry *e = sh->heap[i];

	while (i) {
		size_t parent = (i - 1) / 2;

		if (sh->heap[parent]->due <= e->due)
			break;
		heap_set(sh, i, sh->heap[parent]);
		i = parent;
	}
	heap_set(sh, i, e);
}

static void heap_down(struct shift *sh, size_t i)
{
	struct sentry *e = sh->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= sh->count)
			break;
		if (c + 1 < sh->count && sh->heap[c + 1]->due < sh->heap[c]->due)
			c++;
		if (e->due <= sh->heap[c]->due)
			break;
		heap_set(sh, i, sh->heap[c]);
		i = c;
	}
	heap_set(sh, i, e);
}

/* e's next_ms or last_ms changed: its place in the heap too. */
static void reschedule(struct shift *sh, struct sentry *e)
{
	uint64_t expiry = e->last_ms + sh->p.expire_ms + 1;

	if (expiry < e->last_ms)
		expiry = NEVER;
	e->due = e->next_ms < expiry ? e->next_ms : expiry;
	heap_up(sh, e->heap);
	heap_down(sh, e->heap);
}

/* ---- the table ---- */

/* sa's entry, or NULL; *k gets its key. */
static struct sentry *find(struct shift *sh, const struct xha_sa *sa,
			   struct sa_key *k)
{
	sa_key_make(sa, k);
	/* The node is an entry's first member. */
	return (struct sentry *)*sa_table_find(&sh->t, k);
}

/* A new entry for k in the table and the heap; NULL without memory. */
static struct sentry *add_entry(struct shift *sh, const struct sa_key *k)
{
	struct sentry *e;

	if (sh->count == sh->heap_cap) {
		size_t cap = sh->heap_cap ? 2 * sh->heap_cap : 256;
		struct sentry **h = realloc(sh->heap, cap * sizeof(*h));

		if (!h)
			return NULL;
		sh->heap = h;
		sh->heap_cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->node.key = *k;
	sa_table_add(&sh->t, &e->node);
	heap_set(sh, sh->count++, e);
	return e;
}

static void remove_entry(struct shift *sh, struct sentry *e)
{
	struct sentry *last;

	sa_table_del(&sh->t, sa_table_find(&sh->t, &e->node.key));
	last = sh->heap[--sh->count];
	if (last != e) {
		heap_set(sh, e->heap, last);
		heap_up(sh, last->heap);
		heap_down(sh, last->heap);
	}
	free(e);
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
	struct sentry *e = find(sh, rec, &k);
	uint64_t dt, gap;
	double sample;

	if (!e) {
		if (sh->count >= sh->p.max_entries ||
		    !(e = add_entry(sh, &k))) {
			sh->st.full++;
			return -ENOSPC;
		}
		e->replay_mode = rec->replay_mode;
		e->last_oseq = e->base_oseq = rec->oseq;
		e->last_ms = e->base_ms = now;
		e->next_ms = NEVER;	/* nothing written yet */
		reschedule(sh, e);
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
	reschedule(sh, e);
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
	sa_key_to_sa(&e->node.key, &w->sa);
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
	struct sentry *e = find(sh, rec, &k);

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
	struct sentry *e = find(sh, id, &k);

	(void)now;
	if (!e)
		return;
	if (oseq > e->written)
		e->written = oseq;
	schedule(sh, e);
	reschedule(sh, e);
}

void shift_write_failed(struct shift *sh, const struct xha_sa *id,
			uint64_t now)
{
	struct sa_key k;
	struct sentry *e = find(sh, id, &k);

	if (!e)
		return;
	/* What the kernel holds is unknown: at least what a record's write
	 * left there, which shift_written() reports again. */
	e->written = 0;
	e->next_ms = now + SHIFT_RETRY_MS;
	reschedule(sh, e);
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
	size_t visits = 0, writes = 0, round = sh->count;
	struct sentry *e;

	/* What is due, earliest first; each entry leaves with its next due
	 * time after now, so a tick sees it at most once. */
	while (sh->count && visits < round && visits < sh->p.tick_visits &&
	       writes < sh->p.tick_writes) {
		e = sh->heap[0];
		if (e->due > now)
			break;
		visits++;
		if (now > e->last_ms && now - e->last_ms > sh->p.expire_ms) {
			sh->st.expired++;
			remove_entry(sh, e);
			continue;
		}
		writes += tick_one(sh, e, now, cb, arg);
		reschedule(sh, e);
	}
}

unsigned int shift_takeover(struct shift *sh, uint64_t now, shift_write_cb cb,
			    void *arg, unsigned int *over)
{
	struct shift_write w;
	struct sentry *e;
	unsigned int n = 0;
	size_t i;

	*over = 0;
	if (!sh->count)
		return 0;
	/* By the hash chains, not the heap: cb may reschedule entries (a
	 * queued write that failed), which reorders the heap. */
	for (i = 0; i < sh->t.nbuckets; i++)
		for (e = (struct sentry *)sh->t.buckets[i]; e;
		     e = (struct sentry *)e->node.next) {
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
