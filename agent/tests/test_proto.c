// SPDX-License-Identifier: GPL-2.0
/* Wire format: round trips, and rejection of everything else. */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>

#include "linux/xfrm_ha.h"
#include "proto.h"
#include "t.h"

static uint8_t key[PROTO_KEY_LEN], other_key[PROTO_KEY_LEN];

static const struct proto_hdr hdr = {
	.version = PROTO_VERSION,
	.type = PROTO_HELLO,
	.node_id = 2,
	.boot_id = 0x0123456789abcdefull,
	.counter = 42,
};

static void make_sa(struct xha_sa *sa, unsigned int i)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = i % 2 ? AF_INET6 : AF_INET;
	sa->proto = i % 3 ? IPPROTO_ESP : IPPROTO_AH;
	sa->replay_mode = 1 + i % 3;
	sa->spi = htonl(0xc0000000u + i);
	if (sa->family == AF_INET)
		inet_pton(AF_INET, "10.0.0.1", sa->daddr);
	else
		inet_pton(AF_INET6, "2001:db8::1", sa->daddr);
	sa->daddr[3] = (uint8_t)i;
	sa->mark = i * 7;
	sa->if_id = i * 11;
	sa->oseq = sa->replay_mode == XFRM_HA_REPLAY_ESN ?
			   (1ull << 40) + i : 0xfffffff0u + i % 16;
	sa->seq = i * 1000;
	sa->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
}

static bool same_record(const struct xha_sa *a, const struct xha_sa *b)
{
	size_t alen = a->family == AF_INET ? 4 : 16;

	unsigned int words = (a->has & XHA_SA_HAS_BITMAP) ? a->bitmap_words : 0;

	return a->family == b->family && a->proto == b->proto &&
	       a->replay_mode == b->replay_mode && a->spi == b->spi &&
	       !memcmp(a->daddr, b->daddr, alen) && a->mark == b->mark &&
	       a->if_id == b->if_id && a->oseq == b->oseq && a->seq == b->seq &&
	       a->has == b->has &&
	       (!(a->has & XHA_SA_HAS_LIFETIME) ||
		(a->bytes == b->bytes && a->packets == b->packets)) &&
	       (!words || (a->bitmap_words == b->bitmap_words &&
			   !memcmp(a->bitmap, b->bitmap, 4 * words)));
}

/* sa with lifetimes and a bitmap of the given number of words. */
static void add_extras(struct xha_sa *sa, unsigned int words)
{
	unsigned int i;

	sa->bytes = 0x0102030405060708ull + sa->seq;
	sa->packets = 123456789 + sa->seq;
	sa->has |= XHA_SA_HAS_LIFETIME;
	if (!words)
		return;
	sa->bitmap_words = words;
	for (i = 0; i < words; i++)
		sa->bitmap[i] = 0x80000001u ^ (i * 0x01010101u);
	sa->has |= XHA_SA_HAS_BITMAP;
}

static void test_seal_open(void)
{
	uint8_t pkt[PROTO_MAX_PKT], out[PROTO_MAX_PAYLOAD];
	const uint8_t payload[] = "hello, peer";
	struct proto_hdr h;
	size_t len, plen;

	len = proto_seal(key, &hdr, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(len, PROTO_HDR_LEN + sizeof(payload) + PROTO_TAG_LEN);
	CHECK(!memcmp(pkt, "XHAL", 4));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_OK);
	CHECK_EQ(h.version, PROTO_VERSION);
	CHECK_EQ(h.type, PROTO_HELLO);
	CHECK_EQ(h.node_id, 2);
	CHECK_EQ(h.boot_id, hdr.boot_id);
	CHECK_EQ(h.counter, 42);
	CHECK_EQ(plen, sizeof(payload));
	CHECK(!memcmp(out, payload, plen));
	/* Payload is encrypted, not just authenticated. */
	CHECK(!memmem(pkt, len, "hello", 5));
	/* Too big for one datagram. */
	CHECK_EQ(proto_seal(key, &hdr, out, PROTO_MAX_PAYLOAD + 1, pkt,
			    sizeof(pkt)), 0);
	CHECK_EQ(proto_seal(key, &hdr, payload, sizeof(payload), pkt, 40), 0);
}

