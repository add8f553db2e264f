// SPDX-License-Identifier: GPL-2.0
/*
 * The HA session between two in-memory nodes: handshake, bulk request,
 * restarts, replays, forgeries, wrong keys and a dead link; the SEQNUM
 * stream over a lossy link (NACKs, heartbeats, messages lost for good),
 * verifiable bulks, one-way outages, node-id pinning, stale sessions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

#include "peer.h"
#include "t.h"

#define QMAX 256
#define CAPMAX 16
#define MAXREC 4096

struct pkt {
	uint8_t data[PROTO_MAX_PKT];
	size_t len;
};

struct node {
	const char *name;
	struct config cfg;
	struct peer peer;
	struct node *to;	/* where sent packets go */
	struct pkt q[QMAX];	/* packets for this node */
	unsigned int qn;
	struct pkt last_sent;
	struct pkt last_seqnum;
	uint64_t rnd;
	/* the link out of this node: every drop_every-th packet lost, the
	 * SEQNUM with seq drop_seq lost (once), or everything (cut) */
	unsigned int nsent, drop_every, dropped;
	uint64_t drop_seq;
	bool cut;
	unsigned int sent_type[PROTO_ACK + 1];
	/* HELLOs sent, kept when capture is set */
	bool capture;
	struct pkt cap[CAPMAX];
	unsigned int ncap;
	/* active: messages per bulk (3 records each), and a count off by
	 * bulk_lie in the next BULK_END */
	unsigned int bulk_msgs;
	int bulk_lie;
	/* callback counters */
	int ups, downs, bulk_reqs, record_msgs, records;
	uint32_t last_bulk_id;
	struct xha_sa last_rec;
	bool seen[MAXREC];	/* records received, by make_rec() index */
	bool serve_bulk;	/* active: answer bulk requests */
	uint64_t now;
};

static uint8_t key[32], other_key[32];

static uint64_t node_rand(void *arg)
{
	struct node *n = arg;

	/* Deterministic but distinct per node and per draw. */
	n->rnd = n->rnd * 6364136223846793005ull + 1442695040888963407ull;
	return n->rnd | 1;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int node_send(void *arg, const uint8_t *data, size_t len)
{
	struct node *n = arg;
	uint8_t type = data[5];

	memcpy(n->last_sent.data, data, len);
	n->last_sent.len = len;
	if (type <= PROTO_ACK)
		n->sent_type[type]++;
	if (type == PROTO_SEQNUM) {
		memcpy(n->last_seqnum.data, data, len);
		n->last_seqnum.len = len;
	}
	if (type == PROTO_HELLO && n->capture && n->ncap < CAPMAX) {
		memcpy(n->cap[n->ncap].data, data, len);
		n->cap[n->ncap++].len = len;
	}
	if (!n->to)
		return 0;
	/* Lost on the way: the send itself succeeded. */
	n->nsent++;
	if (n->cut || (n->drop_every && n->nsent % n->drop_every == 0) ||
	    (type == PROTO_SEQNUM && n->drop_seq &&
	     get_be64(data + 24) == n->drop_seq)) {
		if (type == PROTO_SEQNUM && get_be64(data + 24) == n->drop_seq)
			n->drop_seq = 0;
		n->dropped++;
		return 0;
	}
	if (n->to->qn == QMAX)
		return -ENOBUFS;
	memcpy(n->to->q[n->to->qn].data, data, len);
	n->to->q[n->to->qn++].len = len;
	return 0;
}

static void node_up(void *arg)
{
	((struct node *)arg)->ups++;
}

static void node_down(void *arg)
{
	((struct node *)arg)->downs++;
}

static void make_rec(struct xha_sa *sa, unsigned int i)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = AF_INET;
	sa->proto = IPPROTO_ESP;
	sa->replay_mode = 3;
	sa->spi = htonl(0x1000 + i);
	sa->daddr[0] = 10;
	sa->daddr[3] = 1;
	sa->oseq = 1000 + i;
	sa->seq = 2000 + i;
	sa->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
}

/* A bulk of bulk_msgs messages of 3 records each (records 0, 1, 2...). */
static void node_bulk(void *arg, uint32_t bulk_id)
{
	struct node *n = arg;
	unsigned int i, m, msgs = n->bulk_msgs ? n->bulk_msgs : 1;
	struct proto_batch b;
	struct xha_sa sa;
	uint64_t first = 0;
	uint8_t flags;

	n->bulk_reqs++;
	n->last_bulk_id = bulk_id;
	if (!n->serve_bulk)
		return;
	for (m = 0; m < msgs; m++) {
		flags = (m == 0 ? PROTO_SEQNUM_BULK_START : 0) |
			(m == msgs - 1 ? PROTO_SEQNUM_BULK_END : 0);
		proto_batch_init(&b, flags, bulk_id);
		for (i = 0; i < 3; i++) {
			make_rec(&sa, 3 * m + i);
			proto_batch_add(&b, &sa);
		}
		if (m == msgs - 1) {
			b.hdr.bulk_first = first;
			b.hdr.bulk_records = (uint32_t)(3 * msgs + n->bulk_lie);
			n->bulk_lie = 0;
		}
		CHECK_EQ(peer_send_seqnum(&n->peer, &b, n->now,
					  m ? NULL : &first), 0);
	}
}

static void node_records(void *arg, const struct proto_seqnum *hdr,
			 const struct xha_sa *recs, unsigned int cnt)
{
	struct node *n = arg;

	(void)hdr;
	n->record_msgs++;
	n->records += cnt;
	if (cnt)
		n->last_rec = recs[cnt - 1];
	for (unsigned int i = 0; i < cnt; i++) {
		uint32_t idx = ntohl(recs[i].spi) - 0x1000;

		if (idx < MAXREC)
			n->seen[idx] = true;
	}
}

/* Records first..last-1 all received. */
static bool seen_all(const struct node *n, unsigned int first,
		     unsigned int last)
{
	for (unsigned int i = first; i < last; i++)
		if (!n->seen[i])
			return false;
	return true;
}

static const struct peer_ops ops = {
	.send = node_send,
	.link_up = node_up,
	.link_down = node_down,
	.bulk_request = node_bulk,
	.records = node_records,
};

static void node_init(struct node *n, const char *name, uint8_t id,
		      enum role role, const uint8_t *k, uint64_t seed)
{
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->cfg.node_id = id;
	memcpy(n->cfg.key, k, 32);
	n->rnd = seed;
	n->serve_bulk = true;
	peer_init(&n->peer, &n->cfg, role, &ops, n);
	peer_set_rand(&n->peer, node_rand);
}

/* Deliver queued packets both ways until both queues are empty. */
static void pump(struct node *a, struct node *b, uint64_t now)
{
	struct pkt q[QMAX];
	unsigned int i, n, rounds = 0;

	a->now = b->now = now;
	while ((a->qn || b->qn) && rounds++ < 100) {
		struct node *nodes[2] = { a, b };
		int k;

		for (k = 0; k < 2; k++) {
			n = nodes[k]->qn;
			memcpy(q, nodes[k]->q, n * sizeof(q[0]));
			nodes[k]->qn = 0;
			for (i = 0; i < n; i++)
				peer_input(&nodes[k]->peer, q[i].data, q[i].len,
					   now);
		}
	}
}

static uint64_t rejected(const struct node *n, enum proto_err e)
{
	return n->peer.st.rx_rejected[e];
}

static struct node A, B, A2, C;

static void connect_pair(struct node *a, struct node *b, uint64_t now)
{
	a->to = b;
	b->to = a;
	peer_start(&a->peer, now);
	peer_start(&b->peer, now);
	pump(a, b, now);
}

/* Ticks both nodes and delivers their packets, every 250 ms. */
static void run(struct node *a, struct node *b, uint64_t from, uint64_t to)
{
	uint64_t t;

	for (t = from; t <= to; t += 250) {
		peer_tick(&a->peer, t);
		peer_tick(&b->peer, t);
		pump(a, b, t);
	}
}

