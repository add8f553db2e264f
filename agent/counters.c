// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "linux/xfrm_ha.h"
#include "counters.h"

uint64_t counters_limit(uint8_t replay_mode)
{
	return replay_mode == XFRM_HA_REPLAY_ESN ? UINT64_MAX : UINT32_MAX;
}

uint64_t counters_shift(uint64_t oseq, uint32_t shift, uint8_t replay_mode)
{
	uint64_t limit = counters_limit(replay_mode);

	if (oseq >= limit || limit - oseq < shift)
		return limit;
	return oseq + shift;
}

void counters_target(const struct xha_sa *rec, uint32_t shift,
		     struct xha_sa *t)
{
	*t = *rec;
	t->has &= ~(XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ);
	t->oseq = counters_shift(rec->oseq, shift, rec->replay_mode);
	t->seq = rec->seq > counters_limit(rec->replay_mode) ?
			 counters_limit(rec->replay_mode) : rec->seq;
	if (t->oseq)
		t->has |= XHA_SA_HAS_OSEQ;
	if (t->seq)
		t->has |= XHA_SA_HAS_SEQ;
}

bool counters_raise_only(const struct xha_sa *t, const struct xha_sa *cur,
			 struct xha_sa *out)
{
	uint64_t limit = (cur->has & XHA_SA_HAS_REPLAY) ?
				 counters_limit(cur->replay_mode) : UINT64_MAX;
	uint64_t oseq = t->oseq > limit ? limit : t->oseq;
	uint64_t seq = t->seq > limit ? limit : t->seq;

	*out = *t;
	out->has &= ~(XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ);
	out->oseq = oseq;
	out->seq = seq;
	if ((t->has & XHA_SA_HAS_OSEQ) && oseq > cur->oseq)
		out->has |= XHA_SA_HAS_OSEQ;
	if ((t->has & XHA_SA_HAS_SEQ) && seq > cur->seq)
		out->has |= XHA_SA_HAS_SEQ;
	return out->has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ);
}

void counters_merge(struct xha_sa *into, const struct xha_sa *rec)
{
	if (rec->oseq > into->oseq)
		into->oseq = rec->oseq;
	if (rec->seq > into->seq)
		into->seq = rec->seq;
	into->replay_mode = rec->replay_mode;
}
