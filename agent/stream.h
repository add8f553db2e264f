/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SEQNUM stream between one boot of ours and one boot of the peer, in
 * the manner of conntrackd's FT-FW: 64-bit sequence numbers from 1 (they
 * never wrap), a bounded resend queue on the sending side, and on the
 * receiving side the cumulative acknowledgement with a window of what
 * arrived above it, from which the missing ranges (NACKs) are computed.
 * No I/O and no clock of its own; peer.c drives it.
 */
#ifndef AGENT_STREAM_H
#define AGENT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Messages kept for resending; also the receiver's window: a sender
 * never has more unacknowledged messages than this. */
#define STREAM_QUEUE_MAX 4096
#define STREAM_RX_WINDOW STREAM_QUEUE_MAX

struct stream_msg {
	uint64_t seq;
	uint64_t first_ms;	/* first sent */
	uint64_t last_ms;	/* last (re)sent */
	uint32_t sends;
	uint16_t len;
	uint8_t buf[];
};

struct stream_tx {
	struct stream_msg **q;	/* ring of cap entries, oldest at head */
	size_t cap, head, count;
	uint64_t next;		/* seq of the next message: 1, 2, ... */
	uint64_t overflow;	/* unacknowledged messages dropped: queue full */
	uint64_t acked;		/* messages acknowledged */
	uint64_t lag_worst_ms;	/* longest first send -> acknowledgement */
};

int stream_tx_init(struct stream_tx *tx, size_t cap);
void stream_tx_free(struct stream_tx *tx);
/* A new stream (a new peer boot): nothing queued, seq 1 next. */
void stream_tx_reset(struct stream_tx *tx);
/*
 * Queue a copy of the payload under the next seq and return that seq
 * (0: out of memory). A full queue drops its oldest message first
 * (counted): the receiver then learns from tx_low that it cannot have it.
 */
uint64_t stream_tx_push(struct stream_tx *tx, const uint8_t *buf, size_t len,
			uint64_t now);
/* The last seq sent (0: none) and the oldest still resendable. */
uint64_t stream_tx_last(const struct stream_tx *tx);
uint64_t stream_tx_low(const struct stream_tx *tx);
/* The queued message with this seq, or NULL. */
struct stream_msg *stream_tx_get(const struct stream_tx *tx, uint64_t seq);
/* Everything up to ack was received: drop it. Returns how many. An ack
 * beyond what was sent is clipped. */
size_t stream_tx_ack(struct stream_tx *tx, uint64_t ack, uint64_t now);

struct stream_rx {
	uint64_t cum;		/* every seq up to it received or given up */
	uint64_t top;		/* highest seq known to exist (received or
				 * announced by the sender) */
	uint64_t bits[STREAM_RX_WINDOW / 64];	/* bit i: cum + 1 + i arrived */
	uint64_t lost;		/* seqs given up: the sender no longer has them */
	uint64_t dup;		/* duplicates dropped */
};

void stream_rx_reset(struct stream_rx *rx);
/*
 * A message with this seq arrived. Returns true if it is new (deliver
 * it), false for a duplicate. A seq beyond the window gives up what lies
 * below the window first (the sender cannot have it anymore); *lost is
 * raised by what was given up.
 */
bool stream_rx_accept(struct stream_rx *rx, uint64_t seq, uint64_t *lost);
/* The sender announced its last seq (a heartbeat): a tail may be missing. */
void stream_rx_announce(struct stream_rx *rx, uint64_t last);
/* The sender can resend nothing below low: give it up. Returns how many
 * seqs were missing. */
uint64_t stream_rx_giveup(struct stream_rx *rx, uint64_t low);
/* Missing ranges between cum and top, ascending; returns their number
 * (at most max). */
unsigned int stream_rx_gaps(const struct stream_rx *rx, uint64_t (*ranges)[2],
			    unsigned int max);

#endif /* AGENT_STREAM_H */
