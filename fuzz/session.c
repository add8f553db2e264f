// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the HA session state machine (peer.c) fed a sequence
 * of events. Byte 0 picks our role at start; then each event is
 *   op (1 byte), length (1 byte), that many bytes:
 *   op % 5 == 0: a raw packet;
 *   op % 5 == 1: a message sealed with the fixed key from the peer:
 *                type (% 5: HELLO, KEEPALIVE, SEQNUM, ACK or the invalid
 *                0), node-id, boot-id selector, counter (2 bytes), seq
 *                (1 byte), then the plaintext payload (SEQNUM and ACK
 *                payloads name our boot, FUZZ_RAND, to be accepted);
 *   op % 5 == 2: time passes by length * 50 ms and the peer ticks;
 *   op % 5 == 3: we send a SEQNUM of length / 48 records;
 *   op % 5 == 4: our role changes to the length's low bit (1: active),
 *                no bytes follow.
 * Time only moves in ticks, so every invariant below holds exactly after
 * each event (split brain after PEER_SPLIT_GRACE_MS of both active).
 * Our random draws are FUZZ_RAND, so a HELLO can echo our challenge. As
 * the active we serve a bulk request with a one-message bulk.
 * A packet that is rejected changes no session state (replay window,
 * stream, last heard, challenges); one from a boot other than the verified
 * one that verifies nothing changes none of it either.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "peer.h"

static struct config cfg;
static struct peer peer;
static uint64_t now;

static uint64_t fixed_rand(void *arg)
{
	(void)arg;
	return FUZZ_RAND;
}

static int cb_send(void *arg, const uint8_t *pkt, size_t len)
{
	(void)arg;
	if (!len || len > PROTO_MAX_PKT)
		abort();
	(void)pkt;
	return 0;
}

static void cb_updown(void *arg)
{
	(void)arg;
}

static void cb_bulk(void *arg, uint32_t id)
{
	struct proto_batch b;
	struct xha_sa sa;

	(void)arg;
	if (!id || peer.role != ROLE_ACTIVE)
		abort();
	proto_batch_init(&b, PROTO_SEQNUM_BULK_START | PROTO_SEQNUM_BULK_END,
			 id);
	memset(&sa, 0, sizeof(sa));
	sa.family = 2;
	sa.proto = 50;
	sa.replay_mode = 3;
	sa.has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
	if (proto_batch_add(&b, &sa))
		abort();
	b.hdr.bulk_records = 1;
	/* The session exists: the peer asked with our boot verified. */
	if (peer_send_seqnum(&peer, &b, now, NULL))
		abort();
}

static void cb_records(void *arg, const struct proto_seqnum *hdr,
		       const struct xha_sa *recs, unsigned int n)
{
	(void)arg;
	(void)hdr;
	if (peer.role != ROLE_BACKUP || n > PROTO_MAX_RECORDS)
		abort();
	while (n--)
		if (!proto_record_ok(&recs[n]))
			abort();
}

static const struct peer_ops ops = {
	.send = cb_send,
	.link_up = cb_updown,
	.link_down = cb_updown,
	.bulk_request = cb_bulk,
	.records = cb_records,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		return 1;
	/* Quiet: the session logs every rejection (rate limited). */
	if (!getenv("FUZZ_VERBOSE"))
		log_set_level(LOG_LVL_ERR);
	return 0;
}

static const uint64_t boots[4] = {
	0x2222222222222222ull, 0x3333333333333333ull, FUZZ_RAND, 1,
};

/* What no rejected packet may change. */
struct snap {
	struct proto_replay replay;
	struct stream_rx rx;
	uint64_t last_rx, peer_boot, peer_challenge, peer_known, challenge;
	uint64_t rx_packets, peer_boots;
	bool verified, up;
};

static void take(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->replay = peer.replay;
	s->rx = peer.rx;
	s->last_rx = peer.last_rx;
	s->peer_boot = peer.peer_boot;
	s->peer_challenge = peer.peer_challenge;
	s->peer_known = peer.peer_known;
	s->challenge = peer.challenge;
	s->rx_packets = peer.st.rx_packets;
	s->peer_boots = peer.st.peer_boots;
	s->verified = peer.verified;
	s->up = peer.up;
}

