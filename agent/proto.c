// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>

#include "linux/xfrm_ha.h"
#include "proto.h"

_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == PROTO_KEY_LEN,
	       "key length");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == PROTO_TAG_LEN,
	       "tag length");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24,
	       "nonce length");
_Static_assert(PROTO_MAX_RECORDS == 20, "records per packet");
_Static_assert(PROTO_ACK_MAX_LEN <= PROTO_MAX_PAYLOAD, "ACK fits");
_Static_assert(PROTO_SEQNUM_HDR_LEN + PROTO_RECORD_MAX_LEN <= PROTO_MAX_PAYLOAD,
	       "a record with the largest bitmap fits one datagram");
_Static_assert(4 * XHA_BITMAP_MAX_WORDS == XFRM_HA_BITMAP_MAX_BYTES,
	       "bitmap size");

static const char *const err_names[PROTO_ERR_MAX] = {
	[PROTO_OK] = "ok",
	[PROTO_ERR_SHORT] = "truncated",
	[PROTO_ERR_OVERSIZE] = "oversized",
	[PROTO_ERR_MAGIC] = "bad-magic",
	[PROTO_ERR_VERSION] = "bad-version",
	[PROTO_ERR_TYPE] = "bad-type",
	[PROTO_ERR_HEADER] = "bad-header",
	[PROTO_ERR_OWN_NODE] = "own-node-id",
	[PROTO_ERR_AUTH] = "auth-failed",
	[PROTO_ERR_MALFORMED] = "malformed",
	[PROTO_ERR_REPLAY] = "replayed",
	[PROTO_ERR_UNVERIFIED] = "unverified-peer",
	[PROTO_ERR_ROLE] = "wrong-role",
	[PROTO_ERR_SOURCE] = "bad-source",
	[PROTO_ERR_NODE] = "wrong-node",
	[PROTO_ERR_IFACE] = "wrong-interface",
	[PROTO_ERR_SESSION] = "stale-session",
};

const char *proto_err_name(enum proto_err err)
{
	return (unsigned int)err < PROTO_ERR_MAX ? err_names[err] : "?";
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void hdr_encode(const struct proto_hdr *h, uint8_t *p)
{
	memcpy(p, PROTO_MAGIC, 4);
	p[4] = h->version;
	p[5] = h->type;
	p[6] = h->node_id;
	p[7] = h->flags;
	put64(p + 8, h->boot_id);
	put64(p + 16, h->counter);
	put64(p + 24, h->seq);
}

/*
 * Deterministic nonce: unique as long as (node-id, boot id, counter) never
 * repeats under one key. The counter only grows within a boot and the boot
 * id is 64 random bits drawn at start; the node-id keeps the two senders
 * apart even if their boot ids collided.
 */
static void make_nonce(uint8_t nonce[24], const struct proto_hdr *h)
{
	memset(nonce, 0, 24);
	nonce[0] = h->node_id;
	put64(nonce + 8, h->boot_id);
	put64(nonce + 16, h->counter);
}

size_t proto_seal(const uint8_t key[PROTO_KEY_LEN], const struct proto_hdr *h,
		  const uint8_t *payload, size_t plen, uint8_t *out,
		  size_t outlen)
{
	size_t len = PROTO_HDR_LEN + plen + PROTO_TAG_LEN;
	unsigned long long clen;
	uint8_t nonce[24];

	if (plen > PROTO_MAX_PAYLOAD || len > outlen)
		return 0;
	hdr_encode(h, out);
	make_nonce(nonce, h);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + PROTO_HDR_LEN, &clen,
						   payload, plen, out,
						   PROTO_HDR_LEN, NULL, nonce,
						   key);
	return PROTO_HDR_LEN + (size_t)clen;
}

