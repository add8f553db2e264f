// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the post-decryption parsers on their own (SEQNUM
 * records, HELLO, KEEPALIVE), then what the backup computes from each
 * record it accepts: the oseq-shift target, the raise-only retry and the
 * merge of two records of one SA (replay windows, lifetimes).
 */
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "fuzz.h"
#include "linux/xfrm_ha.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xha_sa recs[PROTO_MAX_RECORDS], t, out, m1, m2;
	const struct xha_sa *cur;
	struct proto_keepalive ka;
	struct proto_hello hello;
	struct proto_seqnum sh;
	uint8_t *copy;
	uint32_t shift;
	int n, i;

	if (size < 5)
		return 0;
	shift = (uint32_t)data[1] << 24 | data[2] << 16 | data[3] << 8 | data[4];
	copy = malloc(size - 5 ? size - 5 : 1);
	memcpy(copy, data + 5, size - 5);
	switch (data[0] % 3) {
	case 0:
		n = proto_seqnum_decode(copy, size - 5, &sh, recs);
		if (n > PROTO_MAX_RECORDS)
			abort();
		for (i = 0; i < n; i++) {
			uint64_t lim = counters_limit(recs[i].replay_mode);

			if (!proto_record_ok(&recs[i]))
				abort();
			counters_target(&recs[i], shift, &t);
			/* Never beyond the SA's width, never below the record. */
			if (t.oseq > lim || t.oseq < recs[i].oseq ||
			    t.seq != recs[i].seq)
				abort();
			/* Against itself as the current state, and against the
			 * next record: only strictly higher counters remain. */
			if (counters_raise_only(&t, &t, &out))
				abort();
			cur = &recs[(i + 1) % n];
			if (counters_raise_only(&t, cur, &out) &&
			    (((out.has & XHA_SA_HAS_OSEQ) &&
			      out.oseq <= cur->oseq) ||
			     ((out.has & XHA_SA_HAS_SEQ) &&
			      (out.seq < cur->seq ||
			       (out.seq == cur->seq &&
				!(out.has & XHA_SA_HAS_BITMAP))))))
				abort();
			/* A bitmap only ever goes with its seq. */
			if ((out.has & XHA_SA_HAS_BITMAP) &&
			    (!(out.has & XHA_SA_HAS_SEQ) || out.seq != t.seq))
				abort();
			/* Merging never lowers anything and keeps the
			 * window within bounds; both orders agree. */
			m1 = recs[i];
			counters_merge(&m1, cur);
			m2 = *cur;
			counters_merge(&m2, &recs[i]);
			if (m1.oseq < recs[i].oseq || m1.oseq < cur->oseq ||
			    m1.seq < recs[i].seq || m1.seq < cur->seq ||
			    m1.bitmap_words > XHA_BITMAP_MAX_WORDS ||
			    m1.oseq != m2.oseq || m1.seq != m2.seq ||
			    m1.bytes != m2.bytes || m1.packets != m2.packets ||
			    (m1.has & XHA_SA_HAS_BITMAP) !=
				    (m2.has & XHA_SA_HAS_BITMAP) ||
			    ((m1.has & XHA_SA_HAS_BITMAP) &&
			     (m1.bitmap_words != m2.bitmap_words ||
			      memcmp(m1.bitmap, m2.bitmap,
				     4 * m1.bitmap_words))))
				abort();
		}
		break;
	case 1:
		proto_hello_decode(copy, size - 5, &hello);
		break;
	case 2:
		proto_keepalive_decode(copy, size - 5, &ka);
		break;
	}
	free(copy);
	return 0;
}
