// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync.h"

#include <linux/xfrm_ha.h>

#define NOTIFY_BURST 64		/* datagrams read per wakeup */

int sync_init(struct sync *s, const struct config *cfg, enum role role,
	      struct kernel *k, struct peer *p)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->role = role;
	s->kernel = k;
	s->peer = p;
	s->rl = (struct ratelimit)RATELIMIT_INIT(10000, 10);
	s->pending = pending_new(SYNC_PENDING_MAX);
	s->lag = lag_new(SYNC_LAG_MAX);
	if (!s->pending || !s->lag)
		return -ENOMEM;
	return sync_reconfigure(s, cfg);
}

int sync_reconfigure(struct sync *s, const struct config *cfg)
{
	struct shift_params sp = {
		.base = cfg->oseq_shift,
		.margin_ms = cfg->adaptive_shift_margin,
		.lookahead_ms = SYNC_SHIFT_LOOKAHEAD_MS,
		.refresh_ms = SYNC_SHIFT_REFRESH_MS,
		.horizon_ms = cfg->sync_period_time * 1000 +
			      SYNC_SHIFT_HORIZON_EXTRA_MS,
		.max_entries = SYNC_SHIFT_MAX,
	};

	sp.expire_ms = sp.horizon_ms + 60000 > SYNC_SHIFT_EXPIRE_MS ?
			       sp.horizon_ms + 60000 : SYNC_SHIFT_EXPIRE_MS;
	if (cfg->adaptive_shift && !s->shift) {
		s->shift = shift_new(&sp);
		if (!s->shift)
			return -ENOMEM;
	} else if (!cfg->adaptive_shift) {
		shift_free(s->shift);
		s->shift = NULL;
	} else {
		shift_set_params(s->shift, &sp);
	}
	s->cfg = cfg;
	return 0;
}

void sync_set_role(struct sync *s, enum role role)
{
	s->role = role;
	s->resync = false;
	lag_clear(s->lag);
	/* Rates learnt as a backup say nothing about a later one. */
	if (role == ROLE_ACTIVE && s->shift)
		shift_clear(s->shift);
}

#define DUMP_STEPS 64		/* kernel dump datagrams read per pump */
#define DUMP_AHEAD (2 * PEER_WINDOW)	/* messages encoded ahead */
#define BULK_TORN_RETRIES 2

static void bulk_out_clear(struct bulk_out *o)
{
	size_t i;

	for (i = o->pos; i < o->len; i++)
		free(o->msg[i]);
	o->len = o->pos = 0;
	o->records = 0;
	o->first_seq = 0;
	o->failed = false;
	o->torn = false;
	o->dump_ms = 0;
	if (o->dump)
		xha_nl_close(o->dump);
	o->dump = NULL;
}

void sync_free(struct sync *s)
{
	bulk_out_clear(&s->out);
	free(s->out.msg);
	s->out.msg = NULL;
	pending_free(s->pending);
	s->pending = NULL;
	lag_free(s->lag);
	s->lag = NULL;
	shift_free(s->shift);
	s->shift = NULL;
}

/* ---- active ---- */

static void batch_flush(struct sync *s)
{
	struct proto_batch *b = &s->batch;
	uint64_t seq = 0;
	int ret;

	if (!b->hdr.count && !b->hdr.flags)
		return;
	ret = peer_send_seqnum(s->peer, b, s->now, &seq);
	lag_commit(s->lag, ret == 0 ? seq : 0);
	if (ret == 0) {
		s->st.seqnum_sent++;
		s->st.records_sent += b->hdr.count;
	} else if (ret == -ENOTCONN) {
		/* No session: the backup asks for a bulk sync when one
		 * comes up. */
		s->st.records_link_down += b->hdr.count;
	} else {
		s->st.records_unsendable += b->hdr.count;
	}
	proto_batch_init(b, 0, b->hdr.bulk_id);
}

/* The address part of a sockaddr, as the module encodes it. */
static const void *addr_bytes(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return &((const struct sockaddr_in *)ss)->sin_addr;
	return &((const struct sockaddr_in6 *)ss)->sin6_addr;
}