static void test_hello_keepalive(void)
{
	struct proto_hello m = {
		.challenge = 0x1111222233334444ull,
		.echo = 5,
		.known_boot = 6,
		.bulk_req = 7,
		.role = PROTO_ROLE_BACKUP,
		.outages = 0xa1b2c3d4u,
	}, d;
	struct proto_keepalive k = {
		.known_boot = 9,
		.role = PROTO_ROLE_ACTIVE,
		.outages = 0x01020304u,
		.tx_last = 0x1122334455667788ull,
		.tx_low = 0x1122334455667700ull,
		.ack = 0x8877665544332211ull,
	}, kd;
	uint8_t buf[64];

	CHECK_EQ(proto_hello_encode(&m, buf, sizeof(buf)), PROTO_HELLO_LEN);
	CHECK(proto_hello_decode(buf, PROTO_HELLO_LEN, &d) == 0);
	CHECK_EQ(d.challenge, m.challenge);
	CHECK_EQ(d.echo, 5);
	CHECK_EQ(d.known_boot, 6);
	CHECK_EQ(d.bulk_req, 7);
	CHECK_EQ(d.role, PROTO_ROLE_BACKUP);
	CHECK_EQ(d.outages, 0xa1b2c3d4u);
	/* Later fields may follow; short is malformed. */
	CHECK(proto_hello_decode(buf, PROTO_HELLO_LEN + 8, &d) == 0);
	CHECK(proto_hello_decode(buf, PROTO_HELLO_LEN - 1, &d) < 0);
	buf[28] = 3;
	CHECK(proto_hello_decode(buf, PROTO_HELLO_LEN, &d) < 0);
	m.challenge = 0;
	proto_hello_encode(&m, buf, sizeof(buf));
	CHECK(proto_hello_decode(buf, PROTO_HELLO_LEN, &d) < 0);

	CHECK_EQ(proto_keepalive_encode(&k, buf, sizeof(buf)), PROTO_KEEPALIVE_LEN);
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN, &kd) == 0);
	CHECK_EQ(kd.known_boot, 9);
	CHECK_EQ(kd.role, PROTO_ROLE_ACTIVE);
	CHECK_EQ(kd.outages, k.outages);
	CHECK_EQ(kd.tx_last, k.tx_last);
	CHECK_EQ(kd.tx_low, k.tx_low);
	CHECK_EQ(kd.ack, k.ack);
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN + 8, &kd) == 0);
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN - 1, &kd) < 0);
	buf[8] = 0;
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN, &kd) < 0);
	/* Nothing sent: low is last + 1; nothing resendable lies above it. */
	k.tx_last = 0;
	k.tx_low = 1;
	proto_keepalive_encode(&k, buf, sizeof(buf));
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN, &kd) == 0);
	CHECK_EQ(kd.tx_low, 1);
	k.tx_last = 10;
	k.tx_low = 11;
	proto_keepalive_encode(&k, buf, sizeof(buf));
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN, &kd) == 0);
	k.tx_low = 12;
	proto_keepalive_encode(&k, buf, sizeof(buf));
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN, &kd) < 0);
}

