// SPDX-License-Identifier: GPL-2.0
/*
 * Change detection. While someone listens in the namespace, every VALID
 * ESP/AH SA has an entry that holds a reference on it, in a dense vector:
 *
 *  - A look at an SA reads one word without a lock: x->curlft.packets,
 *    which the datapath bumps in the same x->lock section as the replay
 *    counters (xfrm_input(), xfrm_output_one()). Unchanged since the last
 *    record: nothing to do. Moved by sync_packets, or moved at all and
 *    sync_time_ms elapsed: the counters and window are read under x->lock
 *    and published.
 *  - Entries that moved recently are "hot" and looked at every pass (every
 *    scan_interval_ms); the others are looked at a slice per pass, each
 *    once per idle_interval_ms. An idle SA costs one look per idle
 *    interval, a busy one a look per pass plus the records it is due.
 *  - New SAs come from the km hook (a queue of referenced states, drained
 *    here); dead ones are pruned when the hook or a device going away says
 *    so. Both are published as lifecycle records. A reconcile walk, when
 *    the namespace is armed, when the queue overflowed and every
 *    XHA_RECONCILE_PERIOD, adds what the events missed.
 *
 * While nobody listens, no entry exists and no reference is held: the work
 * frees everything and sleeps until a request arms the namespace.
 *
 * Everything here runs in process context under xn->lock.
 */

#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <net/xfrm.h>

#include "xfrm_ha.h"

struct xha_entry {
	struct rhash_head node;
	struct xfrm_state *x;	/* the key; holds a reference */
	u64 seen;		/* x->curlft.packets at the last look */
	u64 pub;		/* x->curlft.packets at the last record or write */
	u64 oseq;		/* last published or written */
	u64 seq;
	unsigned long stamp;	/* jiffies of that */
	unsigned long moved;	/* jiffies seen last changed */
	u32 idx;		/* position in xn->vec */
};

static struct kmem_cache *xha_entry_cache __read_mostly;

static const struct rhashtable_params xha_entry_params = {
	.key_len = sizeof(struct xfrm_state *),
	.key_offset = offsetof(struct xha_entry, x),
	.head_offset = offsetof(struct xha_entry, node),
	.automatic_shrinking = true,
};

/* One multicast message being filled, and what one run counted. */
struct xha_batch {
	struct sk_buff *skb;
	void *hdr;
	unsigned long now;
	u64 checks;
	u64 reads;
};

int __init xha_track_cache_init(void)
{
	/* Charged to the memcg of whoever armed the namespace. */
	xha_entry_cache = KMEM_CACHE(xha_entry, SLAB_ACCOUNT);
	return xha_entry_cache ? 0 : -ENOMEM;
}

/* After every namespace is gone: kmem_cache_destroy() reports leaks. */
void xha_track_cache_exit(void)
{
	kmem_cache_destroy(xha_entry_cache);
}

/* Memory one tracked SA costs: its entry and its vector slot. */
u32 xha_track_entry_bytes(void)
{
	return kmem_cache_size(xha_entry_cache) + sizeof(struct xha_entry *);
}

int xha_track_init(struct xha_net *xn)
{
	return rhashtable_init(&xn->table, &xha_entry_params);
}

static void xha_vec_set(struct xha_net *xn, u32 i, struct xha_entry *e)
{
	xn->vec[i] = e;
	e->idx = i;
}

static int xha_vec_grow(struct xha_net *xn)
{
	u32 cap = max_t(u32, 64, xn->cap * 2);
	struct xha_entry **v;

	v = kvmalloc_array(cap, sizeof(*v),
			   GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN);
	if (!v)
		return -ENOMEM;
	if (xn->n_entries)
		memcpy(v, xn->vec, xn->n_entries * sizeof(*v));
	kvfree(xn->vec);
	xn->vec = v;
	xn->cap = cap;
	return 0;
}

