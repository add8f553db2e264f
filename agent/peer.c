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
	peer_set_rand(p, default_rand64);
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

static int send_msg(struct peer *p, uint8_t type, const uint8_t *payload,
		    size_t plen, uint64_t now)
{
	struct proto_hdr h = {
		.version = PROTO_VERSION,
		.type = type,
		.node_id = p->node_id,
		.boot_id = p->boot,
		.counter = ++p->tx_counter,
		.seq = type == PROTO_SEQNUM ? ++p->tx_seq : 0,
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

static void send_hello(struct peer *p, uint64_t now)
{
	struct proto_hello m = {
		.challenge = p->challenge,
		.echo = p->peer_challenge,
		.known_boot = p->verified ? p->peer_boot : 0,
		.bulk_req = p->up && p->want_bulk ? p->bulk_req : 0,
		.role = wire_role(p->role),
	};
	uint8_t buf[PROTO_HELLO_LEN];

	p->last_hello = now;
	send_msg(p, PROTO_HELLO, buf, proto_hello_encode(&m, buf, sizeof(buf)),
		 now);
}

/* Answer a HELLO at once, but never faster than PEER_REPLY_MS. */
static void reply_hello(struct peer *p, uint64_t now)
{
	if (p->last_reply && now - p->last_reply < PEER_REPLY_MS)
		return;
	p->last_reply = now;
	send_hello(p, now);
}

static void send_keepalive(struct peer *p, uint64_t now)
{
	struct proto_keepalive m = {
		.known_boot = p->verified ? p->peer_boot : 0,
		.role = wire_role(p->role),
	};
	uint8_t buf[PROTO_KEEPALIVE_LEN];

	send_msg(p, PROTO_KEEPALIVE, buf,
		 proto_keepalive_encode(&m, buf, sizeof(buf)), now);
}

int peer_send_seqnum(struct peer *p, struct proto_batch *b, uint64_t now)
{
	size_t len = proto_batch_finish(b);

	return send_msg(p, PROTO_SEQNUM, b->buf, len, now);
}

static void request_bulk(struct peer *p, uint64_t now)
{
	p->want_bulk = true;
	p->bulk_running = false;
	if (!++p->bulk_req)
		p->bulk_req = 1;
	p->bulk_progress = now;
	p->bulk_records = 0;
	p->st.bulks_requested++;
	log_info("requesting bulk sync #%" PRIu32 " from peer node %u",
		 p->bulk_req, p->peer_node);
	send_hello(p, now);
}

void peer_resync(struct peer *p, uint64_t now, const char *why)
{
	log_warn("resync needed: %s", why);
	p->synced = false;
	if (p->role == ROLE_BACKUP && p->up)
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
	proto_replay_reset(&p->replay, h->counter);
	p->rx_seq = 0;
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

static void on_hello(struct peer *p, const struct proto_hdr *h,
		     const struct proto_hello *m, bool known, uint64_t now)
{
	if (!known) {
		if (m->echo != p->challenge) {
			/* Unverified: answer with our challenge, change
			 * nothing else. A replayed HELLO costs one reply. */
			p->peer_challenge = m->challenge;
			reply_hello(p, now);
			return;
		}
		accept_boot(p, h, m, now);
	}
	p->peer_challenge = m->challenge;
	p->peer_known = m->known_boot;
	check_role(p, m->role, now);
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

static void on_seqnum(struct peer *p, const struct proto_hdr *h,
		      const struct proto_seqnum *sh,
		      const struct xha_sa *recs, unsigned int n, uint64_t now)
{
	if (p->rx_seq && h->seq != p->rx_seq + 1) {
		if (h->seq > p->rx_seq)
			p->st.seq_lost += h->seq - p->rx_seq - 1;
		else
			p->st.seq_reordered++;
	}
	if (h->seq > p->rx_seq || !p->rx_seq)
		p->rx_seq = h->seq;

	if (p->want_bulk && sh->bulk_id == p->bulk_req) {
		if (sh->flags & PROTO_SEQNUM_BULK_START) {
			p->bulk_running = true;
			p->bulk_records = 0;
		}
		p->bulk_progress = now;
		p->bulk_records += n;
		if (sh->flags & PROTO_SEQNUM_BULK_END) {
			p->want_bulk = false;
			p->bulk_running = false;
			p->synced = true;
			p->st.bulks_completed++;
			log_info("bulk sync #%" PRIu32 " received: %" PRIu64
				 " records", sh->bulk_id, p->bulk_records);
		}
	}
	p->ops->records(p->arg, sh, recs, n);
}

void peer_input(struct peer *p, const uint8_t *pkt, size_t len,
		uint64_t now)
{
	uint8_t payload[PROTO_MAX_PAYLOAD];
	struct xha_sa recs[PROTO_MAX_RECORDS];
	struct proto_keepalive ka;
	struct proto_hello hello;
	struct proto_seqnum sh;
	struct proto_hdr h;
	enum proto_err err;
	char what[64];
	size_t plen;
	bool known;
	int n = 0;

	snprintf(what, sizeof(what), "%zu bytes", len);
	err = proto_open(p->key, p->node_id, pkt, len, &h, payload, &plen);
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

	/* Parse everything before anything changes. */
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
		err = n < 0 ? PROTO_ERR_MALFORMED : PROTO_OK;
		if (!err && p->role == ROLE_ACTIVE)
			err = PROTO_ERR_ROLE;
		break;
	}
	if (err) {
		if (known && err == PROTO_ERR_ROLE) {
			/* Authenticated and fresh, only not for us (split
			 * brain): the peer is alive, the link stays up. */
			proto_replay_update(&p->replay, h.counter);
			p->last_rx = now;
		}
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
		p->peer_known = ka.known_boot;
		check_role(p, ka.role, now);
		break;
	case PROTO_SEQNUM:
		on_seqnum(p, &h, &sh, recs, (unsigned int)n, now);
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

void peer_tick(struct peer *p, uint64_t now)
{
	update_up(p, now);
	update_split_brain(p, now);
	if (!p->up) {
		if (now - p->last_hello >= PEER_HELLO_MS)
			send_hello(p, now);
		return;
	}
	if (p->want_bulk) {
		if (now - p->bulk_progress >= PEER_BULK_STALL_MS) {
			log_warn("bulk sync #%" PRIu32 " %s, asking again",
				 p->bulk_req,
				 p->bulk_running ? "stalled" : "not answered");
			request_bulk(p, now);
		} else if (!p->bulk_running &&
			   now - p->last_hello >= PEER_HELLO_MS) {
			send_hello(p, now);
		}
	}
	if (now - p->last_tx >= PEER_KEEPALIVE_MS)
		send_keepalive(p, now);
}