/* ACK: the cumulative ack and NACK ranges, ascending and disjoint. */
static void test_ack(void)
{
	struct proto_ack m = { .stream_boot = 0xfeedull, .ack = 100 }, d;
	uint8_t buf[PROTO_ACK_MAX_LEN + 16];
	size_t len;
	unsigned int i;

	/* Without ranges: the header alone. */
	len = proto_ack_encode(&m, buf, sizeof(buf));
	CHECK_EQ(len, PROTO_ACK_HDR_LEN);
	CHECK(proto_ack_decode(buf, len, &d) == 0);
	CHECK_EQ(d.stream_boot, 0xfeed);
	CHECK_EQ(d.ack, 100);
	CHECK_EQ(d.nranges, 0);
	CHECK(proto_ack_decode(buf, len - 1, &d) < 0);
	/* Later fields may follow. */
	CHECK(proto_ack_decode(buf, len + 8, &d) == 0);

	/* The most ranges there can be. */
	m.nranges = PROTO_MAX_NACK;
	for (i = 0; i < PROTO_MAX_NACK; i++) {
		m.range[i].first = 102 + 10 * (uint64_t)i;
		m.range[i].last = m.range[i].first + i % 3;
	}
	len = proto_ack_encode(&m, buf, sizeof(buf));
	CHECK_EQ(len, PROTO_ACK_MAX_LEN);
	CHECK(len <= PROTO_MAX_PAYLOAD);
	CHECK(proto_ack_decode(buf, len, &d) == 0);
	CHECK_EQ(d.nranges, PROTO_MAX_NACK);
	for (i = 0; i < PROTO_MAX_NACK; i++) {
		CHECK_EQ(d.range[i].first, m.range[i].first);
		CHECK_EQ(d.range[i].last, m.range[i].last);
	}
	/* Cut short: the ranges announced are not all there. */
	CHECK(proto_ack_decode(buf, len - 1, &d) < 0);
	CHECK(proto_ack_decode(buf, PROTO_ACK_HDR_LEN, &d) < 0);
	/* Too small a buffer, too many ranges: not encoded. */
	CHECK_EQ(proto_ack_encode(&m, buf, len - 1), 0);
	m.nranges = PROTO_MAX_NACK + 1;
	CHECK_EQ(proto_ack_encode(&m, buf, sizeof(buf)), 0);
	/* More ranges than allowed on the wire. */
	m.nranges = PROTO_MAX_NACK;
	len = proto_ack_encode(&m, buf, sizeof(buf));
	buf[17] = PROTO_MAX_NACK + 1;
	memset(buf + len, 0, 16);
	CHECK(proto_ack_decode(buf, len + 16, &d) < 0);

	/* Two ranges, each corruption refused. */
#define ACK_REFUSED(a, f0, l0, f1, l1)                                       \
	do {                                                                 \
		m.ack = (a);                                                 \
		m.nranges = 2;                                               \
		m.range[0].first = (f0);                                     \
		m.range[0].last = (l0);                                      \
		m.range[1].first = (f1);                                     \
		m.range[1].last = (l1);                                      \
		len = proto_ack_encode(&m, buf, sizeof(buf));                \
		CHECK_EQ(len, PROTO_ACK_HDR_LEN + 32);                       \
		CHECK(proto_ack_decode(buf, len, &d) < 0);                   \
	} while (0)
	m.ack = 10;
	m.nranges = 2;
	m.range[0].first = 11;
	m.range[0].last = 11;
	m.range[1].first = 13;
	m.range[1].last = 20;
	len = proto_ack_encode(&m, buf, sizeof(buf));
	CHECK(proto_ack_decode(buf, len, &d) == 0);
	ACK_REFUSED(10, 13, 20, 11, 11);	/* not ascending */
	ACK_REFUSED(10, 11, 15, 15, 20);	/* overlapping by one */
	ACK_REFUSED(10, 11, 15, 12, 14);	/* nested */
	ACK_REFUSED(10, 11, 15, 11, 15);	/* the same twice */
	ACK_REFUSED(10, 10, 11, 13, 14);	/* at the cumulative ack */
	ACK_REFUSED(10, 5, 8, 13, 14);		/* below it */
	ACK_REFUSED(10, 12, 11, 13, 14);	/* first > last */
	ACK_REFUSED(10, 11, 12, 14, 13);
	/* Adjacent ranges are distinct ranges: allowed. */
	m.range[0].first = 11;
	m.range[0].last = 12;
	m.range[1].first = 13;
	m.range[1].last = 13;
	len = proto_ack_encode(&m, buf, sizeof(buf));
	CHECK(proto_ack_decode(buf, len, &d) == 0);
	/* No stream boot. */
	m.stream_boot = 0;
	len = proto_ack_encode(&m, buf, sizeof(buf));
	CHECK(proto_ack_decode(buf, len, &d) < 0);
}

