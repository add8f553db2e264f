/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HA link session with the other node: boot-id verification (a
 * challenge/echo exchange in HELLO), anti-replay, keepalives, link up/down
 * and the backup's bulk-sync requests. No I/O and no clock of its own:
 * packets come in through peer_input(), go out through ops->send, and
 * every call takes the current CLOCK_MONOTONIC time in milliseconds.
 */
#ifndef AGENT_PEER_H
#define AGENT_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "stream.h"

#define PEER_HELLO_MS 1000	/* HELLO period while the link is not up */
#define PEER_KEEPALIVE_MS 1000	/* something is sent at least this often */
#define PEER_DEAD_MS 3500	/* link down after this long without a packet */
#define PEER_REPLY_MS 100	/* at most one immediate HELLO reply per this */
#define PEER_BULK_STALL_MS 3000	/* bulk request re-issued after this idle */
#define PEER_SPLIT_GRACE_MS 2000	/* both active this long: split brain */
/* The SEQNUM stream (docs/protocol.md, "Reliability"). */
#define PEER_ACK_EVERY 16	/* ACK at once after this many new messages */
#define PEER_ACK_MS 100		/* else within this */
#define PEER_NACK_MS 100	/* a gap NACKed again at most this often */
#define PEER_RESEND_HOLD_MS 50	/* a message resent at most this often */
#define PEER_RTO_MS 1000	/* unacknowledged this long: resent */
#define PEER_RTO_BURST 32	/* at most this many per tick */
#define PEER_NACK_BURST 512	/* at most this many resent per ACK */
#define PEER_WINDOW 256		/* bulk messages in flight */
#define PEER_REPLY_SLOTS 8	/* unverified boots answered, each rate limited */

struct peer_ops {
	/* Returns 0 or a negative errno. */
	int (*send)(void *arg, const uint8_t *pkt, size_t len);
	void (*link_up)(void *arg);
	void (*link_down)(void *arg);
	/* Active only: the peer asks for bulk sync #bulk_id. */
	void (*bulk_request)(void *arg, uint32_t bulk_id);
	/* Backup only: authenticated records from the verified peer. */
	void (*records)(void *arg, const struct proto_seqnum *hdr,
			const struct xha_sa *recs, unsigned int n);
};

struct peer_stats {
	uint64_t rx_packets;		/* accepted */
	uint64_t rx_rejected[PROTO_ERR_MAX];
	uint64_t tx_packets;
	uint64_t tx_failed;
	uint64_t peer_boots;		/* peer boot ids verified */
	uint64_t hello_replies;		/* to HELLOs from unverified boots */
	uint64_t outages;		/* times our link went down */
	/* the stream */
	uint64_t retransmits;
	uint64_t acks_sent;
	uint64_t nacks_sent;		/* ACKs carrying missing ranges */
	uint64_t nacks_received;
	uint64_t rx_lost;		/* seqs the peer could not resend */
	uint64_t resyncs;		/* bulks asked for: stream loss, outage */
	/* bulk syncs */
	uint64_t bulks_requested;	/* backup */
	uint64_t bulks_completed;	/* backup */
	uint64_t bulks_incomplete;	/* backup: ended with records missing */
	uint64_t bulk_last_ms;		/* backup: request to verified end */
	uint64_t bulk_max_ms;
	uint64_t bulk_last_records;
	uint64_t bulks_served;		/* active */
	uint64_t split_brains;		/* times both nodes were active */
	uint64_t role_changes;		/* ours */
};

struct peer {
	const uint8_t *key;
	uint8_t node_id;
	enum role role;
	const struct peer_ops *ops;
	void *arg;
	uint64_t (*rand64)(void *arg);	/* non-zero random values */

	/* us */
	uint64_t boot;
	uint64_t tx_counter;
	uint64_t challenge;
	uint64_t last_tx, last_hello, last_reply, last_keepalive;
	uint32_t outages;		/* times our link went down */
	struct stream_tx tx;		/* our SEQNUM stream to peer_boot */
	uint64_t tx_acked_at;		/* an ACK last moved it (timeouts
					 * wait while the peer keeps up) */
	/* HELLOs from boots not verified are answered (statelessly), each
	 * boot at most once per PEER_REPLY_MS: a replayed HELLO of an old
	 * boot does not share its limit with the genuine new boot. */
	struct {
		uint64_t boot, at;
	} reply_slot[PEER_REPLY_SLOTS];

