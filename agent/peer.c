// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "peer.h"

static uint64_t default_rand64(void *arg)
{
	uint64_t v;

	(void)arg;
	do
		randombytes_buf(&v, sizeof(v));
	while (!v);
	return v;
}

static uint64_t rnd(struct peer *p)
{
	uint64_t v;

	while (!(v = p->rand64(p->arg)))
		;
	return v;
}

static uint8_t wire_role(enum role role)
{
	return role == ROLE_ACTIVE ? PROTO_ROLE_ACTIVE : PROTO_ROLE_BACKUP;
}

void peer_init(struct peer *p, const struct config *cfg, enum role role,
	       const struct peer_ops *ops, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->key = cfg->key;
	p->node_id = cfg->node_id;
	p->role = role;
	p->ops = ops;
	p->arg = arg;
	p->rl_reject = (struct ratelimit)RATELIMIT_INIT(10000, 10);
	p->rl_role = (struct ratelimit)RATELIMIT_INIT(60000, 1);
	p->pinned_node = cfg->remote_node_id;
	peer_set_rand(p, default_rand64);
	if (stream_tx_init(&p->tx, STREAM_QUEUE_MAX) < 0)
		p->tx.cap = 0;
}

void peer_free(struct peer *p)
{
	stream_tx_free(&p->tx);
}

void peer_set_rand(struct peer *p, uint64_t (*rand64)(void *arg))
{
	p->rand64 = rand64;
	p->boot = rnd(p);
	p->challenge = rnd(p);
}

bool peer_is_up(const struct peer *p)
{
	return p->up;
}

bool peer_synced(const struct peer *p)
{
	return p->role == ROLE_BACKUP && p->synced;
}

bool peer_session(const struct peer *p)
{
	return p->verified && p->peer_known == p->boot && p->tx.cap;
}

bool peer_stream_room(const struct peer *p)
{
	return peer_session(p) && p->tx.count < PEER_WINDOW;
}

static int send_msg(struct peer *p, uint8_t type, const uint8_t *payload,
		    size_t plen, uint64_t seq, uint64_t now)
{
	struct proto_hdr h = {
		.version = PROTO_VERSION,
		.type = type,
		.node_id = p->node_id,
		.boot_id = p->boot,
		.counter = ++p->tx_counter,
		.seq = seq,
	};
	uint8_t pkt[PROTO_MAX_PKT];
	size_t len;
	int ret;

	len = proto_seal(p->key, &h, payload, plen, pkt, sizeof(pkt));
	if (!len)
		return -EMSGSIZE;
	p->last_tx = now;
	ret = p->ops->send(p->arg, pkt, len);
	if (ret < 0)
		p->st.tx_failed++;
	else
		p->st.tx_packets++;
	return ret;
}

static void hello_echo(struct peer *p, uint64_t echo, uint64_t now)
{
	struct proto_hello m = {
		.challenge = p->challenge,
		.echo = echo,
		.known_boot = p->verified ? p->peer_boot : 0,
		.bulk_req = p->up && p->want_bulk ? p->bulk_req : 0,
		.role = wire_role(p->role),
		.outages = p->outages,
	};
	uint8_t buf[PROTO_HELLO_LEN];

	p->last_hello = now;
	send_msg(p, PROTO_HELLO, buf, proto_hello_encode(&m, buf, sizeof(buf)),
		 0, now);
}

static void send_hello(struct peer *p, uint64_t now)
{
	hello_echo(p, p->peer_challenge, now);
}

/* Answer the verified peer's HELLO at once, never faster than
 * PEER_REPLY_MS. Only fresh, authenticated packets get here. */
static void reply_hello(struct peer *p, uint64_t now)
{
	if (p->last_reply && now - p->last_reply < PEER_REPLY_MS)
		return;
	p->last_reply = now;
	send_hello(p, now);
}