static void input(const uint8_t *pkt, size_t len)
{
	struct snap a, b;
	uint64_t boot = 0;
	bool other;

	take(&a);
	if (len >= 16)
		for (int i = 8; i < 16; i++)
			boot = boot << 8 | pkt[i];
	other = !a.verified || boot != a.peer_boot;
	peer_input(&peer, pkt, len, now);
	take(&b);
	/* Rejected, or from another boot and verifying none: only the
	 * link's up state may follow the clock. */
	if (b.rx_packets == a.rx_packets ||
	    (other && b.peer_boots == a.peer_boots)) {
		b.up = a.up;
		if (memcmp(&a, &b, offsetof(struct snap, rx_packets)) ||
		    a.verified != b.verified)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[PROTO_MAX_PKT];
	struct proto_batch b;
	struct proto_hdr h;
	struct xha_sa sa;
	size_t len, i;
	uint64_t split_brains = 0;
	bool both, split_brain = false;

	if (!size)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.node_id = FUZZ_NODE;
	memcpy(cfg.key, fuzz_key, sizeof(fuzz_key));
	peer_init(&peer, &cfg, data[0] & 1 ? ROLE_ACTIVE : ROLE_BACKUP, &ops,
		  NULL);
	peer_set_rand(&peer, fixed_rand);
	now = 1000000;
	peer_start(&peer, now);
	data++;
	size--;

	while (size >= 2) {
		uint8_t op = data[0];
		size_t n = data[1];

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		switch (op % 5) {
		case 0:
			input(data, n);
			break;
		case 1:
			if (n < 6)
				break;
			memset(&h, 0, sizeof(h));
			h.version = PROTO_VERSION;
			h.type = data[0] % 5;
			h.node_id = data[1] % 17;
			h.boot_id = boots[data[2] % 4];
			h.counter = (uint64_t)data[3] << 8 | data[4];
			h.seq = data[5];
			len = proto_seal(fuzz_key, &h, data + 6, n - 6, pkt,
					 sizeof(pkt));
			if (len)
				input(pkt, len);
			break;
		case 2:
			now += n * 50;
			peer_tick(&peer, now);
			break;
		case 3:
			proto_batch_init(&b, 0, 0);
			memset(&sa, 0, sizeof(sa));
			sa.family = 2;
			sa.proto = 50;
			sa.replay_mode = 3;
			sa.has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
			for (i = 0; i < n / 48 + 1; i++) {
				sa.spi = (uint32_t)i;
				if (proto_batch_add(&b, &sa))
					break;
			}
			peer_send_seqnum(&peer, &b, now, NULL);
			break;
		case 4:
			peer_set_role(&peer, n & 1 ? ROLE_ACTIVE : ROLE_BACKUP,
				      now);
			n = 0;
			break;
		}
		data += n;
		size -= n;
		/* Invariants. */
		if (peer.up && (!peer.verified || peer.peer_known != peer.boot))
			abort();
		if (peer.verified && (peer.peer_node == FUZZ_NODE ||
				      !peer.peer_node || peer.peer_node > 15))
			abort();
		if (peer.want_bulk && peer.role != ROLE_BACKUP)
			abort();
		/* Split brain: both active on a live link (as the peer said
		 * after we became active) for PEER_SPLIT_GRACE_MS; counted
		 * once per episode. */
		both = peer.up && peer.role == ROLE_ACTIVE &&
		       peer.peer_role == PROTO_ROLE_ACTIVE &&
		       peer.peer_role_at > peer.role_at;
		if (both != (peer.both_active_since != 0))
			abort();
		if (both && (peer.both_active_since > now ||
			     peer.both_active_since < peer.role_at))
			abort();
		if (peer.split_brain !=
		    (both && now - peer.both_active_since >= PEER_SPLIT_GRACE_MS))
			abort();
		if (peer.st.split_brains !=
		    split_brains + (peer.split_brain && !split_brain))
			abort();
		split_brain = peer.split_brain;
		split_brains = peer.st.split_brains;
		/* Synced: a backup that completed a bulk on this link. */
		if (peer.synced && (!peer.up || peer.role != ROLE_BACKUP))
			abort();
		if (peer_synced(&peer) != peer.synced)
			abort();
		if (peer.synced && peer.want_bulk)
			abort();
		/* The streams. */
		if (peer.rx.cum > peer.rx.top)
			abort();
		if (peer.tx.count > peer.tx.cap ||
		    stream_tx_low(&peer.tx) > stream_tx_last(&peer.tx) + 1 ||
		    peer.tx.count != stream_tx_last(&peer.tx) + 1 -
					     stream_tx_low(&peer.tx))
			abort();
		if (peer.verified && peer.peer_node != peer.pinned_node)
			abort();
	}
	peer_free(&peer);
	return 0;
}
