// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "linux/xfrm_ha.h"
#include "counters.h"

#define WRITE_MASK (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_BITMAP | \
		    XHA_SA_HAS_OSEQ_MIN)

uint64_t counters_limit(uint8_t replay_mode)
{
	return replay_mode == XFRM_HA_REPLAY_ESN ? UINT64_MAX : UINT32_MAX;
}

uint64_t counters_shift(uint64_t oseq, uint64_t shift, uint8_t replay_mode)
{
	uint64_t limit = counters_limit(replay_mode);

	if (oseq >= limit || limit - oseq < shift)
		return limit;
	return oseq + shift;
}

static bool has_bitmap(const struct xha_sa *sa)
{
	return (sa->has & XHA_SA_HAS_BITMAP) && sa->bitmap_words &&
	       sa->bitmap_words <= XHA_BITMAP_MAX_WORDS && sa->seq;
}

void counters_target(const struct xha_sa *rec, uint64_t shift,
		     struct xha_sa *t)
{
	uint64_t limit = counters_limit(rec->replay_mode);

	*t = *rec;
	t->has &= ~WRITE_MASK;
	t->oseq = counters_shift(rec->oseq, shift, rec->replay_mode);
	t->seq = rec->seq > limit ? limit : rec->seq;
	if (t->oseq)
		t->has |= XHA_SA_HAS_OSEQ;
	if (t->seq)
		t->has |= XHA_SA_HAS_SEQ;
	/* The bitmap is relative to seq: only with the very same seq. */
	if (t->seq && t->seq == rec->seq && has_bitmap(rec))
		t->has |= XHA_SA_HAS_BITMAP;
}

/* Does t's window (relative to the same seq as cur's) set a bit cur lacks? */
static bool bitmap_adds(const struct xha_sa *t, const struct xha_sa *cur)
{
	unsigned int i, n;

	if (!has_bitmap(cur))
		return false;	/* no window to merge into */
	n = t->bitmap_words < cur->bitmap_words ? t->bitmap_words :
						  cur->bitmap_words;
	for (i = 0; i < n; i++)
		if (t->bitmap[i] & ~cur->bitmap[i])
			return true;
	return false;
}

static bool lifetime_raises(const struct xha_sa *t, const struct xha_sa *cur)
{
	if (!(t->has & XHA_SA_HAS_LIFETIME))
		return false;
	if (!(cur->has & XHA_SA_HAS_LIFETIME))
		return true;
	return t->bytes > cur->bytes || t->packets > cur->packets;
}

bool counters_raise_only(const struct xha_sa *t, const struct xha_sa *cur,
			 struct xha_sa *out)
{
	uint64_t limit = (cur->has & XHA_SA_HAS_REPLAY) ?
				 counters_limit(cur->replay_mode) : UINT64_MAX;
	uint64_t oseq = t->oseq > limit ? limit : t->oseq;
	uint64_t seq = t->seq > limit ? limit : t->seq;
	bool bitmap = (t->has & XHA_SA_HAS_BITMAP) && seq == t->seq &&
		      has_bitmap(t);

	*out = *t;
	out->has &= ~WRITE_MASK;
	out->oseq = oseq;
	out->seq = seq;
	if ((t->has & XHA_SA_HAS_OSEQ) && oseq > cur->oseq)
		out->has |= XHA_SA_HAS_OSEQ;
	/* The wrap guard's floor goes with the oseq, never above it. */
	if ((out->has & XHA_SA_HAS_OSEQ) && (t->has & XHA_SA_HAS_OSEQ_MIN)) {
		out->oseq_min = t->oseq_min < oseq ? t->oseq_min : oseq;
		out->has |= XHA_SA_HAS_OSEQ_MIN;
	}
	if ((t->has & XHA_SA_HAS_SEQ) &&
	    (seq > cur->seq ||
	     (seq == cur->seq && bitmap && bitmap_adds(t, cur))))
		out->has |= XHA_SA_HAS_SEQ;
	/* Never a bitmap without the seq it is relative to. */
	if ((out->has & XHA_SA_HAS_SEQ) && bitmap)
		out->has |= XHA_SA_HAS_BITMAP;
	return (out->has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ)) ||
	       lifetime_raises(t, cur);
}

void counters_bitmap_or(uint32_t *dst, unsigned int dst_words,
			uint64_t dst_seq, const uint32_t *src,
			unsigned int src_words, uint64_t src_seq)
{
	uint64_t d = dst_seq - src_seq;
	unsigned int ws, bs, k;

	if (src_seq > dst_seq || d >= (uint64_t)dst_words * 32)
		return;
	/* bit i of src is bit i + d of dst */
	ws = (unsigned int)(d / 32);
	bs = (unsigned int)(d % 32);
	for (k = 0; k < src_words && k + ws < dst_words; k++) {
		dst[k + ws] |= src[k] << bs;
		if (bs && k + ws + 1 < dst_words)
			dst[k + ws + 1] |= src[k] >> (32 - bs);
	}
}

void counters_merge(struct xha_sa *into, const struct xha_sa *rec)
{
	static const uint32_t top = 1;	/* a record's own seq, bit 0 */
	uint32_t words[XHA_BITMAP_MAX_WORDS];
	unsigned int n = 0;
	uint64_t seq;

	seq = rec->seq > into->seq ? rec->seq : into->seq;
	if (has_bitmap(into))
		n = into->bitmap_words;
	if (has_bitmap(rec) && rec->bitmap_words > n)
		n = rec->bitmap_words;
	if (n) {
		memset(words, 0, sizeof(words));
		if (has_bitmap(into))
			counters_bitmap_or(words, n, seq, into->bitmap,
					   into->bitmap_words, into->seq);
		else if (into->seq)
			counters_bitmap_or(words, n, seq, &top, 1, into->seq);
		if (has_bitmap(rec))
			counters_bitmap_or(words, n, seq, rec->bitmap,
					   rec->bitmap_words, rec->seq);
		else if (rec->seq)
			counters_bitmap_or(words, n, seq, &top, 1, rec->seq);
		memcpy(into->bitmap, words, n * sizeof(words[0]));
		into->bitmap_words = n;
		into->has |= XHA_SA_HAS_BITMAP;
	}
	if (rec->has & XHA_SA_HAS_LIFETIME) {
		if (!(into->has & XHA_SA_HAS_LIFETIME)) {
			into->bytes = 0;
			into->packets = 0;
		}
		if (rec->bytes > into->bytes)
			into->bytes = rec->bytes;
		if (rec->packets > into->packets)
			into->packets = rec->packets;
		into->has |= XHA_SA_HAS_LIFETIME;
	}
	if (rec->oseq > into->oseq)
		into->oseq = rec->oseq;
	into->seq = seq;
	into->replay_mode = rec->replay_mode;
}