/*
 * A HELLO from a boot not verified yet may be a replay: it is answered
 * with our challenge and its own echoed (so that a live boot verifies us
 * and we it, within a round trip), and nothing of it is kept. Each boot
 * has its own rate limit: replaying an old boot's HELLOs does not delay
 * the answer to the genuine one.
 */
static void reply_unverified(struct peer *p, uint64_t boot, uint64_t echo,
			     uint64_t now)
{
	unsigned int i, lru = 0;

	for (i = 0; i < PEER_REPLY_SLOTS; i++) {
		if (p->reply_slot[i].boot == boot)
			break;
		if (p->reply_slot[i].at < p->reply_slot[lru].at)
			lru = i;
	}
	if (i < PEER_REPLY_SLOTS) {
		if (now - p->reply_slot[i].at < PEER_REPLY_MS)
			return;
	} else {
		i = lru;
		p->reply_slot[i].boot = boot;
	}
	p->reply_slot[i].at = now;
	p->st.hello_replies++;
	hello_echo(p, echo, now);
}

static void send_keepalive(struct peer *p, uint64_t now)
{
	struct proto_keepalive m = {
		.known_boot = p->verified ? p->peer_boot : 0,
		.role = wire_role(p->role),
		.outages = p->outages,
		.tx_last = stream_tx_last(&p->tx),
		.tx_low = stream_tx_low(&p->tx),
		.ack = p->rx.cum,
	};
	uint8_t buf[PROTO_KEEPALIVE_LEN];

	p->last_keepalive = now;
	send_msg(p, PROTO_KEEPALIVE, buf,
		 proto_keepalive_encode(&m, buf, sizeof(buf)), 0, now);
}

/* Acknowledge the peer's stream, with the missing ranges if any. */
static void send_ack(struct peer *p, uint64_t now)
{
	struct proto_ack m = {
		.stream_boot = p->peer_boot,
		.ack = p->rx.cum,
	};
	uint64_t ranges[PROTO_MAX_NACK][2];
	uint8_t buf[PROTO_ACK_MAX_LEN];
	unsigned int i;

	m.nranges = (uint16_t)stream_rx_gaps(&p->rx, ranges, PROTO_MAX_NACK);
	for (i = 0; i < m.nranges; i++) {
		m.range[i].first = ranges[i][0];
		m.range[i].last = ranges[i][1];
	}
	if (m.nranges) {
		p->st.nacks_sent++;
		p->last_nack = now;
	}
	p->st.acks_sent++;
	p->rx_unacked = 0;
	send_msg(p, PROTO_ACK, buf, proto_ack_encode(&m, buf, sizeof(buf)), 0,
		 now);
}

int peer_send_seqnum(struct peer *p, struct proto_batch *b, uint64_t now,
		     uint64_t *seq)
{
	size_t len;
	uint64_t s;

	if (!peer_session(p))
		return -ENOTCONN;
	b->hdr.dest_boot = p->peer_boot;
	/* A bulk in one message starts where it ends. */
	if ((b->hdr.flags & PROTO_SEQNUM_BULK_END) && !b->hdr.bulk_first)
		b->hdr.bulk_first = p->tx.next;
	len = proto_batch_finish(b);
	s = stream_tx_push(&p->tx, b->buf, len, now);
	if (!s)
		return -ENOMEM;
	if (seq)
		*seq = s;
	send_msg(p, PROTO_SEQNUM, b->buf, len, s, now);
	return 0;
}

static void resend(struct peer *p, struct stream_msg *m, uint64_t now)
{
	m->last_ms = now;
	m->sends++;
	p->st.retransmits++;
	send_msg(p, PROTO_SEQNUM, m->buf, m->len, m->seq, now);
}

