// SPDX-License-Identifier: GPL-2.0
/*
 * The backup's writes (backup.c) against a fake kernel: batching, a kept
 * record merged into what applies, the sweep, the family gone.
 */
#include <errno.h>
#include <netinet/in.h>

#include "linux/xfrm_ha.h"
#include "pending.h"
#include "sync.h"
#include "t.h"

/* ---- the fake kernel: SAs by SPI, raise-only like the module ---- */

#define FAKE_SAS 64

static struct fake_sa {
	bool installed;
	uint64_t oseq, seq;
} fake[FAKE_SAS];
static unsigned int fake_batches, fake_requests, fake_max_batch;

static struct fake_sa *fake_find(const struct xha_sa *id)
{
	uint32_t spi = ntohl(id->spi);

	return spi < FAKE_SAS && fake[spi].installed ? &fake[spi] : NULL;
}

int kernel_sa_set_batch(struct kernel *k, const struct xha_sa *sa,
			unsigned int n, struct xha_nl_result *res,
			uint64_t now)
{
	struct fake_sa *f;
	unsigned int i;

	(void)now;
	fake_batches++;
	if (n > fake_max_batch)
		fake_max_batch = n;
	for (i = 0; i < n; i++) {
		fake_requests++;
		res[i].msg[0] = '\0';
		f = fake_find(&sa[i]);
		if (!k->available)
			res[i].err = KERNEL_ENODEV;
		else if (!f)
			res[i].err = -ENOENT;
		else if (((sa[i].has & XHA_SA_HAS_OSEQ) && sa[i].oseq < f->oseq) ||
			 ((sa[i].has & XHA_SA_HAS_SEQ) && sa[i].seq < f->seq))
			res[i].err = -ERANGE;
		else {
			if (sa[i].has & XHA_SA_HAS_OSEQ)
				f->oseq = sa[i].oseq;
			if (sa[i].has & XHA_SA_HAS_SEQ)
				f->seq = sa[i].seq;
			res[i].err = 0;
		}
	}
	return 0;
}

int kernel_sa_get(struct kernel *k, const struct xha_sa *id,
		  struct xha_sa *out, uint64_t now)
{
	struct fake_sa *f = fake_find(id);

	(void)now;
	if (!k->available)
		return KERNEL_ENODEV;
	if (!f)
		return -ENOENT;
	*out = *id;
	out->oseq = f->oseq;
	out->seq = f->seq;
	out->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
	out->replay_mode = XFRM_HA_REPLAY_ESN;
	out->replay_window = 64;
	return 0;
}

static struct config cfg;
static struct kernel kern;

static void setup(struct sync *s)
{
	memset(fake, 0, sizeof(fake));
	fake_batches = fake_requests = fake_max_batch = 0;
	memset(s, 0, sizeof(*s));
	memset(&kern, 0, sizeof(kern));
	kern.available = true;
	cfg.oseq_shift = 1000;
	s->cfg = &cfg;
	s->kernel = &kern;
	s->role = ROLE_BACKUP;
	s->pending = pending_new(SYNC_PENDING_MAX);
}

static void rec(struct xha_sa *r, uint32_t spi, uint64_t oseq, uint64_t seq)
{
	t_rec(r, XFRM_HA_REPLAY_ESN, oseq, seq, spi);
	r->replay_window = 64;
}

/* A kept record ahead of the one that applies is not lost: both merged
 * are written (the bug: the lower one was written, the kept one dropped). */
static void test_kept_record_merged(void)
{
	struct sync s;
	struct xha_sa r;

	setup(&s);
	rec(&r, 1, 50000, 40000);
	sync_records(&s, &r, 1, 1000);
	CHECK_EQ(pending_count(s.pending), 1);
	CHECK_EQ(s.st.records_pending, 1);
	fake[1].installed = true;
	rec(&r, 1, 100, 90);	/* older, e.g. reordered */
	sync_records(&s, &r, 1, 1100);
	CHECK_EQ(fake[1].oseq, 50000 + 1000);
	CHECK_EQ(fake[1].seq, 40000);
	CHECK_EQ(pending_count(s.pending), 0);
	/* Not installed: the lower record merges, the higher stays. */
	rec(&r, 2, 7000, 6000);
	sync_records(&s, &r, 1, 1200);
	rec(&r, 2, 10, 5);
	sync_records(&s, &r, 1, 1300);
	CHECK_EQ(pending_count(s.pending), 1);
	CHECK(pending_get(s.pending, &r, &r, NULL));
	CHECK_EQ(r.oseq, 7000);
	CHECK_EQ(r.seq, 6000);
	pending_free(s.pending);
}