static void test_seqnum_round_trip(void)
{
	struct xha_sa sas[PROTO_MAX_RECORDS + 1], recs[PROTO_MAX_RECORDS];
	uint8_t pkt[PROTO_MAX_PKT], payload[PROTO_MAX_PAYLOAD];
	struct proto_hdr h = hdr, oh;
	struct proto_batch b;
	struct proto_seqnum sh;
	size_t len, plen;
	unsigned int i;
	int n;

	proto_batch_init(&b, PROTO_SEQNUM_BULK_START, 77);
	for (i = 0; i < PROTO_MAX_RECORDS; i++) {
		make_sa(&sas[i], i);
		CHECK(proto_batch_add(&b, &sas[i]) == 0);
	}
	make_sa(&sas[i], i);
	CHECK(proto_batch_add(&b, &sas[i]) == -ENOSPC);
	h.type = PROTO_SEQNUM;
	h.seq = 1;
	len = proto_seal(key, &h, b.buf, proto_batch_finish(&b), pkt, sizeof(pkt));
	CHECK(len > 0 && len <= PROTO_MAX_PKT);
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &oh, payload, &plen), PROTO_OK);
	n = proto_seqnum_decode(payload, plen, &sh, recs);
	CHECK_EQ(n, PROTO_MAX_RECORDS);
	CHECK_EQ(sh.flags, PROTO_SEQNUM_BULK_START);
	CHECK_EQ(sh.bulk_id, 77);
	for (i = 0; i < PROTO_MAX_RECORDS && n > 0; i++)
		CHECK(same_record(&sas[i], &recs[i]));

	CHECK_EQ(sh.dest_boot, 0);
	CHECK_EQ(sh.bulk_first, 0);
	CHECK_EQ(sh.bulk_records, 0);

	/* An empty end-of-bulk marker is valid; it carries the receiver's
	 * boot, the bulk's first seq and its record count. */
	proto_batch_init(&b, PROTO_SEQNUM_BULK_END, 3);
	b.hdr.dest_boot = 0x0102030405060708ull;
	b.hdr.bulk_first = 0x1112131415161718ull;
	b.hdr.bulk_records = 0x21222324u;
	len = proto_batch_finish(&b);
	CHECK_EQ(len, PROTO_SEQNUM_HDR_LEN);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 0);
	CHECK_EQ(sh.flags, PROTO_SEQNUM_BULK_END);
	CHECK_EQ(sh.bulk_id, 3);
	CHECK_EQ(sh.dest_boot, 0x0102030405060708ull);
	CHECK_EQ(sh.bulk_first, 0x1112131415161718ull);
	CHECK_EQ(sh.bulk_records, 0x21222324u);
	/* The reserved word is ignored. */
	b.buf[31] = 1;
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 0);
	/* A bulk's end must say where it started. */
	proto_batch_init(&b, PROTO_SEQNUM_BULK_END, 3);
	len = proto_batch_finish(&b);
	CHECK(proto_seqnum_decode(b.buf, len, &sh, recs) < 0);
	/* Its extent travels with its end only. */
	proto_batch_init(&b, PROTO_SEQNUM_BULK_START, 3);
	b.hdr.bulk_first = 1;
	len = proto_batch_finish(&b);
	CHECK(proto_seqnum_decode(b.buf, len, &sh, recs) < 0);
	proto_batch_init(&b, 0, 0);
	b.hdr.bulk_records = 1;
	len = proto_batch_finish(&b);
	CHECK(proto_seqnum_decode(b.buf, len, &sh, recs) < 0);
	proto_batch_init(&b, PROTO_SEQNUM_BULK_START | PROTO_SEQNUM_BULK_END, 3);
	b.hdr.bulk_first = 9;
	b.hdr.bulk_records = 0;
	len = proto_batch_finish(&b);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 0);
	/* Any dest_boot decodes: the session checks it. */
	proto_batch_init(&b, 0, 0);
	b.hdr.dest_boot = UINT64_MAX;
	len = proto_batch_finish(&b);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 0);
	CHECK_EQ(sh.dest_boot, UINT64_MAX);
}

static void test_record_checks(void)
{
	struct xha_sa sa, recs[PROTO_MAX_RECORDS];
	struct proto_seqnum sh;
	struct proto_batch b;
	size_t len;

	/* Counters wider than the SA's mode, or incomplete records. */
	make_sa(&sa, 0);
	sa.replay_mode = XFRM_HA_REPLAY_LEGACY;
	sa.oseq = 1ull << 32;
	CHECK(!proto_record_ok(&sa));
	proto_batch_init(&b, 0, 0);
	CHECK(proto_batch_add(&b, &sa) == -EINVAL);
	make_sa(&sa, 0);
	sa.has &= ~XHA_SA_HAS_REPLAY;
	CHECK(proto_batch_add(&b, &sa) == -EINVAL);
	make_sa(&sa, 0);
	sa.family = AF_UNIX;
	CHECK(proto_batch_add(&b, &sa) == -EINVAL);
	make_sa(&sa, 0);
	sa.proto = IPPROTO_UDP;
	CHECK(proto_batch_add(&b, &sa) == -EINVAL);

	/* Decoder: each corruption of a valid payload is refused whole. */
	make_sa(&sa, 0);	/* IPv4, AH, LEGACY */
	proto_batch_init(&b, 0, 0);
	CHECK(proto_batch_add(&b, &sa) == 0);
	make_sa(&sa, 1);
	CHECK(proto_batch_add(&b, &sa) == 0);
	len = proto_batch_finish(&b);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 2);
	CHECK(proto_seqnum_decode(b.buf, len - 1, &sh, recs) < 0);
	CHECK(proto_seqnum_decode(b.buf, len + 1, &sh, recs) < 0);
	CHECK(proto_seqnum_decode(b.buf, 7, &sh, recs) < 0);

