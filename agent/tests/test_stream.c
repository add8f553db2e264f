// SPDX-License-Identifier: GPL-2.0
/*
 * The SEQNUM stream on its own: the sender's resend queue (push, ack,
 * lookup, overflow) and the receiver's window (cumulative ack, gaps,
 * duplicates, giving up).
 */
#include "stream.h"
#include "t.h"

static void push_n(struct stream_tx *tx, unsigned int n, uint64_t now)
{
	uint8_t buf[8];
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(buf, (int)(tx->next & 0xff), sizeof(buf));
		CHECK_EQ(stream_tx_push(tx, buf, sizeof(buf), now), tx->next - 1);
	}
}

static void test_tx_queue(void)
{
	struct stream_tx tx;
	struct stream_msg *m;
	const uint8_t payload[] = "abc";

	CHECK_EQ(stream_tx_init(&tx, 8), 0);
	/* Nothing sent: last 0, low 1 (nothing resendable). */
	CHECK_EQ(stream_tx_last(&tx), 0);
	CHECK_EQ(stream_tx_low(&tx), 1);
	CHECK(!stream_tx_get(&tx, 0));
	CHECK(!stream_tx_get(&tx, 1));
	CHECK(!stream_tx_get(&tx, stream_tx_low(&tx)));

	CHECK_EQ(stream_tx_push(&tx, payload, sizeof(payload), 100), 1);
	push_n(&tx, 4, 200);		/* seqs 2..5 */
	CHECK_EQ(stream_tx_last(&tx), 5);
	CHECK_EQ(stream_tx_low(&tx), 1);
	CHECK_EQ(tx.count, 5);
	m = stream_tx_get(&tx, 1);
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ(m->seq, 1);
		CHECK_EQ(m->len, sizeof(payload));
		CHECK(!memcmp(m->buf, payload, sizeof(payload)));
		CHECK_EQ(m->first_ms, 100);
		CHECK_EQ(m->last_ms, 100);
		CHECK_EQ(m->sends, 1);
	}
	m = stream_tx_get(&tx, 4);
	CHECK(m && m->seq == 4 && m->buf[0] == 4);
	CHECK(!stream_tx_get(&tx, 6));
	CHECK(stream_tx_get(&tx, stream_tx_low(&tx)) && stream_tx_get(&tx, stream_tx_low(&tx))->seq == 1);

	/* Acknowledged up to 3: 1..3 go, the lag is measured from the
	 * first send. */
	CHECK_EQ(stream_tx_ack(&tx, 3, 700), 3);
	CHECK_EQ(tx.acked, 3);
	CHECK_EQ(tx.lag_worst_ms, 600);
	CHECK_EQ(stream_tx_low(&tx), 4);
	CHECK_EQ(stream_tx_last(&tx), 5);
	CHECK(!stream_tx_get(&tx, 3));
	CHECK(stream_tx_get(&tx, 4) && stream_tx_get(&tx, 4)->seq == 4);
	/* An old or repeated ack drops nothing; lag_worst keeps the worst. */
	CHECK_EQ(stream_tx_ack(&tx, 3, 5000), 0);
	CHECK_EQ(stream_tx_ack(&tx, 0, 5000), 0);
	CHECK_EQ(tx.lag_worst_ms, 600);
	CHECK_EQ(stream_tx_ack(&tx, 4, 250), 1);	/* lag 50 */
	CHECK_EQ(tx.lag_worst_ms, 600);
	/* Beyond what was sent: clipped, the queue is empty, and what the
	 * heartbeat announces says so (low = last + 1). */
	CHECK_EQ(stream_tx_ack(&tx, 1000, 1200), 1);
	CHECK_EQ(tx.lag_worst_ms, 1000);
	CHECK_EQ(tx.count, 0);
	CHECK_EQ(tx.acked, 5);
	CHECK_EQ(stream_tx_last(&tx), 5);
	CHECK_EQ(stream_tx_low(&tx), 6);
	CHECK(!stream_tx_get(&tx, stream_tx_low(&tx)));
	/* ...and the next seq is still 6: an ack never moves it. */
	CHECK_EQ(stream_tx_push(&tx, payload, 1, 1300), 6);

	/* Overflow: the ring wraps, a full queue drops its oldest (counted)
	 * and low moves up; everything still queued is found by seq. */
	push_n(&tx, 7, 1400);		/* 7..13: 8 queued, full */
	CHECK_EQ(tx.count, 8);
	CHECK_EQ(tx.overflow, 0);
	CHECK_EQ(stream_tx_low(&tx), 6);
	push_n(&tx, 3, 1500);		/* 14..16: 6, 7, 8 dropped */
	CHECK_EQ(tx.count, 8);
	CHECK_EQ(tx.overflow, 3);
	CHECK_EQ(stream_tx_low(&tx), 9);
	CHECK_EQ(stream_tx_last(&tx), 16);
	CHECK(!stream_tx_get(&tx, 8));
	for (uint64_t s = 9; s <= 16; s++) {
		m = stream_tx_get(&tx, s);
		CHECK(m && m->seq == s && m->buf[0] == (uint8_t)s);
	}
	/* A dropped message was not acknowledged: acked does not move. */
	CHECK_EQ(tx.acked, 5);
	/* Too long for the queue's length field. */
	CHECK_EQ(stream_tx_push(&tx, payload, (size_t)UINT16_MAX + 1, 1600), 0);
	CHECK_EQ(stream_tx_last(&tx), 16);

	/* A new stream: empty, seq 1 next; the counters stay. */
	stream_tx_reset(&tx);
	CHECK_EQ(tx.count, 0);
	CHECK_EQ(stream_tx_last(&tx), 0);
	CHECK_EQ(stream_tx_low(&tx), 1);
	CHECK_EQ(stream_tx_push(&tx, payload, 1, 1700), 1);
	CHECK_EQ(tx.overflow, 3);
	stream_tx_free(&tx);
	stream_tx_free(&tx);	/* twice is harmless */
}