	/* the peer */
	bool verified;
	uint64_t peer_boot;
	uint8_t peer_node;
	uint8_t pinned_node;		/* remote-node-id, or the first verified */
	uint8_t peer_role;		/* PROTO_ROLE_* */
	struct proto_replay replay;
	uint64_t peer_challenge;	/* echoed in our HELLOs */
	uint64_t peer_known;		/* which boot of ours the peer knows */
	uint32_t peer_outages;		/* the peer's outage count, last told */
	bool peer_outages_known;
	struct stream_rx rx;		/* the peer's SEQNUM stream to us */
	unsigned int rx_unacked;	/* new messages not acknowledged yet */
	uint64_t rx_unacked_since;
	uint64_t last_nack;
	uint64_t last_rx;
	bool up;
	bool split_brain;		/* the peer says it is active too */
	uint64_t role_at;		/* when our role last changed */
	uint64_t peer_role_at;		/* when the peer last told its role */
	uint64_t both_active_since;	/* 0: not both active */

	/* backup: the bulk sync we asked for */
	bool want_bulk;
	bool bulk_running;
	uint32_t bulk_req;
	uint64_t bulk_progress;
	uint64_t bulk_records;		/* records of bulk_req received */
	uint64_t bulk_end;		/* seq of its BULK_END, 0: not seen */
	uint32_t bulk_expect;		/* records BULK_END announced */
	uint64_t bulk_since;		/* first request of this sync */
	uint64_t last_bulk_ask;
	/* backup: a bulk sync completed since the link came up and since
	 * we became a backup, so our counters are as fresh as the link
	 * allows (keepalived's hold-off is released) */
	bool synced;
	/* active: the last bulk request served for this peer boot */
	uint32_t bulk_served;

	struct peer_stats st;
	struct ratelimit rl_reject;
	struct ratelimit rl_role;
};

void peer_init(struct peer *p, const struct config *cfg, enum role role,
	       const struct peer_ops *ops, void *arg);
/*
 * Our role changed (the HA group's state did). Tells the peer at once; a
 * new backup asks for a bulk sync if the link is up (or as soon as it
 * comes up).
 */
void peer_set_role(struct peer *p, enum role role, uint64_t now);
/*
 * Something outside the link lost state (the kernel module was reloaded,
 * say): the backup asks for a bulk sync again and is not synced until it
 * completes; the active makes its peer do so. why is logged.
 */
void peer_resync(struct peer *p, uint64_t now, const char *why);
/*
 * A reload changed the link key, the addresses or remote-node-id (cfg
 * holds the new ones): the session ends and the handshake starts again
 * under a new boot id, as after a restart (the link goes down, the peer
 * verifies the new boot, a backup asks for a bulk sync once the link is
 * up). Role, statistics and everything outside the peer stay.
 */
void peer_restart(struct peer *p, const struct config *cfg, uint64_t now,
		  const char *why);
/* A backup that has completed a bulk sync over the current link. */
bool peer_synced(const struct peer *p);
/* Replace the random source (tests and fuzzers); re-draws boot id. */
void peer_set_rand(struct peer *p, uint64_t (*rand64)(void *arg));
/* Send the first HELLO. */
void peer_start(struct peer *p, uint64_t now);
void peer_input(struct peer *p, const uint8_t *pkt, size_t len,
		uint64_t now);
/* Count and log a packet dropped before peer_input (link level). */
void peer_reject(struct peer *p, enum proto_err err, const char *what);
void peer_tick(struct peer *p, uint64_t now);
bool peer_is_up(const struct peer *p);
/*
 * Queue, seal and send one SEQNUM payload on the stream to the peer's
 * boot; *seq gets its seq. -ENOTCONN without a session (the peer's boot
 * verified and the peer knowing ours), -ENOMEM. A failed send is not an
 * error: the message is queued and resent.
 */
int peer_send_seqnum(struct peer *p, struct proto_batch *b, uint64_t now,
		     uint64_t *seq);
/* A session exists: SEQNUM messages can go out. */
bool peer_session(const struct peer *p);
/* A paced sender (the bulk) may send one more message now. */
bool peer_stream_room(const struct peer *p);
void peer_free(struct peer *p);

#endif /* AGENT_PEER_H */
