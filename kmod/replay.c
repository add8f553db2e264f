// SPDX-License-Identifier: GPL-2.0
/*
 * Reading and raising an SA's replay counters in its three replay modes:
 *
 *   LEGACY  x->replay: 32-bit oseq/seq, 32-bit bitmap, window in
 *           x->props.replay_window.
 *   BMP     x->replay_esn without ESN: 32-bit oseq/seq, bitmap of bmp_len
 *           words used as a ring indexed by (seq - 1) % replay_window.
 *   ESN     x->replay_esn with oseq_hi/seq_hi: 64-bit counters.
 *
 * The datapath reads and writes these under x->lock (xfrm_input() and
 * xfrm_output_one()), so do we.
 */

#include <linux/limits.h>
#include <net/xfrm.h>
#include <uapi/linux/xfrm_ha.h>

#include "xfrm_ha.h"

void xha_key_from_state(const struct xfrm_state *x, struct xha_key *key)
{
	memset(key, 0, sizeof(*key));
	memcpy(&key->daddr, &x->id.daddr, sizeof(key->daddr));
	if (x->props.family == AF_INET)
		memset(key->daddr.a6 + 1, 0, sizeof(key->daddr) - 4);
	key->spi = x->id.spi;
	key->mark = x->mark.v;
	key->if_id = x->if_id;
	key->family = x->props.family;
	key->proto = x->id.proto;
}

static u8 xha_replay_mode(const struct xfrm_state *x)
{
	switch (x->repl_mode) {
	case XFRM_REPLAY_MODE_LEGACY:
		return XFRM_HA_REPLAY_LEGACY;
	case XFRM_REPLAY_MODE_BMP:
		return XFRM_HA_REPLAY_BMP;
	case XFRM_REPLAY_MODE_ESN:
		return XFRM_HA_REPLAY_ESN;
	}
	return XFRM_HA_REPLAY_UNSPEC;
}

/* Caller holds x->lock. */
static void xha_counters_get(const struct xfrm_state *x, u64 *oseq, u64 *seq)
{
	const struct xfrm_replay_state_esn *esn = x->replay_esn;

	switch (x->repl_mode) {
	case XFRM_REPLAY_MODE_LEGACY:
		*oseq = x->replay.oseq;
		*seq = x->replay.seq;
		break;
	case XFRM_REPLAY_MODE_BMP:
		*oseq = esn->oseq;
		*seq = esn->seq;
		break;
	case XFRM_REPLAY_MODE_ESN:
		*oseq = (u64)esn->oseq_hi << 32 | esn->oseq;
		*seq = (u64)esn->seq_hi << 32 | esn->seq;
		break;
	}
}

static void xha_window_export(const struct xfrm_state *x,
			      struct xha_snap *snap);

/* xha_snap_read() with x->lock held and the SA checked. */
static void xha_snap_fill(struct xfrm_state *x, struct xha_snap *snap,
			  bool window)
{
	memcpy(&snap->saddr, &x->props.saddr, sizeof(snap->saddr));
	if (x->props.family == AF_INET)
		memset(snap->saddr.a6 + 1, 0, sizeof(snap->saddr) - 4);
	xha_counters_get(x, &snap->oseq, &snap->seq);
	snap->replay_mode = xha_replay_mode(x);
	snap->replay_window = x->repl_mode == XFRM_REPLAY_MODE_LEGACY ?
			      x->props.replay_window :
			      x->replay_esn->replay_window;
	snap->bytes = x->curlft.bytes;
	snap->packets = x->curlft.packets;
	if (window)
		xha_window_export(x, snap);
}

static void xha_snap_init(struct xfrm_state *x, struct xha_snap *snap,
			  bool window)
{
	memset(snap, 0, offsetof(struct xha_snap, bmp));
	if (window)
		memset(snap->bmp, 0, sizeof(snap->bmp));
	xha_key_from_state(x, &snap->key);
}

/*
 * Fill snap from x, with the inbound window if window is true (it costs a
 * walk over the ring). Returns -ENOENT if x is no longer a VALID SA.
 */
