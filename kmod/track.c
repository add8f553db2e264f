// SPDX-License-Identifier: GPL-2.0
/*
 * Change detection: a periodic, resumable scan of the namespace's SAs.
 *
 * Each SA has an entry with the counters last published for it. A pass
 * walks every SA in chunks, compares, and publishes the SAs that are due
 * (moved by sync_packets, or sync_time_ms elapsed and something changed)
 * in as few multicast messages as possible. Entries not seen during a
 * complete pass belong to SAs that are gone and are swept.
 *
 * While nobody listens, entries still exist for the SAs that were written
 * (XFRM_HA_CMD_SA_SET sets the baseline): a pass that only marks and sweeps
 * (no counters read, nothing published, no entry created) frees those of
 * SAs that are gone. netns.c decides when a pass runs.
 *
 * Why a scan and not the alternatives: XFRM_MSG_NEWAE is only generated
 * while some socket listens to XFRMNLGRP_AEVENTS, and then costs a
 * GFP_ATOMIC netlink message per event on the packet path; netfilter hooks
 * would cost every packet. The scan adds nothing to the packet path and
 * costs nothing while nobody listens to the group. docs/design.md has the
 * measurements.
 *
 * Everything here runs in process context under xn->lock.
 */

#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/xfrm.h>

#include "xfrm_ha.h"

struct xha_entry {
	struct rhash_head node;
	struct list_head list;
	struct xha_key key;
	u64 oseq;		/* last published or written */
	u64 seq;
	unsigned long stamp;	/* jiffies of that */
	u32 pass;		/* last pass that saw the SA */
};

static struct kmem_cache *xha_entry_cache __read_mostly;

static const struct rhashtable_params xha_entry_params = {
	.key_len = sizeof(struct xha_key),
	.key_offset = offsetof(struct xha_entry, key),
	.head_offset = offsetof(struct xha_entry, node),
	.automatic_shrinking = true,
};

/* One multicast message being filled. */
struct xha_batch {
	struct sk_buff *skb;
	void *hdr;
};

int __init xha_track_cache_init(void)
{
	xha_entry_cache = KMEM_CACHE(xha_entry, 0);
	return xha_entry_cache ? 0 : -ENOMEM;
}

/* After every namespace is gone: kmem_cache_destroy() reports leaks. */
void xha_track_cache_exit(void)
{
	kmem_cache_destroy(xha_entry_cache);
}

/* Memory one tracked SA costs, besides its share of the hash buckets. */
u32 xha_track_entry_bytes(void)
{
	return kmem_cache_size(xha_entry_cache);
}

int xha_track_init(struct xha_net *xn)
{
	INIT_LIST_HEAD(&xn->entries);
	return rhashtable_init(&xn->table, &xha_entry_params);
}

static void xha_entry_free(struct xha_net *xn, struct xha_entry *e)
{
	rhashtable_remove_fast(&xn->table, &e->node, xha_entry_params);
	list_del(&e->list);
	WRITE_ONCE(xn->n_entries, xn->n_entries - 1);
	kmem_cache_free(xha_entry_cache, e);
}

static void xha_pass_stop(struct xha_net *xn)
{
	xha_chunk_release(&xn->chunk);
	if (xn->walking)
		xfrm_state_walk_done(&xn->walk, xn->net);
	xn->walking = false;
}

/* Called once the scan work can no longer run. */
void xha_track_destroy(struct xha_net *xn)
{
	struct xha_entry *e, *tmp;

	mutex_lock(&xn->lock);
	xha_pass_stop(xn);
	list_for_each_entry_safe(e, tmp, &xn->entries, list)
		xha_entry_free(xn, e);
	mutex_unlock(&xn->lock);
	rhashtable_destroy(&xn->table);
}

static struct xha_entry *xha_entry_get(struct xha_net *xn,
				       const struct xha_key *key)
{
	struct xha_entry *e;

	e = rhashtable_lookup_fast(&xn->table, key, xha_entry_params);
	if (e)
		return e;

	e = kmem_cache_zalloc(xha_entry_cache, GFP_KERNEL);
	if (!e)
		return NULL;
	e->key = *key;
	e->stamp = jiffies;
	if (rhashtable_insert_fast(&xn->table, &e->node, xha_entry_params)) {
		kmem_cache_free(xha_entry_cache, e);
		return NULL;
	}
	list_add_tail(&e->list, &xn->entries);
	WRITE_ONCE(xn->n_entries, xn->n_entries + 1);
	return e;
}