/* Move a cold entry to the end of the hot part. */
static void xha_promote(struct xha_net *xn, struct xha_entry *e)
{
	u32 i = e->idx;

	xha_vec_set(xn, i, xn->vec[xn->n_hot]);
	xha_vec_set(xn, xn->n_hot, e);
	WRITE_ONCE(xn->n_hot, xn->n_hot + 1);
}

/* Move a hot entry to the start of the cold part. */
static void xha_demote(struct xha_net *xn, struct xha_entry *e)
{
	u32 last = xn->n_hot - 1;

	xha_vec_set(xn, e->idx, xn->vec[last]);
	xha_vec_set(xn, last, e);
	WRITE_ONCE(xn->n_hot, last);
}

static struct xha_entry *xha_entry_find(struct xha_net *xn,
					struct xfrm_state *x)
{
	return rhashtable_lookup_fast(&xn->table, &x, xha_entry_params);
}

/* A new entry for x, taking over the caller's reference on success. */
static struct xha_entry *xha_entry_new(struct xha_net *xn,
				       struct xfrm_state *x, bool hot)
{
	struct xha_entry *e;

	if (xn->n_entries == xn->cap && xha_vec_grow(xn))
		return NULL;
	/* Over the memcg's limit: fail (a reconcile retries), do not OOM. */
	e = kmem_cache_zalloc(xha_entry_cache,
			      GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN);
	if (!e)
		return NULL;
	e->x = x;
	e->stamp = jiffies;
	e->moved = e->stamp;
	if (rhashtable_insert_fast(&xn->table, &e->node, xha_entry_params)) {
		kmem_cache_free(xha_entry_cache, e);
		return NULL;
	}
	xha_vec_set(xn, xn->n_entries, e);
	WRITE_ONCE(xn->n_entries, xn->n_entries + 1);
	if (hot)
		xha_promote(xn, e);
	return e;
}

/* Drop e and its reference. */
static void xha_entry_free(struct xha_net *xn, struct xha_entry *e)
{
	u32 last = xn->n_entries - 1;

	if (e->idx < xn->n_hot) {
		xha_demote(xn, e);
		/* Now at n_hot, the first cold slot. */
	}
	xha_vec_set(xn, e->idx, xn->vec[last]);
	xn->vec[last] = NULL;
	WRITE_ONCE(xn->n_entries, last);
	rhashtable_remove_fast(&xn->table, &e->node, xha_entry_params);
	xfrm_state_put(e->x);
	kmem_cache_free(xha_entry_cache, e);
}

static void xha_walk_stop(struct xha_net *xn)
{
	xha_chunk_release(&xn->chunk);
	if (xn->walking)
		xfrm_state_walk_done(&xn->walk, xn->net);
	xn->walking = false;
}