int xha_snap_read(struct xfrm_state *x, struct xha_snap *snap, bool window)
{
	int err = 0;

	xha_snap_init(x, snap, window);
	spin_lock_bh(&x->lock);
	if (x->km.state != XFRM_STATE_VALID ||
	    (x->repl_mode != XFRM_REPLAY_MODE_LEGACY && !x->replay_esn))
		err = -ENOENT;
	else
		xha_snap_fill(x, snap, window);
	spin_unlock_bh(&x->lock);
	return err;
}

/*
 * The counters of x whatever its state, without the window: the final
 * record of an SA that is gone. x must have replay state, which only a
 * VALID SA is checked for: a dead one kept what it had.
 */
void xha_snap_read_any(struct xfrm_state *x, struct xha_snap *snap)
{
	xha_snap_init(x, snap, false);
	spin_lock_bh(&x->lock);
	if (x->repl_mode == XFRM_REPLAY_MODE_LEGACY || x->replay_esn)
		xha_snap_fill(x, snap, false);
	spin_unlock_bh(&x->lock);
}

/* Words of the window a bitmap of wsize positions takes. */
static u32 xha_bmp_words(u32 wsize)
{
	return DIV_ROUND_UP(wsize, 32);
}

/*
 * Where the datapath keeps the bit of the sequence number diff below the
 * top: the ring position xfrm_replay_check_bmp/_esn() compute, from the low
 * 32 bits of the top as they do.
 */
static u32 xha_ring_bit(u32 top_lo, u32 wsize, u32 diff)
{
	u32 pos = (top_lo - 1) % wsize;

	return pos >= diff ? pos - diff : wsize - (diff - pos);
}

/* The live window of x: the SA's own length, 0 if anti-replay is off. */
static u32 xha_window(const struct xfrm_state *x)
{
	if (x->repl_mode == XFRM_REPLAY_MODE_LEGACY)
		return min_t(u32, x->props.replay_window, 32);
	/* xfrm_user's verify_replay() keeps it within 128 words. */
	if (WARN_ON_ONCE(x->replay_esn->replay_window > XHA_BMP_WORDS * 32))
		return 0;
	return x->replay_esn->replay_window;
}

/*
 * Copy the window of x into win relative to the top seq (bit i: seq - i
 * accepted), for positions 1..seq only. Caller holds x->lock and zeroed
 * win. Returns the number of words used, 0 if x has no window or seq is 0.
 */
static u32 xha_window_get(const struct xfrm_state *x, u64 seq, u32 *win)
{
	const struct xfrm_replay_state_esn *esn = x->replay_esn;
	u32 wsize = xha_window(x), n, i, bit;

	if (!wsize || !seq)
		return 0;
	n = (u32)min_t(u64, wsize, seq);
	if (x->repl_mode == XFRM_REPLAY_MODE_LEGACY) {
		win[0] = x->replay.bitmap;
		if (n < 32)
			win[0] &= (1U << n) - 1;
		return 1;
	}
	/* From the top down, one ring step at a time (no division). */
	bit = xha_ring_bit(esn->seq, wsize, 0);
	for (i = 0; i < n; i++) {
		if (esn->bmp[bit >> 5] & (1U << (bit & 31)))
			win[i >> 5] |= 1U << (i & 31);
		bit = bit ? bit - 1 : wsize - 1;
	}
	return xha_bmp_words(wsize);
}

/*
 * The window for a record: as xha_window_get() gives it, plus the
 * positions past the SA's window up to the end of the last word, which the
 * SA refuses as too old, so that a reader with a wider window refuses them
 * too (uapi: bits beyond the window are set).
 */
static void xha_window_export(const struct xfrm_state *x,
			      struct xha_snap *snap)
{
	u32 words = xha_window_get(x, snap->seq, snap->bmp);
	u32 i, end = (u32)min_t(u64, words * 32, snap->seq);

	for (i = xha_window(x); i < end; i++)
		snap->bmp[i >> 5] |= 1U << (i & 31);
	snap->bmp_words = words;
}

