// SPDX-License-Identifier: GPL-2.0
/*
 * The HA session between two in-memory nodes: handshake, bulk request,
 * restarts, replays, forgeries, wrong keys and a dead link.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

#include "peer.h"
#include "t.h"

#define QMAX 256

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
	uint64_t rnd;
	/* callback counters */
	int ups, downs, bulk_reqs, record_msgs, records;
	uint32_t last_bulk_id;
	struct xha_sa last_rec;
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

static int node_send(void *arg, const uint8_t *data, size_t len)
{
	struct node *n = arg;

	memcpy(n->last_sent.data, data, len);
	n->last_sent.len = len;
	if (!n->to)
		return 0;
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

static void node_bulk(void *arg, uint32_t bulk_id)
{
	struct node *n = arg;
	struct proto_batch b;
	struct xha_sa sa;
	unsigned int i;

	n->bulk_reqs++;
	n->last_bulk_id = bulk_id;
	if (!n->serve_bulk)
		return;
	proto_batch_init(&b, PROTO_SEQNUM_BULK_START | PROTO_SEQNUM_BULK_END,
			 bulk_id);
	for (i = 0; i < 3; i++) {
		make_rec(&sa, i);
		proto_batch_add(&b, &sa);
	}
	b.hdr.bulk_records = 3;
	peer_send_seqnum(&n->peer, &b, n->now, NULL);
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

static void test_handshake_and_bulk(void)
{
	node_init(&A, "A", 1, ROLE_ACTIVE, key, 1);
	node_init(&B, "B", 2, ROLE_BACKUP, key, 2);
	connect_pair(&A, &B, 1000);

	CHECK(peer_is_up(&A.peer));
	CHECK(peer_is_up(&B.peer));
	/* No storm: a HELLO each at start, a reply each, a HELLO each on
	 * verification, the bulk request, its answer and a little slack. */
	printf("# handshake: A sent %" PRIu64 ", B sent %" PRIu64 "\n",
	       A.peer.st.tx_packets, B.peer.st.tx_packets);
	CHECK(A.peer.st.tx_packets + B.peer.st.tx_packets <= 10);
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
	/* Authentic, version 2, but a record flag nobody defined. */
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

	/* A third node with the wrong key. */
	node_init(&C, "C", 3, ROLE_ACTIVE, other_key, 3);
	C.to = &B;
	peer_start(&C.peer, 10000);
	pump(&B, &C, 10000);
	CHECK_EQ(rejected(&B, PROTO_ERR_AUTH), 2);
	CHECK_EQ(B.peer.peer_boot, A.peer.boot);

	/* A node claiming B's own node-id. */
	node_init(&C, "C", 2, ROLE_ACTIVE, key, 4);
	C.to = &B;
	peer_start(&C.peer, 10000);
	pump(&B, &C, 10000);
	CHECK_EQ(rejected(&B, PROTO_ERR_OWN_NODE), 1);

	/* Records sent to the active are refused. */
	proto_batch_init(&b, 0, 0);
	proto_batch_add(&b, &sa);
	before = A.records;
	peer_send_seqnum(&B.peer, &b, 10000, NULL);
	pump(&A, &B, 10000);
	CHECK_EQ(A.records, before);
	CHECK_EQ(rejected(&A, PROTO_ERR_ROLE), 1);
	CHECK(peer_is_up(&A.peer) && peer_is_up(&B.peer));
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
 * Both active and both publishing: each sends SEQNUMs every 250 ms, so
 * neither sends keepalives, and each refuses the other's SEQNUMs (wrong
 * role). Those still show the peer is alive: the link stays up for the
 * whole split brain, which is counted once (no flapping).
 */
static void test_split_brain_seqnums(void)
{
	static struct node H, I;
	struct proto_batch b;
	struct xha_sa sa;
	uint64_t rxH, rxI, t;

	if (!getenv("V"))
		log_set_level((enum log_level)(LOG_LVL_ERR - 1));
	node_init(&H, "H", 1, ROLE_ACTIVE, key, 31);
	node_init(&I, "I", 2, ROLE_ACTIVE, key, 32);
	connect_pair(&H, &I, 200000);
	CHECK(peer_is_up(&H.peer) && peer_is_up(&I.peer));
	rxH = H.peer.st.rx_packets;
	rxI = I.peer.st.rx_packets;
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
	/* Only SEQNUMs went across (no keepalive was needed), all refused,
	 * none applied. */
	CHECK_EQ(H.peer.st.rx_packets, rxH);
	CHECK_EQ(I.peer.st.rx_packets, rxI);
	CHECK_EQ(rejected(&H, PROTO_ERR_ROLE), 40);
	CHECK_EQ(rejected(&I, PROTO_ERR_ROLE), 40);
	CHECK_EQ(H.records + I.records, 0);
	/* The refused SEQNUMs still moved the replay window: a replay of
	 * the last one is a replay, not a role error. */
	peer_input(&H.peer, I.last_sent.data, I.last_sent.len, t);
	CHECK_EQ(rejected(&H, PROTO_ERR_REPLAY), 1);
	CHECK_EQ(rejected(&H, PROTO_ERR_ROLE), 40);

	/* Silence from I: the link does go down after PEER_DEAD_MS. */
	I.to = NULL;
	H.to = NULL;
	for (t = 210250; t <= 210000 + PEER_DEAD_MS + 250; t += 250)
		peer_tick(&H.peer, t);
	CHECK(!peer_is_up(&H.peer));
	CHECK(!H.peer.split_brain);
	CHECK_EQ(H.downs, 1);
	if (!getenv("V"))
		log_set_level(LOG_LVL_ERR);
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
	RUN(test_roles_split_brain);
	RUN(test_switchover_grace);
	RUN(test_split_brain_seqnums);
	RUN(test_v2_records);
	DONE();
}