/*
 * An SA between the two nodes' HA link addresses protects the nodes' own
 * traffic (charon's ha plugin with a secret): each node has its own
 * counters for it, and the SA one node sends with is the one the other
 * receives with. Never relayed.
 */
static bool is_link_sa(const struct sync *s, const struct xha_sa *sa)
{
	const struct config *cfg = s->cfg;
	size_t alen = cfg->family == AF_INET ? 4 : 16;
	const void *l = addr_bytes(&cfg->local), *r = addr_bytes(&cfg->remote);

	if (sa->family != cfg->family || !(sa->has & XHA_SA_HAS_SADDR))
		return false;
	return (!memcmp(sa->saddr, l, alen) && !memcmp(sa->daddr, r, alen)) ||
	       (!memcmp(sa->saddr, r, alen) && !memcmp(sa->daddr, l, alen));
}

static void batch_add(struct sync *s, const struct xha_sa *sa)
{
	char id[128];
	int ret;

	if (is_link_sa(s, sa)) {
		s->st.records_link_sa++;
		return;
	}

	ret = proto_batch_add(&s->batch, sa);
	if (ret == -ENOSPC) {
		batch_flush(s);
		ret = proto_batch_add(&s->batch, sa);
	}
	if (ret >= 0)
		lag_stage(s->lag, sa, s->now);
	if (ret < 0) {
		s->st.records_unsendable++;
		xha_sa_format_id(sa, id, sizeof(id));
		log_ratelimited(&s->rl, LOG_LVL_WARN,
				"cannot relay %s: record incomplete (has 0x%x, replay mode %u)",
				id, sa->has, sa->replay_mode);
	}
}

static int notify_cb(const struct xha_sa *sa, void *arg)
{
	struct sync *s = arg;

	s->st.notify_records++;
	/* The SA is gone here; the backup's copy goes with charon's. */
	if (sa->event == XFRM_HA_EVENT_DELETED)
		return 0;
	if (!peer_session(s->peer)) {
		/* The backup asks for a bulk sync when the link comes up. */
		s->st.records_link_down++;
		return 0;
	}
	batch_add(s, sa);
	return 0;
}

void sync_notify_ready(struct sync *s, uint64_t now)
{
	int i, ret;

	s->now = now;
	if (!s->kernel->ntf)
		return;
	proto_batch_init(&s->batch, 0, 0);
	for (i = 0; i < NOTIFY_BURST; i++) {
		ret = xha_nl_recv_notify(s->kernel->ntf, notify_cb, s);
		if (ret == -EAGAIN)
			break;
		if (ret == -ENOBUFS) {
			s->st.enobufs++;
			s->resync = true;
			continue;
		}
		if (ret < 0) {
			s->st.kernel_errors++;
			log_ratelimited(&s->rl, LOG_LVL_ERR,
					"reading kernel notifications: %s",
					xha_nl_error(s->kernel->ntf));
			continue;
		}
		s->st.notify_msgs++;
	}
	batch_flush(s);
	if (s->resync) {
		/* The backup asks for a bulk sync, verified end to end; the
		 * dump runs when the request is served. */
		s->resync = false;
		peer_resync(s->peer, now,
			    "kernel notifications lost (ENOBUFS)");
	}
}