enum proto_err proto_open(const uint8_t key[PROTO_KEY_LEN], uint8_t own_node,
			  uint8_t peer_node, const uint8_t *pkt, size_t len, struct proto_hdr *h,
			  uint8_t *payload, size_t *plen)
{
	unsigned long long mlen;
	uint8_t nonce[24];

	/* Cheap checks first: nothing unauthenticated costs a decryption. */
	if (len > PROTO_MAX_PKT)
		return PROTO_ERR_OVERSIZE;
	if (len < PROTO_HDR_LEN + PROTO_TAG_LEN)
		return PROTO_ERR_SHORT;
	if (memcmp(pkt, PROTO_MAGIC, 4))
		return PROTO_ERR_MAGIC;
	h->version = pkt[4];
	h->type = pkt[5];
	h->node_id = pkt[6];
	h->flags = pkt[7];
	h->boot_id = get64(pkt + 8);
	h->counter = get64(pkt + 16);
	h->seq = get64(pkt + 24);
	if (h->version != PROTO_VERSION)
		return PROTO_ERR_VERSION;
	if (h->type < PROTO_HELLO || h->type > PROTO_ACK)
		return PROTO_ERR_TYPE;
	if (h->node_id < 1 || h->node_id > 15 || !h->boot_id ||
	    !h->counter || (h->type == PROTO_SEQNUM) != (h->seq != 0))
		return PROTO_ERR_HEADER;
	if (h->node_id == own_node)
		return PROTO_ERR_OWN_NODE;
	if (peer_node && h->node_id != peer_node)
		return PROTO_ERR_NODE;
	make_nonce(nonce, h);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    payload, &mlen, NULL, pkt + PROTO_HDR_LEN,
		    len - PROTO_HDR_LEN, pkt, PROTO_HDR_LEN, nonce, key) != 0)
		return PROTO_ERR_AUTH;
	*plen = (size_t)mlen;
	return PROTO_OK;
}

/*
 * HELLO, KEEPALIVE and ACK payloads may grow at the end in later revisions
 * of a version: bytes past the known fields are ignored, so that an
 * upgraded node still talks to an old one.
 */
size_t proto_hello_encode(const struct proto_hello *m, uint8_t *buf,
			  size_t len)
{
	if (len < PROTO_HELLO_LEN)
		return 0;
	memset(buf, 0, PROTO_HELLO_LEN);
	put64(buf, m->challenge);
	put64(buf + 8, m->echo);
	put64(buf + 16, m->known_boot);
	put32(buf + 24, m->bulk_req);
	buf[28] = m->role;
	put32(buf + 32, m->outages);
	return PROTO_HELLO_LEN;
}

static bool role_ok(uint8_t role)
{
	return role == PROTO_ROLE_ACTIVE || role == PROTO_ROLE_BACKUP;
}

int proto_hello_decode(const uint8_t *buf, size_t len, struct proto_hello *m)
{
	if (len < PROTO_HELLO_LEN)
		return -1;
	m->challenge = get64(buf);
	m->echo = get64(buf + 8);
	m->known_boot = get64(buf + 16);
	m->bulk_req = get32(buf + 24);
	m->role = buf[28];
	m->outages = get32(buf + 32);
	if (!m->challenge || !role_ok(m->role))
		return -1;
	return 0;
}

size_t proto_keepalive_encode(const struct proto_keepalive *m, uint8_t *buf,
			      size_t len)
{
	if (len < PROTO_KEEPALIVE_LEN)
		return 0;
	memset(buf, 0, PROTO_KEEPALIVE_LEN);
	put64(buf, m->known_boot);
	buf[8] = m->role;
	put32(buf + 12, m->outages);
	put64(buf + 16, m->tx_last);
	put64(buf + 24, m->tx_low);
	put64(buf + 32, m->ack);
	return PROTO_KEEPALIVE_LEN;
}