#define CORRUPT(off, val)                                                   \
	do {                                                                \
		uint8_t _save = b.buf[off];                                 \
		b.buf[off] = (val);                                         \
		CHECK(proto_seqnum_decode(b.buf, len, &sh, recs) < 0);      \
		b.buf[off] = _save;                                         \
	} while (0)
	CORRUPT(0, 0x04);		/* unknown flag */
	CORRUPT(0, PROTO_SEQNUM_BULK_START);	/* bulk flag without bulk id */
	CORRUPT(0, PROTO_SEQNUM_BULK_END);
	CORRUPT(3, 3);			/* count says 3 */
	CORRUPT(16 + 7, 1);		/* bulk_first without BULK_END */
	CORRUPT(24 + 3, 2);		/* bulk_records without BULK_END */
#define R0 PROTO_SEQNUM_HDR_LEN
	CORRUPT(R0 + 0, 5);		/* family */
	CORRUPT(R0 + 1, 17);		/* proto */
	CORRUPT(R0 + 2, 0);		/* replay mode */
	CORRUPT(R0 + 2, 4);
	CORRUPT(R0 + 20, 1);		/* IPv4 padding */
	CORRUPT(R0 + 32 + 3, 1);	/* 32-bit SA with oseq >= 2^32 */
	CORRUPT(R0 + 40 + 3, 1);	/* same for seq */
#undef R0
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 2);
}

/* v2: lifetimes and bitmaps round-trip; a full bitmap fits one datagram. */
static void test_seqnum_v2_fields(void)
{
	struct xha_sa sa, big, recs[PROTO_MAX_RECORDS];
	uint8_t pkt[PROTO_MAX_PKT], payload[PROTO_MAX_PAYLOAD];
	struct proto_hdr h = hdr, oh;
	struct proto_seqnum sh;
	struct proto_batch b;
	size_t len, plen;
	unsigned int i;
	int n;

	make_sa(&sa, 4);
	CHECK_EQ(proto_record_len(&sa), PROTO_RECORD_MIN_LEN);
	add_extras(&sa, 1);
	CHECK_EQ(proto_record_len(&sa), PROTO_RECORD_MIN_LEN + 4);
	make_sa(&big, 5);
	add_extras(&big, XHA_BITMAP_MAX_WORDS);
	CHECK_EQ(proto_record_len(&big), PROTO_RECORD_MAX_LEN);
	CHECK_EQ(PROTO_RECORD_MAX_LEN, 578);

	/* One record with a 128-word bitmap, alone in one datagram. */
	proto_batch_init(&b, 0, 0);
	CHECK(proto_batch_add(&b, &big) == 0);
	h.type = PROTO_SEQNUM;
	h.seq = 1;
	len = proto_seal(key, &h, b.buf, proto_batch_finish(&b), pkt,
			 sizeof(pkt));
	CHECK(len > 0 && len <= PROTO_MAX_PKT);
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &oh, payload, &plen), PROTO_OK);
	n = proto_seqnum_decode(payload, plen, &sh, recs);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK(same_record(&big, &recs[0]));
		CHECK_EQ(recs[0].bitmap_words, XHA_BITMAP_MAX_WORDS);
		CHECK_EQ(recs[0].bitmap[127], big.bitmap[127]);
		CHECK_EQ(recs[0].bytes, big.bytes);
		CHECK_EQ(recs[0].packets, big.packets);
	}

	/* Two full bitmaps fit, the third does not: -ENOSPC, batch intact. */
	proto_batch_init(&b, 0, 0);
	CHECK(proto_batch_add(&b, &big) == 0);
	CHECK(proto_batch_add(&b, &big) == 0);
	len = b.len;
	CHECK(proto_batch_add(&b, &big) == -ENOSPC);
	CHECK_EQ(b.len, len);
	CHECK_EQ(b.hdr.count, 2);
	/* ...but smaller records still fill the rest. */
	for (i = 0; proto_batch_add(&b, &sa) == 0; i++)
		;
	CHECK_EQ(i, (PROTO_MAX_PAYLOAD - len) / (PROTO_RECORD_MIN_LEN + 4));
	len = proto_batch_finish(&b);
	CHECK(len <= PROTO_MAX_PAYLOAD);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 2 + i);
	CHECK(same_record(&big, &recs[1]));
	CHECK(same_record(&sa, &recs[2]));

	/* Mixed: with and without lifetimes and bitmaps, every mode. */
	proto_batch_init(&b, PROTO_SEQNUM_BULK_END, 9);
	b.hdr.bulk_first = 1;
	b.hdr.bulk_records = 6;
	for (i = 0; i < 6; i++) {
		make_sa(&recs[i], i + 1);
		if (i % 2)
			add_extras(&recs[i], i);
		CHECK(proto_batch_add(&b, &recs[i]) == 0);
	}
	{
		struct xha_sa out[PROTO_MAX_RECORDS];

		len = proto_batch_finish(&b);
		CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, out), 6);
		for (i = 0; i < 6; i++)
			CHECK(same_record(&recs[i], &out[i]));
	}

	/* A bitmap relative to seq 0 carries nothing: not sent. */
	make_sa(&sa, 3);
	sa.seq = 0;
	add_extras(&sa, 4);
	CHECK_EQ(proto_record_len(&sa), PROTO_RECORD_MIN_LEN);
	proto_batch_init(&b, 0, 0);
	CHECK(proto_batch_add(&b, &sa) == 0);
	len = proto_batch_finish(&b);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 1);
	CHECK(!(recs[0].has & XHA_SA_HAS_BITMAP));
	/* More words than the kernel has: refused, not truncated. */
	make_sa(&sa, 3);
	add_extras(&sa, 4);
	sa.bitmap_words = XHA_BITMAP_MAX_WORDS + 1;
	CHECK(!proto_record_ok(&sa));
	CHECK(proto_batch_add(&b, &sa) == -EINVAL);
}