/* Store a relative window (as xha_window_get() gives it) into x. */
static void xha_window_put(struct xfrm_state *x, const u32 *win)
{
	struct xfrm_replay_state_esn *esn = x->replay_esn;
	u32 wsize = xha_window(x), i, bit;

	if (!wsize)
		return;
	if (x->repl_mode == XFRM_REPLAY_MODE_LEGACY) {
		x->replay.bitmap = win[0];
		return;
	}
	memset(esn->bmp, 0, xha_bmp_words(wsize) * sizeof(u32));
	bit = xha_ring_bit(esn->seq, wsize, 0);
	for (i = 0; i < wsize; i++) {
		if (win[i >> 5] & (1U << (i & 31)))
			esn->bmp[bit >> 5] |= 1U << (bit & 31);
		bit = bit ? bit - 1 : wsize - 1;
	}
}

/* Move a relative window n positions away from the top (n < 4096). */
static void xha_window_shift(u32 *win, u32 n)
{
	int w = n / 32, b = n % 32, i;
	u32 v;

	for (i = XHA_BMP_WORDS - 1; i >= 0; i--) {
		v = i >= w ? win[i - w] << b : 0;
		if (b && i > w)
			v |= win[i - w - 1] >> (32 - b);
		win[i] = v;
	}
}

static void xha_seq_store(struct xfrm_state *x, u64 top)
{
	struct xfrm_replay_state_esn *esn = x->replay_esn;

	switch (x->repl_mode) {
	case XFRM_REPLAY_MODE_LEGACY:
		x->replay.seq = top;
		break;
	case XFRM_REPLAY_MODE_BMP:
		esn->seq = top;
		break;
	case XFRM_REPLAY_MODE_ESN:
		esn->seq = lower_32_bits(top);
		esn->seq_hi = upper_32_bits(top);
		break;
	}
}

/*
 * Raise the top of the inbound window from cur to top (top >= cur) and
 * merge the writer's window rw (rwords words relative to top, NULL: none)
 * into it. Works on the window relative to the top, as the replay checks
 * see it: every position seen before stays seen (it only moves down by
 * top - cur), the new top is marked seen, every position rw marks is
 * marked seen, and, when rw is given, positions older than rw covers
 * (rwords * 32 and up) are marked seen too, as the writer would have
 * refused them as too old. Nothing set is ever cleared. Caller holds
 * x->lock; win is scratch space of XHA_BMP_WORDS words.
 */
static void xha_seq_merge(struct xfrm_state *x, u64 cur, u64 top,
			  const u32 *rw, u32 rwords, u32 *win)
{
	u32 wsize = xha_window(x), words = xha_bmp_words(wsize), i, lim;
	u64 diff = top - cur;

	memset(win, 0, XHA_BMP_WORDS * sizeof(u32));
	if (wsize && diff < wsize) {
		xha_window_get(x, cur, win);
		xha_window_shift(win, diff);
	}
	if (top != cur)
		win[0] |= 1;
	if (rw) {
		for (i = 0; i < min(words, rwords); i++)
			win[i] |= rw[i];
		for (i = rwords * 32; i < wsize; i++)
			win[i >> 5] |= 1U << (i & 31);
	}
	/* Nothing beyond the window, nothing at or below sequence number 0. */
	lim = (u32)min_t(u64, wsize, top);
	for (i = lim; i < words * 32; i++)
		win[i >> 5] &= ~(1U << (i & 31));

	xha_seq_store(x, top);
	xha_window_put(x, win);
}

static void xha_oseq_raise(struct xfrm_state *x, u64 top)
{
	struct xfrm_replay_state_esn *esn = x->replay_esn;

	switch (x->repl_mode) {
	case XFRM_REPLAY_MODE_LEGACY:
		x->replay.oseq = top;
		break;
	case XFRM_REPLAY_MODE_BMP:
		esn->oseq = top;
		break;
	case XFRM_REPLAY_MODE_ESN:
		esn->oseq = lower_32_bits(top);
		esn->oseq_hi = upper_32_bits(top);
		break;
	}
}

/*
 * The wrap guard: a non-ESN SA that may not wrap gets a soft expire once a
 * write takes its oseq within the margin of 2^32, so that the IKE daemon
 * rekeys before the SA runs dry, and the write gives up the slack of its
 * advance to leave that margin: it stops at the limit, but never below
 * w->oseq_min (what the writer knows may have been used: a sequence
 * number sent twice under one key is an AEAD nonce used twice) nor below
 * the current oseq. Caller holds x->lock. Returns the oseq to write.
 */
