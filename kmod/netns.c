// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: configuration, statistics and the scan work.
 */

#include <linux/jiffies.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <uapi/linux/xfrm_ha.h>

#include "xfrm_ha.h"

static unsigned int xha_net_id __read_mostly;

/* Every live xha_net, so that module unload can stop their scans early. */
static LIST_HEAD(xha_nets);
static DEFINE_MUTEX(xha_nets_lock);

struct xha_net *xha_net(const struct net *net)
{
	return net_generic(net, xha_net_id);
}

/*
 * While nobody listens, entries of SAs that are gone are still swept: at
 * once after an SA event, and at least this often.
 */
#define XHA_GC_PERIOD	(60 * HZ)

/*
 * Passes that SA events bring forward begin at least this far apart (or
 * the scan interval, if shorter).
 */
#define XHA_EVENT_GAP_MS	1000

/* Caller holds kick_lock. */
static void xha_queue_locked(struct xha_net *xn, unsigned long delay,
			     bool move)
{
	if (xn->dying)
		return;
	if (move)
		mod_delayed_work(system_power_efficient_wq, &xn->scan_work,
				 delay);
	else if (!queue_delayed_work(system_power_efficient_wq,
				     &xn->scan_work, delay))
		return;
	xn->queued_at = jiffies + delay;
}

/* Queue (or pull forward) the scan, unless the namespace is going away. */
void xha_kick(struct xha_net *xn, unsigned long delay)
{
	unsigned long flags;

	spin_lock_irqsave(&xn->kick_lock, flags);
	xha_queue_locked(xn, delay, true);
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

/*
 * An SA was added, changed or (gone) went away: the next pass picks it up
 * or sweeps its entry. Events never start passes closer together than the
 * scan interval or XHA_EVENT_GAP_MS, whichever is shorter: a burst of 10k
 * rekeys brings the next pass forward to that gap after the last one began,
 * it does not run one per event (nor one after each pass that the events
 * overlapped). Atomic context.
 */
void xha_kick_event(struct xha_net *xn, bool gone)
{
	unsigned long flags, now = jiffies, at;
	u32 gap = min_t(u32, READ_ONCE(xn->scan_interval_ms),
			XHA_EVENT_GAP_MS);

	if (gone)
		WRITE_ONCE(xn->gc_due, true);
	at = READ_ONCE(xn->pass_started) + msecs_to_jiffies(gap);
	if (time_before(at, now))
		at = now;
	spin_lock_irqsave(&xn->kick_lock, flags);
	if (!delayed_work_pending(&xn->scan_work) ||
	    time_before(at, xn->queued_at))
		xha_queue_locked(xn, at - now, true);
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

/*
 * A request was made in this netns: scan it while the group has listeners.
 * An idle scan work is queued at once, and so is one that only waits for
 * the periodic sweep; one due within the scan interval keeps its time (the
 * agent's writes are requests too: they must not pull passes forward).
 */
void xha_arm(struct xha_net *xn)
{
	unsigned long flags, soon;

	WRITE_ONCE(xn->armed, true);
	soon = jiffies + msecs_to_jiffies(READ_ONCE(xn->scan_interval_ms));
	spin_lock_irqsave(&xn->kick_lock, flags);
	if (xn->running)
		xn->rearm = true;	/* the run's tail decides */
	else if (!delayed_work_pending(&xn->scan_work) ||
		 time_after(xn->queued_at, soon))
		xha_queue_locked(xn, 0, true);
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

/* Nobody listens: is a sweep-only pass worth running? Under xn->lock. */
static bool xha_gc_wanted(struct xha_net *xn)
{
	if (xn->walking)
		return true;
	if (!xn->n_entries)
		return false;
	return READ_ONCE(xn->gc_due) ||
	       time_after_eq(jiffies, xn->pass_started + XHA_GC_PERIOD);
}

static void xha_scan_work(struct work_struct *work)
{
	struct xha_net *xn = container_of(to_delayed_work(work),
					  struct xha_net, scan_work);
	bool listening, again = false, entries;
	unsigned long flags, delay;

	spin_lock_irqsave(&xn->kick_lock, flags);
	xn->running = true;
	xn->rearm = false;
	spin_unlock_irqrestore(&xn->kick_lock, flags);

	mutex_lock(&xn->lock);
	listening = xha_genl_listening(xn);
	if (listening)
		again = xha_track_scan(xn, true);
	else if (xha_gc_wanted(xn))
		again = xha_track_scan(xn, false);
	entries = xn->n_entries;
	mutex_unlock(&xn->lock);

	/*
	 * An unfinished pass goes on at once, and so does one that a request
	 * armed while this run found nobody listening. Listening: the next
	 * pass after the interval. Nobody listening: sleep until a request
	 * (xha_arm()), an SA event or a config change kicks us, or, while
	 * entries exist, until the next periodic sweep.
	 */
	spin_lock_irqsave(&xn->kick_lock, flags);
	xn->running = false;
	if (xn->rearm && !listening)
		again = true;
	xn->rearm = false;
	if (again)
		delay = 0;
	else if (listening)
		delay = msecs_to_jiffies(READ_ONCE(xn->scan_interval_ms));
	else if (entries)
		delay = XHA_GC_PERIOD;
	else
		goto out;
	xha_queue_locked(xn, delay, again);
out:
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

static void xha_net_stop(struct xha_net *xn)
{
	spin_lock_bh(&xn->kick_lock);
	xn->dying = true;
	spin_unlock_bh(&xn->kick_lock);
	cancel_delayed_work_sync(&xn->scan_work);
}

static int __net_init xha_net_init(struct net *net)
{
	struct xha_net *xn = xha_net(net);
	int err;

	xn->net = net;
	xn->sync_packets = XFRM_HA_SYNC_PACKETS_DEFAULT;
	xn->sync_time_ms = XFRM_HA_SYNC_TIME_MS_DEFAULT;
	xn->scan_interval_ms = XFRM_HA_SCAN_INTERVAL_MS_DEFAULT;
	xn->oseq_wrap_margin = XFRM_HA_OSEQ_WRAP_MARGIN_DEFAULT;
	xn->pass_started = jiffies;
	mutex_init(&xn->lock);
	spin_lock_init(&xn->kick_lock);
	INIT_DELAYED_WORK(&xn->scan_work, xha_scan_work);

	err = xha_track_init(xn);
	if (err)
		return err;

	mutex_lock(&xha_nets_lock);
	list_add(&xn->node, &xha_nets);
	mutex_unlock(&xha_nets_lock);

	xha_kick(xn, msecs_to_jiffies(xn->scan_interval_ms));
	return 0;
}

static void __net_exit xha_net_exit(struct net *net)
{
	struct xha_net *xn = xha_net(net);

	mutex_lock(&xha_nets_lock);
	list_del(&xn->node);
	mutex_unlock(&xha_nets_lock);

	xha_net_stop(xn);
	xha_track_destroy(xn);
}

static struct pernet_operations xha_net_ops = {
	.init = xha_net_init,
	.exit = xha_net_exit,
	.id = &xha_net_id,
	.size = sizeof(struct xha_net),
};

/* Module unload: no scan may run once the netlink family is gone. */
void xha_netns_stop_all(void)
{
	struct xha_net *xn;

	mutex_lock(&xha_nets_lock);
	list_for_each_entry(xn, &xha_nets, node)
		xha_net_stop(xn);
	mutex_unlock(&xha_nets_lock);
}

int xha_netns_init(void)
{
	return register_pernet_subsys(&xha_net_ops);
}

void xha_netns_exit(void)
{
	unregister_pernet_subsys(&xha_net_ops);
}