/* v2 decoder: every inconsistency refuses the whole payload. */
static void test_seqnum_v2_checks(void)
{
	struct xha_sa sa, recs[PROTO_MAX_RECORDS];
	uint8_t buf[PROTO_MAX_PAYLOAD + 8];
	struct proto_seqnum sh;
	struct proto_batch b;
	size_t len, r1;

	make_sa(&sa, 1);	/* IPv6, ESP, BMP */
	add_extras(&sa, 2);
	proto_batch_init(&b, 0, 0);
	CHECK(proto_batch_add(&b, &sa) == 0);
	make_sa(&sa, 2);	/* no extras */
	CHECK(proto_batch_add(&b, &sa) == 0);
	len = proto_batch_finish(&b);
	r1 = PROTO_SEQNUM_HDR_LEN;	/* first record */
	CHECK_EQ(len, PROTO_SEQNUM_HDR_LEN + 2 * PROTO_RECORD_MIN_LEN + 8);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 2);
	/* Truncated anywhere, or trailing bytes. */
	for (size_t l = 0; l < len; l++)
		CHECK(proto_seqnum_decode(b.buf, l, &sh, recs) < 0);
	memcpy(buf, b.buf, len);
	buf[len] = 0;
	CHECK(proto_seqnum_decode(buf, len + 1, &sh, recs) < 0);
	CHECK(proto_seqnum_decode(buf, len + 4, &sh, recs) < 0);

	CORRUPT(r1 + 3, 0x02);		/* unknown record flag */
	CORRUPT(r1 + 3, 0x81);
	CORRUPT(r1 + 64 + 1, 1);	/* 1 word: the rest shifts */
	CORRUPT(r1 + 64 + 1, 3);	/* 3 words: longer than the payload */
	CORRUPT(r1 + 64, 1);		/* 258 words */
	/* Lifetimes without their flag (second record has none). */
	CORRUPT(r1 + PROTO_RECORD_MIN_LEN + 8 + 48 + 7, 1);
	CORRUPT(r1 + PROTO_RECORD_MIN_LEN + 8 + 56, 1);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 2);

	/* 129 words, lengths consistent: still refused. */
	make_sa(&sa, 1);
	add_extras(&sa, 1);
	proto_batch_init(&b, 0, 0);
	CHECK(proto_batch_add(&b, &sa) == 0);
	len = proto_batch_finish(&b);
	memcpy(buf, b.buf, len);
	buf[r1 + 64] = 0;
	buf[r1 + 64 + 1] = 129;
	memset(buf + len, 0, sizeof(buf) - len);
	CHECK(proto_seqnum_decode(buf, PROTO_SEQNUM_HDR_LEN +
				  PROTO_RECORD_MIN_LEN + 4 * 129, &sh,
				  recs) < 0);
	/* A bitmap with seq 0. */
	memcpy(buf, b.buf, len);
	memset(buf + r1 + 40, 0, 8);
	CHECK(proto_seqnum_decode(buf, len, &sh, recs) < 0);
	/* More records announced than can exist. */
	proto_batch_init(&b, 0, 0);
	len = proto_batch_finish(&b);
	memcpy(buf, b.buf, len);
	buf[3] = PROTO_MAX_RECORDS + 1;
	CHECK(proto_seqnum_decode(buf, len, &sh, recs) < 0);
}