static void request_bulk(struct peer *p, uint64_t now)
{
	if (!p->want_bulk)
		p->bulk_since = now;
	p->want_bulk = true;
	p->bulk_running = false;
	if (!++p->bulk_req)
		p->bulk_req = 1;
	p->bulk_progress = now;
	p->bulk_records = 0;
	p->bulk_end = 0;
	p->bulk_expect = 0;
	p->st.bulks_requested++;
	log_info("requesting bulk sync #%" PRIu32 " from peer node %u",
		 p->bulk_req, p->peer_node);
	/* At once, unless a request just went out: an active that keeps
	 * sending incomplete bulks is asked once per PEER_HELLO_MS (the
	 * tick repeats the request). */
	if (!p->last_bulk_ask || now - p->last_bulk_ask >= PEER_HELLO_MS) {
		p->last_bulk_ask = now;
		send_hello(p, now);
	}
}

void peer_resync(struct peer *p, uint64_t now, const char *why)
{
	log_warn("resync needed: %s", why);
	p->st.resyncs++;
	p->synced = false;
	if (p->role == ROLE_BACKUP) {
		if (p->up)
			request_bulk(p, now);
		return;
	}
	/* The backup takes a changed outage count as its cue. */
	p->outages++;
	send_hello(p, now);
}

void peer_restart(struct peer *p, const struct config *cfg, uint64_t now,
		  const char *why)
{
	log_info("HA link: new session (%s)", why);
	if (p->up) {
		p->up = false;
		p->want_bulk = false;
		p->bulk_running = false;
		p->synced = false;
		p->outages++;
		p->st.outages++;
		p->ops->link_down(p->arg);
	}
	p->key = cfg->key;
	p->pinned_node = cfg->remote_node_id;
	p->verified = false;
	p->peer_known = 0;
	p->peer_outages_known = false;
	p->bulk_served = 0;
	stream_rx_reset(&p->rx);
	stream_tx_reset(&p->tx);
	p->rx_unacked = 0;
	memset(p->reply_slot, 0, sizeof(p->reply_slot));
	p->boot = rnd(p);
	p->challenge = rnd(p);
	send_hello(p, now);
}

/* The backup lost part of the active's stream, or the active saw an
 * outage: whatever it sent meanwhile may be missing here. */
static void stream_broken(struct peer *p, const char *why, uint64_t now)
{
	if (p->role != ROLE_BACKUP)
		return;
	log_warn("%s: asking for a bulk sync", why);
	p->st.resyncs++;
	p->synced = false;
	if (p->up)
		request_bulk(p, now);
}

static void update_up(struct peer *p, uint64_t now)
{
	bool up = p->verified && p->peer_known == p->boot &&
		  now - p->last_rx < PEER_DEAD_MS;

	if (up == p->up)
		return;
	p->up = up;
	if (up) {
		log_info("HA link up: peer node %u (boot %016" PRIx64 ", %s)",
			 p->peer_node, p->peer_boot,
			 p->peer_role == PROTO_ROLE_ACTIVE ? "active" : "backup");
		/* Tell the peer at once that we know it; a backup asks for
		 * everything, since updates may have been lost while down. */
		if (p->role == ROLE_BACKUP)
			request_bulk(p, now);
		else
			send_hello(p, now);
		p->ops->link_up(p->arg);
	} else {
		p->want_bulk = false;
		p->bulk_running = false;
		p->synced = false;
		p->outages++;
		p->st.outages++;
		log_warn("HA link down: %s from peer node %u",
			 !p->verified || p->peer_known != p->boot ?
				 "peer lost our session" : "nothing heard",
			 p->peer_node);
		p->ops->link_down(p->arg);
	}
}

void peer_reject(struct peer *p, enum proto_err err, const char *what)
{
	p->st.rx_rejected[err]++;
	if (err == PROTO_ERR_UNVERIFIED) {
		/* Normal for a moment after either side restarted. */
		if (log_debug_enabled())
			log_ratelimited(&p->rl_reject, LOG_LVL_DEBUG,
					"dropped HA packet: %s (%s)",
					proto_err_name(err), what);
		return;
	}
	log_ratelimited(&p->rl_reject, LOG_LVL_WARN,
			"dropped HA packet: %s (%s)", proto_err_name(err), what);
}

