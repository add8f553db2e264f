/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HA link wire format (docs/protocol.md): a 32-byte cleartext header used
 * as AEAD associated data, then the XChaCha20-Poly1305 ciphertext of the
 * payload and its 16-byte tag. Pure functions, no I/O: fuzzed directly.
 * Multi-byte integers are big-endian on the wire.
 */
#ifndef AGENT_PROTO_H
#define AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xha_nl.h"

#define PROTO_MAGIC "XHAL"
#define PROTO_VERSION 3
#define PROTO_HDR_LEN 32
#define PROTO_TAG_LEN 16
#define PROTO_KEY_LEN 32
/* Largest datagram we send or accept: fits an IPv6 minimum-MTU path. */
#define PROTO_MAX_PKT 1400
#define PROTO_MAX_PAYLOAD (PROTO_MAX_PKT - PROTO_HDR_LEN - PROTO_TAG_LEN)

enum proto_type {
	PROTO_HELLO = 1,
	PROTO_KEEPALIVE = 2,
	PROTO_SEQNUM = 3,
	PROTO_ACK = 4,
};

struct proto_hdr {
	uint8_t version;
	uint8_t type;
	uint8_t node_id;	/* sender, 1..15 */
	uint8_t flags;		/* none defined: 0 */
	uint64_t boot_id;	/* sender's random per-process id, never 0 */
	uint64_t counter;	/* per boot, strictly increasing from 1 */
	uint64_t seq;		/* SEQNUM stream sequence, 1, 2...; else 0 */
};

/* Why a packet was dropped; index into the rejection counters. */
enum proto_err {
	PROTO_OK = 0,
	PROTO_ERR_SHORT,	/* shorter than header + tag */
	PROTO_ERR_OVERSIZE,	/* larger than PROTO_MAX_PKT */
	PROTO_ERR_MAGIC,
	PROTO_ERR_VERSION,
	PROTO_ERR_TYPE,		/* unknown message type */
	PROTO_ERR_HEADER,	/* bad node-id range, flags, boot id, counter */
	PROTO_ERR_OWN_NODE,	/* carries our own node-id */
	PROTO_ERR_AUTH,		/* forged, corrupted or wrong key */
	PROTO_ERR_MALFORMED,	/* authentic but the payload does not parse */
	PROTO_ERR_REPLAY,	/* counter already seen from this boot */
	PROTO_ERR_UNVERIFIED,	/* not a HELLO from a boot not verified yet */
	PROTO_ERR_ROLE,		/* SEQNUM sent to an active node */
	PROTO_ERR_SOURCE,	/* link level: from an unexpected address */
	PROTO_ERR_NODE,		/* not the peer's (configured or pinned) node-id */
	PROTO_ERR_IFACE,	/* link level: arrived on another interface */
	PROTO_ERR_SESSION,	/* SEQNUM or ACK for a previous boot of ours */
	PROTO_ERR_MAX
};

const char *proto_err_name(enum proto_err err);

/*
 * Seal header + payload into out (at least PROTO_HDR_LEN + plen +
 * PROTO_TAG_LEN bytes). Returns the packet length, 0 if it would exceed
 * PROTO_MAX_PKT or outlen.
 */
size_t proto_seal(const uint8_t key[PROTO_KEY_LEN], const struct proto_hdr *h,
		  const uint8_t *payload, size_t plen, uint8_t *out,
		  size_t outlen);

/*
 * Check and authenticate a packet. On success fills *h and the decrypted
 * payload (at most PROTO_MAX_PAYLOAD bytes) and returns PROTO_OK. The
 * node-id check rejects own_node, and with peer_node (not 0) any other
 * node-id than peer_node.
 */
enum proto_err proto_open(const uint8_t key[PROTO_KEY_LEN], uint8_t own_node,
			  uint8_t peer_node, const uint8_t *pkt, size_t len, struct proto_hdr *h,
			  uint8_t *payload, size_t *plen);

/* Role on the wire. */
enum {
	PROTO_ROLE_ACTIVE = 1,
	PROTO_ROLE_BACKUP = 2,
};

#define PROTO_HELLO_LEN 36
struct proto_hello {
	uint64_t challenge;	/* fresh random, echoed by the peer */
	uint64_t echo;		/* the peer's last challenge we saw, or 0 */
	uint64_t known_boot;	/* the peer boot id we verified, or 0 */
	uint32_t bulk_req;	/* non-zero: please send bulk sync #bulk_req */
	uint8_t role;
	uint32_t outages;	/* times the sender saw the link go down */
};

/*
 * The heartbeat: liveness, role, outages, and both directions of the
 * SEQNUM stream between the sender's boot and known_boot: what the sender
 * sent (tx_last, and the oldest it can still resend, tx_low) and what it
 * received of the peer's (ack: every seq up to it).
 */
#define PROTO_KEEPALIVE_LEN 40
struct proto_keepalive {
	uint64_t known_boot;
	uint8_t role;
	uint32_t outages;
	uint64_t tx_last;	/* last seq sent to known_boot, 0 if none */
	uint64_t tx_low;	/* oldest seq still resendable (tx_last + 1: none) */
	uint64_t ack;		/* cumulative: every seq up to it received */
};

