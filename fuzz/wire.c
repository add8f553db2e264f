// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the HA packet decoder. Byte 0 selects the mode:
 *   even: the rest is a packet off the wire, opened with the fixed key;
 *   odd:  the rest is a header (29 bytes: version, type, node-id, flags,
 *         boot id, counter, seq, a spare byte) and a plaintext payload,
 *         sealed with the fixed key first, so that the payload parsers see
 *         authenticated input. Sealed then opened must round-trip.
 * Whatever a parser accepts re-encodes to the same bytes (HELLO,
 * KEEPALIVE and ACK up to their known length, SEQNUM exactly but for its
 * reserved bytes) and meets the parser's documented checks.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static void parse_payload(uint8_t type, const uint8_t *p, size_t len)
{
	struct xha_sa recs[PROTO_MAX_RECORDS];
	struct proto_keepalive ka;
	struct proto_hello hello;
	struct proto_seqnum sh;
	struct proto_ack ack;
	struct proto_batch b;
	uint8_t buf[PROTO_MAX_PAYLOAD];
	uint64_t floor;
	size_t alen;
	int n, i;

	switch (type) {
	case PROTO_HELLO:
		if (proto_hello_decode(p, len, &hello))
			break;
		if (!hello.challenge || (hello.role != PROTO_ROLE_ACTIVE &&
					 hello.role != PROTO_ROLE_BACKUP))
			abort();
		/* Bytes 29..31 are padding, not checked. */
		if (proto_hello_encode(&hello, buf, sizeof(buf)) !=
			    PROTO_HELLO_LEN ||
		    memcmp(buf, p, 29) || memcmp(buf + 32, p + 32, 4))
			abort();
		break;
	case PROTO_KEEPALIVE:
		if (proto_keepalive_decode(p, len, &ka))
			break;
		if (ka.tx_low > ka.tx_last + 1)
			abort();
		/* Bytes 9..11 are padding. */
		if (proto_keepalive_encode(&ka, buf, sizeof(buf)) !=
			    PROTO_KEEPALIVE_LEN ||
		    memcmp(buf, p, 9) || memcmp(buf + 12, p + 12, 28))
			abort();
		break;
	case PROTO_ACK:
		if (proto_ack_decode(p, len, &ack))
			break;
		/* Ranges ascending, disjoint, above the cumulative ack. */
		if (!ack.stream_boot || ack.nranges > PROTO_MAX_NACK)
			abort();
		floor = ack.ack;
		for (i = 0; i < ack.nranges; i++) {
			if (ack.range[i].first <= floor ||
			    ack.range[i].last < ack.range[i].first)
				abort();
			floor = ack.range[i].last;
		}
		/* Bytes 18..19 are padding. */
		alen = proto_ack_encode(&ack, buf, sizeof(buf));
		if (alen != PROTO_ACK_HDR_LEN + 16 * (size_t)ack.nranges ||
		    alen > len || memcmp(buf, p, 18) ||
		    memcmp(buf + PROTO_ACK_HDR_LEN, p + PROTO_ACK_HDR_LEN,
			   alen - PROTO_ACK_HDR_LEN))
			abort();
		break;
	case PROTO_SEQNUM:
		n = proto_seqnum_decode(p, len, &sh, recs);
		if (n < 0)
			break;
		/* The bulk's extent only with its end, and then a start. */
		if (!(sh.flags & PROTO_SEQNUM_BULK_END) ?
			    sh.bulk_first || sh.bulk_records : !sh.bulk_first)
			abort();
		/* Whatever decodes re-encodes to the same bytes, apart from
		 * the header's reserved bytes (1, 28..31), which the decoder
		 * ignores: records are exact (flags, lifetimes, bitmap
		 * words). */
		proto_batch_init(&b, sh.flags, sh.bulk_id);
		b.hdr.dest_boot = sh.dest_boot;
		b.hdr.bulk_first = sh.bulk_first;
		b.hdr.bulk_records = sh.bulk_records;
		for (i = 0; i < n; i++)
			if (proto_batch_add(&b, &recs[i]) != 0)
				abort();
		if (proto_batch_finish(&b) != len)
			abort();
		if (memcmp(b.buf, p, 1) || memcmp(b.buf + 2, p + 2, 26) ||
		    memcmp(b.buf + PROTO_SEQNUM_HDR_LEN,
			   p + PROTO_SEQNUM_HDR_LEN,
			   len - PROTO_SEQNUM_HDR_LEN))
			abort();
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[PROTO_MAX_PKT], payload[PROTO_MAX_PAYLOAD];
	struct proto_hdr h, oh;
	size_t plen, len;
	uint8_t *copy;

	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		/* Exactly sized copy: the sanitizers see any overread. */
		copy = malloc(size - 1 ? size - 1 : 1);
		memcpy(copy, data + 1, size - 1);
		if (proto_open(fuzz_key, FUZZ_NODE, 0, copy, size - 1, &h, payload,
			       &plen) == PROTO_OK)
			parse_payload(h.type, payload, plen);
		free(copy);
		return 0;
	}
	data++;
	size--;
	if (size < 29)
		return 0;
	h.version = data[0];
	h.type = data[1];
	h.node_id = data[2];
	h.flags = data[3];
	h.boot_id = be(data + 4, 8);
	h.counter = be(data + 12, 8);
	h.seq = be(data + 20, 8);
	/* byte 28 is spare */
	data += 29;
	size -= 29;
	len = proto_seal(fuzz_key, &h, data, size, pkt, sizeof(pkt));
	if (!len)
		return 0;
	if (proto_open(fuzz_key, FUZZ_NODE, 0, pkt, len, &oh, payload, &plen) !=
	    PROTO_OK)
		return 0;
	if (plen != size || memcmp(payload, data, size) || oh.boot_id != h.boot_id ||
	    oh.counter != h.counter || oh.type != h.type || oh.seq != h.seq)
		abort();
	parse_payload(oh.type, payload, plen);
	return 0;
}