static void test_reject(void)
{
	uint8_t pkt[PROTO_MAX_PKT + 8], out[PROTO_MAX_PAYLOAD];
	struct proto_hdr h = hdr;
	const uint8_t payload[PROTO_HELLO_LEN] = { 1 };
	size_t len, plen, i;
	enum proto_err e;
	unsigned int bit;

	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_OK);

	/* Truncated anywhere. */
	for (i = 0; i < len; i++) {
		e = proto_open(key, 1, 0, pkt, i, &h, out, &plen);
		CHECK(e == (i < PROTO_HDR_LEN + PROTO_TAG_LEN ? PROTO_ERR_SHORT :
							       PROTO_ERR_AUTH));
	}
	/* Any single flipped bit. */
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			pkt[i] ^= 1u << bit;
			e = proto_open(key, 1, 0, pkt, len, &h, out, &plen);
			CHECK(e != PROTO_OK);
			if (i >= 8)	/* past magic..flags: only auth can tell */
				CHECK(e == PROTO_ERR_AUTH ||
				      e == PROTO_ERR_HEADER);
			pkt[i] ^= 1u << bit;
		}
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_OK);
	/* Wrong key. */
	CHECK_EQ(proto_open(other_key, 1, 0, pkt, len, &h, out, &plen),
		 PROTO_ERR_AUTH);
	/* Our own node-id. */
	CHECK_EQ(proto_open(key, 2, 0, pkt, len, &h, out, &plen),
		 PROTO_ERR_OWN_NODE);
	/* Oversized. */
	memset(pkt + len, 0, sizeof(pkt) - len);
	CHECK_EQ(proto_open(key, 1, 0, pkt, PROTO_MAX_PKT + 1, &h, out, &plen),
		 PROTO_ERR_OVERSIZE);

	/* Header checks on packets sealed with the right key. */
	h = hdr;
	h.version = 1;	/* a version 1 peer: no bitmaps, no lifetimes */
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_VERSION);
	h = hdr;
	h.version = 2;	/* a version 2 peer: no stream, no ACK */
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_VERSION);
	h = hdr;
	h.version = PROTO_VERSION + 1;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_VERSION);
	h = hdr;
	h.type = 9;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_TYPE);
	h = hdr;
	h.type = PROTO_ACK + 1;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_TYPE);
	h = hdr;
	h.type = 0;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_TYPE);
	h = hdr;
	h.type = PROTO_ACK;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_OK);
	CHECK_EQ(h.type, PROTO_ACK);
	/* A seq only on SEQNUM, all 64 bits of it. */
	h = hdr;
	h.seq = 1ull << 63;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_HEADER);
	h = hdr;
	h.type = PROTO_SEQNUM;
	h.seq = 1ull << 40;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_OK);
	CHECK_EQ(h.seq, 1ull << 40);
	/* The peer's node-id, when known: anything else is wrong-node,
	 * before any decryption (so even with the wrong key). */
	h = hdr;	/* node 2 */
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 2, pkt, len, &h, out, &plen), PROTO_OK);
	CHECK_EQ(proto_open(key, 1, 3, pkt, len, &h, out, &plen), PROTO_ERR_NODE);
	CHECK_EQ(proto_open(other_key, 1, 3, pkt, len, &h, out, &plen),
		 PROTO_ERR_NODE);
	CHECK_EQ(proto_open(other_key, 1, 2, pkt, len, &h, out, &plen),
		 PROTO_ERR_AUTH);
	/* Our own node-id stays own-node-id whatever the peer's is. */
	CHECK_EQ(proto_open(key, 2, 3, pkt, len, &h, out, &plen),
		 PROTO_ERR_OWN_NODE);
	h = hdr;
	h.node_id = 16;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_HEADER);
	h = hdr;
	h.counter = 0;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_HEADER);
	h = hdr;
	h.type = PROTO_SEQNUM;	/* seq 0 */
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_HEADER);
	h = hdr;
	memcpy(pkt, "XHAX", 4);
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_MAGIC);
}