/* The same, every step ms. */
static void run_step(struct node *a, struct node *b, uint64_t from,
		     uint64_t to, uint64_t step)
{
	uint64_t t;

	for (t = from; t <= to; t += step) {
		peer_tick(&a->peer, t);
		peer_tick(&b->peer, t);
		pump(a, b, t);
	}
}

/* One unsolicited SEQNUM from n with record i. */
static uint64_t send_rec(struct node *n, unsigned int i, uint64_t now)
{
	struct proto_batch b;
	struct xha_sa sa;
	uint64_t seq = 0;

	proto_batch_init(&b, 0, 0);
	make_rec(&sa, i);
	proto_batch_add(&b, &sa);
	n->now = now;
	CHECK_EQ(peer_send_seqnum(&n->peer, &b, now, &seq), 0);
	return seq;
}

static void test_handshake_and_bulk(void)
{
	node_init(&A, "A", 1, ROLE_ACTIVE, key, 1);
	node_init(&B, "B", 2, ROLE_BACKUP, key, 2);
	connect_pair(&A, &B, 1000);

	CHECK(peer_is_up(&A.peer));
	CHECK(peer_is_up(&B.peer));
	/* No storm: a HELLO each at start, a reply each, a HELLO each on
	 * verification, the active's on link up, the bulk request, its
	 * answer, the backup's ACK of the bulk and a little slack. */
	printf("# handshake: A sent %" PRIu64 " (%u HELLO, %u SEQNUM), B sent %"
	       PRIu64 " (%u HELLO, %u ACK)\n",
	       A.peer.st.tx_packets, A.sent_type[PROTO_HELLO],
	       A.sent_type[PROTO_SEQNUM], B.peer.st.tx_packets,
	       B.sent_type[PROTO_HELLO], B.sent_type[PROTO_ACK]);
	CHECK(A.peer.st.tx_packets + B.peer.st.tx_packets <= 12);
	CHECK_EQ(A.sent_type[PROTO_SEQNUM], 1);
	CHECK_EQ(A.sent_type[PROTO_KEEPALIVE] + B.sent_type[PROTO_KEEPALIVE], 0);
	CHECK_EQ(A.ups, 1);
	CHECK_EQ(B.ups, 1);
	CHECK_EQ(A.peer.peer_boot, B.peer.boot);
	CHECK_EQ(B.peer.peer_boot, A.peer.boot);
	/* The backup asked for a bulk, the active served it once. */
	CHECK_EQ(A.bulk_reqs, 1);
	CHECK_EQ(B.records, 3);
	CHECK_EQ(B.last_rec.oseq, 1002);
	CHECK(!B.peer.want_bulk);
	CHECK_EQ(B.peer.st.bulks_completed, 1);
	for (int e = 1; e < PROTO_ERR_MAX; e++) {
		CHECK_EQ(rejected(&A, e), 0);
		CHECK_EQ(rejected(&B, e), 0);
	}

	/* Keepalives keep it up; no more bulks. */
	for (uint64_t t = 1250; t <= 10000; t += 250) {
		peer_tick(&A.peer, t);
		peer_tick(&B.peer, t);
		pump(&A, &B, t);
	}
	CHECK(peer_is_up(&A.peer) && peer_is_up(&B.peer));
	CHECK_EQ(A.bulk_reqs, 1);
	CHECK_EQ(A.downs + B.downs, 0);
	/* The heartbeat: about one a second each, which acknowledged the
	 * bulk; nothing was resent. */
	CHECK(A.sent_type[PROTO_KEEPALIVE] >= 8 &&
	      A.sent_type[PROTO_KEEPALIVE] <= 10);
	CHECK(B.sent_type[PROTO_KEEPALIVE] >= 8 &&
	      B.sent_type[PROTO_KEEPALIVE] <= 10);
	CHECK_EQ(A.peer.tx.count, 0);
	CHECK_EQ(A.peer.st.retransmits, 0);
	CHECK_EQ(B.peer.rx.cum, 1);
}

/* Version 2 records (bitmap, lifetimes) cross the session intact; a
 * version 1 packet and an authentic but malformed one change nothing. */
static void test_v2_records(void)
{
	struct proto_hdr h = { 0 };
	struct proto_batch b;
	uint8_t pkt[PROTO_MAX_PKT];
	struct xha_sa sa;
	size_t len;
	unsigned int i;
	int before;

	node_init(&A, "A", 1, ROLE_ACTIVE, key, 11);
	node_init(&B, "B", 2, ROLE_BACKUP, key, 12);
	connect_pair(&A, &B, 1000);
	CHECK(peer_is_up(&B.peer));

	make_rec(&sa, 7);
	sa.has |= XHA_SA_HAS_LIFETIME | XHA_SA_HAS_BITMAP;
	sa.bytes = 1ull << 40;
	sa.packets = 12345;
	sa.bitmap_words = XHA_BITMAP_MAX_WORDS;
	for (i = 0; i < XHA_BITMAP_MAX_WORDS; i++)
		sa.bitmap[i] = 0xa5a50000u | i;
	proto_batch_init(&b, 0, 0);
	CHECK(proto_batch_add(&b, &sa) == 0);
	before = B.records;
	peer_send_seqnum(&A.peer, &b, 1000, NULL);
	pump(&A, &B, 1000);
	CHECK_EQ(B.records, before + 1);
	CHECK_EQ(B.last_rec.bitmap_words, XHA_BITMAP_MAX_WORDS);
	CHECK_EQ(B.last_rec.bitmap[127], 0xa5a5007fu);
	CHECK_EQ(B.last_rec.packets, 12345);
	CHECK_EQ(B.last_rec.bytes, 1ull << 40);
	CHECK(B.last_rec.has & XHA_SA_HAS_LIFETIME);

	/* The same payload from a version 1 sender: bad-version. */
	h.version = 1;
	h.type = PROTO_SEQNUM;
	h.node_id = 1;
	h.boot_id = A.peer.boot;
	h.counter = A.peer.tx_counter + 10;
	h.seq = A.peer.tx.next;
	len = proto_seal(key, &h, b.buf, b.len, pkt, sizeof(pkt));
	peer_input(&B.peer, pkt, len, 1000);
	CHECK_EQ(rejected(&B, PROTO_ERR_VERSION), 1);
	CHECK_EQ(B.records, before + 1);
	/* Authentic, this version, but a record flag nobody defined. */
	h.version = PROTO_VERSION;
	b.buf[PROTO_SEQNUM_HDR_LEN + 3] = 0x80;
	len = proto_seal(key, &h, b.buf, b.len, pkt, sizeof(pkt));
	peer_input(&B.peer, pkt, len, 1000);
	CHECK_EQ(rejected(&B, PROTO_ERR_MALFORMED), 1);
	CHECK_EQ(B.records, before + 1);
	CHECK(peer_is_up(&B.peer));
}

