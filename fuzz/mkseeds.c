// SPDX-License-Identifier: GPL-2.0
/*
 * Writes seed inputs for the wire, records, session and keepalived
 * fuzzers into DIR/{wire,records,session,keepalived}/: valid packets and
 * payloads sealed with the fixed fuzz key, a full handshake for the
 * session target, and keepalived notify FIFO streams.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "linux/xfrm_ha.h"
#include "proto.h"

static const char *dir;

static void put(const char *target, const char *name, const uint8_t *data,
		size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void sa(struct xha_sa *s, int i)
{
	memset(s, 0, sizeof(*s));
	s->family = i & 1 ? 10 : 2;
	s->proto = 50;
	s->replay_mode = (uint8_t)(1 + i % 3);
	s->spi = 0x010000c0u + (uint32_t)i;
	s->daddr[0] = 10;
	s->daddr[3] = (uint8_t)i;
	s->mark = (uint32_t)i;
	s->oseq = 1000u * (uint32_t)i;
	s->seq = 77u * (uint32_t)i;
	s->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
	/* Version 2 fields: lifetimes on most, bitmaps of varied sizes. */
	if (i % 4 != 3) {
		s->bytes = 1400u * (uint64_t)i;
		s->packets = (uint64_t)i;
		s->has |= XHA_SA_HAS_LIFETIME;
	}
	if (i % 3 == 2 && s->seq) {
		s->bitmap_words = (uint32_t)(1 + i % 5);
		s->bitmap[0] = 0xfffffff1u;
		s->bitmap[s->bitmap_words - 1] |= 0x80000000u;
		s->has |= XHA_SA_HAS_BITMAP;
	}
}

/* A record with the kernel's largest window: 128 words. */
static void big_sa(struct xha_sa *s, int i)
{
	uint32_t w;

	sa(s, i);
	s->replay_mode = 3;
	s->seq = 0x100000000ull + 4096;
	s->bitmap_words = XHA_BITMAP_MAX_WORDS;
	for (w = 0; w < XHA_BITMAP_MAX_WORDS; w++)
		s->bitmap[w] = 0xdeadbeefu ^ w;
	s->has |= XHA_SA_HAS_BITMAP;
}

/* SEQNUM payloads go to our boot (FUZZ_RAND, what the session target's
 * peer draws); a BULK_END says the bulk started at seq 1 and counts its
 * own records. */
static size_t seqnum_payload(uint8_t *out, int nrec, uint8_t flags,
			     uint32_t bulk)
{
	struct proto_batch b;
	struct xha_sa s;
	size_t len;
	int i;

	proto_batch_init(&b, flags, bulk);
	b.hdr.dest_boot = FUZZ_RAND;
	/* nrec < 0: one 128-word bitmap, then as many small ones as fit. */
	if (nrec < 0) {
		big_sa(&s, 1);
		proto_batch_add(&b, &s);
		nrec = PROTO_MAX_RECORDS;
	}
	for (i = 0; i < nrec; i++) {
		sa(&s, i);
		if (proto_batch_add(&b, &s) < 0)
			break;
	}
	if (flags & PROTO_SEQNUM_BULK_END) {
		b.hdr.bulk_first = 1;
		b.hdr.bulk_records = b.hdr.count;
	}
	len = proto_batch_finish(&b);
	memcpy(out, b.buf, len);
	return len;
}

static size_t payload_for(uint8_t type, uint8_t *out, int variant)
{
	struct proto_hello hello = {
		.challenge = 0x4444444444444444ull,
		.echo = FUZZ_RAND,
		.known_boot = variant ? FUZZ_RAND : 0,
		.bulk_req = (uint32_t)variant,
		.role = variant & 1 ? PROTO_ROLE_ACTIVE : PROTO_ROLE_BACKUP,
		.outages = (uint32_t)variant / 2,
	};
	/* variant 0: nothing sent, all received; 1: a tail of 3 to NACK
	 * (tx_last 4 while 1 arrived); 2: 1..2 no longer resendable, the
	 * peer's outage count moved. */
	struct proto_keepalive ka = {
		.known_boot = FUZZ_RAND,
		.role = PROTO_ROLE_ACTIVE,
		.outages = variant == 2,
		.tx_last = variant ? 4 : 0,
		.tx_low = variant == 2 ? 3 : 1,
		.ack = variant ? 1 : 0,
	};
	/* Our stream: acked up to 1, 3 and 5..6 missing (variant 1), or
	 * everything up to 2 (variant 0). */
	struct proto_ack ack = {
		.stream_boot = FUZZ_RAND,
		.ack = variant ? 1 : 2,
		.nranges = variant ? 2 : 0,
		.range = { { 3, 3 }, { 5, 6 } },
	};

	switch (type) {
	case PROTO_HELLO:
		return proto_hello_encode(&hello, out, PROTO_MAX_PAYLOAD);
	case PROTO_KEEPALIVE:
		return proto_keepalive_encode(&ka, out, PROTO_MAX_PAYLOAD);
	case PROTO_ACK:
		return proto_ack_encode(&ack, out, PROTO_MAX_PAYLOAD);
	default:
		return seqnum_payload(out, variant == 2 ? -1 :
					   variant ? PROTO_MAX_RECORDS : 3,
				      variant ? PROTO_SEQNUM_BULK_START | PROTO_SEQNUM_BULK_END : 0,
				      (uint32_t)variant);
	}
}

