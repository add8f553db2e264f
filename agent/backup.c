// SPDX-License-Identifier: GPL-2.0
/*
 * The backup's half of sync.h: what is written for a record, records kept
 * for SAs not installed yet, the adaptive shift's writes. Writes go to
 * the kernel in batches (kernel_sa_set_batch: one sendmsg, every ack read
 * back); only the -ERANGE fallback is a request of its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
#include "sync.h"

#define ERANGE_TRIES 3
/* SA event datagrams read per wakeup, so that a storm shares the loop. */
#define SA_EVENT_READS 16

/* What became of a record's write. */
enum outcome {
	DONE,		/* applied, superseded or refused: forget it */
	MISSING,	/* the SA is not installed: keep it */
	NO_KERNEL,	/* the family is gone, or the request got no answer:
			 * keep it, nothing was refused */
};

static void log_over(struct sync *s, const struct shift_write *w)
{
	char id[128];

	if (!w->newly_over)
		return;
	xha_sa_format_id(&w->sa, id, sizeof(id));
	log_ratelimited(&s->rl, LOG_LVL_WARN,
			"%s sends about %.0f packets/s: its oseq needs an advance of %" PRIu64
			" or more, above oseq-shift %u (adaptive shift applied)",
			id, w->rate, w->advance, s->cfg->oseq_shift);
}

static int set_batch(struct sync *s, const struct xha_sa *sa, unsigned int n,
		     struct xha_nl_result *res)
{
	s->rt.batches++;
	return kernel_sa_set_batch(s->kernel, sa, n, res, s->now);
}

/* The write for rec into *t; false if it has nothing to write. */
static bool prepare(struct sync *s, const struct xha_sa *rec, struct xha_sa *t)
{
	struct shift_write w;
	uint64_t oseq;

	counters_target(rec, s->cfg->oseq_shift, t);
	if (s->shift) {
		oseq = shift_target(s->shift, rec, s->now, true, &w);
		log_over(s, &w);
		if (oseq > t->oseq) {
			t->oseq = oseq;
			t->has |= XHA_SA_HAS_OSEQ;
		}
		/* The wrap guard's floor, once the SA has a rate: without
		 * one, nothing of the shift is known to be slack. */
		if ((t->has & XHA_SA_HAS_OSEQ) &&
		    (w.sa.has & XHA_SA_HAS_OSEQ_MIN)) {
			t->oseq_min = w.sa.oseq_min < t->oseq ? w.sa.oseq_min :
								t->oseq;
			t->has |= XHA_SA_HAS_OSEQ_MIN;
		}
	}
	if (!(t->has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
			XHA_SA_HAS_LIFETIME))) {
		s->st.records_superseded++;
		return false;
	}
	return true;
}

/* A counter is already higher (fail-back, or traffic here): write only
 * what is still lower, one request at a time. 1: nothing left to raise. */
static int raise_only(struct sync *s, const struct xha_sa *t,
		      struct xha_nl_result *r)
{
	struct xha_sa cur, u;
	int tries, ret = -ERANGE;

	for (tries = 0; ret == -ERANGE && tries < ERANGE_TRIES; tries++) {
		s->st.erange_retries++;
		ret = kernel_sa_get(s->kernel, t, &cur, s->now);
		if (ret < 0) {
			snprintf(r->msg, sizeof(r->msg), "%s",
				 xha_nl_error(s->kernel->req));
			break;
		}
		if (!counters_raise_only(t, &cur, &u)) {
			s->st.records_superseded++;
			return 1;
		}
		set_batch(s, &u, 1, r);
		ret = r->err;
	}
	return ret;
}

/* After the batch: what the answer to t's write means. */
static enum outcome settle(struct sync *s, const struct xha_sa *t,
			   struct xha_nl_result *r)
{
	char id[128];
	int ret = r->err;

	if (ret == -ERANGE)
		ret = raise_only(s, t, r);
	if (ret >= 0) {
		/* Written, or the SA was at or above it already: either way
		 * it holds at least t->oseq now. */
		if (s->shift && (t->has & XHA_SA_HAS_OSEQ))
			shift_written(s->shift, t, t->oseq, s->now);
		if (t->has & XHA_SA_HAS_OSEQ)
			lag_written(s->lag, t, t->oseq);
		if (ret == 1)
			return DONE;
		s->st.records_applied++;
		if (log_debug_enabled()) {
			xha_sa_format_id(t, id, sizeof(id));
			log_debug("applied %s oseq %" PRIu64 " seq %" PRIu64
				  "%s%s", id, t->oseq, t->seq,
				  (t->has & XHA_SA_HAS_BITMAP) ? " +bitmap" : "",
				  (t->has & XHA_SA_HAS_LIFETIME) ? " +lifetime" : "");
		}
		return DONE;
	}
	if (ret == -ENOENT)
		return MISSING;
	/* The family gone, or a local failure (no answer): not refused. */
	if (ret == KERNEL_ENODEV || ret == -ENOBUFS || ret == -EINTR ||
	    ret == -ENOMEM || ret == -EAGAIN)
		return NO_KERNEL;
	s->st.records_refused++;
	xha_sa_format_id(t, id, sizeof(id));
	log_ratelimited(&s->rl, LOG_LVL_WARN, "cannot apply %s: %s", id,
			r->msg[0] ? r->msg : strerror(-ret));
	return DONE;
}

