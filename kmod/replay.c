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

/* Fill snap from x. Returns -ENOENT if x is no longer a VALID SA. */
int xha_snap_read(struct xfrm_state *x, struct xha_snap *snap)
{
	int err = 0;

	memset(snap, 0, sizeof(*snap));
	xha_key_from_state(x, &snap->key);

	spin_lock_bh(&x->lock);
	if (x->km.state != XFRM_STATE_VALID ||
	    (x->repl_mode != XFRM_REPLAY_MODE_LEGACY && !x->replay_esn)) {
		err = -ENOENT;
		goto out;
	}
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
out:
	spin_unlock_bh(&x->lock);
	return err;
}

/*
 * Slide an inbound window forward to top, as if the packet with sequence
 * number top had just been received, exactly as xfrm_replay_advance*() do.
 */
static void xha_window_advance(struct xfrm_state *x, u64 cur, u64 top)
{
	struct xfrm_replay_state_esn *esn = x->replay_esn;
	u64 diff = top - cur;
	unsigned int bitnr, wsize;
	u32 pos, i;

	if (x->repl_mode == XFRM_REPLAY_MODE_LEGACY) {
		if (!x->props.replay_window)
			return;
		if (diff < min_t(u32, x->props.replay_window, 32))
			x->replay.bitmap = (x->replay.bitmap << diff) | 1;
		else
			x->replay.bitmap = 1;
		return;
	}

	wsize = esn->replay_window;
	if (!wsize)
		return;
	pos = (esn->seq - 1) % wsize;
	if (diff < wsize) {
		for (i = 1; i < diff; i++) {
			bitnr = (pos + i) % wsize;
			esn->bmp[bitnr >> 5] &= ~(1U << (bitnr & 31));
		}
		bitnr = (pos + diff) % wsize;
	} else {
		memset(esn->bmp, 0, ((wsize - 1) / 32 + 1) * sizeof(u32));
		/* Where the datapath will look for the new top. */
		bitnr = (lower_32_bits(top) - 1) % wsize;
	}
	esn->bmp[bitnr >> 5] |= 1U << (bitnr & 31);
}

/* Caller holds x->lock and checked that top >= the current seq. */
static void xha_seq_raise(struct xfrm_state *x, u64 cur, u64 top)
{
	struct xfrm_replay_state_esn *esn = x->replay_esn;

	if (top == cur)
		return;
	/* Uses the old seq to find the ring position: before the store. */
	xha_window_advance(x, cur, top);
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
 * Raise oseq and/or seq (NULL: leave alone). All or nothing: a value below
 * the current counter, or too wide for a non-ESN SA, refuses the whole
 * request. On success snap holds the SA as written.
 */
int xha_counters_write(struct xfrm_state *x, const u64 *oseq, const u64 *seq,
		       struct xha_snap *snap, struct netlink_ext_ack *extack)
{
	u64 cur_oseq, cur_seq;
	int err;

	if (x->xso.dev) {
		NL_SET_ERR_MSG(extack, "SA is offloaded: its counters live in the device");
		return -EOPNOTSUPP;
	}

	spin_lock_bh(&x->lock);
	if (x->km.state != XFRM_STATE_VALID) {
		NL_SET_ERR_MSG(extack, "SA is not valid (being deleted or expired)");
		err = -ENOENT;
		goto out;
	}
	if (x->repl_mode != XFRM_REPLAY_MODE_LEGACY && !x->replay_esn) {
		NL_SET_ERR_MSG(extack, "SA has no replay state");
		err = -EOPNOTSUPP;
		goto out;
	}
	if (x->repl_mode != XFRM_REPLAY_MODE_ESN &&
	    ((oseq && *oseq > U32_MAX) || (seq && *seq > U32_MAX))) {
		NL_SET_ERR_MSG(extack, "SA has no extended sequence numbers: counters are 32-bit");
		err = -EINVAL;
		goto out;
	}

	xha_counters_get(x, &cur_oseq, &cur_seq);
	if (oseq && *oseq < cur_oseq) {
		NL_SET_ERR_MSG_FMT(extack, "oseq %llu is below the SA's current %llu",
				   *oseq, cur_oseq);
		err = -ERANGE;
		goto out;
	}
	if (seq && *seq < cur_seq) {
		NL_SET_ERR_MSG_FMT(extack, "seq %llu is below the SA's current %llu",
				   *seq, cur_seq);
		err = -ERANGE;
		goto out;
	}

	if (oseq)
		xha_oseq_raise(x, *oseq);
	if (seq)
		xha_seq_raise(x, cur_seq, *seq);
	err = 0;
out:
	spin_unlock_bh(&x->lock);
	if (!err)
		err = xha_snap_read(x, snap);
	return err;
}