static void wire_seeds(void)
{
	uint8_t payload[PROTO_MAX_PAYLOAD], in[PROTO_MAX_PKT + 64];
	struct proto_hdr h = {
		.version = PROTO_VERSION,
		.node_id = 2,
		.boot_id = 0x2222222222222222ull,
		.counter = 1,
	};
	char name[64];
	size_t plen, len;
	uint8_t type;
	int v;

	for (type = PROTO_HELLO; type <= PROTO_ACK; type++)
		for (v = 0; v < (type == PROTO_SEQNUM ||
				 type == PROTO_KEEPALIVE ? 3 : 2); v++) {
			plen = payload_for(type, payload, v);
			h.type = type;
			h.seq = type == PROTO_SEQNUM ? 1 : 0;
			in[0] = 0;
			len = proto_seal(fuzz_key, &h, payload, plen, in + 1,
					 sizeof(in) - 1);
			snprintf(name, sizeof(name), "packet-%u-%d", type, v);
			put("wire", name, in, len + 1);
			/* Seal mode: header fields, then the plaintext. */
			in[0] = 1;
			memset(in + 1, 0, 29);
			in[1] = h.version;
			in[2] = h.type;
			in[3] = h.node_id;
			memset(in + 5, 0x22, 8);
			in[20] = 1;		/* counter */
			in[28] = (uint8_t)h.seq;	/* low byte of seq */
			memcpy(in + 30, payload, plen);
			snprintf(name, sizeof(name), "sealed-%u-%d", type, v);
			put("wire", name, in, 30 + plen);

			/* records: selector, shift, payload */
			in[0] = type == PROTO_SEQNUM ? 0 :
				type == PROTO_HELLO ? 1 :
				type == PROTO_KEEPALIVE ? 2 : 3;
			in[1] = 0;
			in[2] = 1;
			in[3] = 0;
			in[4] = 0;
			memcpy(in + 5, payload, plen);
			snprintf(name, sizeof(name), "payload-%u-%d", type, v);
			put("records", name, in, 5 + plen);
		}
}

/* One session event: op, length, bytes. */
static size_t ev(uint8_t *out, uint8_t op, const uint8_t *data, size_t len)
{
	out[0] = op;
	out[1] = (uint8_t)len;
	memcpy(out + 2, data, len);
	return 2 + len;
}

static size_t sealed_ev(uint8_t *out, uint8_t type, uint8_t boot_sel,
			uint16_t counter, uint8_t seq, int variant)
{
	uint8_t buf[256], payload[PROTO_MAX_PAYLOAD];
	size_t plen;

	if (type == PROTO_SEQNUM) {
		plen = seqnum_payload(payload, 3,
				      variant ? PROTO_SEQNUM_BULK_START | PROTO_SEQNUM_BULK_END : 0,
				      (uint32_t)variant);
		/* variant 3: for another boot of ours (stale-session) */
		if (variant == 3)
			payload[15] ^= 1;
	} else {
		plen = payload_for(type, payload, variant);
	}
	buf[0] = type;
	buf[1] = 2;
	buf[2] = boot_sel;
	buf[3] = (uint8_t)(counter >> 8);
	buf[4] = (uint8_t)counter;
	buf[5] = seq;
	memcpy(buf + 6, payload, plen);
	return ev(out, 1, buf, 6 + plen);
}