/* Apply recs[0..n) (n <= SYNC_WRITE_BATCH) in one batch; out[i] says what
 * became of each. */
static void apply_batch(struct sync *s, const struct xha_sa *recs,
			unsigned int n, enum outcome *out)
{
	struct xha_sa t[SYNC_WRITE_BATCH];
	struct xha_nl_result res[SYNC_WRITE_BATCH];
	unsigned int map[SYNC_WRITE_BATCH];
	unsigned int i, m = 0;

	for (i = 0; i < n; i++) {
		out[i] = DONE;
		if (prepare(s, &recs[i], &t[m]))
			map[m++] = i;
	}
	if (!m)
		return;
	set_batch(s, t, m, res);
	for (i = 0; i < m; i++)
		out[map[i]] = settle(s, &t[i], &res[i]);
}

static void keep(struct sync *s, const struct xha_sa *rec)
{
	int ret = pending_put(s->pending, rec, s->now);

	if (ret == 1) {
		s->st.records_pending++;
	} else if (ret < 0) {
		s->st.records_overflow++;
		log_ratelimited(&s->rl, LOG_LVL_WARN,
				"pending table full (%d SAs): record dropped",
				SYNC_PENDING_MAX);
	}
}

void sync_records(struct sync *s, const struct xha_sa *recs, unsigned int n,
		  uint64_t now)
{
	struct xha_sa v[SYNC_WRITE_BATCH];
	enum outcome out[SYNC_WRITE_BATCH];
	bool had[SYNC_WRITE_BATCH];
	unsigned int i, j, m;

	s->now = now;
	for (i = 0; i < n; i += m) {
		m = n - i < SYNC_WRITE_BATCH ? n - i : SYNC_WRITE_BATCH;
		for (j = 0; j < m; j++) {
			s->st.records_received++;
			lag_note(s->lag, &recs[i + j], now);
			if (s->shift &&
			    shift_observe(s->shift, &recs[i + j], now) < 0)
				log_ratelimited(&s->rl, LOG_LVL_WARN,
						"adaptive shift table full (%d SAs): oseq-shift only for new SAs",
						SYNC_SHIFT_MAX);
			/* A record kept for this SA may be ahead of this
			 * one (reordered, or the SA appeared meanwhile):
			 * what is written is both merged, never just the
			 * newcomer, and the kept one goes only once that
			 * is written. */
			v[j] = recs[i + j];
			had[j] = pending_count(s->pending) &&
				 pending_get(s->pending, &recs[i + j], &v[j],
					     NULL);
			if (had[j])
				counters_merge(&v[j], &recs[i + j]);
		}
		apply_batch(s, v, m, out);
		for (j = 0; j < m; j++) {
			if (out[j] != DONE)
				keep(s, &recs[i + j]);
			else if (had[j])
				pending_del(s->pending, &recs[i + j]);
		}
	}
}

/* ---- records waiting for their SA ---- */

/* Apply what the sweep or an event found; drop what is done or too old. */
static void retry_batch(struct sync *s, const struct xha_sa *recs,
			const uint64_t *first_ms, unsigned int n)
{
	enum outcome out[SYNC_WRITE_BATCH];
	unsigned int i;
	char id[128];

	apply_batch(s, recs, n, out);
	for (i = 0; i < n; i++) {
		if (out[i] == MISSING && first_ms &&
		    s->now - first_ms[i] >= SYNC_PENDING_MAX_AGE_MS) {
			s->st.records_expired++;
			xha_sa_format_id(&recs[i], id, sizeof(id));
			log_info("giving up on %s: SA not installed after %u s",
				 id, SYNC_PENDING_MAX_AGE_MS / 1000);
			out[i] = DONE;
		}
		if (out[i] == DONE)
			pending_del(s->pending, &recs[i]);
	}
}

/* Up to budget entries of the sweep; true when the round is over. */
static bool sweep(struct sync *s, size_t budget)
{
	struct xha_sa recs[SYNC_WRITE_BATCH];
	uint64_t first[SYNC_WRITE_BATCH];
	bool wrapped = false;
	size_t n, done = 0;

	while (!wrapped && done < budget && pending_count(s->pending)) {
		n = budget - done < SYNC_WRITE_BATCH ? budget - done :
						       SYNC_WRITE_BATCH;
		n = pending_next(s->pending, n, recs, first, &wrapped);
		if (n)
			retry_batch(s, recs, first, (unsigned int)n);
		done += n;
	}
	return wrapped || !pending_count(s->pending);
}

void sync_retry(struct sync *s, uint64_t now)
{
	if (!s->pending || !pending_count(s->pending))
		return;
	s->now = now;
	/* Without the family nothing can apply: nothing spins either. */
	if (!s->kernel->available)
		return;
	if (!s->rt.sweeping) {
		if (!s->rt.sweep_now && s->rt.sweep_started &&
		    now - s->rt.sweep_started < SYNC_RETRY_SWEEP_MS)
			return;
		pending_rewind(s->pending);
		s->rt.sweeping = true;
		s->rt.sweep_now = false;
		s->rt.sweep_started = now;
	}
	if (sweep(s, SYNC_RETRY_BUDGET)) {
		s->rt.sweeping = false;
		s->rt.sweeps++;
	}
}