/* Have the next run start a reconcile walk. */
static void xha_want_reconcile(struct xha_net *xn)
{
	unsigned long flags;

	spin_lock_irqsave(&xn->kick_lock, flags);
	xn->reconcile = true;
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

/* Take the queued events off the queue; the caller drops the references. */
static u32 xha_evq_take(struct xha_net *xn, struct xha_ev *evs)
{
	unsigned long flags;
	u32 n;

	spin_lock_irqsave(&xn->kick_lock, flags);
	n = xn->evq_len;
	memcpy(evs, xn->evq, n * sizeof(*evs));
	xn->evq_len = 0;
	spin_unlock_irqrestore(&xn->kick_lock, flags);
	return n;
}

static void xha_evs_put(struct xha_ev *evs, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		xfrm_state_put(evs[i].x);
}

/*
 * Nobody listens (or the namespace goes away): drop every entry and
 * reference, queued or tracked. Caller holds xn->lock.
 */
void xha_track_clear(struct xha_net *xn)
{
	struct xha_ev *evs;
	unsigned long flags;
	u32 n;

	spin_lock_irqsave(&xn->kick_lock, flags);
	n = xn->evq_len;
	/* Whoever listens next gets every SA tracked at once. */
	xn->reconcile = true;
	spin_unlock_irqrestore(&xn->kick_lock, flags);
	if (!n && !xn->n_entries && !xn->walking && !xn->vec)
		return;

	xha_walk_stop(xn);
	while (xn->n_entries)
		xha_entry_free(xn, xn->vec[xn->n_entries - 1]);
	kvfree(xn->vec);
	xn->vec = NULL;
	xn->cap = 0;
	xn->cold_cursor = 0;

	evs = kmalloc_array(XHA_EVQ_LEN, sizeof(*evs), GFP_KERNEL);
	if (evs) {
		n = xha_evq_take(xn, evs);
		xha_evs_put(evs, n);
		kfree(evs);
		return;
	}
	/* No memory for a copy: drop them one at a time, under the lock. */
	for (;;) {
		struct xfrm_state *x = NULL;
		unsigned long flags;

		spin_lock_irqsave(&xn->kick_lock, flags);
		if (xn->evq_len)
			x = xn->evq[--xn->evq_len].x;
		spin_unlock_irqrestore(&xn->kick_lock, flags);
		if (!x)
			break;
		xfrm_state_put(x);
	}
}

/* Called once the scan work can no longer run. */
void xha_track_destroy(struct xha_net *xn)
{
	mutex_lock(&xn->lock);
	xha_track_clear(xn);
	mutex_unlock(&xn->lock);
	rhashtable_destroy(&xn->table);
}

static void xha_batch_send(struct xha_net *xn, struct xha_batch *b)
{
	if (!b->skb)
		return;
	if (xha_genl_notify_send(xn, b->skb, b->hdr))
		atomic64_inc(&xn->stats.send_errors);
	else
		atomic64_inc(&xn->stats.batches);
	b->skb = NULL;
}

/* Append one record, starting a new message when the current one is full. */
static int xha_batch_add(struct xha_net *xn, struct xha_batch *b,
			 const struct xha_snap *s)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (!b->skb) {
			b->skb = xha_genl_notify_new(&b->hdr);
			if (!b->skb) {
				atomic64_inc(&xn->stats.send_errors);
				return -ENOMEM;
			}
		}
		if (!xha_genl_put_sa(b->skb, s)) {
			atomic64_inc(&xn->stats.records);
			if (s->event != XFRM_HA_EVENT_UPDATE)
				atomic64_inc(&xn->stats.lifecycle);
			return 0;
		}
		xha_batch_send(xn, b);
	}
	return -EMSGSIZE;
}

/*
 * Publish s, read from e's SA, as event. An update is only published if a
 * counter changed since the last record; a lifecycle record always is. The
 * baseline moves only once the record is in a message.
 */
static void xha_publish_snap(struct xha_net *xn, struct xha_entry *e,
			     struct xha_batch *b, struct xha_snap *s, u8 event)
{
	if (event == XFRM_HA_EVENT_UPDATE &&
	    s->oseq == e->oseq && s->seq == e->seq) {
		/* Only the lifetime moved (a write, an aevent): nothing new. */
		e->pub = s->packets;
		return;
	}
	s->event = event;
	if (xha_batch_add(xn, b, s))
		return;		/* retried at the next pass */
	e->pub = s->packets;
	e->oseq = s->oseq;
	e->seq = s->seq;
	e->stamp = b->now;
}

/* Read e's SA under its lock and publish it as event. */
static void xha_publish(struct xha_net *xn, struct xha_entry *e,
			struct xha_batch *b, u8 event)
{
	struct xha_snap s;

	b->reads++;
	if (event == XFRM_HA_EVENT_DELETED)
		xha_snap_read_any(e->x, &s);
	else if (xha_snap_read(e->x, &s, true))
		return;		/* dying: the prune publishes it */
	xha_publish_snap(xn, e, b, &s, event);
}