int proto_keepalive_decode(const uint8_t *buf, size_t len,
			   struct proto_keepalive *m)
{
	if (len < PROTO_KEEPALIVE_LEN)
		return -1;
	m->known_boot = get64(buf);
	m->role = buf[8];
	m->outages = get32(buf + 12);
	m->tx_last = get64(buf + 16);
	m->tx_low = get64(buf + 24);
	m->ack = get64(buf + 32);
	/* Nothing resendable lies above what was sent. */
	if (!role_ok(m->role) || m->tx_low > m->tx_last + 1)
		return -1;
	return 0;
}

size_t proto_ack_encode(const struct proto_ack *m, uint8_t *buf, size_t len)
{
	size_t need = PROTO_ACK_HDR_LEN + 16 * (size_t)m->nranges;
	unsigned int i;

	if (m->nranges > PROTO_MAX_NACK || len < need)
		return 0;
	memset(buf, 0, PROTO_ACK_HDR_LEN);
	put64(buf, m->stream_boot);
	put64(buf + 8, m->ack);
	put16(buf + 16, m->nranges);
	for (i = 0; i < m->nranges; i++) {
		put64(buf + PROTO_ACK_HDR_LEN + 16 * i, m->range[i].first);
		put64(buf + PROTO_ACK_HDR_LEN + 16 * i + 8, m->range[i].last);
	}
	return need;
}

/*
 * Ranges must be ascending, disjoint, above the cumulative ack and each
 * first <= last: a receiver never has to sort or clip them.
 */
int proto_ack_decode(const uint8_t *buf, size_t len, struct proto_ack *m)
{
	uint64_t floor;
	unsigned int i;

	if (len < PROTO_ACK_HDR_LEN)
		return -1;
	m->stream_boot = get64(buf);
	m->ack = get64(buf + 8);
	m->nranges = get16(buf + 16);
	if (!m->stream_boot || m->nranges > PROTO_MAX_NACK ||
	    len < PROTO_ACK_HDR_LEN + 16 * (size_t)m->nranges)
		return -1;
	floor = m->ack;
	for (i = 0; i < m->nranges; i++) {
		m->range[i].first = get64(buf + PROTO_ACK_HDR_LEN + 16 * i);
		m->range[i].last = get64(buf + PROTO_ACK_HDR_LEN + 16 * i + 8);
		if (m->range[i].first <= floor ||
		    m->range[i].last < m->range[i].first)
			return -1;
		floor = m->range[i].last;
	}
	return 0;
}

static uint64_t mode_limit(uint8_t mode)
{
	return mode == XFRM_HA_REPLAY_ESN ? UINT64_MAX : UINT32_MAX;
}

bool proto_record_ok(const struct xha_sa *sa)
{
	const unsigned int need = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
				  XHA_SA_HAS_REPLAY;

	if ((sa->has & need) != need)
		return false;
	if (sa->family != AF_INET && sa->family != AF_INET6)
		return false;
	if (sa->proto != IPPROTO_ESP && sa->proto != IPPROTO_AH)
		return false;
	if (sa->replay_mode < XFRM_HA_REPLAY_LEGACY ||
	    sa->replay_mode > XFRM_HA_REPLAY_MAX)
		return false;
	if ((sa->has & XHA_SA_HAS_BITMAP) &&
	    sa->bitmap_words > XHA_BITMAP_MAX_WORDS)
		return false;
	return sa->oseq <= mode_limit(sa->replay_mode) &&
	       sa->seq <= mode_limit(sa->replay_mode);
}

/* Bitmap words that go on the wire for this SA. */
static unsigned int wire_words(const struct xha_sa *sa)
{
	if (!(sa->has & XHA_SA_HAS_BITMAP) || !sa->seq ||
	    sa->bitmap_words > XHA_BITMAP_MAX_WORDS)
		return 0;
	return sa->bitmap_words;
}

size_t proto_record_len(const struct xha_sa *sa)
{
	return PROTO_RECORD_MIN_LEN + 4 * (size_t)wire_words(sa);
}