static bool xha_due(const struct xha_net *xn, const struct xha_entry *e,
		    const struct xha_snap *s)
{
	u32 packets = READ_ONCE(xn->sync_packets);
	u32 ms = READ_ONCE(xn->sync_time_ms);

	if (s->oseq == e->oseq && s->seq == e->seq)
		return false;
	/* Lower than published: the SA was replaced under the same name. */
	if (s->oseq < e->oseq || s->seq < e->seq)
		return true;
	if (packets && (s->oseq - e->oseq >= packets ||
			s->seq - e->seq >= packets))
		return true;
	return ms && time_after_eq(jiffies, e->stamp + msecs_to_jiffies(ms));
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
			return 0;
		}
		xha_batch_send(xn, b);
	}
	return -EMSGSIZE;
}

/* A pass that only sweeps: mark the entry of a live SA, if it has one. */
static void xha_mark(struct xha_net *xn, struct xfrm_state *x)
{
	struct xha_entry *e;
	struct xha_key key;

	xha_key_from_state(x, &key);
	e = rhashtable_lookup_fast(&xn->table, &key, xha_entry_params);
	if (e)
		e->pass = xn->pass;
}

static void xha_check(struct xha_net *xn, struct xfrm_state *x,
		      struct xha_batch *b)
{
	struct xha_entry *e;
	struct xha_snap s;

	/* The counters first; the window only for an SA that is due. */
	if (xha_snap_read(x, &s, false))
		return;
	e = xha_entry_get(xn, &s.key);
	if (!e)
		return;		/* retried at the next pass */
	e->pass = xn->pass;
	if (!xha_due(xn, e, &s))
		return;
	if (xha_snap_read(x, &s, true))
		return;
	if (xha_batch_add(xn, b, &s))
		return;
	e->oseq = s.oseq;
	e->seq = s.seq;
	e->stamp = jiffies;
}

static void xha_sweep(struct xha_net *xn)
{
	struct xha_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &xn->entries, list) {
		if (e->pass == xn->pass)
			continue;
		xha_entry_free(xn, e);
		atomic64_inc(&xn->stats.swept);
	}
}

/*
 * Go on with the current pass for at most XHA_SCAN_BUDGET SAs, publishing
 * or (publish false) only sweeping. Returns true if the pass is unfinished
 * and should continue at once.
 */
bool xha_track_scan(struct xha_net *xn, bool publish)
{
	struct xha_chunk *c = &xn->chunk;
	struct xha_batch b = {};
	unsigned int seen = 0;
	bool more = true;

	if (publish && !READ_ONCE(xn->sync_packets) &&
	    !READ_ONCE(xn->sync_time_ms))
		publish = false;

	if (!xn->walking) {
		xfrm_state_walk_init(&xn->walk, IPSEC_PROTO_ANY, NULL);
		xn->walking = true;
		xn->pass++;
		WRITE_ONCE(xn->pass_started, jiffies);
		/* Events from here on need another pass to be swept. */
		WRITE_ONCE(xn->gc_due, false);
	}

	while (seen < XHA_SCAN_BUDGET) {
		more = xha_chunk_fill(xn->net, &xn->walk, c);
		for (; c->next < c->n; c->next++) {
			if (publish)
				xha_check(xn, c->x[c->next], &b);
			else
				xha_mark(xn, c->x[c->next]);
		}
		seen += c->n;
		xha_chunk_release(c);
		if (!more)
			break;
		cond_resched();
	}
	xha_batch_send(xn, &b);

	if (more)
		return true;

	xha_pass_stop(xn);
	xha_sweep(xn);
	atomic64_inc(&xn->stats.scans);
	return false;
}

/* A write through XFRM_HA_CMD_SA_SET sets the baseline: no echo. */
void xha_track_written(struct xha_net *xn, const struct xha_snap *snap)
{
	struct xha_entry *e;

	mutex_lock(&xn->lock);
	e = xha_entry_get(xn, &snap->key);
	if (e) {
		e->oseq = snap->oseq;
		e->seq = snap->seq;
		e->stamp = jiffies;
		e->pass = xn->pass;
	}
	mutex_unlock(&xn->lock);
}