/* The dump's current message is full (or the dump ended): keep it. */
static int out_keep(struct sync *s)
{
	struct bulk_out *o = &s->out;
	struct proto_batch *b;

	/* Sent messages leave the front: reuse their room. */
	if (o->pos && o->pos == o->len) {
		o->pos = o->len = 0;
	} else if (o->pos >= 64 && 2 * o->pos >= o->len) {
		memmove(o->msg, o->msg + o->pos,
			(o->len - o->pos) * sizeof(*o->msg));
		o->len -= o->pos;
		o->pos = 0;
	}
	if (o->len == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		struct proto_batch **m = realloc(o->msg, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		o->msg = m;
		o->cap = cap;
	}
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	*b = o->batch;
	o->msg[o->len++] = b;
	proto_batch_init(&o->batch, 0, o->id);
	return 0;
}

static int dump_cb(const struct xha_sa *sa, void *arg)
{
	struct sync *s = arg;
	int ret;

	if (!s->dump_sends || s->out.failed)
		return 0;
	if (is_link_sa(s, sa)) {
		s->st.records_link_sa++;
		return 0;
	}
	ret = proto_batch_add(&s->out.batch, sa);
	if (ret == -ENOSPC) {
		if (out_keep(s) < 0) {
			s->out.failed = true;
			return 0;
		}
		ret = proto_batch_add(&s->out.batch, sa);
	}
	if (ret < 0)
		s->st.records_unsendable++;
	else
		s->out.records++;
	return 0;
}

static void bulk_fail(struct sync *s, const char *why)
{
	s->st.kernel_errors++;
	/* No BULK_END: the backup asks again after a while. */
	log_err("bulk sync #%" PRIu32 ": %s", s->out.id, why);
	bulk_out_clear(&s->out);
	proto_batch_init(&s->out.batch, 0, 0);
}

/* The dump is complete: its last message (BULK_END) is ready. */
static void dump_done(struct sync *s)
{
	struct bulk_out *o = &s->out;

	xha_nl_close(o->dump);
	o->dump = NULL;
	if (o->failed) {
		bulk_fail(s, "out of memory");
		return;
	}
	if (!s->dump_sends) {
		bulk_out_clear(o);
		return;
	}
	/*
	 * SAs came or went while the dump ran (NLM_F_DUMP_INTR): no
	 * BULK_END, so the backup asks again, up to BULK_TORN_RETRIES
	 * times in a row; then a torn dump is served (its SAs are all
	 * there but those that came and went, and new ones are
	 * announced live), so that constant churn cannot starve it.
	 */
	if (o->torn && s->torn_streak < BULK_TORN_RETRIES) {
		s->torn_streak++;
		bulk_fail(s, "kernel dump torn by concurrent SA changes");
		return;
	}
	s->torn_streak = 0;
	if (o->id)
		o->batch.hdr.flags |= PROTO_SEQNUM_BULK_END;
	if ((o->batch.hdr.count || o->batch.hdr.flags) && out_keep(s) < 0) {
		bulk_fail(s, "out of memory");
		return;
	}
	proto_batch_init(&o->batch, 0, 0);
	log_info("bulk sync #%" PRIu32 ": kernel dump read, %" PRIu32
		 " records (%" PRIu64 " ms reading it%s)",
		 o->id, o->records, o->dump_ms,
		 o->torn ? "; torn by concurrent changes" : "");
}

/* Read the dump until DUMP_AHEAD messages wait or DUMP_STEPS reads. */
static void dump_more(struct sync *s)
{
	struct bulk_out *o = &s->out;
	uint64_t t0 = now_ms();
	char why[300];
	int i, ret = 0;

	for (i = 0; o->dump && i < DUMP_STEPS &&
		    o->len - o->pos < DUMP_AHEAD; i++) {
		ret = xha_nl_sa_dump_step(o->dump, dump_cb, s, &o->torn);
		if (ret)
			break;
	}
	o->dump_ms += now_ms() - t0;
	if (ret < 0) {
		snprintf(why, sizeof(why), "dumping SAs: %s",
			 xha_nl_error(o->dump));
		bulk_fail(s, why);
	} else if (ret == 1) {
		dump_done(s);
	}
}

/*
 * The dump is read piece by piece as the stream's window drains (the
 * kernel produces the next piece as one is read), encoded and sent: the
 * loop never waits for the whole table, live updates go out in between,
 * the peer's socket buffer never overflows, and at most DUMP_AHEAD
 * messages wait here. A newer request replaces a bulk in progress.
 */
void sync_bulk(struct sync *s, uint32_t bulk_id, uint64_t now)
{
	struct bulk_out *o = &s->out;
	char msg[256] = "";

	s->now = now;
	if (o->dump || o->pos < o->len) {
		s->st.bulks_aborted++;
		log_info("bulk sync #%" PRIu32 " abandoned for #%" PRIu32,
			 o->id, bulk_id);
	}
	bulk_out_clear(o);
	proto_batch_init(&o->batch, bulk_id ? PROTO_SEQNUM_BULK_START : 0,
			 bulk_id);
	o->id = bulk_id;
	o->boot = s->peer->peer_boot;
	o->started = now;
	/* Unsolicited without a session: the dump only arms the scan. */
	s->dump_sends = bulk_id || peer_session(s->peer);
	o->dump = xha_nl_open(msg, sizeof(msg));
	if (!o->dump) {
		bulk_fail(s, msg[0] ? msg : "cannot open a kernel handle");
		return;
	}
	if (xha_nl_sa_dump_start(o->dump) < 0) {
		snprintf(msg, sizeof(msg), "dumping SAs: %s",
			 xha_nl_error(o->dump));
		bulk_fail(s, msg);
		return;
	}
	sync_pump(s, now);
}

void sync_pump(struct sync *s, uint64_t now)
{
	struct bulk_out *o = &s->out;
	struct proto_batch *b;
	uint64_t seq;
	int ret;

	if (!o->dump && o->pos == o->len)
		return;
	if (s->role != ROLE_ACTIVE || s->peer->peer_boot != o->boot) {
		/* The peer restarted (it asks anew) or we are no longer
		 * active. */
		s->st.bulks_aborted++;
		bulk_out_clear(o);
		return;
	}
	s->now = now;
	if (o->dump)
		dump_more(s);
	while (o->pos < o->len && peer_stream_room(s->peer)) {
		b = o->msg[o->pos];
		if (b->hdr.flags & PROTO_SEQNUM_BULK_END) {
			b->hdr.bulk_first = o->first_seq;
			b->hdr.bulk_records = o->records;
		}
		ret = peer_send_seqnum(s->peer, b, now, &seq);
		if (ret < 0)
			return;	/* -ENOMEM: later */
		if (b->hdr.flags & PROTO_SEQNUM_BULK_START || !o->first_seq)
			o->first_seq = seq;
		s->st.seqnum_sent++;
		s->st.records_sent += b->hdr.count;
		free(b);
		o->pos++;
		/* Keep the encoder ahead of the window. */
		if (o->dump && o->len - o->pos < PEER_WINDOW)
			dump_more(s);
	}
	if (o->dump || o->pos < o->len)
		return;
	if (!s->dump_sends)
		return;
	s->st.bulks_sent++;
	s->st.bulk_send_last_ms = now - o->started;
	log_info("bulk sync #%" PRIu32 " sent: %" PRIu32 " records, %" PRIu64 " ms",
		 o->id, o->records, now - o->started);
	bulk_out_clear(o);
}

/* ---- reporting ---- */

/* The module's own view: tracking memory, sweeps, wrap clamps. */
static void log_kernel_stats(const struct sync *s, enum log_level lvl)
{
	struct xha_config kc;
	struct xha_stats ks;

	memset(&ks, 0, sizeof(ks));
	if (!s->kernel->req ||
	    xha_nl_config_get(s->kernel->req, &kc, &ks) < 0)
		return;
	log_msg(lvl,
		"stats: kernel: %" PRIu32 " SAs tracked (%" PRIu32
		" bytes each), swept %" PRIu64 ", writes %" PRIu64
		" (refused %" PRIu64 "), oseq clamped %" PRIu64
		", soft expires %" PRIu64 ", send errors %" PRIu64,
		ks.sas, ks.entry_bytes, ks.swept, ks.writes, ks.writes_refused,
		ks.oseq_clamped, ks.soft_expires, ks.send_errors);
}

void sync_log_stats(const struct sync *s, enum log_level lvl)
{
	const struct peer_stats *ps = &s->peer->st;
	const struct sync_stats *st = &s->st;
	char rej[512] = "";
	size_t off = 0;
	int i;

	for (i = 1; i < PROTO_ERR_MAX; i++) {
		if (!ps->rx_rejected[i] || off >= sizeof(rej))
			continue;
		off += snprintf(rej + off, sizeof(rej) - off, " %s=%" PRIu64,
				proto_err_name(i), ps->rx_rejected[i]);
	}
	log_msg(lvl,
		"stats: link %s, rx %" PRIu64 " tx %" PRIu64 " tx-failed %" PRIu64
		" retransmits %" PRIu64 " nacks %" PRIu64 "/%" PRIu64
		" lost %" PRIu64 " resyncs %" PRIu64 " peer-boots %" PRIu64
		" outages %" PRIu64 "; rejected:%s",
		peer_is_up(s->peer) ? "up" : "down", ps->rx_packets,
		ps->tx_packets, ps->tx_failed, ps->retransmits, ps->nacks_sent,
		ps->nacks_received, ps->rx_lost, ps->resyncs, ps->peer_boots,
		ps->outages, off ? rej : " none");
	if (s->role == ROLE_ACTIVE)
		log_msg(lvl,
			"stats: notifications %" PRIu64 " (%" PRIu64
			" records), sent %" PRIu64 " records in %" PRIu64
			" packets, not sent (link down) %" PRIu64
			", HA link's own SAs %" PRIu64
			", unsendable %" PRIu64 ", bulks %" PRIu64
			", enobufs %" PRIu64 ", kernel errors %" PRIu64,
			st->notify_msgs, st->notify_records, st->records_sent,
			st->seqnum_sent, st->records_link_down,
			st->records_link_sa, st->records_unsendable,
			st->bulks_sent, st->enobufs,
			st->kernel_errors);
	else
		log_msg(lvl,
			"stats: records received %" PRIu64 ", applied %" PRIu64
			", superseded %" PRIu64 ", pending %zu (total %" PRIu64
			"), refused %" PRIu64 ", expired %" PRIu64
			", overflow %" PRIu64 ", erange retries %" PRIu64
			", bulks %" PRIu64 "/%" PRIu64,
			st->records_received, st->records_applied,
			st->records_superseded,
			s->pending ? pending_count(s->pending) : 0,
			st->records_pending, st->records_refused,
			st->records_expired, st->records_overflow,
			st->erange_retries, ps->bulks_completed,
			ps->bulks_requested);
	log_kernel_stats(s, lvl);
	if (s->shift) {
		const struct shift_stats *ss = shift_get_stats(s->shift);

		log_msg(lvl,
			"stats: adaptive shift: %zu SAs tracked, %" PRIu64
			" beyond oseq-shift, re-raises %" PRIu64
			" (refused %" PRIu64 "), at takeover %" PRIu64
			", table full %" PRIu64 ", forgotten %" PRIu64,
			shift_count(s->shift), ss->over, ss->raises,
			st->shift_refused, ss->takeover_raises, ss->full,
			ss->expired);
	}
}

void sync_status(const struct sync *s, char *buf, size_t len)
{
	const char *link = peer_is_up(s->peer) ? "link up" : "link down";
	char over[64] = "";

	if (s->peer->split_brain)
		link = "SPLIT BRAIN (peer active too)";
	if (s->shift)
		snprintf(over, sizeof(over), ", %" PRIu64 " SAs beyond oseq-shift",
			 shift_get_stats(s->shift)->over);
	if (s->role == ROLE_ACTIVE)
		snprintf(buf, len, "active%s, %s; %" PRIu64 " records sent%s",
			     s->kernel->ntf ? "" : " (NOT PUBLISHING)", link,
			     s->st.records_sent, over);
	else
		snprintf(buf, len,
			     "backup, %s, %s; %" PRIu64 " records applied, %zu pending%s",
			     link, peer_synced(s->peer) ? "synced" : "not synced",
			     s->st.records_applied,
			     s->pending ? pending_count(s->pending) : 0, over);
}
