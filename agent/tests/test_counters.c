// SPDX-License-Identifier: GPL-2.0
/* oseq-shift saturation, raise-only writes and the pending table. */
#include <arpa/inet.h>
#include <errno.h>

#include "counters.h"
#include "linux/xfrm_ha.h"
#include "pending.h"
#include "t.h"

#define U32MAX 0xffffffffull

static void rec(struct xha_sa *sa, uint8_t mode, uint64_t oseq, uint64_t seq,
		uint32_t spi)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = AF_INET;
	sa->proto = IPPROTO_ESP;
	sa->spi = htonl(spi);
	sa->daddr[0] = 10;
	sa->replay_mode = mode;
	sa->oseq = oseq;
	sa->seq = seq;
	sa->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
}

static void test_shift_saturation(void)
{
	/* 32-bit SAs: legacy and bitmap modes. */
	CHECK_EQ(counters_shift(0, 65536, XFRM_HA_REPLAY_LEGACY), 65536);
	CHECK_EQ(counters_shift(1000, 65536, XFRM_HA_REPLAY_BMP), 66536);
	CHECK_EQ(counters_shift(U32MAX - 65536, 65536, XFRM_HA_REPLAY_LEGACY),
		 U32MAX);
	CHECK_EQ(counters_shift(U32MAX - 65535, 65536, XFRM_HA_REPLAY_LEGACY),
		 U32MAX);
	CHECK_EQ(counters_shift(U32MAX - 10, 65536, XFRM_HA_REPLAY_BMP), U32MAX);
	CHECK_EQ(counters_shift(U32MAX, 65536, XFRM_HA_REPLAY_BMP), U32MAX);
	CHECK_EQ(counters_shift(U32MAX, 0, XFRM_HA_REPLAY_BMP), U32MAX);
	CHECK_EQ(counters_shift(5, UINT32_MAX, XFRM_HA_REPLAY_LEGACY), U32MAX);
	/* Unknown mode: the narrow width, never too high. */
	CHECK_EQ(counters_shift(U32MAX - 1, 2, XFRM_HA_REPLAY_UNSPEC), U32MAX);
	/* ESN: 64 bits, carries into the high half. */
	CHECK_EQ(counters_shift(U32MAX, 65536, XFRM_HA_REPLAY_ESN),
		 U32MAX + 65536);
	CHECK_EQ(counters_shift(UINT64_MAX - 65536, 65536, XFRM_HA_REPLAY_ESN),
		 UINT64_MAX);
	CHECK_EQ(counters_shift(UINT64_MAX - 5, 65536, XFRM_HA_REPLAY_ESN),
		 UINT64_MAX);
	CHECK_EQ(counters_shift(UINT64_MAX, UINT32_MAX, XFRM_HA_REPLAY_ESN),
		 UINT64_MAX);
	CHECK_EQ(counters_limit(XFRM_HA_REPLAY_ESN), UINT64_MAX);
	CHECK_EQ(counters_limit(XFRM_HA_REPLAY_LEGACY), U32MAX);
}

static void test_target(void)
{
	struct xha_sa r, t;

	rec(&r, XFRM_HA_REPLAY_ESN, 100, 200, 1);
	counters_target(&r, 65536, &t);
	CHECK_EQ(t.oseq, 65636);
	CHECK_EQ(t.seq, 200);
	CHECK_EQ(t.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ),
		 XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ);
	CHECK_EQ(t.spi, r.spi);

	/* An outbound SA has seq 0: write oseq only. */
	rec(&r, XFRM_HA_REPLAY_BMP, 100, 0, 1);
	counters_target(&r, 65536, &t);
	CHECK_EQ(t.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), XHA_SA_HAS_OSEQ);

	/* Nothing at all to write. */
	rec(&r, XFRM_HA_REPLAY_BMP, 0, 0, 1);
	counters_target(&r, 0, &t);
	CHECK_EQ(t.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), 0);

	/* A nearly exhausted 32-bit SA saturates. */
	rec(&r, XFRM_HA_REPLAY_LEGACY, U32MAX - 3, 7, 1);
	counters_target(&r, 65536, &t);
	CHECK_EQ(t.oseq, U32MAX);
	CHECK_EQ(t.seq, 7);
}

