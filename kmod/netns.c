// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: configuration, statistics and the scan work,
 * which runs on xfrm_ha's own unbound workqueue.
 */

#include <linux/jiffies.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <uapi/linux/xfrm_ha.h>

#include "xfrm_ha.h"

static unsigned int xha_net_id __read_mostly;
struct workqueue_struct *xha_wq __read_mostly;

/* Every live xha_net, so that module unload can stop their scans early. */
static LIST_HEAD(xha_nets);
static DEFINE_MUTEX(xha_nets_lock);

struct xha_net *xha_net(const struct net *net)
{
	return net_generic(net, xha_net_id);
}

/*
 * Caller holds kick_lock. move: set the time even if a run is pending;
 * otherwise only pull a pending run forward, never push it back.
 */
static void xha_queue_locked(struct xha_net *xn, unsigned long delay,
			     bool move)
{
	unsigned long at = jiffies + delay;

	if (xn->dying)
		return;
	if (!move && delayed_work_pending(&xn->scan_work) &&
	    !time_before(at, xn->queued_at))
		return;
	mod_delayed_work(xha_wq, &xn->scan_work, delay);
	xn->queued_at = at;
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
 * An SA was added (event ADDED) or updated (REPLACED) while the namespace
 * is scanned: queue it, with a reference, for the work to track and
 * announce at its next run (at most a scan interval away), or right away
 * when the queue is half full. A full queue costs a reconcile walk instead.
 * Atomic context.
 */
void xha_kick_event(struct xha_net *xn, struct xfrm_state *x, u8 event)
{
	unsigned long flags;

	spin_lock_irqsave(&xn->kick_lock, flags);
	if (xn->dying) {
		spin_unlock_irqrestore(&xn->kick_lock, flags);
		return;
	}
	if (xn->evq_len < XHA_EVQ_LEN) {
		xfrm_state_hold(x);
		xn->evq[xn->evq_len].x = x;
		xn->evq[xn->evq_len].event = event;
		xn->evq_len++;
	} else {
		xn->evq_lost = true;
	}
	/*
	 * A run is due within the scan interval (a queued reference must
	 * never wait for a run nobody scheduled), at once when half full.
	 */
	xha_queue_locked(xn, xn->evq_len >= XHA_EVQ_LEN / 2 ? 0 :
			 msecs_to_jiffies(READ_ONCE(xn->scan_interval_ms)),
			 false);
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

/*
 * An SA went away (deleted, expired, flushed, its device unregistered):
 * prune within XHA_PRUNE_GAP, so that no reference outlives the SA for
 * long, and a burst of deletes costs a prune per gap. Atomic context.
 */
void xha_kick_gone(struct xha_net *xn)
{
	unsigned long flags;

	spin_lock_irqsave(&xn->kick_lock, flags);
	xn->gone = true;
	xha_queue_locked(xn, XHA_PRUNE_GAP, false);
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

/*
 * A request was made in this netns: scan it while the group has listeners.
 * Entries are charged to the memcg of the first process that armed it.
 * An idle scan work is queued at once; a pending one keeps its time (the
 * agent's writes are requests too: they must not pull passes forward).
 */
void xha_arm(struct xha_net *xn)
{
	unsigned long flags;

	if (!READ_ONCE(xn->memcg_taken)) {
		mutex_lock(&xn->lock);
		if (!xn->memcg_taken) {
			xn->memcg = get_mem_cgroup_from_mm(current->mm);
			WRITE_ONCE(xn->memcg_taken, true);
		}
		mutex_unlock(&xn->lock);
	}
	spin_lock_irqsave(&xn->kick_lock, flags);
	/* A disarm decided by a run that began before this loses. */
	xn->arm_seq++;
	if (!xn->armed) {
		WRITE_ONCE(xn->armed, true);
		xn->reconcile = true;
	}
	if (xn->running)
		xn->rearm = true;	/* the run's tail decides */
	else if (!delayed_work_pending(&xn->scan_work))
		xha_queue_locked(xn, 0, true);
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

/*
 * A notification reached nobody here: disarm, unless a request armed the
 * namespace again since this run began. Worker context.
 */
void xha_disarm(struct xha_net *xn)
{
	unsigned long flags;

	spin_lock_irqsave(&xn->kick_lock, flags);
	if (xn->arm_seq == xn->run_arm_seq)
		WRITE_ONCE(xn->armed, false);
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

static void xha_scan_work(struct work_struct *work)
{
	struct xha_net *xn = container_of(to_delayed_work(work),
					  struct xha_net, scan_work);
	unsigned long flags, delay = 0;
	bool listening, again = false;

	spin_lock_irqsave(&xn->kick_lock, flags);
	xn->running = true;
	xn->rearm = false;
	xn->run_arm_seq = xn->arm_seq;
	spin_unlock_irqrestore(&xn->kick_lock, flags);

	mutex_lock(&xn->lock);
	listening = xha_genl_listening(xn);
	if (listening)
		delay = xha_track_run(xn);
	else
		xha_track_clear(xn);
	mutex_unlock(&xn->lock);

	/*
	 * Listening: when the run says (the next pass, a prune, at once for
	 * an unfinished reconcile walk), or sooner if kicked meanwhile.
	 * Nobody listening: sleep until a request arms the namespace
	 * (xha_arm()), unless one did meanwhile.
	 */
	spin_lock_irqsave(&xn->kick_lock, flags);
	xn->running = false;
	if (xn->rearm && !listening)
		again = true;
	xn->rearm = false;
	if (again)
		xha_queue_locked(xn, 0, false);
	else if (listening)
		xha_queue_locked(xn, delay, false);
	spin_unlock_irqrestore(&xn->kick_lock, flags);
}

static void xha_net_stop(struct xha_net *xn)
{
	unsigned long flags;

	spin_lock_irqsave(&xn->kick_lock, flags);
	xn->dying = true;
	spin_unlock_irqrestore(&xn->kick_lock, flags);
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
	xn->idle_interval_ms = XFRM_HA_IDLE_INTERVAL_MS_DEFAULT;
	xn->oseq_wrap_margin = XFRM_HA_OSEQ_WRAP_MARGIN_DEFAULT;
	xn->reconciled = jiffies;
	xn->sent_last = jiffies;
	xn->cold_last = jiffies;
	xn->pass_last = jiffies;
	xn->pruned = jiffies;
	mutex_init(&xn->lock);
	spin_lock_init(&xn->kick_lock);
	INIT_DELAYED_WORK(&xn->scan_work, xha_scan_work);

	err = xha_track_init(xn);
	if (err)
		return err;

	mutex_lock(&xha_nets_lock);
	list_add(&xn->node, &xha_nets);
	mutex_unlock(&xha_nets_lock);
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
	mem_cgroup_put(xn->memcg);
	mutex_destroy(&xn->lock);
}

static struct pernet_operations xha_net_ops = {
	.init = xha_net_init,
	.exit = xha_net_exit,
	.id = &xha_net_id,
	.size = sizeof(struct xha_net),
};

/*
 * Module unload: no scan may run once the netlink family is gone, and no
 * reference on an SA may be held once the hook is.
 */
void xha_netns_stop_all(void)
{
	struct xha_net *xn;

	mutex_lock(&xha_nets_lock);
	list_for_each_entry(xn, &xha_nets, node) {
		xha_net_stop(xn);
		mutex_lock(&xn->lock);
		xha_track_clear(xn);
		mutex_unlock(&xn->lock);
	}
	mutex_unlock(&xha_nets_lock);
}

int xha_netns_init(void)
{
	int err;

	/* Unbound: a pass over 100k SAs must not pin one CPU's queue. */
	xha_wq = alloc_workqueue("xfrm_ha", WQ_UNBOUND, 0);
	if (!xha_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&xha_net_ops);
	if (err)
		destroy_workqueue(xha_wq);
	return err;
}

void xha_netns_exit(void)
{
	unregister_pernet_subsys(&xha_net_ops);
	destroy_workqueue(xha_wq);
}