/* A datagram of 20 records is one batch; 40 are two. */
static void test_batched(void)
{
	struct xha_sa r[40];
	struct sync s;
	unsigned int i;

	setup(&s);
	for (i = 0; i < 40; i++) {
		fake[i].installed = true;
		rec(&r[i], i, 100 + i, 50 + i);
	}
	sync_records(&s, r, 20, 1000);
	CHECK_EQ(fake_batches, 1);
	CHECK_EQ(fake_requests, 20);
	CHECK_EQ(s.st.records_applied, 20);
	sync_records(&s, r, 40, 2000);
	CHECK_EQ(fake_batches, 1 + 2);
	CHECK(fake_max_batch <= SYNC_WRITE_BATCH);
	/* The second round: the same counters, all already there: ERANGE
	 * for none (equal is not lower), applied again. */
	CHECK_EQ(s.st.records_refused, 0);
	/* -ERANGE: the raise-only rewrite, per record. */
	fake[3].oseq = 1000000;
	rec(&r[3], 3, 500, 100000);
	sync_records(&s, &r[3], 1, 3000);
	CHECK_EQ(fake[3].oseq, 1000000);
	CHECK_EQ(fake[3].seq, 100000);
	CHECK(s.st.erange_retries >= 1);
	pending_free(s.pending);
}

/* The family gone: records are kept, not refused, and the sweep does not
 * run; back, the sweep applies them. */
static void test_kernel_gone(void)
{
	struct sync s;
	struct xha_sa r;
	unsigned int before;

	setup(&s);
	fake[5].installed = true;
	kern.available = false;
	rec(&r, 5, 300, 200);
	sync_records(&s, &r, 1, 1000);
	CHECK_EQ(s.st.records_refused, 0);
	CHECK_EQ(pending_count(s.pending), 1);
	before = fake_batches;
	sync_retry(&s, 20000);
	CHECK_EQ(fake_batches, before);	/* nothing spins */
	kern.available = true;
	sync_retry_sweep(&s);
	sync_retry(&s, 20500);
	CHECK_EQ(pending_count(s.pending), 0);
	CHECK_EQ(fake[5].oseq, 1300);
	pending_free(s.pending);
}

/* The safety net: a sweep every SYNC_RETRY_SWEEP_MS; expiry only for
 * SAs still missing. */
static void test_sweep(void)
{
	struct sync s;
	struct xha_sa r;
	unsigned int i, before;

	setup(&s);
	for (i = 0; i < 10; i++) {
		rec(&r, i, 100, 100);
		sync_records(&s, &r, 1, 1000);
	}
	CHECK_EQ(pending_count(s.pending), 10);
	fake[4].installed = true;
	sync_retry(&s, 2000);		/* the first tick sweeps */
	CHECK_EQ(pending_count(s.pending), 9);
	CHECK_EQ(fake[4].oseq, 1100);
	fake[6].installed = true;
	before = fake_batches;
	sync_retry(&s, 3000);		/* not yet: every 10 s */
	CHECK_EQ(fake_batches, before);
	CHECK_EQ(pending_count(s.pending), 9);
	sync_retry(&s, 2000 + SYNC_RETRY_SWEEP_MS);
	CHECK_EQ(pending_count(s.pending), 8);
	/* 120 s: given up, but not the one installed meanwhile. */
	fake[7].installed = true;
	sync_retry_all(&s, 1000 + SYNC_PENDING_MAX_AGE_MS);
	CHECK_EQ(pending_count(s.pending), 0);
	CHECK_EQ(s.st.records_expired, 7);
	CHECK_EQ(fake[7].oseq, 1100);
	pending_free(s.pending);
}

/* The sweep's cursor survives deletes and merges behind it. */
static void test_pending_next(void)
{
	struct pending *pt = pending_new(1000);
	struct xha_sa r, got[8];
	uint64_t first[8];
	unsigned int i, seen = 0, rounds = 0;
	bool wrapped;
	size_t n, k;

	for (i = 0; i < 100; i++) {
		rec(&r, i, 1, 1);
		pending_put(pt, &r, i);
	}
	while (rounds < 1) {
		n = pending_next(pt, 8, got, first, &wrapped);
		seen += (unsigned int)n;
		/* Delete every other one just seen. */
		for (k = 0; k < n; k += 2)
			CHECK_EQ(pending_del(pt, &got[k]), 1);
		rounds += wrapped;
	}
	CHECK_EQ(seen, 100);
	CHECK_EQ(pending_count(pt), 50);
	pending_free(pt);
}

int main(void)
{
	log_init(false);
	log_set_level(LOG_LVL_ERR);
	RUN(test_kept_record_merged);
	RUN(test_batched);
	RUN(test_kernel_gone);
	RUN(test_sweep);
	RUN(test_pending_next);
	DONE();
}