static void test_replay_forged_wrong_key(void)
{
	struct pkt seqnum;
	struct proto_batch b;
	struct xha_sa sa;
	int before;

	/* A sends one SEQNUM; capture and deliver it twice. */
	proto_batch_init(&b, 0, 0);
	make_rec(&sa, 9);
	proto_batch_add(&b, &sa);
	A.to = NULL;
	peer_send_seqnum(&A.peer, &b, 10000, NULL);
	A.to = &B;
	seqnum = A.last_sent;
	before = B.records;
	peer_input(&B.peer, seqnum.data, seqnum.len, 10000);
	CHECK_EQ(B.records, before + 1);
	peer_input(&B.peer, seqnum.data, seqnum.len, 10000);
	CHECK_EQ(B.records, before + 1);
	CHECK_EQ(rejected(&B, PROTO_ERR_REPLAY), 1);

	/* Forged: a modified record. */
	seqnum.data[PROTO_HDR_LEN + 20] ^= 1;
	peer_input(&B.peer, seqnum.data, seqnum.len, 10000);
	CHECK_EQ(rejected(&B, PROTO_ERR_AUTH), 1);
	CHECK_EQ(B.records, before + 1);

	/* Truncated. */
	peer_input(&B.peer, seqnum.data, 20, 10000);
	CHECK_EQ(rejected(&B, PROTO_ERR_SHORT), 1);

	/* Another node with the wrong key (claiming the peer's node-id:
	 * any other is refused before decryption, below). */
	node_init(&C, "C", 1, ROLE_ACTIVE, other_key, 3);
	C.to = &B;
	peer_start(&C.peer, 10000);
	pump(&B, &C, 10000);
	CHECK_EQ(rejected(&B, PROTO_ERR_AUTH), 2);
	CHECK_EQ(B.peer.peer_boot, A.peer.boot);

	/* A third node, with the right key: not the pinned node-id. */
	node_init(&C, "C", 3, ROLE_ACTIVE, key, 3);
	C.to = &B;
	peer_start(&C.peer, 10000);
	pump(&B, &C, 10000);
	CHECK_EQ(rejected(&B, PROTO_ERR_NODE), 1);
	CHECK_EQ(rejected(&B, PROTO_ERR_AUTH), 2);
	CHECK_EQ(B.peer.peer_boot, A.peer.boot);

	/* A node claiming B's own node-id. */
	node_init(&C, "C", 2, ROLE_ACTIVE, key, 4);
	C.to = &B;
	peer_start(&C.peer, 10000);
	pump(&B, &C, 10000);
	CHECK_EQ(rejected(&B, PROTO_ERR_OWN_NODE), 1);

	/* Records sent to the active are refused, and change nothing: not
	 * the replay window, not the stream, not when it last heard B. */
	{
		struct proto_replay replay = A.peer.replay;
		struct stream_rx rx = A.peer.rx;
		uint64_t last_rx = A.peer.last_rx, rxp = A.peer.st.rx_packets;

		proto_batch_init(&b, 0, 0);
		proto_batch_add(&b, &sa);
		before = A.records;
		peer_send_seqnum(&B.peer, &b, 10100, NULL);
		pump(&A, &B, 10100);
		CHECK_EQ(A.records, before);
		CHECK_EQ(rejected(&A, PROTO_ERR_ROLE), 1);
		CHECK(!memcmp(&replay, &A.peer.replay, sizeof(replay)));
		CHECK(!memcmp(&rx, &A.peer.rx, sizeof(rx)));
		CHECK_EQ(A.peer.last_rx, last_rx);
		CHECK_EQ(A.peer.st.rx_packets, rxp);
		CHECK(peer_is_up(&A.peer) && peer_is_up(&B.peer));
	}
}

static void test_restart_and_old_hello(void)
{
	struct pkt old_hello, old_seqnum;
	struct proto_batch b;
	struct xha_sa sa;
	uint64_t old_boot = A.peer.boot;
	int downs = B.downs, records;

	/* Something A1 said that an attacker could record. */
	A.to = NULL;
	A.peer.last_reply = 0;
	A.peer.verified = false;	/* makes A send a HELLO... */
	peer_tick(&A.peer, 20000);
	A.peer.verified = true;
	old_hello = A.last_sent;
	proto_batch_init(&b, 0, 0);
	make_rec(&sa, 1);
	proto_batch_add(&b, &sa);
	peer_send_seqnum(&A.peer, &b, 20000, NULL);
	old_seqnum = A.last_sent;

	/* A restarts as A2: new boot id, the link goes through a new
	 * handshake and B asks for a bulk again. */
	node_init(&A2, "A2", 1, ROLE_ACTIVE, key, 99);
	CHECK(A2.peer.boot != old_boot);
	A2.to = &B;
	B.to = &A2;
	peer_start(&A2.peer, 20000);
	pump(&A2, &B, 20000);
	CHECK(peer_is_up(&A2.peer) && peer_is_up(&B.peer));
	CHECK_EQ(B.peer.peer_boot, A2.peer.boot);
	CHECK_EQ(B.peer.st.peer_boots, 2);
	CHECK_EQ(B.downs, downs + 1);
	CHECK_EQ(A2.bulk_reqs, 1);
	CHECK(!B.peer.want_bulk);

	/* Replays from A's previous life change nothing. */
	records = B.records;
	peer_input(&B.peer, old_seqnum.data, old_seqnum.len, 20000);
	CHECK_EQ(rejected(&B, PROTO_ERR_UNVERIFIED), 1);
	B.to = NULL;
	peer_input(&B.peer, old_hello.data, old_hello.len, 20000);
	B.to = &A2;
	CHECK_EQ(B.peer.peer_boot, A2.peer.boot);
	CHECK_EQ(B.records, records);
	CHECK(peer_is_up(&B.peer));
}

static void test_backup_restart(void)
{
	struct node B2;
	int bulks = A2.bulk_reqs;

	node_init(&B2, "B2", 2, ROLE_BACKUP, key, 1234);
	A2.to = &B2;
	B2.to = &A2;
	peer_start(&B2.peer, 21000);
	pump(&A2, &B2, 21000);
	CHECK(peer_is_up(&A2.peer) && peer_is_up(&B2.peer));
	CHECK_EQ(A2.peer.peer_boot, B2.peer.boot);
	CHECK_EQ(A2.bulk_reqs, bulks + 1);
	CHECK_EQ(B2.records, 3);
	B = B2;
	B.peer.arg = &B;
	A2.to = &B;
}

/* A reload with a new link key: each side's session restarts under a new
 * boot; the link comes back once both have the key, the backup syncs
 * again; statistics and roles survive. */
static void test_restart_new_key(void)
{
	struct node P, Q;
	uint64_t boot, completed;

	node_init(&P, "P", 1, ROLE_ACTIVE, key, 77);
	node_init(&Q, "Q", 2, ROLE_BACKUP, key, 78);
	connect_pair(&P, &Q, 1000);
	run(&P, &Q, 1000, 3000);
	CHECK(peer_synced(&Q.peer));
	completed = Q.peer.st.bulks_completed;
	boot = P.peer.boot;

	memcpy(P.cfg.key, other_key, 32);
	peer_restart(&P.peer, &P.cfg, 3100, "test");
	CHECK(!peer_is_up(&P.peer));
	CHECK(P.peer.boot != boot);
	CHECK_EQ(P.peer.role, ROLE_ACTIVE);
	pump(&P, &Q, 3100);
	run(&P, &Q, 3250, 8000);	/* Q has the old key: nothing */
	CHECK(!peer_is_up(&P.peer) && !peer_is_up(&Q.peer));
	CHECK(rejected(&Q, PROTO_ERR_AUTH) > 0);

	memcpy(Q.cfg.key, other_key, 32);
	peer_restart(&Q.peer, &Q.cfg, 8100, "test");
	pump(&P, &Q, 8100);
	run(&P, &Q, 8250, 12000);
	CHECK(peer_is_up(&P.peer) && peer_is_up(&Q.peer));
	CHECK(peer_synced(&Q.peer));
	CHECK_EQ(Q.peer.st.bulks_completed, completed + 1);
	CHECK_EQ(Q.peer.role, ROLE_BACKUP);
	peer_free(&P.peer);
	peer_free(&Q.peer);
}

static void test_dead_link_and_bulk_retry(void)
{
	int downs = B.downs, bulks = A2.bulk_reqs;
	uint64_t t;

	/* Silence: both sides declare the link down. */
	A2.to = NULL;
	B.to = NULL;
	for (t = 21250; t <= 26000; t += 250) {
		peer_tick(&A2.peer, t);
		peer_tick(&B.peer, t);
	}
	CHECK(!peer_is_up(&A2.peer) && !peer_is_up(&B.peer));
	CHECK_EQ(B.downs, downs + 1);

	/* It heals: the backup asks for a bulk again (updates were lost).
	 * The active does not answer the first request: the backup asks
	 * again with a new id after PEER_BULK_STALL_MS. */
	A2.to = &B;
	B.to = &A2;
	A2.serve_bulk = false;
	for (t = 26250; t <= 27000; t += 250) {
		peer_tick(&A2.peer, t);
		peer_tick(&B.peer, t);
		pump(&A2, &B, t);
	}
	CHECK(peer_is_up(&A2.peer) && peer_is_up(&B.peer));
	CHECK_EQ(A2.bulk_reqs, bulks + 1);
	CHECK(B.peer.want_bulk);
	A2.serve_bulk = true;
	for (t = 27250; t <= 32000; t += 250) {
		peer_tick(&A2.peer, t);
		peer_tick(&B.peer, t);
		pump(&A2, &B, t);
	}
	CHECK_EQ(A2.bulk_reqs, bulks + 2);
	CHECK(!B.peer.want_bulk);
	CHECK(B.peer.st.bulks_requested >= 2);
}

