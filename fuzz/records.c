// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the post-decryption parsers on their own (SEQNUM
 * records, HELLO, KEEPALIVE, ACK), then what the backup computes from each
 * record it accepts: the oseq-shift target, the raise-only retry and the
 * merge of two records of one SA (replay windows, lifetimes).
 * Byte 0 % 4 picks the parser, bytes 1..4 the shift; the payload follows.
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
	struct proto_ack ack;
	uint64_t floor;
	uint8_t *copy;
	uint32_t shift;
	int n, i;

	if (size < 5)
		return 0;
	shift = (uint32_t)data[1] << 24 | data[2] << 16 | data[3] << 8 | data[4];
	copy = malloc(size - 5 ? size - 5 : 1);
	memcpy(copy, data + 5, size - 5);
	switch (data[0] % 4) {
	case 0:
		n = proto_seqnum_decode(copy, size - 5, &sh, recs);
		if (n > PROTO_MAX_RECORDS || (n >= 0 && n != sh.count))
			abort();
		/* The bulk's extent travels with its end only. */
		if (n >= 0 && !(sh.flags & PROTO_SEQNUM_BULK_END) &&
		    (sh.bulk_first || sh.bulk_records))
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
		if (proto_keepalive_decode(copy, size - 5, &ka) == 0 &&
		    ka.tx_low > ka.tx_last + 1)
			abort();
		break;
	case 3:
		if (proto_ack_decode(copy, size - 5, &ack))
			break;
		if (size - 5 < PROTO_ACK_HDR_LEN + 16 * (size_t)ack.nranges ||
		    ack.nranges > PROTO_MAX_NACK || !ack.stream_boot)
			abort();
		floor = ack.ack;
		for (i = 0; i < ack.nranges; i++) {
			if (ack.range[i].first <= floor ||
			    ack.range[i].last < ack.range[i].first)
				abort();
			floor = ack.range[i].last;
		}
		break;
	}
	free(copy);
	return 0;
}
