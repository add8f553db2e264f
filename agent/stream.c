// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

#define RX_WORDS (STREAM_RX_WINDOW / 64)

int stream_tx_init(struct stream_tx *tx, size_t cap)
{
	memset(tx, 0, sizeof(*tx));
	tx->q = calloc(cap, sizeof(*tx->q));
	if (!tx->q)
		return -ENOMEM;
	tx->cap = cap;
	tx->next = 1;
	return 0;
}

static void drop_oldest(struct stream_tx *tx)
{
	free(tx->q[tx->head]);
	tx->q[tx->head] = NULL;
	tx->head = (tx->head + 1) % tx->cap;
	tx->count--;
}

void stream_tx_reset(struct stream_tx *tx)
{
	while (tx->count)
		drop_oldest(tx);
	tx->head = 0;
	tx->next = 1;
}

void stream_tx_free(struct stream_tx *tx)
{
	if (!tx->q)
		return;
	stream_tx_reset(tx);
	free(tx->q);
	tx->q = NULL;
}

uint64_t stream_tx_push(struct stream_tx *tx, const uint8_t *buf, size_t len,
			uint64_t now)
{
	struct stream_msg *m;

	if (len > UINT16_MAX)
		return 0;
	m = malloc(sizeof(*m) + len);
	if (!m)
		return 0;
	if (tx->count == tx->cap) {
		drop_oldest(tx);
		tx->overflow++;
	}
	m->seq = tx->next++;
	m->first_ms = now;
	m->last_ms = now;
	m->sends = 1;
	m->len = (uint16_t)len;
	memcpy(m->buf, buf, len);
	tx->q[(tx->head + tx->count) % tx->cap] = m;
	tx->count++;
	return m->seq;
}

uint64_t stream_tx_last(const struct stream_tx *tx)
{
	return tx->next - 1;
}

uint64_t stream_tx_low(const struct stream_tx *tx)
{
	return tx->count ? tx->q[tx->head]->seq : tx->next;
}

struct stream_msg *stream_tx_get(const struct stream_tx *tx, uint64_t seq)
{
	uint64_t low = stream_tx_low(tx);

	if (seq < low || seq >= tx->next)
		return NULL;
	/* Queued seqs are consecutive: only the oldest are ever dropped. */
	return tx->q[(tx->head + (size_t)(seq - low)) % tx->cap];
}

size_t stream_tx_ack(struct stream_tx *tx, uint64_t ack, uint64_t now)
{
	size_t n = 0;

	while (tx->count && tx->q[tx->head]->seq <= ack) {
		struct stream_msg *m = tx->q[tx->head];

		if (now - m->first_ms > tx->lag_worst_ms)
			tx->lag_worst_ms = now - m->first_ms;
		drop_oldest(tx);
		n++;
	}
	tx->acked += n;
	return n;
}

/* ---- receiving ---- */

void stream_rx_reset(struct stream_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

static bool rx_bit(const struct stream_rx *rx, uint64_t i)
{
	return rx->bits[i / 64] & (1ull << (i % 64));
}

/* bit i takes bit i + n */
static void rx_shift(struct stream_rx *rx, uint64_t n)
{
	unsigned int ws, bs, i;

	if (n >= STREAM_RX_WINDOW) {
		memset(rx->bits, 0, sizeof(rx->bits));
		return;
	}
	ws = (unsigned int)(n / 64);
	bs = (unsigned int)(n % 64);
	for (i = 0; i < RX_WORDS; i++) {
		uint64_t v = i + ws < RX_WORDS ? rx->bits[i + ws] >> bs : 0;

		if (bs && i + ws + 1 < RX_WORDS)
			v |= rx->bits[i + ws + 1] << (64 - bs);
		rx->bits[i] = v;
	}
}

/* cum moves over everything that arrived right above it */
static void rx_advance(struct stream_rx *rx)
{
	uint64_t n = 0;

	while (n < STREAM_RX_WINDOW && rx_bit(rx, n))
		n++;
	if (!n)
		return;
	rx_shift(rx, n);
	rx->cum += n;
}

uint64_t stream_rx_giveup(struct stream_rx *rx, uint64_t low)
{
	uint64_t n, i, had = 0, missing;

	if (low <= rx->cum + 1)
		return 0;
	n = low - 1 - rx->cum;
	for (i = 0; i < n && i < STREAM_RX_WINDOW; i++)
		had += rx_bit(rx, i);
	missing = n - had;
	rx_shift(rx, n);
	rx->cum = low - 1;
	if (rx->top < rx->cum)
		rx->top = rx->cum;
	rx->lost += missing;
	rx_advance(rx);
	return missing;
}

bool stream_rx_accept(struct stream_rx *rx, uint64_t seq, uint64_t *lost)
{
	uint64_t i;

	if (!seq || seq <= rx->cum) {
		rx->dup++;
		return false;
	}
	if (seq - rx->cum > STREAM_RX_WINDOW)
		*lost += stream_rx_giveup(rx, seq - STREAM_RX_WINDOW + 1);
	i = seq - rx->cum - 1;
	if (rx_bit(rx, i)) {
		rx->dup++;
		return false;
	}
	rx->bits[i / 64] |= 1ull << (i % 64);
	if (seq > rx->top)
		rx->top = seq;
	rx_advance(rx);
	return true;
}

void stream_rx_announce(struct stream_rx *rx, uint64_t last)
{
	if (last > rx->top)
		rx->top = last;
}

unsigned int stream_rx_gaps(const struct stream_rx *rx, uint64_t (*ranges)[2],
			    unsigned int max)
{
	uint64_t span, i, start;
	unsigned int n = 0;

	span = rx->top > rx->cum ? rx->top - rx->cum : 0;
	if (span > STREAM_RX_WINDOW)
		span = STREAM_RX_WINDOW;
	for (i = 0; i < span && n < max;) {
		if (rx_bit(rx, i)) {
			i++;
			continue;
		}
		start = i;
		while (i < span && !rx_bit(rx, i))
			i++;
		ranges[n][0] = rx->cum + 1 + start;
		ranges[n][1] = rx->cum + i;
		n++;
	}
	return n;
}