/*
 * Roles change at run time: both nodes active for PEER_SPLIT_GRACE_MS is
 * a split brain, seen by both; the one that becomes a backup asks for a
 * bulk and is synced once it completes; a new active stops being synced.
 */
static void test_roles_split_brain(void)
{
	static struct node D, E;
	int bulks;

	/* The split brain is logged as an error, on purpose. */
	if (!getenv("V"))
		log_set_level((enum log_level)(LOG_LVL_ERR - 1));
	node_init(&D, "D", 1, ROLE_ACTIVE, key, 11);
	node_init(&E, "E", 2, ROLE_ACTIVE, key, 12);
	connect_pair(&D, &E, 50000);
	CHECK(peer_is_up(&D.peer) && peer_is_up(&E.peer));
	/* Both active, but not for long enough yet. */
	CHECK(!D.peer.split_brain && !E.peer.split_brain);
	CHECK_EQ(D.peer.both_active_since, 50000);
	CHECK_EQ(E.peer.both_active_since, 50000);
	run(&D, &E, 50250, 51750);
	CHECK(!D.peer.split_brain && !E.peer.split_brain);
	CHECK_EQ(D.peer.st.split_brains + E.peer.st.split_brains, 0);
	run(&D, &E, 52000, 52000);
	CHECK(D.peer.split_brain && E.peer.split_brain);
	CHECK_EQ(D.peer.st.split_brains, 1);
	CHECK_EQ(E.peer.st.split_brains, 1);
	CHECK(!peer_synced(&D.peer) && !peer_synced(&E.peer));
	CHECK_EQ(D.bulk_reqs + E.bulk_reqs, 0);

	/* Keepalives do not count it again. */
	run(&D, &E, 52250, 54000);
	CHECK_EQ(D.peer.st.split_brains + E.peer.st.split_brains, 2);
	CHECK(peer_is_up(&D.peer) && peer_is_up(&E.peer));
	CHECK_EQ(D.downs + E.downs, 0);

	/* E loses VRRP: it becomes a backup, says so at once, asks for a
	 * bulk, and the split brain is over on both sides. */
	peer_set_role(&E.peer, ROLE_BACKUP, 54000);
	CHECK_EQ(E.peer.st.role_changes, 1);
	CHECK(!E.peer.split_brain);
	CHECK_EQ(E.peer.both_active_since, 0);
	pump(&D, &E, 54000);
	CHECK(!D.peer.split_brain);
	CHECK_EQ(D.peer.both_active_since, 0);
	CHECK_EQ(D.bulk_reqs, 1);
	CHECK_EQ(E.records, 3);
	CHECK(peer_synced(&E.peer));
	CHECK(!peer_synced(&D.peer));
	CHECK(peer_is_up(&D.peer) && peer_is_up(&E.peer));

	/* The same role again changes nothing. */
	peer_set_role(&E.peer, ROLE_BACKUP, 54000);
	CHECK_EQ(E.peer.st.role_changes, 1);
	CHECK(peer_synced(&E.peer));

	/* A switchover: D becomes a backup first (no node active for a
	 * moment), then E becomes active. D's bulk request is answered
	 * once E is active; E is no longer "synced". */
	bulks = E.bulk_reqs;
	peer_set_role(&D.peer, ROLE_BACKUP, 55000);
	pump(&D, &E, 55000);
	CHECK(D.peer.want_bulk);
	CHECK(!peer_synced(&D.peer));
	CHECK_EQ(E.bulk_reqs, bulks);	/* E is a backup: not served */
	peer_set_role(&E.peer, ROLE_ACTIVE, 55100);
	CHECK(!peer_synced(&E.peer));
	pump(&D, &E, 55100);
	for (uint64_t t = 55250; t <= 58000 && D.peer.want_bulk; t += 250)
		run(&D, &E, t, t);
	CHECK_EQ(E.bulk_reqs, bulks + 1);
	CHECK(!D.peer.want_bulk);
	CHECK(peer_synced(&D.peer));
	run(&D, &E, 58000, 60000);
	CHECK(!D.peer.split_brain && !E.peer.split_brain);
	CHECK_EQ(D.peer.st.split_brains + E.peer.st.split_brains, 2);

	/* The link dies: the backup is no longer synced. */
	D.to = E.to = NULL;
	for (uint64_t t = 60250; t <= 65000; t += 250) {
		peer_tick(&D.peer, t);
		peer_tick(&E.peer, t);
	}
	CHECK(!peer_is_up(&D.peer));
	CHECK(!peer_synced(&D.peer));
	if (!getenv("V"))
		log_set_level(LOG_LVL_ERR);
}

/*
 * A switchover the other way round: the new active takes over first and
 * the old one hears it for a moment (< PEER_SPLIT_GRACE_MS) before it
 * steps down. That is no split brain; an overlap of the full grace is.
 */
static void test_switchover_grace(void)
{
	static struct node F, G;

	if (!getenv("V"))
		log_set_level((enum log_level)(LOG_LVL_ERR - 1));
	node_init(&F, "F", 1, ROLE_ACTIVE, key, 21);
	node_init(&G, "G", 2, ROLE_BACKUP, key, 22);
	connect_pair(&F, &G, 100000);
	run(&F, &G, 100250, 102000);
	CHECK(peer_is_up(&F.peer) && peer_is_up(&G.peer));
	CHECK(peer_synced(&G.peer));

	/* G wins VRRP at 102000; F hears it at once, and G hears F's next
	 * keepalive; F steps down 1.75 s later. */
	peer_set_role(&G.peer, ROLE_ACTIVE, 102000);
	pump(&F, &G, 102000);
	CHECK_EQ(F.peer.both_active_since, 102000);
	run(&F, &G, 102250, 103750);
	CHECK(G.peer.both_active_since > 102000);
	CHECK(!F.peer.split_brain && !G.peer.split_brain);
	peer_set_role(&F.peer, ROLE_BACKUP, 103750);
	pump(&F, &G, 103750);
	CHECK_EQ(F.peer.both_active_since, 0);
	CHECK_EQ(G.peer.both_active_since, 0);
	run(&F, &G, 104000, 110000);
	CHECK(!F.peer.split_brain && !G.peer.split_brain);
	CHECK_EQ(F.peer.st.split_brains, 0);
	CHECK_EQ(G.peer.st.split_brains, 0);
	CHECK(peer_synced(&F.peer));
	CHECK(peer_is_up(&F.peer) && peer_is_up(&G.peer));
	CHECK_EQ(F.downs + G.downs, 0);

	/* Two short overlaps do not add up: the grace starts again. */
	peer_set_role(&F.peer, ROLE_ACTIVE, 110000);
	pump(&F, &G, 110000);
	run(&F, &G, 110250, 111500);
	peer_set_role(&F.peer, ROLE_BACKUP, 111500);
	pump(&F, &G, 111500);
	run(&F, &G, 111750, 112000);
	peer_set_role(&F.peer, ROLE_ACTIVE, 112000);
	pump(&F, &G, 112000);
	run(&F, &G, 112250, 113750);
	CHECK_EQ(F.peer.st.split_brains + G.peer.st.split_brains, 0);
	CHECK_EQ(G.peer.both_active_since, 112000);

	/* ... and once it lasted PEER_SPLIT_GRACE_MS, it is one. */
	peer_tick(&G.peer, 112000 + PEER_SPLIT_GRACE_MS - 1);
	CHECK(!G.peer.split_brain);
	peer_tick(&G.peer, 112000 + PEER_SPLIT_GRACE_MS);
	CHECK(G.peer.split_brain);
	CHECK_EQ(G.peer.st.split_brains, 1);
	if (!getenv("V"))
		log_set_level(LOG_LVL_ERR);
}