void sync_retry_all(struct sync *s, uint64_t now)
{
	if (!s->pending || !pending_count(s->pending) ||
	    !s->kernel->available)
		return;
	s->now = now;
	pending_rewind(s->pending);
	sweep(s, SIZE_MAX);
	s->rt.sweeping = false;
	s->rt.sweeps++;
	s->rt.sweep_started = now;
}

void sync_retry_sweep(struct sync *s)
{
	s->rt.sweep_now = true;
	s->rt.sweeping = false;
}

struct sa_events {
	struct sync *s;
	unsigned int n;
	struct xha_sa recs[SYNC_WRITE_BATCH];
	uint64_t first[SYNC_WRITE_BATCH];
};

static void events_flush(struct sa_events *ev)
{
	unsigned int i, n = ev->n;

	ev->n = 0;
	retry_batch(ev->s, ev->recs, ev->first, n);
	for (i = 0; i < n; i++)
		if (!pending_get(ev->s->pending, &ev->recs[i], &ev->recs[i],
				 NULL))
			ev->s->rt.on_event++;
}

/* An SA was installed or updated: its record, if one waits, goes now. */
static int sa_event_cb(const struct xha_sa *id, void *arg)
{
	struct sa_events *ev = arg;

	ev->s->rt.sa_events++;
	if (!pending_get(ev->s->pending, id, &ev->recs[ev->n],
			 &ev->first[ev->n]))
		return 0;
	if (++ev->n == SYNC_WRITE_BATCH)
		events_flush(ev);
	return 0;
}

void sync_sa_events(struct sync *s, struct xfrmmon *m, uint64_t now)
{
	struct sa_events ev = { .s = s };
	int i, ret;

	s->now = now;
	for (i = 0; i < SA_EVENT_READS; i++) {
		ret = xfrmmon_recv(m, sa_event_cb, &ev);
		if (ret == -ENOBUFS) {
			/* Some SA events are lost: look at every record. */
			log_ratelimited(&s->rl, LOG_LVL_WARN,
					"xfrm SA events lost (ENOBUFS): sweeping the %zu pending records",
					pending_count(s->pending));
			sync_retry_sweep(s);
			continue;
		}
		if (ret < 0)
			break;
	}
	if (ev.n)
		events_flush(&ev);
}

/* ---- the adaptive shift's writes, batched ---- */

struct shift_batch {
	struct sync *s;
	unsigned int n;
	unsigned int failed;
	struct xha_sa sa[SYNC_WRITE_BATCH];
};

static void shift_flush(struct shift_batch *b)
{
	struct xha_nl_result res[SYNC_WRITE_BATCH];
	struct sync *s = b->s;
	unsigned int i;
	char id[128];
	int ret;

	if (!b->n)
		return;
	set_batch(s, b->sa, b->n, res);
	for (i = 0; i < b->n; i++) {
		ret = res[i].err;
		if (ret == 0 || ret == -ERANGE) {	/* ERANGE: already higher */
			lag_written(s->lag, &b->sa[i], b->sa[i].oseq);
			continue;
		}
		b->failed++;
		shift_write_failed(s->shift, &b->sa[i], s->now);
		if (ret == -ENOENT || ret == KERNEL_ENODEV)
			continue;
		s->st.shift_refused++;
		xha_sa_format_id(&b->sa[i], id, sizeof(id));
		log_ratelimited(&s->rl, LOG_LVL_WARN,
				"cannot raise %s to oseq %" PRIu64 ": %s", id,
				b->sa[i].oseq, res[i].msg);
	}
	b->n = 0;
}

/* One adaptive oseq write, queued: a failure is reported at the flush. */
static int shift_queue(void *arg, const struct shift_write *w)
{
	struct shift_batch *b = arg;

	log_over(b->s, w);
	if (!b->s->kernel->available)
		return KERNEL_ENODEV;
	b->sa[b->n++] = w->sa;
	if (b->n == SYNC_WRITE_BATCH)
		shift_flush(b);
	return 0;
}

void sync_shift_tick(struct sync *s, uint64_t now)
{
	struct shift_batch b = { .s = s };

	if (!s->shift || s->role != ROLE_BACKUP)
		return;
	s->now = now;
	shift_tick(s->shift, now, shift_queue, &b);
	shift_flush(&b);
}

void sync_takeover(struct sync *s, uint64_t now)
{
	struct shift_batch b = { .s = s };
	unsigned int n, over;

	if (!s->shift)
		return;
	s->now = now;
	n = shift_takeover(s->shift, now, shift_queue, &b, &over);
	shift_flush(&b);
	n = n > b.failed ? n - b.failed : 0;
	log_info("takeover: final oseq advance written for %u of %zu SAs, %u of them beyond oseq-shift %u",
		 n, shift_count(s->shift), over, s->cfg->oseq_shift);
}
