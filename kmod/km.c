// SPDX-License-Identifier: GPL-2.0
/*
 * The hooks that tell the scan about SA lifecycle, in atomic context, for
 * every namespace:
 *
 *  - the xfrm key-manager notify: a new or updated SA is queued, with a
 *    reference, for the owning namespace's work (only while it is scanned);
 *    a deleted, hard-expired or flushed one gets its entry pruned at once;
 *  - a netdevice notifier: a device going down or away takes its offloaded
 *    SAs with it without any km event (xfrm_dev_state_flush()), so prune
 *    then too, so as not to hold the device's SAs and so the device.
 *
 * Every SA event also bumps the namespace's generation, which dumps check
 * for consistency.
 */

#include <linux/netdevice.h>
#include <net/xfrm.h>

#include "xfrm_ha.h"

static int xha_km_notify(struct xfrm_state *x, const struct km_event *c)
{
	u8 event = XFRM_HA_EVENT_ADDED;
	struct xha_net *xn;
	struct net *net;

	switch (c->event) {
	case XFRM_MSG_UPDSA:
		event = XFRM_HA_EVENT_REPLACED;
		fallthrough;
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_DELSA:
	case XFRM_MSG_EXPIRE:
		if (!x)
			return 0;
		net = xs_net(x);
		break;
	case XFRM_MSG_FLUSHSA:
		/* A flush comes without a state; the event names the netns. */
		net = c->net;
		break;
	default:
		return 0;
	}
	if (!net)
		return 0;
	xn = xha_net(net);
	if (!xn)
		return 0;
	atomic64_inc(&xn->stats.events);
	atomic_inc(&xn->gen);

	switch (c->event) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		if (xha_genl_listening(xn))
			xha_kick_event(xn, x, event);
		break;
	case XFRM_MSG_EXPIRE:
		if (!c->data.hard)
			break;	/* a soft expire changes nothing here */
		fallthrough;
	default:
		if (READ_ONCE(xn->n_entries) || READ_ONCE(xn->evq_len))
			xha_kick_gone(xn);
		break;
	}
	return 0;
}

/* xfrm calls these two without checking for NULL: decline politely. */
static int xha_km_acquire(struct xfrm_state *x, struct xfrm_tmpl *t,
			  struct xfrm_policy *xp)
{
	return -EOPNOTSUPP;
}

static struct xfrm_policy *xha_km_compile_policy(struct sock *sk, int opt,
						 u8 *data, int len, int *dir)
{
	*dir = -EOPNOTSUPP;
	return NULL;
}

static struct xfrm_mgr xha_km = {
	.notify		= xha_km_notify,
	.acquire	= xha_km_acquire,
	.compile_policy	= xha_km_compile_policy,
};

/*
 * xfrm's own notifier flushes the device's SAs on the same events, maybe
 * after this one: the prune comes a little later (XHA_PRUNE_GAP). An
 * unregistering device that still has references gets NETDEV_UNREGISTER
 * again, every second.
 */
static int xha_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct xha_net *xn;

	if (event != NETDEV_DOWN && event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	xn = xha_net(dev_net(dev));
	if (xn && (READ_ONCE(xn->n_entries) || READ_ONCE(xn->evq_len)))
		xha_kick_gone(xn);
	return NOTIFY_DONE;
}

static struct notifier_block xha_netdev_nb = {
	.notifier_call = xha_netdev_event,
};

int xha_km_init(void)
{
	int err;

	err = register_netdevice_notifier(&xha_netdev_nb);
	if (err)
		return err;
	xfrm_register_km(&xha_km);
	return 0;
}

void xha_km_exit(void)
{
	/* Waits for an RCU grace period: no notify runs after this. */
	xfrm_unregister_km(&xha_km);
	unregister_netdevice_notifier(&xha_netdev_nb);
}
