// SPDX-License-Identifier: GPL-2.0
/* oseq-shift saturation, raise-only writes and the pending table. */
#include <arpa/inet.h>
#include <errno.h>

#include "counters.h"
#include "linux/xfrm_ha.h"
#include "pending.h"
#include "t.h"

#define U32MAX 0xffffffffull


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

	t_rec(&r, XFRM_HA_REPLAY_ESN, 100, 200, 1);
	counters_target(&r, 65536, &t);
	CHECK_EQ(t.oseq, 65636);
	CHECK_EQ(t.seq, 200);
	CHECK_EQ(t.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ),
		 XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ);
	CHECK_EQ(t.spi, r.spi);

	/* An outbound SA has seq 0: write oseq only. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 100, 0, 1);
	counters_target(&r, 65536, &t);
	CHECK_EQ(t.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), XHA_SA_HAS_OSEQ);

	/* Nothing at all to write. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 0, 0, 1);
	counters_target(&r, 0, &t);
	CHECK_EQ(t.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), 0);

	/* A nearly exhausted 32-bit SA saturates. */
	t_rec(&r, XFRM_HA_REPLAY_LEGACY, U32MAX - 3, 7, 1);
	counters_target(&r, 65536, &t);
	CHECK_EQ(t.oseq, U32MAX);
	CHECK_EQ(t.seq, 7);
}

static void test_raise_only(void)
{
	struct xha_sa r, t, cur, out;

	t_rec(&r, XFRM_HA_REPLAY_ESN, 1000, 5000, 1);
	counters_target(&r, 100, &t);		/* oseq 1100, seq 5000 */

	/* Local oseq already ahead (fail-back): seq only. */
	t_rec(&cur, XFRM_HA_REPLAY_ESN, 2000, 10, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), XHA_SA_HAS_SEQ);
	CHECK_EQ(out.seq, 5000);

	/* Local seq ahead: oseq only. */
	t_rec(&cur, XFRM_HA_REPLAY_ESN, 0, 6000, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), XHA_SA_HAS_OSEQ);
	CHECK_EQ(out.oseq, 1100);

	/* Equal counts as not lower: nothing to write. */
	t_rec(&cur, XFRM_HA_REPLAY_ESN, 1100, 5000, 1);
	CHECK(!counters_raise_only(&t, &cur, &out));
	t_rec(&cur, XFRM_HA_REPLAY_ESN, 1 << 20, 1 << 20, 1);
	CHECK(!counters_raise_only(&t, &cur, &out));

	/* The local SA is 32-bit although the record said ESN: clamp. */
	t_rec(&r, XFRM_HA_REPLAY_ESN, U32MAX + 10, 3, 1);
	counters_target(&r, 0, &t);
	t_rec(&cur, XFRM_HA_REPLAY_BMP, 5, 3, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.oseq, U32MAX);
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ), XHA_SA_HAS_OSEQ);
	t_rec(&cur, XFRM_HA_REPLAY_BMP, U32MAX, 3, 1);
	CHECK(!counters_raise_only(&t, &cur, &out));

	/* The wrap guard's floor goes with the oseq, never above it. */
	t_rec(&r, XFRM_HA_REPLAY_ESN, U32MAX + 10, 3, 1);
	counters_target(&r, 0, &t);
	t.oseq_min = U32MAX + 5;
	t.has |= XHA_SA_HAS_OSEQ_MIN;
	t_rec(&cur, XFRM_HA_REPLAY_BMP, 5, 3, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK(out.has & XHA_SA_HAS_OSEQ_MIN);
	CHECK_EQ(out.oseq_min, U32MAX);
	t_rec(&cur, XFRM_HA_REPLAY_ESN, U32MAX + 20, 1, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK(!(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_OSEQ_MIN)));
}