static unsigned int gaps(const struct stream_rx *rx, uint64_t (*r)[2])
{
	return stream_rx_gaps(rx, r, 16);
}

static void test_rx_in_order(void)
{
	struct stream_rx rx;
	uint64_t lost = 0, r[16][2];
	uint64_t s;

	stream_rx_reset(&rx);
	CHECK_EQ(rx.cum, 0);
	CHECK_EQ(gaps(&rx, r), 0);
	for (s = 1; s <= 5000; s++) {
		CHECK(stream_rx_accept(&rx, s, &lost));
		CHECK_EQ(rx.cum, s);
	}
	CHECK_EQ(rx.top, 5000);
	CHECK_EQ(lost, 0);
	CHECK_EQ(rx.dup, 0);
	CHECK_EQ(gaps(&rx, r), 0);
	/* Duplicates, old and seq 0, are refused and counted. */
	CHECK(!stream_rx_accept(&rx, 5000, &lost));
	CHECK(!stream_rx_accept(&rx, 1, &lost));
	CHECK(!stream_rx_accept(&rx, 0, &lost));
	CHECK_EQ(rx.dup, 3);
	CHECK_EQ(rx.cum, 5000);
}

static void test_rx_out_of_order(void)
{
	struct stream_rx rx;
	uint64_t lost = 0, r[16][2];

	stream_rx_reset(&rx);
	CHECK(stream_rx_accept(&rx, 1, &lost));
	CHECK(stream_rx_accept(&rx, 2, &lost));
	CHECK(stream_rx_accept(&rx, 5, &lost));
	CHECK(stream_rx_accept(&rx, 7, &lost));
	CHECK(stream_rx_accept(&rx, 8, &lost));
	CHECK(stream_rx_accept(&rx, 12, &lost));
	CHECK_EQ(rx.cum, 2);
	CHECK_EQ(rx.top, 12);
	/* Missing: 3-4, 6, 9-11. */
	CHECK_EQ(gaps(&rx, r), 3);
	CHECK_EQ(r[0][0], 3);
	CHECK_EQ(r[0][1], 4);
	CHECK_EQ(r[1][0], 6);
	CHECK_EQ(r[1][1], 6);
	CHECK_EQ(r[2][0], 9);
	CHECK_EQ(r[2][1], 11);
	/* At most max ranges, the lowest first. */
	CHECK_EQ(stream_rx_gaps(&rx, r, 2), 2);
	CHECK_EQ(r[1][0], 6);
	CHECK_EQ(stream_rx_gaps(&rx, r, 0), 0);
	/* A duplicate above cum: refused, counted. */
	CHECK(!stream_rx_accept(&rx, 7, &lost));
	CHECK_EQ(rx.dup, 1);
	/* Filling a gap moves cum over everything that arrived above it. */
	CHECK(stream_rx_accept(&rx, 4, &lost));
	CHECK_EQ(rx.cum, 2);
	CHECK(stream_rx_accept(&rx, 3, &lost));
	CHECK_EQ(rx.cum, 5);
	CHECK(stream_rx_accept(&rx, 6, &lost));
	CHECK_EQ(rx.cum, 8);
	CHECK_EQ(gaps(&rx, r), 1);
	CHECK_EQ(r[0][0], 9);
	CHECK_EQ(r[0][1], 11);
	CHECK(stream_rx_accept(&rx, 10, &lost));
	CHECK(stream_rx_accept(&rx, 9, &lost));
	CHECK(stream_rx_accept(&rx, 11, &lost));
	CHECK_EQ(rx.cum, 12);
	CHECK_EQ(gaps(&rx, r), 0);
	CHECK_EQ(lost, 0);
	CHECK_EQ(rx.lost, 0);

	/* A tail announced by the sender's heartbeat is a gap too. */
	stream_rx_announce(&rx, 15);
	CHECK_EQ(rx.top, 15);
	CHECK_EQ(gaps(&rx, r), 1);
	CHECK_EQ(r[0][0], 13);
	CHECK_EQ(r[0][1], 15);
	stream_rx_announce(&rx, 14);	/* never lowers top */
	CHECK_EQ(rx.top, 15);
	CHECK(stream_rx_accept(&rx, 13, &lost));
	CHECK(stream_rx_accept(&rx, 14, &lost));
	CHECK(stream_rx_accept(&rx, 15, &lost));
	CHECK_EQ(rx.cum, 15);
	CHECK_EQ(gaps(&rx, r), 0);

	/* Gaps across a 64-bit word boundary of the window. */
	stream_rx_reset(&rx);
	CHECK(stream_rx_accept(&rx, 64, &lost));
	CHECK(stream_rx_accept(&rx, 130, &lost));
	CHECK_EQ(gaps(&rx, r), 2);
	CHECK_EQ(r[0][0], 1);
	CHECK_EQ(r[0][1], 63);
	CHECK_EQ(r[1][0], 65);
	CHECK_EQ(r[1][1], 129);
	for (uint64_t s = 1; s < 130; s++)
		if (s != 64)
			CHECK(stream_rx_accept(&rx, s, &lost));
	CHECK_EQ(rx.cum, 130);
	CHECK_EQ(lost, 0);
}

