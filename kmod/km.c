// SPDX-License-Identifier: GPL-2.0
/*
 * The xfrm key-manager hook: SA lifecycle events kick the owning
 * namespace's scan, so that new SAs are picked up and the entries of
 * deleted ones swept, whether or not anyone listens (xha_kick_event() keeps
 * a burst of events from running passes back to back). It runs in atomic
 * context, for every namespace, and does nothing else.
 */

#include <net/xfrm.h>

#include "xfrm_ha.h"

static int xha_km_notify(struct xfrm_state *x, const struct km_event *c)
{
	struct xha_net *xn;
	struct net *net;
	bool gone = true;

	switch (c->event) {
	case XFRM_MSG_NEWSA:
		gone = false;
		fallthrough;
	case XFRM_MSG_UPDSA:
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
	xha_kick_event(xn, gone);
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

void xha_km_init(void)
{
	xfrm_register_km(&xha_km);
}

void xha_km_exit(void)
{
	/* Waits for an RCU grace period: no notify runs after this. */
	xfrm_unregister_km(&xha_km);
}