/*
 * Both active and both publishing: each sends SEQNUMs every 250 ms, and
 * each refuses the other's SEQNUMs (wrong role) without any state change.
 * The heartbeat shows the peer is alive: the link stays up for the whole
 * split brain, which is counted once (no flapping). The refused messages
 * are never acknowledged, so once one side steps down it gets them.
 */
static void test_split_brain_seqnums(void)
{
	static struct node H, I;
	struct proto_batch b;
	struct xha_sa sa;
	uint64_t t, quiet;
	int before;

	if (!getenv("V"))
		log_set_level((enum log_level)(LOG_LVL_ERR - 1));
	node_init(&H, "H", 1, ROLE_ACTIVE, key, 31);
	node_init(&I, "I", 2, ROLE_ACTIVE, key, 32);
	connect_pair(&H, &I, 200000);
	CHECK(peer_is_up(&H.peer) && peer_is_up(&I.peer));
	make_rec(&sa, 7);
	for (t = 200250; t <= 210000; t += 250) {
		proto_batch_init(&b, 0, 0);
		proto_batch_add(&b, &sa);
		peer_send_seqnum(&H.peer, &b, t, NULL);
		proto_batch_init(&b, 0, 0);
		proto_batch_add(&b, &sa);
		peer_send_seqnum(&I.peer, &b, t, NULL);
		peer_tick(&H.peer, t);
		peer_tick(&I.peer, t);
		pump(&H, &I, t);
		if (!peer_is_up(&H.peer) || !peer_is_up(&I.peer))
			break;
	}
	CHECK(t > 210000);
	CHECK(peer_is_up(&H.peer) && peer_is_up(&I.peer));
	CHECK_EQ(H.ups, 1);
	CHECK_EQ(I.ups, 1);
	CHECK_EQ(H.downs + I.downs, 0);
	CHECK(H.peer.split_brain && I.peer.split_brain);
	CHECK_EQ(H.peer.st.split_brains, 1);
	CHECK_EQ(I.peer.st.split_brains, 1);
	/* All 40 SEQNUMs each way refused (and their resends: never
	 * acknowledged), none applied, none acknowledged. */
	CHECK(rejected(&H, PROTO_ERR_ROLE) >= 40);
	CHECK(rejected(&I, PROTO_ERR_ROLE) >= 40);
	CHECK_EQ(H.records + I.records, 0);
	CHECK_EQ(H.peer.rx.cum + I.peer.rx.cum, 0);
	CHECK_EQ(H.peer.tx.count, 40);
	CHECK_EQ(I.peer.tx.count, 40);
	CHECK(H.sent_type[PROTO_KEEPALIVE] >= 9);
	/* The refused SEQNUMs did not move the replay window: another copy
	 * of the last one is a role error again, not a replay... */
	before = (int)rejected(&H, PROTO_ERR_ROLE);
	peer_input(&H.peer, I.last_seqnum.data, I.last_seqnum.len, t);
	CHECK_EQ(rejected(&H, PROTO_ERR_REPLAY), 0);
	CHECK_EQ(rejected(&H, PROTO_ERR_ROLE), before + 1);
	/* ...and once H is a backup, that genuine copy is accepted. */
	H.to = NULL;
	peer_set_role(&H.peer, ROLE_BACKUP, t);
	before = H.records;
	peer_input(&H.peer, I.last_seqnum.data, I.last_seqnum.len, t);
	CHECK_EQ(H.records, before + 1);
	CHECK_EQ(rejected(&H, PROTO_ERR_REPLAY), 0);
	/* The rest arrives as I resends them (H's NACKs, I's RTO). */
	H.to = &I;
	I.serve_bulk = false;
	run(&H, &I, t + 250, t + 3000);
	CHECK_EQ(H.records, 40);
	CHECK_EQ(H.peer.rx.cum, 40);
	CHECK_EQ(I.peer.tx.count, 0);
	peer_set_role(&H.peer, ROLE_ACTIVE, t + 3000);
	t += 3000;

	/* Silence from I: the link does go down after PEER_DEAD_MS. */
	I.to = NULL;
	H.to = NULL;
	quiet = t;
	for (t = quiet + 250; t <= quiet + PEER_DEAD_MS + 250; t += 250)
		peer_tick(&H.peer, t);
	CHECK(!peer_is_up(&H.peer));
	CHECK(!H.peer.split_brain);
	CHECK_EQ(H.downs, 1);
	if (!getenv("V"))
		log_set_level(LOG_LVL_ERR);
}

/*
 * (1) A lossy link: every 4th packet of the active's and every 5th of the
 * backup's is lost, SEQNUMs, ACKs and heartbeats alike. The backup still
 * ends with every record, through NACKs and resends, and needs no resync.
 */
static void test_lossy_link(void)
{
	static struct node J, K;
	unsigned int i = 0;
	uint64_t t;

	node_init(&J, "J", 1, ROLE_ACTIVE, key, 41);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 42);
	connect_pair(&J, &K, 1000);
	run(&J, &K, 1250, 2000);
	CHECK(peer_synced(&K.peer));
	J.drop_every = 4;
	K.drop_every = 5;
	/* 200 records, 5 messages every 50 ms. */
	for (t = 2050; i < 200; t += 50) {
		for (unsigned int k = 0; k < 5; k++, i++)
			send_rec(&J, 100 + i, t);
		run_step(&J, &K, t, t, 50);
	}
	CHECK(J.dropped >= 50);
	run_step(&J, &K, t, t + 5000, 50);
	CHECK(seen_all(&K, 100, 300));
	CHECK_EQ(K.peer.rx.cum, 200 + 1);	/* the bulk was seq 1 */
	CHECK_EQ(J.peer.tx.count, 0);
	CHECK(J.peer.st.retransmits >= 50);
	CHECK(K.peer.st.nacks_sent > 0);
	CHECK(J.peer.st.nacks_received > 0);
	CHECK_EQ(K.peer.st.rx_lost, 0);
	CHECK_EQ(K.peer.st.resyncs, 0);
	CHECK(peer_synced(&K.peer));
	CHECK(peer_is_up(&J.peer) && peer_is_up(&K.peer));
	CHECK_EQ(J.downs + K.downs, 0);
	printf("# lossy: %u + %u dropped, %" PRIu64 " resent, %" PRIu64
	       " NACKs, lag worst %" PRIu64 " ms\n", J.dropped, K.dropped,
	       J.peer.st.retransmits, K.peer.st.nacks_sent,
	       J.peer.tx.lag_worst_ms);
}

/*
 * One SEQNUM lost in the middle: the next one shows the gap, the backup
 * NACKs it and it is resent well before the RTO would. One lost at the
 * tail: nothing follows it, the active's next heartbeat (tx_last) shows
 * it, again well before the RTO. One lost while nothing comes back: the
 * RTO resends it.
 */