static void test_rx_giveup(void)
{
	struct stream_rx rx;
	uint64_t lost = 0, r[16][2];

	stream_rx_reset(&rx);
	/* Nothing to give up at or below cum + 1. */
	CHECK_EQ(stream_rx_giveup(&rx, 0), 0);
	CHECK_EQ(stream_rx_giveup(&rx, 1), 0);
	CHECK(stream_rx_accept(&rx, 1, &lost));
	CHECK(stream_rx_accept(&rx, 3, &lost));
	CHECK(stream_rx_accept(&rx, 4, &lost));
	CHECK(stream_rx_accept(&rx, 7, &lost));
	CHECK(stream_rx_accept(&rx, 9, &lost));
	/* The sender can resend nothing below 6: 2 and 5 are lost (3 and 4
	 * arrived); 6 is missing but still resendable. */
	CHECK_EQ(stream_rx_giveup(&rx, 6), 2);
	CHECK_EQ(rx.lost, 2);
	CHECK_EQ(rx.cum, 5);
	CHECK_EQ(gaps(&rx, r), 2);
	CHECK_EQ(r[0][0], 6);
	CHECK_EQ(r[0][1], 6);
	CHECK_EQ(r[1][0], 8);
	CHECK_EQ(r[1][1], 8);
	/* Giving up 6 lets cum run over 7 too. */
	CHECK_EQ(stream_rx_giveup(&rx, 7), 1);
	CHECK_EQ(rx.cum, 7);
	CHECK_EQ(rx.lost, 3);
	/* Again, or lower: nothing. */
	CHECK_EQ(stream_rx_giveup(&rx, 7), 0);
	CHECK_EQ(stream_rx_giveup(&rx, 3), 0);
	CHECK_EQ(rx.lost, 3);
	/* A heartbeat's tx_low beyond everything seen: all of it lost, top
	 * follows. */
	CHECK_EQ(stream_rx_giveup(&rx, 20), 11);	/* 8, 10..19 */
	CHECK_EQ(rx.cum, 19);
	CHECK_EQ(rx.top, 19);
	CHECK_EQ(rx.lost, 14);
	CHECK_EQ(gaps(&rx, r), 0);
	CHECK(!stream_rx_accept(&rx, 8, &lost));	/* too late: a dup */
	CHECK(stream_rx_accept(&rx, 20, &lost));
	CHECK_EQ(rx.cum, 20);
	CHECK_EQ(lost, 0);

	/* Giving up more than a window's worth. */
	stream_rx_reset(&rx);
	CHECK(stream_rx_accept(&rx, 2, &lost));
	CHECK_EQ(stream_rx_giveup(&rx, 3 * STREAM_RX_WINDOW),
		 3 * STREAM_RX_WINDOW - 2);
	CHECK_EQ(rx.cum, 3 * STREAM_RX_WINDOW - 1);
	CHECK_EQ(gaps(&rx, r), 0);
}

