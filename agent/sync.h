/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Active and backup logic. The active relays the kernel's notification
 * batches and answers bulk requests with a dump; the backup writes
 * oseq = rec.oseq + oseq-shift (or the adaptive shift, shift.h), seq and
 * the replay bitmap of the record, and its lifetimes, only ever upwards,
 * keeping records for SAs not installed yet and retrying them. The role
 * changes at run time (sync_set_role).
 */
#ifndef AGENT_SYNC_H
#define AGENT_SYNC_H

#include <stdint.h>

#include "config.h"
#include "kernel.h"
#include "lag.h"
#include "log.h"
#include "peer.h"
#include "pending.h"
#include "proto.h"
#include "shift.h"

#define SYNC_RETRY_MS 1000		/* pending records retried this often */
#define SYNC_PENDING_MAX_AGE_MS 120000	/* then given up */
#define SYNC_PENDING_MAX 262144
#define SYNC_LAG_MAX 1048576		/* SAs show sync follows */

/* Adaptive shift (docs/protocol.md, "What the backup does with a record"). */
#define SYNC_SHIFT_TICK_MS 250		/* re-raise check */
#define SYNC_SHIFT_LOOKAHEAD_MS 1500	/* written this far ahead... */
#define SYNC_SHIFT_REFRESH_MS 500	/* ...re-raised when less is left */
/* Extrapolated at most sync-period-time plus this past the last record:
 * an SA that sends gets a record at least every sync-period-time; beyond
 * that it went quiet, or the active died (VRRP notices within seconds). */
#define SYNC_SHIFT_HORIZON_EXTRA_MS 30000
#define SYNC_SHIFT_EXPIRE_MS 600000	/* not heard of: forgotten */
#define SYNC_SHIFT_MAX 262144

/* Issue 7, the kernel side never blocks the loop (agent/backup.c):
 * writes go in batches; records for SAs not installed yet are applied
 * when the kernel reports the SA (xfrmmon.h); the timer above only runs
 * a safety-net sweep, a budget per tick. */
#define SYNC_WRITE_BATCH 32		/* SA_SET requests per sendmsg */
#define SYNC_RETRY_SWEEP_MS 10000	/* a sweep of the pending table... */
#define SYNC_RETRY_BUDGET 8192		/* ...this many entries per tick */

struct sync_stats {
	/* active */
	uint64_t notify_msgs;
	uint64_t notify_records;
	uint64_t records_sent;
	uint64_t records_unsendable;
	uint64_t records_link_down;	/* not sent: link down */
	uint64_t records_link_sa;	/* not sent: the HA link's own SA */
	uint64_t seqnum_sent;
	uint64_t bulks_sent;
	uint64_t bulks_aborted;		/* replaced by a newer request */
	uint64_t bulk_send_last_ms;	/* dump start to last message sent */
	uint64_t enobufs;
	uint64_t kernel_errors;
	/* backup */
	uint64_t records_received;
	uint64_t records_applied;
	uint64_t records_superseded;	/* SA already at or above */
	uint64_t records_pending;	/* SA missing: kept for retry */
	uint64_t records_refused;	/* kernel refused, dropped */
	uint64_t records_expired;	/* SA never appeared */
	uint64_t records_overflow;	/* pending table full */
	uint64_t erange_retries;
	uint64_t shift_refused;		/* adaptive re-raises refused */
};

