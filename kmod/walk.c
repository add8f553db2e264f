// SPDX-License-Identifier: GPL-2.0
/*
 * Take SAs out of a resumable xfrm_state_walk() in chunks.
 *
 * The walk holds net->xfrm.xfrm_state_lock, which nests inside x->lock
 * elsewhere, so the callback takes no lock: it only holds a reference on
 * each ESP/AH SA. The caller reads the counters under x->lock afterwards.
 */

#include <net/xfrm.h>

#include "xfrm_ha.h"

static int xha_chunk_take(struct xfrm_state *x, int count, void *data)
{
	struct xha_chunk *c = data;

	if (x->id.proto != IPPROTO_ESP && x->id.proto != IPPROTO_AH)
		return 0;
	if (x->km.state != XFRM_STATE_VALID)
		return 0;
	/* Non-zero stops the walk before x: the next call starts at x. */
	if (c->n == (c->max ?: ARRAY_SIZE(c->x)))
		return -ENOBUFS;
	xfrm_state_hold(x);
	c->x[c->n++] = x;
	return 0;
}

/* Drop the references still held, consumed or not. */
void xha_chunk_release(struct xha_chunk *c)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		xfrm_state_put(c->x[i]);
	c->n = 0;
	c->next = 0;
}

/*
 * Refill an empty chunk from the walk. Returns true while the walk has more
 * to give, false once it reached the end of the SA list.
 */
bool xha_chunk_fill(struct net *net, struct xfrm_state_walk *walk,
		    struct xha_chunk *c)
{
	return xfrm_state_walk(net, walk, xha_chunk_take, c) == -ENOBUFS;
}