static u64 xha_oseq_guard(struct xfrm_state *x, u64 cur, u64 want,
			  struct xha_write *w)
{
	u64 limit = U32_MAX - (u64)w->wrap_margin;
	u64 val = w->oseq_min ? *w->oseq_min : want;

	if (x->repl_mode == XFRM_REPLAY_MODE_ESN || !w->wrap_margin ||
	    (x->props.extra_flags & XFRM_SA_XFLAG_OSEQ_MAY_WRAP) ||
	    want <= limit)
		return want;
	val = max3(val, limit, cur);
	w->clamped = val < want;
	if (!x->km.dying) {
		/* As xfrm_state_check_expire() does, under x->lock. */
		x->km.dying = 1;
		km_state_expired(x, 0, 0);
		w->expired = true;
	}
	return val;
}

/*
 * Apply a write (see struct xha_write). OSEQ and SEQ are all or nothing: a
 * value below the current counter, or too wide for a non-ESN SA, refuses
 * the whole request. Lifetime counters are only raised. On success snap
 * holds the SA as written, read in the same x->lock hold (without its
 * window: snap->bmp is scratch space here, and w->bmp must not point into
 * it).
 */
int xha_counters_write(struct xfrm_state *x, struct xha_write *w,
		       struct xha_snap *snap, struct netlink_ext_ack *extack)
{
	u64 cur_oseq, cur_seq, oseq = 0;
	int err;

	if (x->xso.dev) {
		NL_SET_ERR_MSG_MOD(extack, "SA is offloaded: its counters live in the device");
		return -EOPNOTSUPP;
	}

	spin_lock_bh(&x->lock);
	if (x->km.state != XFRM_STATE_VALID) {
		NL_SET_ERR_MSG_MOD(extack, "SA is not valid (being deleted or expired)");
		err = -ENOENT;
		goto out;
	}
	if (x->repl_mode != XFRM_REPLAY_MODE_LEGACY && !x->replay_esn) {
		NL_SET_ERR_MSG_MOD(extack, "SA has no replay state");
		err = -EOPNOTSUPP;
		goto out;
	}
	if (x->repl_mode != XFRM_REPLAY_MODE_ESN &&
	    ((w->oseq && *w->oseq > U32_MAX) || (w->seq && *w->seq > U32_MAX))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "SA has no extended sequence numbers: counters are 32-bit");
		err = -EINVAL;
		goto out;
	}

	xha_counters_get(x, &cur_oseq, &cur_seq);
	if (w->oseq && *w->oseq < cur_oseq) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "oseq %llu is below the SA's current %llu",
				       *w->oseq, cur_oseq);
		err = -ERANGE;
		goto out;
	}
	if (w->seq && *w->seq < cur_seq) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "seq %llu is below the SA's current %llu",
				       *w->seq, cur_seq);
		err = -ERANGE;
		goto out;
	}

	if (w->oseq) {
		oseq = xha_oseq_guard(x, cur_oseq, *w->oseq, w);
		xha_oseq_raise(x, oseq);
	}
	if (w->seq && (*w->seq != cur_seq || w->bmp))
		xha_seq_merge(x, cur_seq, *w->seq, w->bmp, w->bmp_words,
			      snap->bmp);
	if (w->bytes && *w->bytes > x->curlft.bytes)
		x->curlft.bytes = *w->bytes;
	if (w->packets && *w->packets > x->curlft.packets)
		x->curlft.packets = *w->packets;
	/* The SA as written, in the same hold: it cannot go away between. */
	xha_snap_init(x, snap, false);
	xha_snap_fill(x, snap, false);
	err = 0;
out:
	spin_unlock_bh(&x->lock);
	if (err)
		return err;
	/* Not NL_SET_ERR_MSG_FMT: 6.1's stand-in has one fixed text. */
	if (w->clamped)
		NL_SET_ERR_MSG_MOD(extack,
				   "oseq clamped short of 2^32 by the wrap guard: the SA is soft-expired");
	return 0;
}