/* Bitmap and lifetimes travel with the record, the bitmap only with seq. */
static void test_target_v2(void)
{
	struct xha_sa r, t;

	t_rec(&r, XFRM_HA_REPLAY_BMP, 100, 200, 1);
	r.bytes = 5000;
	r.packets = 50;
	r.has |= XHA_SA_HAS_LIFETIME | XHA_SA_HAS_BITMAP;
	r.bitmap_words = 2;
	r.bitmap[0] = 0xf;
	r.bitmap[1] = 0x80000000u;
	counters_target(&r, 10, &t);
	CHECK_EQ(t.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
			  XHA_SA_HAS_BITMAP | XHA_SA_HAS_LIFETIME),
		 XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_BITMAP |
			 XHA_SA_HAS_LIFETIME);
	CHECK_EQ(t.oseq, 110);
	CHECK_EQ(t.bitmap_words, 2);
	CHECK_EQ(t.bitmap[1], 0x80000000u);
	CHECK_EQ(t.bytes, 5000);

	/* No seq, no bitmap; lifetimes alone still go. */
	r.seq = 0;
	counters_target(&r, 10, &t);
	CHECK_EQ(t.has & (XHA_SA_HAS_SEQ | XHA_SA_HAS_BITMAP), 0);
	CHECK(t.has & XHA_SA_HAS_LIFETIME);
	/* A 64-bit shift (adaptive, ESN). */
	t_rec(&r, XFRM_HA_REPLAY_ESN, 1, 0, 1);
	counters_target(&r, 1ull << 40, &t);
	CHECK_EQ(t.oseq, (1ull << 40) + 1);
	CHECK_EQ(counters_shift(1, 1ull << 40, XFRM_HA_REPLAY_BMP), U32MAX);
}

static void test_raise_only_v2(void)
{
	struct xha_sa r, t, cur, out;

	t_rec(&r, XFRM_HA_REPLAY_BMP, 1000, 5000, 1);
	r.has |= XHA_SA_HAS_LIFETIME | XHA_SA_HAS_BITMAP;
	r.bytes = 100;
	r.packets = 10;
	r.bitmap_words = 1;
	r.bitmap[0] = 0x5;
	counters_target(&r, 100, &t);

	/* seq is lower here: SEQ and BITMAP dropped, LIFETIME kept. */
	t_rec(&cur, XFRM_HA_REPLAY_BMP, 0, 6000, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
			    XHA_SA_HAS_BITMAP | XHA_SA_HAS_LIFETIME),
		 XHA_SA_HAS_OSEQ | XHA_SA_HAS_LIFETIME);
	/* oseq lower too: lifetimes alone, as long as they raise. */
	cur.oseq = 5000;
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
			    XHA_SA_HAS_BITMAP | XHA_SA_HAS_LIFETIME),
		 XHA_SA_HAS_LIFETIME);
	cur.has |= XHA_SA_HAS_LIFETIME;
	cur.bytes = 100;
	cur.packets = 10;
	CHECK(!counters_raise_only(&t, &cur, &out));
	cur.packets = 9;
	CHECK(counters_raise_only(&t, &cur, &out));
	cur.packets = 11;
	cur.bytes = 99;
	CHECK(counters_raise_only(&t, &cur, &out));

	/* Same seq: the bitmap goes (with SEQ) only if it adds a bit. */
	t_rec(&cur, XFRM_HA_REPLAY_BMP, 5000, 5000, 1);
	cur.has |= XHA_SA_HAS_BITMAP;
	cur.bitmap_words = 1;
	cur.bitmap[0] = 0x1;
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
			    XHA_SA_HAS_BITMAP),
		 XHA_SA_HAS_SEQ | XHA_SA_HAS_BITMAP);
	CHECK_EQ(out.seq, 5000);
	cur.bitmap[0] = 0x7;
	CHECK(!counters_raise_only(&t, &cur, &out) ||
	      !(out.has & XHA_SA_HAS_SEQ));
	/* seq above: SEQ and BITMAP. */
	cur.seq = 4000;
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.has & (XHA_SA_HAS_SEQ | XHA_SA_HAS_BITMAP),
		 XHA_SA_HAS_SEQ | XHA_SA_HAS_BITMAP);
	/* seq clamped to a narrower local SA: the bitmap would be relative
	 * to another number, so it is dropped with the clamp. */
	t_rec(&r, XFRM_HA_REPLAY_ESN, 0, U32MAX + 5, 1);
	r.has |= XHA_SA_HAS_BITMAP;
	r.bitmap_words = 1;
	r.bitmap[0] = 1;
	counters_target(&r, 0, &t);
	CHECK(t.has & XHA_SA_HAS_BITMAP);
	t_rec(&cur, XFRM_HA_REPLAY_BMP, 0, 3, 1);
	CHECK(counters_raise_only(&t, &cur, &out));
	CHECK_EQ(out.seq, U32MAX);
	CHECK_EQ(out.has & (XHA_SA_HAS_SEQ | XHA_SA_HAS_BITMAP),
		 XHA_SA_HAS_SEQ);
}