void proto_batch_init(struct proto_batch *b, uint8_t flags, uint32_t bulk_id)
{
	b->hdr.flags = flags;
	b->hdr.count = 0;
	b->hdr.bulk_id = bulk_id;
	b->hdr.dest_boot = 0;
	b->hdr.bulk_first = 0;
	b->hdr.bulk_records = 0;
	b->len = PROTO_SEQNUM_HDR_LEN;
}

/*
 * Record (docs/protocol.md): family (4|6), proto, replay mode, flags, spi
 * (as on the wire), mark, if_id, daddr[16] (IPv4 in the first 4 bytes,
 * rest zero), oseq, seq, bytes, packets, bitmap word count W, W words.
 */
int proto_batch_add(struct proto_batch *b, const struct xha_sa *sa)
{
	uint8_t *p = b->buf + b->len;
	unsigned int i, words;
	size_t rlen;

	if (!proto_record_ok(sa))
		return -EINVAL;
	words = wire_words(sa);
	rlen = proto_record_len(sa);
	if (b->hdr.count >= PROTO_MAX_RECORDS ||
	    b->len + rlen > sizeof(b->buf))
		return -ENOSPC;
	memset(p, 0, PROTO_RECORD_MIN_LEN);
	p[0] = sa->family == AF_INET ? 4 : 6;
	p[1] = sa->proto;
	p[2] = sa->replay_mode;
	memcpy(p + 4, &sa->spi, 4);
	put32(p + 8, sa->mark);
	put32(p + 12, sa->if_id);
	memcpy(p + 16, sa->daddr, sa->family == AF_INET ? 4 : 16);
	put64(p + 32, sa->oseq);
	put64(p + 40, sa->seq);
	if (sa->has & XHA_SA_HAS_LIFETIME) {
		p[3] |= PROTO_REC_LIFETIME;
		put64(p + 48, sa->bytes);
		put64(p + 56, sa->packets);
	}
	put16(p + 64, (uint16_t)words);
	for (i = 0; i < words; i++)
		put32(p + PROTO_RECORD_MIN_LEN + 4 * i, sa->bitmap[i]);
	b->len += rlen;
	b->hdr.count++;
	return 0;
}

size_t proto_batch_finish(struct proto_batch *b)
{
	b->buf[0] = b->hdr.flags;
	b->buf[1] = 0;
	put16(b->buf + 2, b->hdr.count);
	put32(b->buf + 4, b->hdr.bulk_id);
	put64(b->buf + 8, b->hdr.dest_boot);
	put64(b->buf + 16, b->hdr.bulk_first);
	put32(b->buf + 24, b->hdr.bulk_records);
	put32(b->buf + 28, 0);
	return b->len;
}

/* Returns the record's length, or 0 if it is malformed or cut short. */
static size_t record_decode(const uint8_t *p, size_t len, struct xha_sa *sa)
{
	static const uint8_t zero[12];
	unsigned int i, words;

	if (len < PROTO_RECORD_MIN_LEN)
		return 0;
	memset(sa, 0, sizeof(*sa));
	if (p[0] == 4) {
		sa->family = AF_INET;
		if (memcmp(p + 20, zero, 12))
			return 0;
	} else if (p[0] == 6) {
		sa->family = AF_INET6;
	} else {
		return 0;
	}
	sa->proto = p[1];
	sa->replay_mode = p[2];
	if (p[3] & ~PROTO_REC_F_ALL)
		return 0;
	memcpy(&sa->spi, p + 4, 4);
	sa->mark = get32(p + 8);
	sa->if_id = get32(p + 12);
	memcpy(sa->daddr, p + 16, 16);
	sa->oseq = get64(p + 32);
	sa->seq = get64(p + 40);
	sa->bytes = get64(p + 48);
	sa->packets = get64(p + 56);
	sa->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
	if (p[3] & PROTO_REC_LIFETIME)
		sa->has |= XHA_SA_HAS_LIFETIME;
	else if (sa->bytes || sa->packets)
		return 0;
	words = get16(p + 64);
	/* A bitmap is relative to seq: none can exist below the first. */
	if (words > XHA_BITMAP_MAX_WORDS || (words && !sa->seq) ||
	    len < PROTO_RECORD_MIN_LEN + 4 * (size_t)words)
		return 0;
	if (words) {
		sa->has |= XHA_SA_HAS_BITMAP;
		sa->bitmap_words = words;
		for (i = 0; i < words; i++)
			sa->bitmap[i] = get32(p + PROTO_RECORD_MIN_LEN + 4 * i);
	}
	if (!proto_record_ok(sa))
		return 0;
	return PROTO_RECORD_MIN_LEN + 4 * (size_t)words;
}

