// SPDX-License-Identifier: GPL-2.0
/*
 * The backup's half of sync.h: what is written for a record, records kept
 * for SAs not installed yet, the adaptive shift's writes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
#include "sync.h"

#define ERANGE_TRIES 3

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

/* 0: done with this record (applied, superseded or refused), -ENOENT:
 * the SA is not installed, keep the record. */
static int apply(struct sync *s, const struct xha_sa *rec)
{
	struct xha_nl *nl = s->kernel->req;
	struct xha_sa t, cur, u;
	struct shift_write w;
	uint64_t oseq;
	char id[128];
	int ret, tries;

	counters_target(rec, s->cfg->oseq_shift, &t);
	if (s->shift) {
		oseq = shift_target(s->shift, rec, s->now, true, &w);
		log_over(s, &w);
		if (oseq > t.oseq) {
			t.oseq = oseq;
			t.has |= XHA_SA_HAS_OSEQ;
		}
		/* The wrap guard's floor, once the SA has a rate: without
		 * one, nothing of the shift is known to be slack. */
		if ((t.has & XHA_SA_HAS_OSEQ) &&
		    (w.sa.has & XHA_SA_HAS_OSEQ_MIN)) {
			t.oseq_min = w.sa.oseq_min < t.oseq ? w.sa.oseq_min :
							      t.oseq;
			t.has |= XHA_SA_HAS_OSEQ_MIN;
		}
	}
	if (!(t.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
		       XHA_SA_HAS_LIFETIME))) {
		s->st.records_superseded++;
		return 0;
	}
	ret = xha_nl_sa_set(nl, &t);
	/* A counter is already higher (fail-back, or traffic here): write
	 * only what is still lower. */
	for (tries = 0; ret == -ERANGE && tries < ERANGE_TRIES; tries++) {
		s->st.erange_retries++;
		ret = xha_nl_sa_get(nl, &t, &cur);
		if (ret < 0)
			break;
		if (!counters_raise_only(&t, &cur, &u)) {
			s->st.records_superseded++;
			ret = 1;
			break;
		}
		ret = xha_nl_sa_set(nl, &u);
	}
	if (ret >= 0) {
		/* Written, or the SA was at or above it already: either way
		 * it holds at least t.oseq now. */
		if (s->shift && (t.has & XHA_SA_HAS_OSEQ))
			shift_written(s->shift, &t, t.oseq, s->now);
		if (ret == 1)
			return 0;
		s->st.records_applied++;
		if (log_debug_enabled()) {
			xha_sa_format_id(&t, id, sizeof(id));
			log_debug("applied %s oseq %" PRIu64 " seq %" PRIu64
				  "%s%s", id, t.oseq, t.seq,
				  (t.has & XHA_SA_HAS_BITMAP) ? " +bitmap" : "",
				  (t.has & XHA_SA_HAS_LIFETIME) ? " +lifetime" : "");
		}
		return 0;
	}
	if (ret == -ENOENT)
		return -ENOENT;
	s->st.records_refused++;
	xha_sa_format_id(&t, id, sizeof(id));
	log_ratelimited(&s->rl, LOG_LVL_WARN, "cannot apply %s: %s", id,
			xha_nl_error(nl));
	return 0;
}

void sync_records(struct sync *s, const struct xha_sa *recs, unsigned int n,
		  uint64_t now)
{
	unsigned int i;
	int ret;

	s->now = now;
	for (i = 0; i < n; i++) {
		s->st.records_received++;
		if (s->shift && shift_observe(s->shift, &recs[i], now) < 0)
			log_ratelimited(&s->rl, LOG_LVL_WARN,
					"adaptive shift table full (%d SAs): oseq-shift only for new SAs",
					SYNC_SHIFT_MAX);
		if (apply(s, &recs[i]) == 0) {
			if (pending_count(s->pending))
				pending_del(s->pending, &recs[i]);
			continue;
		}
		ret = pending_put(s->pending, &recs[i], now);
		if (ret == 1)
			s->st.records_pending++;
		else if (ret < 0) {
			s->st.records_overflow++;
			log_ratelimited(&s->rl, LOG_LVL_WARN,
					"pending table full (%d SAs): record dropped",
					SYNC_PENDING_MAX);
		}
	}
}

static int retry_cb(void *arg, struct xha_sa *rec, uint64_t first_ms)
{
	struct sync *s = arg;
	char id[128];

	if (s->now - first_ms >= SYNC_PENDING_MAX_AGE_MS) {
		s->st.records_expired++;
		xha_sa_format_id(rec, id, sizeof(id));
		log_info("giving up on %s: SA not installed after %u s", id,
			 SYNC_PENDING_MAX_AGE_MS / 1000);
		return 1;
	}
	return apply(s, rec) != -ENOENT;
}

void sync_retry(struct sync *s, uint64_t now)
{
	if (!s->pending)
		return;
	s->now = now;
	pending_walk(s->pending, retry_cb, s);
}

/* One adaptive oseq write: 0 once the SA holds at least w->sa.oseq. */
static int shift_write(void *arg, const struct shift_write *w)
{
	struct sync *s = arg;
	struct xha_nl *nl = s->kernel->req;
	char id[128];
	int ret;

	log_over(s, w);
	ret = xha_nl_sa_set(nl, &w->sa);
	if (ret == 0 || ret == -ERANGE)	/* ERANGE: already higher here */
		return 0;
	if (ret != -ENOENT) {
		s->st.shift_refused++;
		xha_sa_format_id(&w->sa, id, sizeof(id));
		log_ratelimited(&s->rl, LOG_LVL_WARN,
				"cannot raise %s to oseq %" PRIu64 ": %s", id,
				w->sa.oseq, xha_nl_error(nl));
	}
	return ret;
}

void sync_shift_tick(struct sync *s, uint64_t now)
{
	if (!s->shift || s->role != ROLE_BACKUP)
		return;
	s->now = now;
	shift_tick(s->shift, now, shift_write, s);
}

void sync_takeover(struct sync *s, uint64_t now)
{
	unsigned int n, over;

	if (!s->shift)
		return;
	s->now = now;
	n = shift_takeover(s->shift, now, shift_write, s, &over);
	log_info("takeover: final oseq advance written for %u of %zu SAs, %u of them beyond oseq-shift %u",
		 n, shift_count(s->shift), over, s->cfg->oseq_shift);
}