/*
 * Has e's SA changed in a way its packet counter does not show (counters
 * set at creation, by XFRM_MSG_NEWAE or by another writer)? Read the
 * counters alone and publish if they moved.
 */
static void xha_verify(struct xha_net *xn, struct xha_entry *e,
		       struct xha_batch *b)
{
	struct xha_snap s;

	b->reads++;
	if (xha_snap_read(e->x, &s, false))
		return;
	if (s.oseq == e->oseq && s.seq == e->seq)
		return;
	/* Again, with the window that goes with the counters. */
	b->reads++;
	if (!xha_snap_read(e->x, &s, true))
		xha_publish_snap(xn, e, b, &s, XFRM_HA_EVENT_UPDATE);
}

/*
 * Look at one entry without a lock; publish it if it is due. Hot entries
 * that stopped moving for the idle interval are demoted, cold ones that
 * moved promoted.
 */
static void xha_look(struct xha_net *xn, struct xha_entry *e,
		     struct xha_batch *b, u32 sp, unsigned long st,
		     unsigned long idle)
{
	/* A torn or stale read only costs a locked read, or one pass. */
	u64 p = READ_ONCE(e->x->curlft.packets);
	bool hot = e->idx < xn->n_hot;

	b->checks++;
	if (p != e->seen) {
		e->seen = p;
		e->moved = b->now;
		if (!hot && idle)
			xha_promote(xn, e);
	} else if (hot && idle && time_after(b->now, e->moved + idle)) {
		xha_demote(xn, e);
	}
	if (p == e->pub)
		return;
	if ((sp && p - e->pub >= sp) ||
	    (st && time_after_eq(b->now, e->stamp + st)))
		xha_publish(xn, e, b, XFRM_HA_EVENT_UPDATE);
}

/* The SA an event names, if it is one to track, with a reference. */
static struct xfrm_state *xha_ev_state(struct xha_net *xn,
				       struct xfrm_state *x)
{
	struct xfrm_state *y;

	/*
	 * XFRM_MSG_UPDSA of a VALID SA copies into the SA it updates and
	 * kills the request's state, which is what the hook saw.
	 */
	if (READ_ONCE(x->km.state) != XFRM_STATE_VALID) {
		y = xfrm_state_lookup(xn->net, x->mark.v, &x->id.daddr,
				      x->id.spi, x->id.proto,
				      x->props.family);
		xfrm_state_put(x);
		x = y;
		if (!x)
			return NULL;
	}
	if ((x->id.proto != IPPROTO_ESP && x->id.proto != IPPROTO_AH) ||
	    READ_ONCE(x->km.state) != XFRM_STATE_VALID) {
		xfrm_state_put(x);
		return NULL;
	}
	return x;
}

/* New and updated SAs from the km hook: track and announce them. */
static void xha_drain_events(struct xha_net *xn, struct xha_batch *b)
{
	struct xha_entry *e;
	struct xha_ev *evs;
	u32 i, n;

	evs = kmalloc_array(XHA_EVQ_LEN, sizeof(*evs), GFP_KERNEL);
	if (!evs) {
		xha_want_reconcile(xn);	/* and drained at the next run */
		return;
	}
	n = xha_evq_take(xn, evs);
	for (i = 0; i < n; i++) {
		struct xfrm_state *x = xha_ev_state(xn, evs[i].x);
		u8 event = XFRM_HA_EVENT_ADDED;

		if (!x)
			continue;
		e = xha_entry_find(xn, x);
		if (e) {
			xfrm_state_put(x);
			if (evs[i].event != XFRM_HA_EVENT_REPLACED)
				continue;	/* a reconcile walk was first */
			event = XFRM_HA_EVENT_REPLACED;
			if (e->idx >= xn->n_hot)
				xha_promote(xn, e);
		} else {
			e = xha_entry_new(xn, x, true);
			if (!e) {
				xfrm_state_put(x);
				xha_want_reconcile(xn);
				continue;
			}
		}
		xha_publish(xn, e, b, event);
	}
	kfree(evs);
}