static void test_nack_and_tail(void)
{
	static struct node J, K;
	uint64_t t0, tk, nacks, s;

	node_init(&J, "J", 1, ROLE_ACTIVE, key, 43);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 44);
	connect_pair(&J, &K, 1000);
	run_step(&J, &K, 1050, 3000, 50);
	CHECK(peer_synced(&K.peer));

	/* In the middle. */
	t0 = 3050;
	nacks = K.peer.st.nacks_sent;
	J.drop_seq = J.peer.tx.next + 2;
	for (unsigned int i = 0; i < 5; i++)
		send_rec(&J, 10 + i, t0);
	pump(&J, &K, t0);
	CHECK(!K.seen[12]);
	CHECK(K.seen[13] && K.seen[14]);
	CHECK(K.peer.rx.top > K.peer.rx.cum);
	run_step(&J, &K, t0 + 50, t0 + 300, 50);
	CHECK(seen_all(&K, 10, 15));
	CHECK_EQ(K.peer.rx.cum, K.peer.rx.top);
	CHECK(K.peer.st.nacks_sent > nacks);
	CHECK_EQ(J.peer.st.retransmits, 1);
	CHECK(t0 + 300 < t0 + PEER_RTO_MS);

	/* At the tail, sent 900 ms after a heartbeat. */
	run_step(&J, &K, t0 + 350, t0 + 1500, 50);
	tk = J.peer.last_keepalive;
	run_step(&J, &K, t0 + 1550, tk + 850, 50);
	CHECK_EQ(J.peer.last_keepalive, tk);
	J.drop_seq = J.peer.tx.next;
	s = send_rec(&J, 20, tk + 900);
	pump(&J, &K, tk + 900);
	CHECK(!K.seen[20]);
	CHECK_EQ(K.peer.rx.top, s - 1);	/* nothing tells K about it */
	run_step(&J, &K, tk + 950, tk + 1100, 50);
	CHECK(K.seen[20]);
	CHECK_EQ(K.peer.rx.cum, s);
	CHECK_EQ(J.peer.st.retransmits, 2);
	CHECK(tk + 1100 < tk + 900 + PEER_RTO_MS);
	CHECK_EQ(K.peer.st.resyncs, 0);

	/* No feedback at all (K's ACKs and NACKs are lost, for less than
	 * PEER_DEAD_MS): the message is resent after PEER_RTO_MS anyway. */
	t0 = tk + 1150;
	K.cut = true;
	J.drop_seq = J.peer.tx.next;
	s = send_rec(&J, 21, t0);
	pump(&J, &K, t0);
	CHECK(!K.seen[21]);
	run_step(&J, &K, t0 + 50, t0 + PEER_RTO_MS - 50, 50);
	CHECK(!K.seen[21]);
	run_step(&J, &K, t0 + PEER_RTO_MS, t0 + PEER_RTO_MS + 100, 50);
	CHECK(K.seen[21]);
	CHECK_EQ(K.peer.rx.cum, s);
	CHECK_EQ(J.peer.st.retransmits, 3);
	K.cut = false;
	run_step(&J, &K, t0 + PEER_RTO_MS + 150, t0 + 3000, 50);
	CHECK_EQ(J.peer.tx.count, 0);
	CHECK(peer_is_up(&J.peer) && peer_is_up(&K.peer));
	CHECK_EQ(J.downs + K.downs, 0);
}

/*
 * A backup slower than the active's window (a bulk of 100k SAs): the
 * messages wait in its socket buffer for longer than the RTO, but its
 * ACKs keep moving the stream. Nothing is resent on a timeout: copies
 * of what merely waits would only add to the backlog (they once did, and
 * a slow backup got slower the longer the bulk). Then the ACKs stop: the
 * RTO resends.
 */
static void test_slow_receiver(void)
{
	static struct node J, K;
	struct pkt held[QMAX];
	unsigned int i, n, held_n;
	uint64_t t, t0 = 3050;

	node_init(&J, "J", 1, ROLE_ACTIVE, key, 45);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 46);
	connect_pair(&J, &K, 1000);
	run_step(&J, &K, 1050, 3000, 50);
	CHECK(peer_synced(&K.peer));
	for (i = 0; i < 40; i++)
		send_rec(&J, 100 + i, t0);
	/* K reads two of them every 100 ms: the last 2 s after it went. */
	for (t = t0 + 100; t <= t0 + 2100; t += 100) {
		n = K.qn < 2 ? K.qn : 2;
		held_n = K.qn - n;
		memcpy(held, K.q + n, held_n * sizeof(held[0]));
		for (i = 0; i < n; i++)
			peer_input(&K.peer, K.q[i].data, K.q[i].len, t);
		memcpy(K.q, held, held_n * sizeof(held[0]));
		K.qn = held_n;
		peer_tick(&J.peer, t);
		peer_tick(&K.peer, t);
		for (i = 0; i < J.qn; i++)
			peer_input(&J.peer, J.q[i].data, J.q[i].len, t);
		J.qn = 0;
	}
	CHECK(seen_all(&K, 100, 140));
	CHECK_EQ(J.peer.st.retransmits, 0);
	CHECK_EQ(K.peer.rx.dup, 0);
	run_step(&J, &K, t0 + 2200, t0 + 3000, 50);
	CHECK_EQ(J.peer.tx.count, 0);
	/* No ACK for PEER_RTO_MS: resent. */
	K.cut = true;
	J.drop_seq = J.peer.tx.next;
	send_rec(&J, 150, t0 + 3050);
	pump(&J, &K, t0 + 3050);
	run_step(&J, &K, t0 + 3100, t0 + 3100 + PEER_RTO_MS, 50);
	CHECK(K.seen[150]);
	CHECK_EQ(J.peer.st.retransmits, 1);
}

/*
 * (2) A bulk of 5 messages (15 records). The third is lost on the wire:
 * the backup is not synced while it is missing, even though BULK_END
 * arrived; resent on its NACK, the bulk completes without another
 * request. Then the same, but the active forgets the message before it
 * can resend it: the backup learns it is lost for good and asks for the
 * bulk again, which completes.
 */
static void test_bulk_verified(void)
{
	static struct node J, K;
	uint64_t t;

	node_init(&J, "J", 1, ROLE_ACTIVE, key, 45);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 46);
	J.bulk_msgs = 5;
	J.drop_seq = 3;
	connect_pair(&J, &K, 1000);
	CHECK_EQ(J.bulk_reqs, 1);
	CHECK_EQ(K.records, 12);
	CHECK_EQ(K.peer.bulk_end, 5);
	CHECK_EQ(K.peer.bulk_expect, 15);
	CHECK(K.peer.want_bulk);
	CHECK(!peer_synced(&K.peer));
	CHECK_EQ(K.peer.st.bulks_incomplete, 0);
	for (t = 1050; t <= 5000 && !peer_synced(&K.peer); t += 50)
		run_step(&J, &K, t, t, 50);
	CHECK(peer_synced(&K.peer));
	CHECK(t <= 1000 + PEER_RTO_MS);
	CHECK(seen_all(&K, 0, 15));
	CHECK_EQ(K.peer.st.bulks_requested, 1);
	CHECK_EQ(K.peer.st.bulks_completed, 1);
	CHECK_EQ(K.peer.st.bulk_last_records, 15);
	CHECK_EQ(J.bulk_reqs, 1);

	/* Lost for good. */
	node_init(&J, "J", 1, ROLE_ACTIVE, key, 47);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 48);
	J.bulk_msgs = 5;
	J.drop_seq = 3;
	connect_pair(&J, &K, 1000);
	CHECK(!peer_synced(&K.peer));
	CHECK_EQ(stream_tx_ack(&J.peer.tx, 3, 1000), 1);	/* 1, 2 acked */
	CHECK_EQ(stream_tx_low(&J.peer.tx), 4);
	memset(K.seen, 0, sizeof(K.seen));
	for (t = 1050; t <= 10000 && !peer_synced(&K.peer); t += 50)
		run_step(&J, &K, t, t, 50);
	CHECK(peer_synced(&K.peer));
	CHECK(seen_all(&K, 0, 15));
	CHECK_EQ(K.peer.st.rx_lost, 1);
	CHECK(K.peer.st.resyncs + K.peer.st.bulks_incomplete >= 1);
	CHECK_EQ(K.peer.st.bulks_requested, 2);
	CHECK_EQ(K.peer.st.bulks_completed, 1);
	CHECK_EQ(K.peer.st.bulk_last_records, 15);
	CHECK_EQ(J.bulk_reqs, 2);
	CHECK(peer_is_up(&J.peer) && peer_is_up(&K.peer));
}

/* (2) A BULK_END whose record count does not match what arrived: the
 * bulk is incomplete and asked for again. */