/*
 * ACK (type 4): the cumulative acknowledgement of stream_boot's SEQNUM
 * stream to the sender, and up to PROTO_MAX_NACK ranges of seqs above it
 * that are missing (NACK).
 */
#define PROTO_MAX_NACK 32
#define PROTO_ACK_HDR_LEN 20
#define PROTO_ACK_MAX_LEN (PROTO_ACK_HDR_LEN + 16 * PROTO_MAX_NACK)
struct proto_ack {
	uint64_t stream_boot;	/* the boot whose stream this acknowledges */
	uint64_t ack;
	uint16_t nranges;
	struct {
		uint64_t first, last;
	} range[PROTO_MAX_NACK];
};

size_t proto_ack_encode(const struct proto_ack *m, uint8_t *buf, size_t len);
int proto_ack_decode(const uint8_t *buf, size_t len, struct proto_ack *m);

#define PROTO_SEQNUM_HDR_LEN 32
/*
 * A record is variable-length: 66 fixed bytes (identity, counters,
 * lifetimes, bitmap word count) and then 0..128 bitmap words of 4 bytes.
 */
#define PROTO_RECORD_MIN_LEN 66
#define PROTO_RECORD_MAX_LEN (PROTO_RECORD_MIN_LEN + 4 * XHA_BITMAP_MAX_WORDS)
/* The most records a SEQNUM payload can hold (all without a bitmap). */
#define PROTO_MAX_RECORDS \
	((PROTO_MAX_PAYLOAD - PROTO_SEQNUM_HDR_LEN) / PROTO_RECORD_MIN_LEN)

/* Record flags (byte 3). */
enum {
	PROTO_REC_LIFETIME = 1 << 0,	/* bytes and packets are meaningful */
	PROTO_REC_F_ALL = PROTO_REC_LIFETIME,
};

enum {
	PROTO_SEQNUM_BULK_START = 1 << 0,
	PROTO_SEQNUM_BULK_END = 1 << 1,
	PROTO_SEQNUM_F_ALL = PROTO_SEQNUM_BULK_START | PROTO_SEQNUM_BULK_END,
};

struct proto_seqnum {
	uint8_t flags;		/* PROTO_SEQNUM_* */
	uint16_t count;
	uint32_t bulk_id;	/* the bulk_req served, 0 if unsolicited */
	uint64_t dest_boot;	/* the receiver's boot this stream goes to */
	/* BULK_END only: the seq of the bulk's BULK_START message and the
	 * number of records in the whole bulk; 0 otherwise. */
	uint64_t bulk_first;
	uint32_t bulk_records;
};

size_t proto_hello_encode(const struct proto_hello *m, uint8_t *buf,
			  size_t len);
int proto_hello_decode(const uint8_t *buf, size_t len, struct proto_hello *m);
size_t proto_keepalive_encode(const struct proto_keepalive *m, uint8_t *buf,
			      size_t len);
int proto_keepalive_decode(const uint8_t *buf, size_t len,
			   struct proto_keepalive *m);

/*
 * Can this SA be carried in a record (identity, both counters, mode, at
 * most XHA_BITMAP_MAX_WORDS bitmap words)?
 */
bool proto_record_ok(const struct xha_sa *sa);
/*
 * The record's length on the wire: the bitmap travels when sa->has says
 * so, bitmap_words is 1..XHA_BITMAP_MAX_WORDS and seq is not 0 (a bitmap
 * relative to seq 0 says nothing); lifetimes when sa->has says so.
 */
size_t proto_record_len(const struct xha_sa *sa);

/*
 * Builds one SEQNUM payload. proto_batch_add() returns -ENOSPC when the
 * record does not fit in what is left of PROTO_MAX_PAYLOAD (send the batch
 * and start a new one: any single record fits an empty batch), -EINVAL
 * for an SA that proto_record_ok() refuses. Nothing is added on error.
 */
struct proto_batch {
	struct proto_seqnum hdr;
	size_t len;
	uint8_t buf[PROTO_MAX_PAYLOAD];
};

void proto_batch_init(struct proto_batch *b, uint8_t flags, uint32_t bulk_id);
int proto_batch_add(struct proto_batch *b, const struct xha_sa *sa);
/* Writes the header; returns the payload length. */
size_t proto_batch_finish(struct proto_batch *b);

/*
 * Decode a SEQNUM payload into recs (room for PROTO_MAX_RECORDS). All or
 * nothing: returns the record count, or -1 if anything is malformed
 * (unknown flags, a bitmap word count above 128 or with seq 0, lifetimes
 * without their flag, lengths that do not add up exactly).
 */
int proto_seqnum_decode(const uint8_t *buf, size_t len,
			struct proto_seqnum *hdr, struct xha_sa *recs);

/* Anti-replay: a PROTO_REPLAY_WINDOW-counter sliding window per peer boot. */
#define PROTO_REPLAY_WINDOW 1024
struct proto_replay {
	uint64_t top;		/* highest counter accepted */
	uint64_t bitmap[PROTO_REPLAY_WINDOW / 64];	/* bit i: top - i seen */
};

void proto_replay_reset(struct proto_replay *r, uint64_t counter);
bool proto_replay_check(const struct proto_replay *r, uint64_t counter);
void proto_replay_update(struct proto_replay *r, uint64_t counter);

#endif /* AGENT_PROTO_H */