int proto_seqnum_decode(const uint8_t *buf, size_t len,
			struct proto_seqnum *hdr, struct xha_sa *recs)
{
	size_t off = PROTO_SEQNUM_HDR_LEN, rlen;
	unsigned int i;

	if (len < PROTO_SEQNUM_HDR_LEN || len > PROTO_MAX_PAYLOAD)
		return -1;
	hdr->flags = buf[0];
	hdr->count = get16(buf + 2);
	hdr->bulk_id = get32(buf + 4);
	hdr->dest_boot = get64(buf + 8);
	hdr->bulk_first = get64(buf + 16);
	hdr->bulk_records = get32(buf + 24);
	if (hdr->flags & ~PROTO_SEQNUM_F_ALL)
		return -1;
	/* The bulk's extent travels with its end, and only there. */
	if (!(hdr->flags & PROTO_SEQNUM_BULK_END) &&
	    (hdr->bulk_first || hdr->bulk_records))
		return -1;
	if ((hdr->flags & PROTO_SEQNUM_BULK_END) && !hdr->bulk_first)
		return -1;
	if (hdr->count > PROTO_MAX_RECORDS)
		return -1;
	if (!hdr->bulk_id && (hdr->flags & PROTO_SEQNUM_F_ALL))
		return -1;
	for (i = 0; i < hdr->count; i++) {
		rlen = record_decode(buf + off, len - off, &recs[i]);
		if (!rlen)
			return -1;
		off += rlen;
	}
	/* Exactly the records announced: no trailing bytes. */
	return off == len ? hdr->count : -1;
}

void proto_replay_reset(struct proto_replay *r, uint64_t counter)
{
	memset(r->bitmap, 0, sizeof(r->bitmap));
	r->top = counter;
	r->bitmap[0] = 1;
}

static bool replay_bit(const struct proto_replay *r, uint64_t i)
{
	return r->bitmap[i / 64] & (1ull << (i % 64));
}

bool proto_replay_check(const struct proto_replay *r, uint64_t counter)
{
	uint64_t diff;

	if (counter > r->top)
		return true;
	diff = r->top - counter;
	if (diff >= PROTO_REPLAY_WINDOW)
		return false;
	return !replay_bit(r, diff);
}

void proto_replay_update(struct proto_replay *r, uint64_t counter)
{
	const unsigned int words = PROTO_REPLAY_WINDOW / 64;
	uint64_t shift, diff;
	unsigned int i, ws, bs;

	if (counter > r->top) {
		shift = counter - r->top;
		if (shift >= PROTO_REPLAY_WINDOW) {
			memset(r->bitmap, 0, sizeof(r->bitmap));
		} else {
			/* bit i moves to bit i + shift */
			ws = (unsigned int)(shift / 64);
			bs = (unsigned int)(shift % 64);
			for (i = words; i-- > 0;) {
				uint64_t v = i >= ws ? r->bitmap[i - ws] << bs : 0;

				if (bs && i > ws)
					v |= r->bitmap[i - ws - 1] >> (64 - bs);
				r->bitmap[i] = v;
			}
		}
		r->bitmap[0] |= 1;
		r->top = counter;
		return;
	}
	diff = r->top - counter;
	if (diff < PROTO_REPLAY_WINDOW)
		r->bitmap[diff / 64] |= 1ull << (diff % 64);
}