/* Entries of SAs that died: publish their final counters, drop them. */
static void xha_prune(struct xha_net *xn, struct xha_batch *b)
{
	u32 i = xn->n_entries;

	while (i--) {
		struct xha_entry *e = xn->vec[i];

		if (READ_ONCE(e->x->km.state) == XFRM_STATE_VALID)
			continue;
		xha_publish(xn, e, b, XFRM_HA_EVENT_DELETED);
		/* Swaps the last entry (already looked at) into i. */
		xha_entry_free(xn, e);
		atomic64_inc(&xn->stats.swept);
	}
}

/*
 * Go on with the reconcile walk for at most XHA_SCAN_BUDGET SAs: an idle
 * entry for every SA the events missed, and every SA's counters checked
 * against its last record, for changes that did not move its packet
 * counter. Returns true if the walk is unfinished.
 */
static bool xha_reconcile(struct xha_net *xn, struct xha_batch *b)
{
	struct xha_chunk *c = &xn->chunk;
	unsigned int seen = 0;
	bool more = true;

	if (!xn->walking) {
		xfrm_state_walk_init(&xn->walk, IPSEC_PROTO_ANY, NULL);
		xn->walking = true;
		xn->reconciled = jiffies;
	}
	while (seen < XHA_SCAN_BUDGET) {
		more = xha_chunk_fill(xn->net, &xn->walk, c);
		for (; c->next < c->n; c->next++) {
			struct xfrm_state *x = c->x[c->next];
			struct xha_entry *e = xha_entry_find(xn, x);

			if (!e) {
				xfrm_state_hold(x);
				e = xha_entry_new(xn, x, false);
				if (!e) {
					xfrm_state_put(x);
					continue;
				}
			}
			xha_verify(xn, e, b);
		}
		seen += c->n;
		xha_chunk_release(c);
		if (!more)
			break;
		cond_resched();
	}
	if (more)
		return true;
	xha_walk_stop(xn);
	atomic64_inc(&xn->stats.reconciles);
	return false;
}

/* The hot part, from the top down so that demotions need no care. */
static void xha_pass_hot(struct xha_net *xn, struct xha_batch *b, u32 sp,
			 unsigned long st, unsigned long idle)
{
	u32 i = xn->n_hot;

	while (i--) {
		xha_look(xn, xn->vec[i], b, sp, st, idle);
		if (!(i & 1023))
			cond_resched();
	}
}

/* A slice of the cold part: each entry once per idle interval. */
static void xha_pass_cold(struct xha_net *xn, struct xha_batch *b, u32 sp,
			  unsigned long st, unsigned long idle)
{
	unsigned long elapsed = b->now - xn->cold_last;
	u32 ncold = xn->n_entries - xn->n_hot, todo, i;

	if (!ncold || !elapsed)
		return;
	todo = elapsed >= idle ? ncold :
	       (u32)div_u64((u64)ncold * elapsed + idle - 1, idle);
	xn->cold_last = b->now;
	for (i = 0; i < todo && xn->n_entries > xn->n_hot; i++) {
		if (xn->cold_cursor < xn->n_hot ||
		    xn->cold_cursor >= xn->n_entries)
			xn->cold_cursor = xn->n_hot;
		/* A promotion swaps a not yet seen cold entry here: skip it. */
		xha_look(xn, xn->vec[xn->cold_cursor++], b, sp, st, idle);
		if (!(i & 1023))
			cond_resched();
	}
}

/*
 * One run of the scan work while someone listens: the queued events, a
 * prune if an SA died (at most one per XHA_PRUNE_GAP), a pass if one is
 * due, the reconcile walk if due. Returns the delay until the next run.
 */