static void test_bulk_count_mismatch(void)
{
	static struct node J, K;
	uint64_t t;

	node_init(&J, "J", 1, ROLE_ACTIVE, key, 49);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 50);
	J.bulk_msgs = 2;
	J.bulk_lie = 1;
	connect_pair(&J, &K, 1000);
	CHECK_EQ(K.records, 6);
	CHECK(!peer_synced(&K.peer));
	CHECK_EQ(K.peer.st.bulks_incomplete, 1);
	CHECK(K.peer.want_bulk);
	for (t = 1250; t <= 6000 && !peer_synced(&K.peer); t += 250)
		run(&J, &K, t, t);
	CHECK(peer_synced(&K.peer));
	CHECK_EQ(J.bulk_reqs, 2);
	CHECK_EQ(K.peer.st.bulks_requested, 2);
	CHECK_EQ(K.peer.st.bulks_incomplete, 1);
	CHECK_EQ(K.peer.st.bulks_completed, 1);
	CHECK_EQ(K.peer.st.bulk_last_records, 6);
	CHECK_EQ(K.peer.st.rx_lost, 0);
}

/*
 * (3) A one-way outage: the active stops hearing the backup for longer
 * than PEER_DEAD_MS (its link goes down, its outage count goes up) while
 * the backup still hears it. The backup sees the count change: what the
 * active published meanwhile may be lost, so it asks for a bulk, which
 * is served once the active hears it again.
 */
static void test_one_way_outage(void)
{
	static struct node J, K;
	uint64_t t;

	node_init(&J, "J", 1, ROLE_ACTIVE, key, 51);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 52);
	connect_pair(&J, &K, 1000);
	run(&J, &K, 1250, 3000);
	CHECK(peer_synced(&K.peer));
	CHECK_EQ(K.peer.peer_outages, 0);

	K.cut = true;
	run(&J, &K, 3250, 3000 + PEER_DEAD_MS + 1500);
	CHECK(!peer_is_up(&J.peer));
	CHECK_EQ(J.downs, 1);
	CHECK_EQ(J.peer.outages, 1);
	CHECK_EQ(J.peer.st.outages, 1);
	CHECK(peer_is_up(&K.peer));
	CHECK_EQ(K.downs, 0);
	CHECK_EQ(K.peer.peer_outages, 1);
	CHECK(!peer_synced(&K.peer));
	CHECK(K.peer.want_bulk);
	CHECK(K.peer.st.resyncs >= 1);
	CHECK_EQ(J.bulk_reqs, 1);

	K.cut = false;
	for (t = 8250; t <= 14000 && !peer_synced(&K.peer); t += 250)
		run(&J, &K, t, t);
	CHECK(peer_is_up(&J.peer) && peer_is_up(&K.peer));
	CHECK(peer_synced(&K.peer));
	CHECK_EQ(J.bulk_reqs, 2);
	CHECK_EQ(K.peer.st.bulks_completed, 2);
	CHECK_EQ(J.ups, 2);
	CHECK_EQ(K.downs, 0);
	/* Once: the count does not change again. */
	run(&J, &K, t, t + 3000);
	CHECK_EQ(J.bulk_reqs, 2);
	CHECK(peer_synced(&K.peer));
}

/* Feeds n captured packets to node b; asserts none changed what b echoes. */
static void replay_hellos(struct node *b, const struct pkt *old, unsigned int n,
			  uint64_t now)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t pc = b->peer.peer_challenge, boot = b->peer.peer_boot;
		bool verified = b->peer.verified;

		peer_input(&b->peer, old[i].data, old[i].len, now);
		CHECK_EQ(b->peer.peer_challenge, pc);
		CHECK_EQ(b->peer.peer_boot, boot);
		CHECK_EQ(b->peer.verified, verified);
	}
}

/*
 * (4) The active restarts; an attacker replays the HELLOs of its previous
 * boot to the backup all along, interleaved with the genuine handshake,
 * every 50 ms. Nothing an unverified (or replayed) HELLO says is kept,
 * and the link comes up within a round trip or two all the same. Then the
 * backup restarts too, and the replays go on: the same.
 */
static void test_replayed_hellos(void)
{
	static struct node J, K, J2, K2;
	struct pkt old[CAPMAX];
	unsigned int nold;
	uint64_t t, up_at = 0;

	node_init(&J, "J", 1, ROLE_ACTIVE, key, 53);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 54);
	J.capture = true;
	connect_pair(&J, &K, 1000);
	run(&J, &K, 1250, 3000);
	CHECK(peer_synced(&K.peer));
	nold = J.ncap;
	CHECK(nold >= 3);
	memcpy(old, J.cap, sizeof(old));

	/* Replayed while J is alive, they are replays, including those J
	 * sent before K verified its boot: the link stays up, nothing
	 * changes. */
	replay_hellos(&K, old, nold, 3000);
	CHECK_EQ(rejected(&K, PROTO_ERR_REPLAY), nold);
	CHECK_EQ(K.peer.peer_known, K.peer.boot);
	run(&J, &K, 3000, 3000);
	CHECK(peer_is_up(&J.peer) && peer_is_up(&K.peer));
	CHECK(peer_synced(&K.peer));
	CHECK_EQ(J.downs + K.downs, 0);
	CHECK_EQ(K.peer.st.bulks_requested, 1);

	/* J restarts as J2 (same node-id and key, a new boot). */
	node_init(&J2, "J2", 1, ROLE_ACTIVE, key, 55);
	CHECK(J2.peer.boot != J.peer.boot);
	J2.to = &K;
	K.to = &J2;
	peer_start(&J2.peer, 3050);
	for (t = 3050; t <= 8000; t += 50) {
		replay_hellos(&K, old, nold, t);
		peer_tick(&J2.peer, t);
		replay_hellos(&K, old, nold, t);
		peer_tick(&K.peer, t);
		pump(&J2, &K, t);
		replay_hellos(&K, old, nold, t);
		if (!up_at && peer_is_up(&J2.peer) && peer_is_up(&K.peer) &&
		    K.peer.peer_boot == J2.peer.boot)
			up_at = t;
	}
	CHECK(up_at && up_at <= 3050 + 1000);
	CHECK(peer_is_up(&J2.peer) && peer_is_up(&K.peer));
	CHECK_EQ(K.peer.peer_boot, J2.peer.boot);
	CHECK(peer_synced(&K.peer));
	CHECK(rejected(&K, PROTO_ERR_REPLAY) > 0);
	/* Answers to the old boot's HELLOs: rate limited. */
	CHECK(K.peer.st.hello_replies <= 5000 / PEER_REPLY_MS + 10);
	printf("# replayed HELLOs: up after %" PRIu64 " ms, %" PRIu64
	       " replies\n", up_at - 3050, K.peer.st.hello_replies);

	/* K restarts as K2, J2 runs on; the old HELLOs still come. */
	node_init(&K2, "K2", 2, ROLE_BACKUP, key, 56);
	J2.to = &K2;
	K2.to = &J2;
	up_at = 0;
	peer_start(&K2.peer, 8050);
	for (t = 8050; t <= 13000; t += 50) {
		replay_hellos(&K2, old, nold, t);
		peer_tick(&J2.peer, t);
		replay_hellos(&K2, old, nold, t);
		peer_tick(&K2.peer, t);
		pump(&J2, &K2, t);
		replay_hellos(&K2, old, nold, t);
		if (!up_at && peer_is_up(&J2.peer) && peer_is_up(&K2.peer) &&
		    J2.peer.peer_boot == K2.peer.boot)
			up_at = t;
	}
	CHECK(up_at && up_at <= 8050 + 1000);
	CHECK_EQ(K2.peer.peer_boot, J2.peer.boot);
	CHECK(peer_synced(&K2.peer));
	CHECK(K2.peer.st.hello_replies <= 5000 / PEER_REPLY_MS + 10);
	peer_free(&K2.peer);
}

/*
 * (5) Node-id pinning. With remote-node-id set, a node with another
 * node-id is refused (wrong-node) even with the right key, before any
 * verification; without it, the first node-id verified is pinned.
 */