/* A HELLO that echoes our current challenge proves a live peer boot. */
static void accept_boot(struct peer *p, const struct proto_hdr *h,
			const struct proto_hello *m, uint64_t now)
{
	bool restart = p->verified;

	if (p->up) {
		p->up = false;
		p->want_bulk = false;
		p->bulk_running = false;
		p->synced = false;
		p->ops->link_down(p->arg);
	}
	p->verified = true;
	p->peer_boot = h->boot_id;
	p->peer_node = h->node_id;
	if (!p->pinned_node) {
		p->pinned_node = h->node_id;
		log_info("peer node-id pinned to %u (set remote-node-id to configure it)",
			 h->node_id);
	}
	proto_replay_reset(&p->replay, h->counter);
	/* Its HELLOs before this one were sent before we verified it: a
	 * copy of one (stale echo, known_boot 0) is a replay, not news. */
	memset(p->replay.bitmap, 0xff, sizeof(p->replay.bitmap));
	/* A new pair of boots: a new stream each way. */
	stream_rx_reset(&p->rx);
	stream_tx_reset(&p->tx);
	p->rx_unacked = 0;
	p->peer_outages_known = false;
	p->bulk_served = 0;
	p->peer_known = 0;
	p->last_rx = now;
	/* Single use: old packets echoing it can never verify a boot again. */
	p->challenge = rnd(p);
	p->st.peer_boots++;
	log_info("%s peer node %u, boot %016" PRIx64,
		 restart ? "peer restarted: now" : "verified", h->node_id,
		 h->boot_id);
	/* Tell it at once. Not rate limited: only a HELLO echoing our fresh
	 * challenge gets here, at most once per challenge. */
	p->peer_challenge = m->challenge;
	send_hello(p, now);
}

/*
 * Both nodes active means VRRP is split (its link cut while the HA link
 * is up, say). Each side then sends with its own counters; neither ever
 * lowers one (the kernel refuses), and whichever becomes the backup
 * later takes the other's counters raise-only.
 */
static void update_split_brain(struct peer *p, uint64_t now)
{
	/* Only what the peer said after we became active counts (at a
	 * failover the dead active's last words are still "active"), and
	 * only once it lasted PEER_SPLIT_GRACE_MS (at a switchover the old
	 * active hears the new one a moment before it steps down). */
	bool both = p->up && p->role == ROLE_ACTIVE &&
		    p->peer_role == PROTO_ROLE_ACTIVE &&
		    p->peer_role_at > p->role_at;

	if (!both)
		p->both_active_since = 0;
	else if (!p->both_active_since)
		p->both_active_since = now ? now : 1;
	if (both == p->split_brain ||
	    (both && now - p->both_active_since < PEER_SPLIT_GRACE_MS))
		return;
	p->split_brain = both;
	if (both) {
		p->st.split_brains++;
		log_err("SPLIT BRAIN: peer node %u is active too; check VRRP between the nodes (no counter is lowered on either node)",
			p->peer_node);
	} else {
		log_warn("split brain over: node %u is %s, peer node %u is %s",
			 p->node_id, role_name(p->role), p->peer_node,
			 p->peer_role == PROTO_ROLE_ACTIVE ? "active" :
							     "backup");
	}
}

static void check_role(struct peer *p, uint8_t role, uint64_t now)
{
	p->peer_role = role;
	p->peer_role_at = now;
	if (role == PROTO_ROLE_BACKUP && p->role == ROLE_BACKUP)
		log_ratelimited(&p->rl_role, LOG_LVL_WARN,
				"peer node %u is backup too: no node is active",
				p->peer_node);
}

void peer_set_role(struct peer *p, enum role role, uint64_t now)
{
	if (role == p->role)
		return;
	p->role = role;
	p->role_at = now;
	p->st.role_changes++;
	p->synced = false;
	p->want_bulk = false;
	p->bulk_running = false;
	if (role == ROLE_BACKUP && p->up)
		request_bulk(p, now);	/* tells the peer our role too */
	else
		send_hello(p, now);
	update_split_brain(p, now);
}