static void test_rx_beyond_window(void)
{
	struct stream_rx rx;
	uint64_t lost = 0, r[16][2];
	const uint64_t W = STREAM_RX_WINDOW;

	stream_rx_reset(&rx);
	CHECK(stream_rx_accept(&rx, 1, &lost));
	CHECK(stream_rx_accept(&rx, 3, &lost));
	/* The last seq the window holds: nothing given up. */
	CHECK(stream_rx_accept(&rx, 1 + W, &lost));
	CHECK_EQ(lost, 0);
	CHECK_EQ(rx.cum, 1);
	/* One beyond: the sender cannot have what lies below the window
	 * anymore (it never has more than a window unacknowledged): 2 is
	 * given up, 3 had arrived, so cum moves to 3. */
	CHECK(stream_rx_accept(&rx, 2 + W, &lost));
	CHECK_EQ(lost, 1);
	CHECK_EQ(rx.lost, 1);
	CHECK_EQ(rx.cum, 3);
	CHECK_EQ(rx.top, 2 + W);
	/* Far beyond: everything below the new window is given up; what
	 * had arrived there is not counted as lost. */
	lost = 0;
	CHECK(stream_rx_accept(&rx, 10 * W, &lost));
	CHECK_EQ(rx.cum, 9 * W);
	CHECK_EQ(lost, 9 * W - 3 - 2);	/* 1 + W and 2 + W had arrived */
	CHECK_EQ(rx.lost, 1 + lost);
	CHECK_EQ(rx.top, 10 * W);
	CHECK_EQ(gaps(&rx, r), 1);
	CHECK_EQ(r[0][0], 9 * W + 1);
	CHECK_EQ(r[0][1], 10 * W - 1);
	/* The window's own bits still work after the big shift. */
	CHECK(!stream_rx_accept(&rx, 10 * W, &lost));
	CHECK(stream_rx_accept(&rx, 9 * W + 1, &lost));
	CHECK_EQ(rx.cum, 9 * W + 1);
}

int main(void)
{
	log_init(false);
	RUN(test_tx_queue);
	RUN(test_rx_in_order);
	RUN(test_rx_out_of_order);
	RUN(test_rx_giveup);
	RUN(test_rx_beyond_window);
	DONE();
}