unsigned long xha_track_run(struct xha_net *xn)
{
	u32 sp = READ_ONCE(xn->sync_packets);
	unsigned long st = msecs_to_jiffies(READ_ONCE(xn->sync_time_ms));
	unsigned long idle = msecs_to_jiffies(READ_ONCE(xn->idle_interval_ms));
	unsigned long ival = msecs_to_jiffies(READ_ONCE(xn->scan_interval_ms));
	struct xha_batch b = { .now = jiffies };
	unsigned long flags, next;
	struct mem_cgroup *old;
	bool gone, more = false, recon;

	spin_lock_irqsave(&xn->kick_lock, flags);
	gone = xn->gone;
	recon = xn->evq_lost || xn->reconcile;
	xn->gone = false;
	xn->evq_lost = false;
	xn->reconcile = false;
	spin_unlock_irqrestore(&xn->kick_lock, flags);

	old = set_active_memcg(xn->memcg);
	xha_drain_events(xn, &b);
	if (gone && time_after_eq(b.now, xn->pruned + XHA_PRUNE_GAP)) {
		xha_prune(xn, &b);
		xn->pruned = b.now;
		gone = false;
	}
	if (time_after_eq(b.now, xn->pass_last + ival)) {
		xn->pass_last = b.now;
		if (!idle) {
			/* No idle tier: everything is looked at every pass. */
			while (xn->n_hot < xn->n_entries)
				xha_promote(xn, xn->vec[xn->n_hot]);
			xn->cold_last = b.now;
		}
		if (sp || st) {
			xha_pass_hot(xn, &b, sp, st, idle);
			if (idle)
				xha_pass_cold(xn, &b, sp, st, idle);
			atomic64_inc(&xn->stats.scans);
		}
	}
	/* SAs added behind a walk's marker wait for the next walk. */
	if (recon && xn->walking)
		xn->rewalk = true;
	if (recon || xn->walking || xn->rewalk ||
	    time_after_eq(b.now, xn->reconciled + XHA_RECONCILE_PERIOD)) {
		if (!xn->walking)
			xn->rewalk = false;
		more = xha_reconcile(xn, &b);
		/* A safety net for deaths no event reported. */
		if (!more) {
			xha_prune(xn, &b);
			xn->pruned = b.now;
			gone = false;
		}
	}
	set_active_memcg(old);
	xha_batch_send(xn, &b);
	if (time_after_eq(jiffies, xn->sent_last + XHA_PROBE_PERIOD))
		xha_genl_probe(xn);
	atomic64_add(b.checks, &xn->stats.checks);
	atomic64_add(b.reads, &xn->stats.reads);

	if (gone) {
		spin_lock_irqsave(&xn->kick_lock, flags);
		xn->gone = true;
		spin_unlock_irqrestore(&xn->kick_lock, flags);
	}
	if (more)
		return 0;
	next = xn->pass_last + ival;
	if (gone && time_before(xn->pruned + XHA_PRUNE_GAP, next))
		next = xn->pruned + XHA_PRUNE_GAP;
	b.now = jiffies;
	return time_after(next, b.now) ? next - b.now : 0;
}

/*
 * A write through XFRM_HA_CMD_SA_SET sets the baseline: no echo. While
 * someone listens, an SA not tracked yet gets its entry here.
 */
void xha_track_written(struct xha_net *xn, struct xfrm_state *x,
		       const struct xha_snap *snap)
{
	struct xha_entry *e;

	mutex_lock(&xn->lock);
	e = xha_entry_find(xn, x);
	if (!e && xha_genl_listening(xn)) {
		xfrm_state_hold(x);
		e = xha_entry_new(xn, x, false);
		if (!e)
			xfrm_state_put(x);
	}
	if (e) {
		e->oseq = snap->oseq;
		e->seq = snap->seq;
		e->pub = snap->packets;
		e->stamp = jiffies;
	}
	mutex_unlock(&xn->lock);
}