/* The active's outage count changed: it saw the link down. */
static void note_outages(struct peer *p, uint32_t outages, uint64_t now)
{
	bool changed = p->peer_outages_known && outages != p->peer_outages;

	p->peer_outages = outages;
	p->peer_outages_known = true;
	if (changed)
		stream_broken(p, "the peer saw the HA link down", now);
}

static void on_hello(struct peer *p, const struct proto_hdr *h,
		     const struct proto_hello *m, bool known, uint64_t now)
{
	if (!known) {
		if (m->echo != p->challenge) {
			reply_unverified(p, h->boot_id, m->challenge, now);
			return;
		}
		accept_boot(p, h, m, now);
	}
	p->peer_challenge = m->challenge;
	p->peer_known = m->known_boot;
	check_role(p, m->role, now);
	note_outages(p, m->outages, now);
	if (m->known_boot != p->boot)
		reply_hello(p, now);
	if (p->role == ROLE_ACTIVE && m->bulk_req &&
	    m->bulk_req != p->bulk_served && m->known_boot == p->boot) {
		p->bulk_served = m->bulk_req;
		p->st.bulks_served++;
		update_up(p, now);
		p->ops->bulk_request(p->arg, m->bulk_req);
	}
}

/* The backup's bulk: complete when every message up to its end arrived
 * and they carried the records its end announced. */
static void check_bulk(struct peer *p, uint64_t now)
{
	uint64_t ms;

	if (!p->want_bulk || !p->bulk_end || p->rx.cum < p->bulk_end)
		return;
	if (p->bulk_records != p->bulk_expect) {
		p->st.bulks_incomplete++;
		log_warn("bulk sync #%" PRIu32 " incomplete: %" PRIu64
			 " of %" PRIu32 " records, asking again",
			 p->bulk_req, p->bulk_records, p->bulk_expect);
		request_bulk(p, now);
		return;
	}
	ms = now - p->bulk_since;
	p->want_bulk = false;
	p->bulk_running = false;
	p->synced = true;
	p->st.bulks_completed++;
	p->st.bulk_last_ms = ms;
	p->st.bulk_last_records = p->bulk_records;
	if (ms > p->st.bulk_max_ms)
		p->st.bulk_max_ms = ms;
	log_info("bulk sync #%" PRIu32 " complete: %" PRIu64
		 " records verified in %" PRIu64 " ms",
		 p->bulk_req, p->bulk_records, ms);
}

static void rx_lost(struct peer *p, uint64_t lost, uint64_t now)
{
	char why[96];

	if (!lost)
		return;
	p->st.rx_lost += lost;
	snprintf(why, sizeof(why),
		 "%" PRIu64 " SEQNUM messages lost for good", lost);
	stream_broken(p, why, now);
}

static void on_seqnum(struct peer *p, const struct proto_hdr *h,
		      const struct proto_seqnum *sh,
		      const struct xha_sa *recs, unsigned int n, uint64_t now)
{
	uint64_t lost = 0, top = p->rx.top;

	if (!stream_rx_accept(&p->rx, h->seq, &lost)) {
		/* A resend of something we have: our ACK was lost. */
		if (!p->rx_unacked++)
			p->rx_unacked_since = now;
		return;
	}
	rx_lost(p, lost, now);
	if (!p->rx_unacked++)
		p->rx_unacked_since = now;

	if (p->want_bulk && sh->bulk_id == p->bulk_req) {
		if (sh->flags & PROTO_SEQNUM_BULK_START)
			p->bulk_running = true;
		p->bulk_progress = now;
		p->bulk_records += n;
		if (sh->flags & PROTO_SEQNUM_BULK_END) {
			p->bulk_end = h->seq;
			p->bulk_expect = sh->bulk_records;
		}
	}
	p->ops->records(p->arg, sh, recs, n);
	check_bulk(p, now);
	/* A new gap is NACKed at once; the sender resends only what it
	 * sent long enough ago, so reordering costs nothing. */
	if ((h->seq > top + 1 && now - p->last_nack >= PEER_RESEND_HOLD_MS) ||
	    p->rx_unacked >= PEER_ACK_EVERY)
		send_ack(p, now);
}

