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
	}, d;
	struct proto_keepalive k = { .known_boot = 9, .role = PROTO_ROLE_ACTIVE }, kd;
	uint8_t buf[64];

	CHECK_EQ(proto_hello_encode(&m, buf, sizeof(buf)), PROTO_HELLO_LEN);
	CHECK(proto_hello_decode(buf, PROTO_HELLO_LEN, &d) == 0);
	CHECK_EQ(d.challenge, m.challenge);
	CHECK_EQ(d.echo, 5);
	CHECK_EQ(d.known_boot, 6);
	CHECK_EQ(d.bulk_req, 7);
	CHECK_EQ(d.role, PROTO_ROLE_BACKUP);
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
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN - 1, &kd) < 0);
	buf[8] = 0;
	CHECK(proto_keepalive_decode(buf, PROTO_KEEPALIVE_LEN, &kd) < 0);
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

	/* An empty end-of-bulk marker is valid. */
	proto_batch_init(&b, PROTO_SEQNUM_BULK_END, 3);
	len = proto_batch_finish(&b);
	CHECK_EQ(proto_seqnum_decode(b.buf, len, &sh, recs), 0);
	CHECK_EQ(sh.flags, PROTO_SEQNUM_BULK_END);
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
	CORRUPT(0, PROTO_SEQNUM_BULK_END);	/* bulk flag without bulk id */
	CORRUPT(3, 3);			/* count says 3 */
	CORRUPT(8 + 0, 5);		/* family */
	CORRUPT(8 + 1, 17);		/* proto */
	CORRUPT(8 + 2, 0);		/* replay mode */
	CORRUPT(8 + 2, 4);
	CORRUPT(8 + 20, 1);		/* IPv4 padding */
	CORRUPT(8 + 32 + 3, 1);		/* 32-bit SA with oseq >= 2^32 */
	CORRUPT(8 + 40 + 3, 1);		/* same for seq */
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
	h.version = 3;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_VERSION);
	h = hdr;
	h.type = 9;
	len = proto_seal(key, &h, payload, sizeof(payload), pkt, sizeof(pkt));
	CHECK_EQ(proto_open(key, 1, 0, pkt, len, &h, out, &plen), PROTO_ERR_TYPE);
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
	proto_replay_update(&r, 100);
	CHECK(!proto_replay_check(&r, 100));
	CHECK(!proto_replay_check(&r, 10));	/* fell out of the window */
	CHECK(!proto_replay_check(&r, 36));	/* 100 - 64 */
	CHECK(proto_replay_check(&r, 37));
	proto_replay_update(&r, 37);
	CHECK(!proto_replay_check(&r, 37));
	for (c = 101; c < 300; c++) {
		CHECK(proto_replay_check(&r, c));
		proto_replay_update(&r, c);
		CHECK(!proto_replay_check(&r, c));
		CHECK(!proto_replay_check(&r, c - 1));
	}
	proto_replay_update(&r, UINT64_MAX);
	CHECK(!proto_replay_check(&r, UINT64_MAX));
	CHECK(!proto_replay_check(&r, 299));
}

int main(void)
{
	if (sodium_init() < 0)
		return 2;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other_key, sizeof(other_key));
	RUN(test_seal_open);
	RUN(test_hello_keepalive);
	RUN(test_seqnum_round_trip);
	RUN(test_record_checks);
	RUN(test_seqnum_v2_fields);
	RUN(test_seqnum_v2_checks);
	RUN(test_reject);
	RUN(test_replay_window);
	DONE();
}