static void test_bitmap_or(void)
{
	uint32_t dst[4], src[4] = { 0x80000001u, 0x3u, 0, 0xffffffffu };

	/* Same seq: plain OR, truncated to dst's words. */
	memset(dst, 0, sizeof(dst));
	counters_bitmap_or(dst, 2, 100, src, 4, 100);
	CHECK_EQ(dst[0], 0x80000001u);
	CHECK_EQ(dst[1], 0x3u);
	CHECK_EQ(dst[2], 0);
	/* Shift by 1: bit 31 of word 0 moves to bit 0 of word 1. */
	memset(dst, 0, sizeof(dst));
	counters_bitmap_or(dst, 4, 101, src, 2, 100);
	CHECK_EQ(dst[0], 0x2u);
	CHECK_EQ(dst[1], 0x7u);
	CHECK_EQ(dst[2], 0);
	/* Shift by whole words plus bits. */
	memset(dst, 0, sizeof(dst));
	counters_bitmap_or(dst, 4, 100 + 33, src, 2, 100);
	CHECK_EQ(dst[0], 0);
	CHECK_EQ(dst[1], 0x2u);
	CHECK_EQ(dst[2], 0x7u);
	CHECK_EQ(dst[3], 0);
	/* Bits pushed past the window are dropped, others kept. */
	memset(dst, 0, sizeof(dst));
	counters_bitmap_or(dst, 2, 100 + 63, src, 2, 100);
	CHECK_EQ(dst[0], 0);
	CHECK_EQ(dst[1], 0x80000000u);
	/* Far apart (also across 2^32 and by 2^63): nothing. */
	memset(dst, 0, sizeof(dst));
	counters_bitmap_or(dst, 4, 100 + 128, src, 4, 100);
	counters_bitmap_or(dst, 4, 1ull << 63, src, 4, 1);
	counters_bitmap_or(dst, 4, UINT64_MAX, src, 4, 0);
	CHECK_EQ(dst[0] | dst[1] | dst[2] | dst[3], 0);
	/* A newer source is never applied to an older frame. */
	counters_bitmap_or(dst, 4, 100, src, 4, 101);
	CHECK_EQ(dst[0] | dst[1] | dst[2] | dst[3], 0);
	/* ESN across 2^32. */
	memset(dst, 0, sizeof(dst));
	counters_bitmap_or(dst, 1, (1ull << 32) + 1, src, 1, U32MAX);
	CHECK_EQ(dst[0], 0x4u);
}

static void with_bitmap(struct xha_sa *sa, unsigned int words, uint32_t w0,
			uint32_t w1)
{
	memset(sa->bitmap, 0, sizeof(sa->bitmap));
	sa->bitmap_words = words;
	sa->bitmap[0] = w0;
	if (words > 1)
		sa->bitmap[1] = w1;
	sa->has |= XHA_SA_HAS_BITMAP;
}