struct sync {
	const struct config *cfg;
	enum role role;
	struct kernel *kernel;
	struct peer *peer;
	struct pending *pending;
	struct shift *shift;		/* NULL: adaptive-shift off */
	struct lag *lag;		/* per-SA lag, for show sync */
	struct proto_batch batch;	/* live updates being relayed */
	bool resync;			/* ENOBUFS seen: resync when possible */
	bool dump_sends;		/* the dump in progress goes out */
	unsigned int torn_streak;	/* torn bulk dumps in a row */
	/* active: the bulk being sent, paced by the stream's window */
	struct bulk_out {
		struct proto_batch **msg;
		size_t len, pos, cap;
		/* The dump's message being filled: its own, so that live
		 * updates read between two pieces of the dump (which reset
		 * and flush theirs) cannot drop the records it holds. */
		struct proto_batch batch;
		uint32_t id;		/* bulk id, 0: unsolicited */
		uint32_t records;
		uint64_t first_seq;	/* seq of its first message */
		uint64_t boot;		/* the peer boot it is for */
		uint64_t started;
		bool failed;		/* out of memory while dumping */
		/* the kernel dump, read as the window drains */
		struct xha_nl *dump;
		bool torn;		/* the kernel flagged it torn */
		uint64_t dump_ms;	/* time spent reading it */
	} out;
	uint64_t now;
	struct sync_stats st;
	struct ratelimit rl;
	/* ---- issue 7: the pending table's sweep and SA events
	 * (agent/backup.c) ---- */
	struct sync_retry {
		bool sweeping;		/* a round is under way */
		bool sweep_now;		/* start one at the next tick */
		uint64_t sweep_started;
		uint64_t sweeps;	/* rounds completed */
		uint64_t sa_events;	/* NEWSA/UPDSA read */
		uint64_t on_event;	/* records applied on an SA event */
		uint64_t batches;	/* SA_SET batches sent */
	} rt;
};

int sync_init(struct sync *s, const struct config *cfg, enum role role,
	      struct kernel *k, struct peer *p);
/*
 * The role changed. The caller has already (un)subscribed the kernel
 * handle; records kept for SAs not installed yet stay and are retried in
 * either role (writes only raise counters).
 */
void sync_set_role(struct sync *s, enum role role);
/*
 * A reload: the new configuration (oseq-shift, the adaptive shift and its
 * margin, sync-period-time, the link's addresses) from now on. The
 * pending table and the shift table's entries stay; the shift table is
 * made or dropped as the adaptive shift is turned on or off. Returns 0, or
 * -ENOMEM with nothing changed.
 */
int sync_reconfigure(struct sync *s, const struct config *cfg);
void sync_free(struct sync *s);

/* Active: the notification fd is readable. */
void sync_notify_ready(struct sync *s, uint64_t now);
/*
 * Active: dump every SA and send it; bulk_id 0 for unsolicited (then,
 * with the link down, the dump only arms the module's scan).
 */
void sync_bulk(struct sync *s, uint32_t bulk_id, uint64_t now);
/*
 * Active: read the bulk's kernel dump as far as the stream's window needs
 * and send what the window allows. Bounded work per call; called after
 * every burst of HA input and on the tick.
 */
void sync_pump(struct sync *s, uint64_t now);
/* Backup: records from the peer. */
void sync_records(struct sync *s, const struct xha_sa *recs, unsigned int n,
		  uint64_t now);
/*
 * Records waiting for their SA (either role): the timer's safety net,
 * a sweep every SYNC_RETRY_SWEEP_MS, SYNC_RETRY_BUDGET entries a tick.
 */
void sync_retry(struct sync *s, uint64_t now);
/* All of them, now (at takeover). */
void sync_retry_all(struct sync *s, uint64_t now);
/* Start a sweep at the next tick (SA events lost, the module is back). */
void sync_retry_sweep(struct sync *s);
/* The SA event socket is readable: apply the records of the SAs that
 * were installed (a sweep if events were lost). */
void sync_sa_events(struct sync *s, struct xfrmmon *m, uint64_t now);
/* Backup: re-raise output counters whose adaptive lookahead runs out. */
void sync_shift_tick(struct sync *s, uint64_t now);
/*
 * Taking over, first of all: write every tracked SA's final adaptive
 * advance (rate x (now - its last record + margin), at least oseq-shift).
 * The table is emptied when the role becomes active.
 */
void sync_takeover(struct sync *s, uint64_t now);

void sync_log_stats(const struct sync *s, enum log_level lvl);
/* One line for sd_notify STATUS=. */
void sync_status(const struct sync *s, char *buf, size_t len);

#endif /* AGENT_SYNC_H */