/* The peer acknowledged our stream; resend what it says is missing. */
static void on_ack(struct peer *p, const struct proto_ack *m, uint64_t now)
{
	uint64_t low, seq, last;
	unsigned int i, budget = PEER_NACK_BURST;
	struct stream_msg *msg;
	bool gone = false;

	if (stream_tx_ack(&p->tx, m->ack, now))
		p->tx_acked_at = now;
	if (m->nranges)
		p->st.nacks_received++;
	low = stream_tx_low(&p->tx);
	for (i = 0; i < m->nranges && budget; i++) {
		if (m->range[i].first < low)
			gone = true;
		seq = m->range[i].first < low ? low : m->range[i].first;
		last = m->range[i].last;
		for (; seq <= last && budget; seq++) {
			msg = stream_tx_get(&p->tx, seq);
			if (!msg)
				break;
			if (now - msg->last_ms < PEER_RESEND_HOLD_MS)
				continue;
			resend(p, msg, now);
			budget--;
		}
	}
	/* Tell it at once what it cannot have: it asks for a bulk sync. */
	if (gone)
		send_keepalive(p, now);
}

static void on_keepalive(struct peer *p, const struct proto_keepalive *ka,
			 uint64_t now)
{
	p->peer_known = ka->known_boot;
	check_role(p, ka->role, now);
	note_outages(p, ka->outages, now);
	if (ka->known_boot != p->boot)
		return;
	/* Both directions of the stream between its boot and ours. */
	if (stream_tx_ack(&p->tx, ka->ack, now))
		p->tx_acked_at = now;
	stream_rx_announce(&p->rx, ka->tx_last);
	rx_lost(p, stream_rx_giveup(&p->rx, ka->tx_low), now);
	check_bulk(p, now);
	if (p->rx.top > p->rx.cum && now - p->last_nack >= PEER_RESEND_HOLD_MS)
		send_ack(p, now);
}

void peer_input(struct peer *p, const uint8_t *pkt, size_t len,
		uint64_t now)
{
	uint8_t payload[PROTO_MAX_PAYLOAD];
	struct xha_sa recs[PROTO_MAX_RECORDS];
	struct proto_keepalive ka;
	struct proto_hello hello;
	struct proto_seqnum sh;
	struct proto_ack ack;
	struct proto_hdr h;
	enum proto_err err;
	char what[64];
	size_t plen;
	bool known;
	int n = 0;

	snprintf(what, sizeof(what), "%zu bytes", len);
	err = proto_open(p->key, p->node_id, p->pinned_node, pkt, len, &h,
			 payload, &plen);
	if (err) {
		peer_reject(p, err, what);
		return;
	}
	snprintf(what, sizeof(what), "type %u from node %u boot %016" PRIx64,
		 h.type, h.node_id, h.boot_id);
	known = p->verified && h.boot_id == p->peer_boot;
	if (known && !proto_replay_check(&p->replay, h.counter)) {
		peer_reject(p, PROTO_ERR_REPLAY, what);
		return;
	}
	if (!known && h.type != PROTO_HELLO) {
		peer_reject(p, PROTO_ERR_UNVERIFIED, what);
		return;
	}

	/* Parse and check everything before anything changes: a rejected
	 * packet changes no state at all, not even the replay window. */
	switch (h.type) {
	case PROTO_HELLO:
		err = proto_hello_decode(payload, plen, &hello) ?
			      PROTO_ERR_MALFORMED : PROTO_OK;
		break;
	case PROTO_KEEPALIVE:
		err = proto_keepalive_decode(payload, plen, &ka) ?
			      PROTO_ERR_MALFORMED : PROTO_OK;
		break;
	case PROTO_SEQNUM:
		n = proto_seqnum_decode(payload, plen, &sh, recs);
		err = n < 0 ? PROTO_ERR_MALFORMED :
		      sh.dest_boot != p->boot ? PROTO_ERR_SESSION :
		      p->role == ROLE_ACTIVE ? PROTO_ERR_ROLE : PROTO_OK;
		break;
	case PROTO_ACK:
		err = proto_ack_decode(payload, plen, &ack) ?
			      PROTO_ERR_MALFORMED :
		      ack.stream_boot != p->boot ? PROTO_ERR_SESSION :
						   PROTO_OK;
		break;
	}
	if (err) {
		peer_reject(p, err, what);
		return;
	}

	if (known) {
		proto_replay_update(&p->replay, h.counter);
		p->last_rx = now;
	}
	p->st.rx_packets++;

	switch (h.type) {
	case PROTO_HELLO:
		on_hello(p, &h, &hello, known, now);
		break;
	case PROTO_KEEPALIVE:
		on_keepalive(p, &ka, now);
		break;
	case PROTO_SEQNUM:
		on_seqnum(p, &h, &sh, recs, (unsigned int)n, now);
		break;
	case PROTO_ACK:
		on_ack(p, &ack, now);
		break;
	}
	update_up(p, now);
	update_split_brain(p, now);
}