static void test_replay_window(void)
{
	struct proto_replay r;
	uint64_t c;

	proto_replay_reset(&r, 10);
	CHECK(!proto_replay_check(&r, 10));
	CHECK(proto_replay_check(&r, 11));
	CHECK(proto_replay_check(&r, 9));	/* reordered, in window */
	proto_replay_update(&r, 9);
	CHECK(!proto_replay_check(&r, 9));
	/* Still in the window after a jump shorter than it. */
	proto_replay_update(&r, 100);
	CHECK(!proto_replay_check(&r, 100));
	CHECK(!proto_replay_check(&r, 10));
	CHECK(!proto_replay_check(&r, 9));
	CHECK(proto_replay_check(&r, 11));
	CHECK(proto_replay_check(&r, 36));	/* v2's window ended here */
	/* 2000: 10 and below fell out of the window, which spans
	 * PROTO_REPLAY_WINDOW counters: 2000 - 1023 .. 2000. */
	proto_replay_update(&r, 2000);
	CHECK_EQ(PROTO_REPLAY_WINDOW, 1024);
	CHECK(!proto_replay_check(&r, 10));
	CHECK(!proto_replay_check(&r, 100));	/* was seen */
	CHECK(!proto_replay_check(&r, 2000 - PROTO_REPLAY_WINDOW));
	CHECK(proto_replay_check(&r, 2000 - PROTO_REPLAY_WINDOW + 1));
	CHECK(proto_replay_check(&r, 1000));
	proto_replay_update(&r, 977);
	CHECK(!proto_replay_check(&r, 977));
	CHECK(proto_replay_check(&r, 978));
	/* Bits move across words: 977 is remembered as the top moves. */
	for (c = 2001; c < 2001 + 3 * 64 + 7; c++) {
		CHECK(proto_replay_check(&r, c));
		proto_replay_update(&r, c);
		CHECK(!proto_replay_check(&r, c));
		CHECK(!proto_replay_check(&r, c - 1));
		if (c - 977 < PROTO_REPLAY_WINDOW)
			CHECK(!proto_replay_check(&r, 977));
		CHECK(c - 978 >= PROTO_REPLAY_WINDOW ||
		      proto_replay_check(&r, 978));
	}
	/* A counter seen long ago in a still-wide window. */
	proto_replay_reset(&r, 5000);
	for (c = 5000 - 1000; c < 5000; c += 3)
		proto_replay_update(&r, c);
	proto_replay_update(&r, 5017);
	for (c = 5000 - 1000; c < 5000; c++)
		CHECK_EQ(proto_replay_check(&r, c), (c - 4000) % 3 != 0);
	proto_replay_update(&r, UINT64_MAX);
	CHECK(!proto_replay_check(&r, UINT64_MAX));
	CHECK(!proto_replay_check(&r, 5017));
	CHECK(proto_replay_check(&r, UINT64_MAX - 1));
}

static void test_err_names(void)
{
	CHECK(!strcmp(proto_err_name(PROTO_ERR_NODE), "wrong-node"));
	CHECK(!strcmp(proto_err_name(PROTO_ERR_IFACE), "wrong-interface"));
	CHECK(!strcmp(proto_err_name(PROTO_ERR_SESSION), "stale-session"));
	CHECK(!strcmp(proto_err_name(PROTO_ERR_ROLE), "wrong-role"));
	for (int e = 0; e < PROTO_ERR_MAX; e++)
		CHECK(strcmp(proto_err_name(e), "?") != 0);
	CHECK(!strcmp(proto_err_name(PROTO_ERR_MAX), "?"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 2;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other_key, sizeof(other_key));
	RUN(test_seal_open);
	RUN(test_hello_keepalive);
	RUN(test_ack);
	RUN(test_seqnum_round_trip);
	RUN(test_record_checks);
	RUN(test_seqnum_v2_fields);
	RUN(test_seqnum_v2_checks);
	RUN(test_reject);
	RUN(test_replay_window);
	RUN(test_err_names);
	DONE();
}