static void test_raise_only(void)
{
	struct xha_sa r, t, cur, out;

	rec(&r, XFRM_HA_REPLAY_ESN, 1000, 5000, 1);
	counters_target(&r, 100, &t);		/* oseq 1100, seq 5000 */

	/* Local oseq already ahead (fail-back): seq only. */
	rec(&cur, XFRM_HA_REPLAY_ESN, 2000, 10, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), XHA_SA_HAS_SEQ);
	CHECK_EQ(out.seq, 5000);

	/* Local seq ahead: oseq only. */
	rec(&cur, XFRM_HA_REPLAY_ESN, 0, 6000, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), XHA_SA_HAS_OSEQ);
	CHECK_EQ(out.oseq, 1100);

	/* Equal counts as not lower: nothing to write. */
	rec(&cur, XFRM_HA_REPLAY_ESN, 1100, 5000, 1);
	CHECK(!counters_raise_only(&t, &cur, &out));
	rec(&cur, XFRM_HA_REPLAY_ESN, 1 << 20, 1 << 20, 1);
	CHECK(!counters_raise_only(&t, &cur, &out));

	/* The local SA is 32-bit although the record said ESN: clamp. */
	rec(&r, XFRM_HA_REPLAY_ESN, U32MAX + 10, 3, 1);
	counters_target(&r, 0, &t);
	rec(&cur, XFRM_HA_REPLAY_BMP, 5, 3, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.oseq, U32MAX);
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), XHA_SA_HAS_OSEQ);
	rec(&cur, XFRM_HA_REPLAY_BMP, U32MAX, 3, 1);
	CHECK(!counters_raise_only(&t, &cur, &out));
}

struct walk_ctx {
	int seen;
	uint64_t now;
	uint32_t drop_spi;
};

static int walk_cb(void *arg, struct xha_sa *sa, uint64_t first_ms)
{
	struct walk_ctx *w = arg;

	w->seen++;
	if (w->now - first_ms >= 100)
		return 1;
	return sa->spi == htonl(w->drop_spi);
}

static int get_cb(void *arg, struct xha_sa *sa, uint64_t first_ms)
{
	(void)first_ms;
	*(struct xha_sa *)arg = *sa;
	return 0;
}

static void test_pending(void)
{
	struct xha_sa got;
	struct pending *pt = pending_new(3);
	struct xha_sa a, b, c, d, v6;
	struct walk_ctx w = { 0 };

	rec(&a, XFRM_HA_REPLAY_ESN, 10, 20, 1);
	rec(&b, XFRM_HA_REPLAY_ESN, 10, 20, 2);
	rec(&c, XFRM_HA_REPLAY_ESN, 10, 20, 3);
	rec(&d, XFRM_HA_REPLAY_ESN, 10, 20, 4);
	CHECK_EQ(pending_put(pt, &a, 0), 1);
	CHECK_EQ(pending_put(pt, &b, 50), 1);
	/* Same SA again: merged, higher counter wins each. */
	a.oseq = 30;
	a.seq = 5;
	CHECK_EQ(pending_put(pt, &a, 60), 0);
	/* Same SPI but another family/address is another SA. */
	v6 = a;
	v6.family = AF_INET6;
	CHECK_EQ(pending_put(pt, &v6, 60), 1);
	CHECK_EQ(pending_count(pt), 3);
	CHECK_EQ(pending_put(pt, &c, 60), -ENOSPC);
	CHECK_EQ(pending_del(pt, &v6), 1);
	CHECK_EQ(pending_del(pt, &v6), 0);
	CHECK_EQ(pending_put(pt, &c, 60), 1);

	/* Walk: a ages out (first seen at 0), c is dropped by the callback. */
	w.now = 120;
	w.drop_spi = 3;
	pending_walk(pt, walk_cb, &w);
	CHECK_EQ(w.seen, 3);
	CHECK_EQ(pending_count(pt), 1);
	CHECK_EQ(pending_del(pt, &b), 1);
	CHECK_EQ(pending_count(pt), 0);
	CHECK_EQ(pending_del(pt, &d), 0);

	/* The merged entry kept the maximum of each counter. */
	rec(&a, XFRM_HA_REPLAY_ESN, 10, 20, 1);
	pending_put(pt, &a, 0);
	a.oseq = 30;
	a.seq = 5;
	pending_put(pt, &a, 0);
	memset(&got, 0, sizeof(got));
	pending_walk(pt, get_cb, &got);
	CHECK_EQ(got.oseq, 30);
	CHECK_EQ(got.seq, 20);
	pending_free(pt);
}

int main(void)
{
	RUN(test_shift_saturation);
	RUN(test_target);
	RUN(test_raise_only);
	RUN(test_pending);
	DONE();
}