static void session_seeds(void)
{
	uint8_t in[4096], tick = 20;
	size_t len;
	int role;

	for (role = 0; role < 2; role++) {
		len = 0;
		in[len++] = (uint8_t)role;	/* 1: active, 0: backup */
		/* HELLO echoing our challenge and knowing our boot, asking
		 * for bulk #1; keepalive; records with end of bulk #1; time
		 * passes; the peer restarts (other boot); records again. */
		len += sealed_ev(in + len, PROTO_HELLO, 0, 1, 0, 1);
		len += sealed_ev(in + len, PROTO_KEEPALIVE, 0, 2, 0, 0);
		len += sealed_ev(in + len, PROTO_SEQNUM, 0, 3, 1, 1);
		len += sealed_ev(in + len, PROTO_SEQNUM, 0, 3, 1, 0);	/* replay */
		len += ev(in + len, 2, &tick, 1);
		len += sealed_ev(in + len, PROTO_HELLO, 1, 1, 0, 2);
		len += sealed_ev(in + len, PROTO_SEQNUM, 1, 2, 5, 0);
		len += ev(in + len, 3, in, 100);
		len += ev(in + len, 2, &tick, 1);
		len += ev(in + len, 2, &tick, 1);
		len += ev(in + len, 2, &tick, 1);
		put("session", role ? "active" : "backup", in, len);
		/* Then the roles change: ours flips, the peer's follows (a
		 * switchover), then both are active (a split brain). */
		in[len++] = 4;		/* op 4: no bytes follow */
		in[len++] = (uint8_t)!role;
		len += sealed_ev(in + len, PROTO_HELLO, 1, 3, 0, role ? 2 : 3);
		len += sealed_ev(in + len, PROTO_SEQNUM, 1, 4, 6, 1);
		len += ev(in + len, 2, &tick, 1);
		in[len++] = 4;
		in[len++] = 1;
		len += sealed_ev(in + len, PROTO_KEEPALIVE, 1, 5, 0, 0);
		len += ev(in + len, 2, &tick, 1);
		put("session", role ? "active-switch" : "backup-switch", in,
		    len);

		/* The stream: a fresh handshake, then messages out of order
		 * (3, 1, then 2 again twice: a duplicate), a heartbeat with
		 * a tail to NACK and a low that gives up, our own messages
		 * and the peer's ACKs of them with NACK ranges, a SEQNUM
		 * for another boot of ours, and ticks for the RTO. */
		len = 0;
		in[len++] = (uint8_t)role;
		len += sealed_ev(in + len, PROTO_HELLO, 0, 1, 0, 1);
		len += sealed_ev(in + len, PROTO_SEQNUM, 0, 2, 3, 0);
		len += sealed_ev(in + len, PROTO_SEQNUM, 0, 3, 1, 1);
		len += sealed_ev(in + len, PROTO_SEQNUM, 0, 4, 2, 0);
		len += sealed_ev(in + len, PROTO_SEQNUM, 0, 5, 2, 0);
		len += sealed_ev(in + len, PROTO_KEEPALIVE, 0, 6, 0, 1);
		len += ev(in + len, 2, &tick, 1);
		len += sealed_ev(in + len, PROTO_KEEPALIVE, 0, 7, 0, 2);
		len += ev(in + len, 3, in, 10);
		len += ev(in + len, 3, in, 60);
		len += ev(in + len, 3, in, 100);
		len += sealed_ev(in + len, PROTO_ACK, 0, 8, 0, 1);
		len += ev(in + len, 2, &tick, 1);
		len += sealed_ev(in + len, PROTO_ACK, 0, 9, 0, 0);
		len += sealed_ev(in + len, PROTO_SEQNUM, 0, 10, 7, 3);
		len += ev(in + len, 2, &tick, 1);
		len += ev(in + len, 2, &tick, 1);
		put("session", role ? "active-stream" : "backup-stream", in,
		    len);
	}
}

/* keepalived's notify FIFO: byte 0 is the chunk size, then the stream. */
static void keepalived_seeds(void)
{
	static const char *const streams[] = {
		"INSTANCE \"VI_1\" MASTER 100\n",
		"GROUP \"VPN\" BACKUP 0\nGROUP \"VPN\" MASTER 0\n",
		"INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" FAULT 0\n"
		"INSTANCE \"VI_1\" STOP 0\nINSTANCE \"VI_1\" DELETED 0\n",
		"INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 100\r\n"
		"VS [10.0.0.1]:tcp:80 UP\n"
		"RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n"
		"GROUP \"VPN\" BACK",
		"INSTANCE \"VI_1\" MASTER 256\nINSTANCE VI_1 MASTER\n"
		"GROUP \"\" BACKUP 0\nGROUP \"VPN\" BACKUP 0 junk\n",
	};
	static const uint8_t chunks[] = { 0, 1, 7, 200 };
	char buf[2048], name[32];
	size_t i, len;

	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		len = strlen(streams[i]);
		buf[0] = (char)chunks[i % sizeof(chunks)];
		memcpy(buf + 1, streams[i], len);
		snprintf(name, sizeof(name), "stream-%zu", i);
		put("keepalived", name, (const uint8_t *)buf, len + 1);
	}
	/* An overlong line between two good ones. */
	len = 0;
	buf[len++] = 100;
	len += (size_t)sprintf(buf + len, "GROUP \"VPN\" MASTER 0\n");
	memset(buf + len, 'x', 600);
	len += 600;
	len += (size_t)sprintf(buf + len, "\nGROUP \"VPN\" BACKUP 0\n");
	put("keepalived", "overlong", (const uint8_t *)buf, len);
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 1;
	}
	dir = argv[1];
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	wire_seeds();
	session_seeds();
	keepalived_seeds();
	return 0;
}