static void test_merge(void)
{
	struct xha_sa a, b, old, x;

	/* Older then newer: the older window shifted by 4. */
	t_rec(&a, XFRM_HA_REPLAY_BMP, 10, 100, 1);
	with_bitmap(&a, 2, 0x0000000bu, 0x80000000u);	/* 100, 99, 97; 37 */
	t_rec(&b, XFRM_HA_REPLAY_BMP, 20, 104, 1);
	with_bitmap(&b, 2, 0x00000011u, 0);		/* 104, 100 */
	old = a;
	counters_merge(&a, &b);
	CHECK_EQ(a.oseq, 20);
	CHECK_EQ(a.seq, 104);
	CHECK_EQ(a.bitmap_words, 2);
	CHECK_EQ(a.bitmap[0], 0x11u | 0xb0u);	/* 104, 100, 103... */
	CHECK_EQ(a.bitmap[1], 0);		/* 37 fell out (bit 67) */
	/* Newer then older: the same result. */
	x = b;
	counters_merge(&x, &old);
	CHECK_EQ(x.seq, 104);
	CHECK_EQ(x.oseq, 20);
	CHECK_EQ(x.bitmap[0], a.bitmap[0]);
	CHECK_EQ(x.bitmap[1], a.bitmap[1]);
	/* Equal seq: a plain OR; oseq from whichever is higher. */
	t_rec(&a, XFRM_HA_REPLAY_LEGACY, 50, 7, 1);
	with_bitmap(&a, 1, 0x1, 0);
	t_rec(&b, XFRM_HA_REPLAY_LEGACY, 40, 7, 1);
	with_bitmap(&b, 1, 0x6, 0);
	counters_merge(&a, &b);
	CHECK_EQ(a.oseq, 50);
	CHECK_EQ(a.bitmap[0], 0x7);
	/* Without a bitmap, a record contributes its top. */
	t_rec(&a, XFRM_HA_REPLAY_BMP, 1, 90, 1);
	t_rec(&b, XFRM_HA_REPLAY_BMP, 1, 95, 1);
	with_bitmap(&b, 1, 0x1, 0);
	counters_merge(&a, &b);
	CHECK(a.has & XHA_SA_HAS_BITMAP);
	CHECK_EQ(a.bitmap[0], 0x21u);		/* 95 and 90 */
	/* Lifetimes: the maximum of each, from either side. */
	t_rec(&a, XFRM_HA_REPLAY_BMP, 1, 0, 1);
	t_rec(&b, XFRM_HA_REPLAY_BMP, 1, 0, 1);
	b.has |= XHA_SA_HAS_LIFETIME;
	b.bytes = 700;
	b.packets = 3;
	counters_merge(&a, &b);
	CHECK(a.has & XHA_SA_HAS_LIFETIME);
	CHECK_EQ(a.bytes, 700);
	b.bytes = 600;
	b.packets = 9;
	counters_merge(&a, &b);
	CHECK_EQ(a.bytes, 700);
	CHECK_EQ(a.packets, 9);
	CHECK(!(a.has & XHA_SA_HAS_BITMAP));	/* seq 0: no window */
	/* ESN windows across 2^32, 128 words. */
	t_rec(&a, XFRM_HA_REPLAY_ESN, 1, U32MAX, 1);
	with_bitmap(&a, 128, 0x1, 0);
	a.bitmap[127] = 0x80000000u;		/* U32MAX - 4095 */
	t_rec(&b, XFRM_HA_REPLAY_ESN, 1, (1ull << 32) + 1, 1);
	with_bitmap(&b, 128, 0x1, 0);
	counters_merge(&a, &b);
	CHECK_EQ(a.seq, (1ull << 32) + 1);
	CHECK_EQ(a.bitmap[0], 0x5u);
	CHECK_EQ(a.bitmap[127], 0);
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

	t_rec(&a, XFRM_HA_REPLAY_ESN, 10, 20, 1);
	t_rec(&b, XFRM_HA_REPLAY_ESN, 10, 20, 2);
	t_rec(&c, XFRM_HA_REPLAY_ESN, 10, 20, 3);
	t_rec(&d, XFRM_HA_REPLAY_ESN, 10, 20, 4);
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
	t_rec(&a, XFRM_HA_REPLAY_ESN, 10, 20, 1);
	pending_put(pt, &a, 0);
	a.oseq = 30;
	a.seq = 5;
	pending_put(pt, &a, 0);
	memset(&got, 0, sizeof(got));
	pending_walk(pt, get_cb, &got);
	CHECK_EQ(got.oseq, 30);
	CHECK_EQ(got.seq, 20);
	pending_free(pt);

	/* Pending records merge windows and lifetimes, too. */
	pt = pending_new(2);
	t_rec(&a, XFRM_HA_REPLAY_BMP, 10, 100, 1);
	with_bitmap(&a, 1, 0x3, 0);
	a.has |= XHA_SA_HAS_LIFETIME;
	a.bytes = 10;
	a.packets = 1;
	CHECK_EQ(pending_put(pt, &a, 0), 1);
	t_rec(&a, XFRM_HA_REPLAY_BMP, 12, 102, 1);
	with_bitmap(&a, 1, 0x1, 0);
	a.has |= XHA_SA_HAS_LIFETIME;
	a.bytes = 30;
	a.packets = 1;
	CHECK_EQ(pending_put(pt, &a, 1), 0);
	memset(&got, 0, sizeof(got));
	pending_walk(pt, get_cb, &got);
	CHECK_EQ(got.seq, 102);
	CHECK_EQ(got.oseq, 12);
	CHECK_EQ(got.bitmap[0], 0xdu);
	CHECK_EQ(got.bytes, 30);
	pending_free(pt);
}