static void test_node_pinning(void)
{
	static struct node J, K, L;

	node_init(&K, "K", 2, ROLE_BACKUP, key, 57);
	K.cfg.remote_node_id = 1;
	peer_free(&K.peer);
	peer_init(&K.peer, &K.cfg, ROLE_BACKUP, &ops, &K);
	peer_set_rand(&K.peer, node_rand);
	CHECK_EQ(K.peer.pinned_node, 1);
	node_init(&L, "L", 3, ROLE_ACTIVE, key, 58);
	connect_pair(&L, &K, 1000);
	run(&L, &K, 1250, 4000);
	CHECK(rejected(&K, PROTO_ERR_NODE) >= 3);
	CHECK(!K.peer.verified);
	CHECK_EQ(K.peer.st.peer_boots, 0);
	CHECK(!peer_is_up(&K.peer) && !peer_is_up(&L.peer));
	CHECK_EQ(K.records, 0);
	/* Node 1 is let in. */
	node_init(&J, "J", 1, ROLE_ACTIVE, key, 59);
	connect_pair(&J, &K, 4250);
	CHECK(peer_is_up(&J.peer) && peer_is_up(&K.peer));
	CHECK_EQ(K.peer.peer_node, 1);
	CHECK(peer_synced(&K.peer));

	/* Not configured: pinned at the first verification. */
	node_init(&J, "J", 1, ROLE_ACTIVE, key, 60);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 61);
	CHECK_EQ(K.peer.pinned_node, 0);
	connect_pair(&J, &K, 1000);
	CHECK_EQ(K.peer.pinned_node, 1);
	CHECK_EQ(J.peer.pinned_node, 2);
	node_init(&L, "L", 3, ROLE_ACTIVE, key, 62);
	L.to = &K;
	peer_start(&L.peer, 1100);
	pump(&L, &K, 1100);
	CHECK_EQ(rejected(&K, PROTO_ERR_NODE), 1);
	CHECK_EQ(K.peer.peer_boot, J.peer.boot);
	CHECK_EQ(K.peer.pinned_node, 1);
	CHECK(peer_is_up(&K.peer));
	/* Even after J restarts, node 3 stays out. */
	L.to = &K;
	peer_start(&L.peer, 1200);
	pump(&L, &K, 1200);
	CHECK_EQ(rejected(&K, PROTO_ERR_NODE), 2);
}

/* Seals a message from n as its next packet would be, without sending. */
static size_t forge(struct node *n, uint8_t type, uint64_t counter,
		    uint64_t seq, const uint8_t *payload, size_t plen,
		    uint8_t *pkt)
{
	struct proto_hdr h = {
		.version = PROTO_VERSION,
		.type = type,
		.node_id = n->cfg.node_id,
		.boot_id = n->peer.boot,
		.counter = counter,
		.seq = seq,
	};

	return proto_seal(key, &h, payload, plen, pkt, PROTO_MAX_PKT);
}

/*
 * (6) A SEQNUM for another boot of ours (a previous session) is
 * stale-session and changes nothing at all: not the records, not the
 * stream, not the replay window, not when the peer was last heard; the
 * genuine message with the same counter and seq is then accepted. The
 * same for an ACK of another boot's stream; an ACK with overlapping
 * ranges is malformed.
 */
static void test_stale_session(void)
{
	static struct node J, K;
	uint8_t pkt[PROTO_MAX_PKT], buf[PROTO_ACK_MAX_LEN];
	struct proto_batch b;
	struct proto_ack ack = { 0 };
	struct proto_replay replay;
	struct stream_rx rx;
	struct stream_tx tx;
	struct xha_sa sa;
	uint64_t last_rx, rxp;
	size_t len, alen;
	int records;

	node_init(&J, "J", 1, ROLE_ACTIVE, key, 63);
	node_init(&K, "K", 2, ROLE_BACKUP, key, 64);
	connect_pair(&J, &K, 1000);
	run(&J, &K, 1250, 2000);
	CHECK(peer_synced(&K.peer));

	proto_batch_init(&b, 0, 0);
	make_rec(&sa, 30);
	proto_batch_add(&b, &sa);
	b.hdr.dest_boot = K.peer.boot ^ 0x10;
	len = forge(&J, PROTO_SEQNUM, J.peer.tx_counter + 1, J.peer.tx.next,
		    b.buf, proto_batch_finish(&b), pkt);
	replay = K.peer.replay;
	rx = K.peer.rx;
	last_rx = K.peer.last_rx;
	rxp = K.peer.st.rx_packets;
	records = K.records;
	peer_input(&K.peer, pkt, len, 2100);
	CHECK_EQ(rejected(&K, PROTO_ERR_SESSION), 1);
	CHECK_EQ(K.records, records);
	CHECK(!K.seen[30]);
	CHECK(!memcmp(&replay, &K.peer.replay, sizeof(replay)));
	CHECK(!memcmp(&rx, &K.peer.rx, sizeof(rx)));
	CHECK_EQ(K.peer.last_rx, last_rx);
	CHECK_EQ(K.peer.st.rx_packets, rxp);
	CHECK_EQ(K.peer.rx_unacked, 0);
	CHECK(peer_synced(&K.peer));
	/* The genuine one: same counter, same seq. */
	send_rec(&J, 30, 2100);
	pump(&J, &K, 2100);
	CHECK(K.seen[30]);
	CHECK_EQ(K.records, records + 1);
	CHECK_EQ(rejected(&K, PROTO_ERR_REPLAY), 0);

	/* An ACK of another boot's stream, acknowledging everything. */
	J.to = NULL;
	send_rec(&J, 31, 2200);
	J.to = &K;
	CHECK(J.peer.tx.count >= 1);
	ack.stream_boot = J.peer.boot + 1;
	ack.ack = J.peer.tx.next;
	alen = proto_ack_encode(&ack, buf, sizeof(buf));
	len = forge(&K, PROTO_ACK, K.peer.tx_counter + 1, 0, buf, alen, pkt);
	tx = J.peer.tx;
	replay = J.peer.replay;
	peer_input(&J.peer, pkt, len, 2200);
	CHECK_EQ(rejected(&J, PROTO_ERR_SESSION), 1);
	CHECK(!memcmp(&tx, &J.peer.tx, sizeof(tx)));
	CHECK(!memcmp(&replay, &J.peer.replay, sizeof(replay)));
	/* Overlapping NACK ranges: malformed, nothing resent. */
	ack.stream_boot = J.peer.boot;
	ack.ack = 0;
	ack.nranges = 2;
	ack.range[0].first = 1;
	ack.range[0].last = J.peer.tx.next - 1;
	ack.range[1].first = J.peer.tx.next - 1;
	ack.range[1].last = J.peer.tx.next - 1;
	alen = proto_ack_encode(&ack, buf, sizeof(buf));
	len = forge(&K, PROTO_ACK, K.peer.tx_counter + 1, 0, buf, alen, pkt);
	peer_input(&J.peer, pkt, len, 2300);
	CHECK_EQ(rejected(&J, PROTO_ERR_MALFORMED), 1);
	CHECK_EQ(J.peer.st.retransmits, 0);
	CHECK_EQ(J.peer.st.nacks_received, 0);
	CHECK(!memcmp(&replay, &J.peer.replay, sizeof(replay)));
	/* The genuine stream goes on. */
	run(&J, &K, 2500, 4000);
	CHECK(K.seen[31]);
	CHECK_EQ(J.peer.tx.count, 0);
	CHECK(peer_synced(&K.peer));
}

int main(void)
{
	if (sodium_init() < 0)
		return 2;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other_key, sizeof(other_key));
	/* The session logs a lot on purpose; V=1 shows it. */
	log_init(false);
	if (!getenv("V"))
		log_set_level(LOG_LVL_ERR);
	RUN(test_handshake_and_bulk);
	RUN(test_replay_forged_wrong_key);
	RUN(test_restart_and_old_hello);
	RUN(test_backup_restart);
	RUN(test_dead_link_and_bulk_retry);
	RUN(test_restart_new_key);
	RUN(test_roles_split_brain);
	RUN(test_switchover_grace);
	RUN(test_split_brain_seqnums);
	RUN(test_v2_records);
	RUN(test_lossy_link);
	RUN(test_nack_and_tail);
	RUN(test_slow_receiver);
	RUN(test_bulk_verified);
	RUN(test_bulk_count_mismatch);
	RUN(test_one_way_outage);
	RUN(test_replayed_hellos);
	RUN(test_node_pinning);
	RUN(test_stale_session);
	DONE();
}