void peer_start(struct peer *p, uint64_t now)
{
	log_info("node %u (%s) boot %016" PRIx64 ": saying hello",
		 p->node_id, role_name(p->role), p->boot);
	send_hello(p, now);
}

/* Unacknowledged this long: resent, the oldest first (a lost message
 * or a lost ACK; a lost tail is also found by the peer from our
 * heartbeat's tx_last). Not while ACKs keep moving the stream: the peer
 * is alive and working through a backlog (a bulk sync to a slow backup),
 * and what it lost it NACKs; copies of what merely waits in its socket
 * buffer would only slow it down more, the more the longer the bulk. */
static void resend_stale(struct peer *p, uint64_t now)
{
	uint64_t seq = stream_tx_low(&p->tx), last = stream_tx_last(&p->tx);
	unsigned int budget = PEER_RTO_BURST, looked = 0;
	struct stream_msg *m;

	if (p->tx_acked_at && now - p->tx_acked_at < PEER_RTO_MS)
		return;
	for (; seq <= last && budget && looked < 4 * PEER_RTO_BURST; seq++) {
		m = stream_tx_get(&p->tx, seq);
		looked++;
		if (!m || now - m->last_ms < PEER_RTO_MS)
			continue;
		resend(p, m, now);
		budget--;
	}
}

void peer_tick(struct peer *p, uint64_t now)
{
	update_up(p, now);
	update_split_brain(p, now);
	if (!p->up && now - p->last_hello >= PEER_HELLO_MS)
		send_hello(p, now);
	if (peer_session(p)) {
		/* An active peer refuses SEQNUMs (wrong-role): resending to
		 * it only adds load; it gets them once it is a backup. */
		if (p->peer_role != PROTO_ROLE_ACTIVE)
			resend_stale(p, now);
		if ((p->rx_unacked && now - p->rx_unacked_since >= PEER_ACK_MS) ||
		    (p->rx.top > p->rx.cum && now - p->last_nack >= PEER_NACK_MS))
			send_ack(p, now);
		/* The heartbeat goes out even while the link looks down to
		 * us: the peer may still hear us (a one-way outage). */
		if (now - p->last_keepalive >= PEER_KEEPALIVE_MS)
			send_keepalive(p, now);
	}
	if (!p->up || !p->want_bulk)
		return;
	if (now - p->bulk_progress >= PEER_BULK_STALL_MS) {
		log_warn("bulk sync #%" PRIu32 " %s, asking again",
			 p->bulk_req, p->bulk_running ? "stalled" : "not answered");
		request_bulk(p, now);
	} else if (!p->bulk_running && now - p->last_hello >= PEER_HELLO_MS) {
		send_hello(p, now);
	}
}