/*
 * Many records waiting (a rejoin: 100k SAs not installed yet): the table
 * grows, every one is found, and a sweep that runs while entries come and
 * go (the table growing under it) sees each entry there all along exactly
 * once per round.
 */
#define MANY 50000

static void test_pending_many(void)
{
	struct pending *pt = pending_new(MANY + 1000);
	static struct xha_sa recs[64];
	static unsigned char seen[MANY + 1000];
	uint64_t first[64];
	unsigned int i, rounds = 0;
	bool wrapped = false, dup = false;
	struct xha_sa r;
	size_t n;

	for (i = 0; i < MANY / 2; i++) {
		t_rec(&r, XFRM_HA_REPLAY_ESN, i, i, i);
		CHECK_EQ(pending_put(pt, &r, i), 1);
	}
	/* A round begins; half of it is read. */
	for (i = 0; i < MANY / 4; i += (unsigned int)n) {
		n = pending_next(pt, 64, recs, first, &wrapped);
		CHECK(!wrapped);
		while (n--)
			seen[ntohl(recs[n].spi)]++;
		n = 64;
	}
	/* The other half comes (the table grows twice), a few go. */
	for (i = MANY / 2; i < MANY; i++) {
		t_rec(&r, XFRM_HA_REPLAY_ESN, i, i, i);
		CHECK_EQ(pending_put(pt, &r, i), 1);
	}
	for (i = 0; i < MANY; i += 1000) {
		t_rec(&r, XFRM_HA_REPLAY_ESN, 0, 0, i);
		CHECK_EQ(pending_del(pt, &r), 1);
		seen[i] = 1;	/* gone: not required */
	}
	CHECK_EQ(pending_count(pt), MANY - MANY / 1000);
	do {
		n = pending_next(pt, 64, recs, first, &wrapped);
		for (i = 0; i < n; i++)
			seen[ntohl(recs[i].spi)]++;
	} while (!wrapped && ++rounds < MANY);
	CHECK(wrapped);
	for (i = 0; i < MANY / 2; i++) {
		if (i % 1000 && seen[i] != 1)
			dup = true;
	}
	CHECK(!dup);
	/* Every one is there, and merges into its own entry. */
	for (i = 1; i < MANY; i += 7) {
		if (!(i % 1000))
			continue;
		t_rec(&r, XFRM_HA_REPLAY_ESN, i + 5, 0, i);
		CHECK_EQ(pending_put(pt, &r, 0), 0);
		CHECK(pending_get(pt, &r, &r, &first[0]));
		CHECK_EQ(r.oseq, i + 5);
		CHECK_EQ(r.seq, i);
		CHECK_EQ(first[0], i);
	}
	pending_free(pt);
}

int main(void)
{
	RUN(test_shift_saturation);
	RUN(test_target);
	RUN(test_raise_only);
	RUN(test_target_v2);
	RUN(test_raise_only_v2);
	RUN(test_bitmap_or);
	RUN(test_merge);
	RUN(test_pending);
	RUN(test_pending_many);
	DONE();
}
