// SPDX-License-Identifier: GPL-2.0
/*
 * The xfrm_ha generic netlink family. uapi/linux/xfrm_ha.h is the contract.
 */

#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/xfrm.h>
#include <uapi/linux/xfrm_ha.h>

#include "xfrm_ha.h"

enum {
	XHA_MCGRP_SEQNUM,
};

static struct netlink_range_validation xha_sync_time_range = {
	.min = 0,
	.max = XFRM_HA_SYNC_TIME_MS_MAX,
};

static struct netlink_range_validation xha_scan_interval_range = {
	.min = XFRM_HA_SCAN_INTERVAL_MS_MIN,
	.max = XFRM_HA_SCAN_INTERVAL_MS_MAX,
};

static struct netlink_range_validation xha_idle_interval_range = {
	.min = 0,
	.max = XFRM_HA_IDLE_INTERVAL_MS_MAX,
};

static struct netlink_range_validation xha_wrap_margin_range = {
	.min = 0,
	.max = XFRM_HA_OSEQ_WRAP_MARGIN_MAX,
};

#define XHA_READ_ONLY { .type = NLA_REJECT, \
			.reject_message = "attribute is read-only" }

static const struct nla_policy xha_sa_policy[XFRM_HA_SA_A_MAX + 1] = {
	[XFRM_HA_SA_A_PAD]		= { .type = NLA_REJECT },
	[XFRM_HA_SA_A_FAMILY]		= { .type = NLA_U16 },
	[XFRM_HA_SA_A_DADDR]		= NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[XFRM_HA_SA_A_SPI]		= { .type = NLA_BE32 },
	[XFRM_HA_SA_A_PROTO]		= { .type = NLA_U8 },
	[XFRM_HA_SA_A_MARK]		= { .type = NLA_U32 },
	[XFRM_HA_SA_A_IF_ID]		= { .type = NLA_U32 },
	[XFRM_HA_SA_A_OSEQ]		= { .type = NLA_U64 },
	[XFRM_HA_SA_A_SEQ]		= { .type = NLA_U64 },
	[XFRM_HA_SA_A_SADDR]		= XHA_READ_ONLY,
	[XFRM_HA_SA_A_REPLAY_MODE]	= XHA_READ_ONLY,
	[XFRM_HA_SA_A_REPLAY_WINDOW]	= XHA_READ_ONLY,
	[XFRM_HA_SA_A_BYTES]		= { .type = NLA_U64 },
	[XFRM_HA_SA_A_PACKETS]		= { .type = NLA_U64 },
	[XFRM_HA_SA_A_BITMAP]		=
		NLA_POLICY_RANGE(NLA_BINARY, sizeof(u32),
				 XFRM_HA_BITMAP_MAX_BYTES),
	[XFRM_HA_SA_A_OSEQ_MIN]		= { .type = NLA_U64 },
	[XFRM_HA_SA_A_EVENT]		= XHA_READ_ONLY,
};

static const struct nla_policy xha_cfg_policy[XFRM_HA_CFG_A_MAX + 1] = {
	[XFRM_HA_CFG_A_SYNC_PACKETS]	= { .type = NLA_U32 },
	[XFRM_HA_CFG_A_SYNC_TIME_MS]	=
		NLA_POLICY_FULL_RANGE(NLA_U32, &xha_sync_time_range),
	[XFRM_HA_CFG_A_SCAN_INTERVAL_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &xha_scan_interval_range),
	[XFRM_HA_CFG_A_OSEQ_WRAP_MARGIN] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &xha_wrap_margin_range),
	[XFRM_HA_CFG_A_IDLE_INTERVAL_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &xha_idle_interval_range),
};

#define XHA_NOT_HERE { .type = NLA_REJECT, \
		       .reject_message = "attribute not valid in this command" }

static const struct nla_policy xha_sa_get_policy[XFRM_HA_A_MAX + 1] = {
	[XFRM_HA_A_SA]		= NLA_POLICY_NESTED(xha_sa_policy),
	[XFRM_HA_A_CONFIG]	= XHA_NOT_HERE,
	[XFRM_HA_A_STATS]	= XHA_NOT_HERE,
	[XFRM_HA_A_BATCH]	= XHA_NOT_HERE,
	[XFRM_HA_A_RESULT]	= XHA_READ_ONLY,
};

/* Each XFRM_HA_A_BATCH entry is parsed on its own: see xha_sa_set_batch(). */
static const struct nla_policy xha_sa_set_policy[XFRM_HA_A_MAX + 1] = {
	[XFRM_HA_A_SA]		= NLA_POLICY_NESTED(xha_sa_policy),
	[XFRM_HA_A_CONFIG]	= XHA_NOT_HERE,
	[XFRM_HA_A_STATS]	= XHA_NOT_HERE,
	[XFRM_HA_A_BATCH]	= { .type = NLA_NESTED },
	[XFRM_HA_A_RESULT]	= XHA_READ_ONLY,
};

static const struct nla_policy xha_cfg_req_policy[XFRM_HA_A_MAX + 1] = {
	[XFRM_HA_A_SA]		= XHA_NOT_HERE,
	[XFRM_HA_A_CONFIG]	= NLA_POLICY_NESTED(xha_cfg_policy),
	[XFRM_HA_A_STATS]	= XHA_READ_ONLY,
	[XFRM_HA_A_BATCH]	= XHA_NOT_HERE,
	[XFRM_HA_A_RESULT]	= XHA_NOT_HERE,
};

static struct genl_family xha_family;
static bool xha_family_live;

/*
 * genl_has_listeners() only says that some socket, in any netns, joined the
 * group; the armed flag narrows that down to this netns.
 */
bool xha_genl_listening(struct xha_net *xn)
{
	return READ_ONCE(xha_family_live) && READ_ONCE(xn->armed) &&
	       genl_has_listeners(&xha_family, xn->net, XHA_MCGRP_SEQNUM);
}

int xha_genl_put_sa(struct sk_buff *skb, const struct xha_snap *s)
{
	unsigned int alen = s->key.family == AF_INET ?
			    sizeof(struct in_addr) : sizeof(struct in6_addr);
	struct nlattr *nest;

	nest = nla_nest_start(skb, XFRM_HA_A_SA);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, XFRM_HA_SA_A_FAMILY, s->key.family) ||
	    nla_put(skb, XFRM_HA_SA_A_DADDR, alen, &s->key.daddr) ||
	    nla_put_be32(skb, XFRM_HA_SA_A_SPI, s->key.spi) ||
	    nla_put_u8(skb, XFRM_HA_SA_A_PROTO, s->key.proto) ||
	    nla_put_u32(skb, XFRM_HA_SA_A_MARK, s->key.mark) ||
	    nla_put_u32(skb, XFRM_HA_SA_A_IF_ID, s->key.if_id) ||
	    nla_put_u64_64bit(skb, XFRM_HA_SA_A_OSEQ, s->oseq,
			      XFRM_HA_SA_A_PAD) ||
	    nla_put_u64_64bit(skb, XFRM_HA_SA_A_SEQ, s->seq,
			      XFRM_HA_SA_A_PAD) ||
	    nla_put(skb, XFRM_HA_SA_A_SADDR, alen, &s->saddr) ||
	    nla_put_u8(skb, XFRM_HA_SA_A_REPLAY_MODE, s->replay_mode) ||
	    nla_put_u32(skb, XFRM_HA_SA_A_REPLAY_WINDOW, s->replay_window) ||
	    nla_put_u64_64bit(skb, XFRM_HA_SA_A_BYTES, s->bytes,
			      XFRM_HA_SA_A_PAD) ||
	    nla_put_u64_64bit(skb, XFRM_HA_SA_A_PACKETS, s->packets,
			      XFRM_HA_SA_A_PAD) ||
	    (s->bmp_words &&
	     nla_put(skb, XFRM_HA_SA_A_BITMAP, s->bmp_words * sizeof(u32),
		     s->bmp)) ||
	    (s->event && nla_put_u8(skb, XFRM_HA_SA_A_EVENT, s->event))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

struct sk_buff *xha_genl_notify_new(void **hdr)
{
	struct sk_buff *skb;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &xha_family, 0, XFRM_HA_CMD_SA_NOTIFY);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/*
 * Consumes skb. -ESRCH means nobody in this netns took the record: not an
 * error, but the scan stops until the next request arms it again.
 */
int xha_genl_notify_send(struct xha_net *xn, struct sk_buff *skb, void *hdr)
{
	int err;

	genlmsg_end(skb, hdr);
	err = genlmsg_multicast_netns(&xha_family, xn->net, skb, 0,
				      XHA_MCGRP_SEQNUM, GFP_KERNEL);
	xn->sent_last = jiffies;
	if (err != -ESRCH)
		return err;
	xha_disarm(xn);
	return 0;
}

/*
 * Nothing was published for a while: send a notification without records
 * to learn whether anyone here still listens. Another namespace's
 * listener keeps genl_has_listeners() true, but not this one armed.
 */
void xha_genl_probe(struct xha_net *xn)
{
	struct sk_buff *skb;
	void *hdr;

	skb = xha_genl_notify_new(&hdr);
	if (!skb) {
		atomic64_inc(&xn->stats.send_errors);
		return;
	}
	if (xha_genl_notify_send(xn, skb, hdr))
		atomic64_inc(&xn->stats.send_errors);
}

/*
 * Refuse an attribute given twice among the len bytes at head (a message's
 * or a nest's payload): the policies would silently take the last one.
 * skip: a type that may repeat (XFRM_HA_A_SA inside a batch), or 0.
 */
static int xha_unique(const struct nlattr *head, int len, int skip,
		      struct netlink_ext_ack *extack)
{
	unsigned long seen = 0;
	const struct nlattr *a;
	int rem, t;

	nla_for_each_attr(a, head, len, rem) {
		t = nla_type(a);
		if (t == skip || t >= BITS_PER_LONG)
			continue;
		if (__test_and_set_bit(t, &seen)) {
			NL_SET_ERR_MSG_ATTR(extack, a, "attribute given twice");
			return -EINVAL;
		}
	}
	return 0;
}

static int xha_unique_top(struct genl_info *info)
{
	return xha_unique(genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), 0, info->extack);
}

/* Parse XFRM_HA_A_SA and find the VALID SA it names, with a reference. */
static struct xfrm_state *xha_sa_lookup(struct net *net, struct nlattr **tb,
					struct nlattr *nest,
					struct netlink_ext_ack *extack)
{
	xfrm_address_t daddr = {};
	struct xfrm_state *x;
	u32 mark = 0, if_id = 0;
	unsigned int alen;
	u16 family;
	u8 proto;

	if (NL_REQ_ATTR_CHECK(extack, nest, tb, XFRM_HA_SA_A_FAMILY) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, XFRM_HA_SA_A_DADDR) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, XFRM_HA_SA_A_SPI) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, XFRM_HA_SA_A_PROTO)) {
		/* Also in words: a batch's results carry only the message. */
		NL_SET_ERR_MSG_MOD(extack, "an SA needs FAMILY, DADDR, SPI and PROTO");
		return ERR_PTR(-EINVAL);
	}

	family = nla_get_u16(tb[XFRM_HA_SA_A_FAMILY]);
	switch (family) {
	case AF_INET:
		alen = sizeof(struct in_addr);
		break;
	case AF_INET6:
		alen = sizeof(struct in6_addr);
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, tb[XFRM_HA_SA_A_FAMILY],
				    "family must be AF_INET or AF_INET6");
		return ERR_PTR(-EINVAL);
	}
	if (nla_len(tb[XFRM_HA_SA_A_DADDR]) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[XFRM_HA_SA_A_DADDR],
				    "address length does not match the family");
		return ERR_PTR(-EINVAL);
	}
	nla_memcpy(&daddr, tb[XFRM_HA_SA_A_DADDR], alen);

	proto = nla_get_u8(tb[XFRM_HA_SA_A_PROTO]);
	if (proto != IPPROTO_ESP && proto != IPPROTO_AH) {
		NL_SET_ERR_MSG_ATTR(extack, tb[XFRM_HA_SA_A_PROTO],
				    "proto must be IPPROTO_ESP or IPPROTO_AH");
		return ERR_PTR(-EINVAL);
	}
	if (tb[XFRM_HA_SA_A_MARK])
		mark = nla_get_u32(tb[XFRM_HA_SA_A_MARK]);
	if (tb[XFRM_HA_SA_A_IF_ID])
		if_id = nla_get_u32(tb[XFRM_HA_SA_A_IF_ID]);

	x = xfrm_state_lookup(net, mark, &daddr,
			      nla_get_be32(tb[XFRM_HA_SA_A_SPI]), proto, family);
	if (x && (x->mark.v != mark || x->if_id != if_id ||
		  x->km.state != XFRM_STATE_VALID)) {
		xfrm_state_put(x);
		x = NULL;
	}
	if (!x) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "no such SA");
		return ERR_PTR(-ENOENT);
	}
	return x;
}

/*
 * Every request but a statistics read or a write arms the requester's
 * netns; see xha_genl_listening().
 */
static struct xha_net *xha_net_info(struct genl_info *info)
{
	struct xha_net *xn = xha_net(genl_info_net(info));

	xha_arm(xn);
	return xn;
}

/* Parse one XFRM_HA_A_SA nest and find its SA, with a reference. */
static struct xfrm_state *xha_sa_from_nest(struct net *net,
					   const struct nlattr *nest,
					   struct nlattr **tb,
					   struct netlink_ext_ack *extack)
{
	int err;

	if (nla_type(nest) != XFRM_HA_A_SA) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "expected an XFRM_HA_A_SA nest");
		return ERR_PTR(-EINVAL);
	}
	err = nla_parse_nested(tb, XFRM_HA_SA_A_MAX, (struct nlattr *)nest,
			       xha_sa_policy, extack);
	if (!err)
		err = xha_unique(nla_data(nest), nla_len(nest), 0, extack);
	if (err)
		return ERR_PTR(err);
	return xha_sa_lookup(net, tb, (struct nlattr *)nest, extack);
}

static struct xfrm_state *xha_sa_from_info(struct genl_info *info,
					   struct nlattr **tb)
{
	int err;

	if (GENL_REQ_ATTR_CHECK(info, XFRM_HA_A_SA))
		return ERR_PTR(-EINVAL);
	err = xha_unique_top(info);
	if (err)
		return ERR_PTR(err);
	return xha_sa_from_nest(genl_info_net(info), info->attrs[XFRM_HA_A_SA],
				tb, info->extack);
}

static int xha_reply_sa(struct genl_info *info, const struct xha_snap *s)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &xha_family, 0, info->genlhdr->cmd);
	if (!hdr || xha_genl_put_sa(msg, s)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int xha_sa_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[XFRM_HA_SA_A_MAX + 1];
	struct xfrm_state *x;
	struct xha_snap s;
	int err;

	xha_net_info(info);
	x = xha_sa_from_info(info, tb);
	if (IS_ERR(x))
		return PTR_ERR(x);
	err = xha_snap_read(x, &s, true);
	xfrm_state_put(x);
	if (err) {
		NL_SET_ERR_MSG_MOD(info->extack, "SA is not valid (being deleted or expired)");
		return err;
	}
	return xha_reply_sa(info, &s);
}

/* Fill w from the request's counters; w->bmp points into the request. */
static int xha_write_from_attrs(struct nlattr **tb, struct nlattr *nest,
				struct xha_write *w, u64 *vals,
				struct netlink_ext_ack *extack)
{
	struct nlattr *bmp = tb[XFRM_HA_SA_A_BITMAP];
	struct nlattr *omin = tb[XFRM_HA_SA_A_OSEQ_MIN];

	if (tb[XFRM_HA_SA_A_OSEQ]) {
		vals[0] = nla_get_u64(tb[XFRM_HA_SA_A_OSEQ]);
		w->oseq = &vals[0];
	}
	if (omin) {
		vals[4] = nla_get_u64(omin);
		if (!w->oseq || vals[4] > vals[0]) {
			NL_SET_ERR_MSG_ATTR(extack, omin,
					    "OSEQ_MIN needs an OSEQ at least as high");
			return -EINVAL;
		}
		w->oseq_min = &vals[4];
	}
	if (tb[XFRM_HA_SA_A_SEQ]) {
		vals[1] = nla_get_u64(tb[XFRM_HA_SA_A_SEQ]);
		w->seq = &vals[1];
	}
	if (tb[XFRM_HA_SA_A_BYTES]) {
		vals[2] = nla_get_u64(tb[XFRM_HA_SA_A_BYTES]);
		w->bytes = &vals[2];
	}
	if (tb[XFRM_HA_SA_A_PACKETS]) {
		vals[3] = nla_get_u64(tb[XFRM_HA_SA_A_PACKETS]);
		w->packets = &vals[3];
	}
	if (bmp) {
		if (!w->seq) {
			NL_SET_ERR_MSG_ATTR(extack, bmp,
					    "BITMAP is relative to SEQ: give both");
			return -EINVAL;
		}
		if (nla_len(bmp) % sizeof(u32)) {
			NL_SET_ERR_MSG_ATTR(extack, bmp,
					    "BITMAP must be whole 32-bit words");
			return -EINVAL;
		}
		w->bmp = nla_data(bmp);
		w->bmp_words = nla_len(bmp) / sizeof(u32);
	}
	if (!w->oseq && !w->seq && !w->bytes && !w->packets) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "nothing to set: give OSEQ, SEQ, BYTES or PACKETS");
		return -EINVAL;
	}
	return 0;
}

/*
 * Apply one XFRM_HA_A_SA nest of a SA_SET request. Refusals are counted and
 * explained in extack; a refused record changes nothing.
 */
static int xha_sa_set_one(struct xha_net *xn, struct net *net,
			  const struct nlattr *nest,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[XFRM_HA_SA_A_MAX + 1];
	struct xha_write w = {};
	struct xfrm_state *x;
	struct xha_snap s;
	u64 vals[5];
	int err;

	x = xha_sa_from_nest(net, nest, tb, extack);
	if (IS_ERR(x)) {
		err = PTR_ERR(x);
		goto refused;
	}
	w.wrap_margin = READ_ONCE(xn->oseq_wrap_margin);
	err = xha_write_from_attrs(tb, (struct nlattr *)nest, &w, vals,
				   extack);
	if (!err)
		err = xha_counters_write(x, &w, &s, extack);
	if (!err)
		xha_track_written(xn, x, &s);
	xfrm_state_put(x);
	if (err)
		goto refused;

	atomic64_inc(&xn->stats.writes);
	if (w.clamped)
		atomic64_inc(&xn->stats.oseq_clamped);
	if (w.expired)
		atomic64_inc(&xn->stats.soft_expires);
	return 0;

refused:
	atomic64_inc(&xn->stats.writes_refused);
	return err;
}

/* The longest extack message a result carries, with its NUL. */
#define XHA_RESULT_MSG_MAX	128
/* The largest XFRM_HA_A_RESULT: index, error and an extack message. */
#define XHA_RESULT_SIZE	(nla_total_size(0) + 2 * nla_total_size(sizeof(u32)) + \
			 nla_total_size(XHA_RESULT_MSG_MAX))

/*
 * XFRM_HA_A_BATCH: up to XFRM_HA_BATCH_MAX XFRM_HA_A_SA nests, each applied
 * on its own. A malformed batch is refused whole; past that, a bad record
 * refuses only itself. The reply holds one XFRM_HA_A_RESULT per record, in
 * order, and the request's ACK follows.
 */
static int xha_sa_set_batch(struct xha_net *xn, struct genl_info *info)
{
	struct nlattr *batch = info->attrs[XFRM_HA_A_BATCH];
	struct net *net = genl_info_net(info);
	const struct nlattr *a;
	struct sk_buff *msg;
	u32 n = 0, i = 0;
	int rem, err;
	void *hdr;

	if (info->attrs[XFRM_HA_A_SA]) {
		NL_SET_ERR_MSG_ATTR(info->extack, batch,
				    "give XFRM_HA_A_SA or XFRM_HA_A_BATCH, not both");
		return -EINVAL;
	}
	nla_for_each_nested(a, batch, rem) {
		if (nla_type(a) != XFRM_HA_A_SA) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "a batch holds XFRM_HA_A_SA nests only");
			return -EINVAL;
		}
		n++;
	}
	if (rem) {
		NL_SET_ERR_MSG_ATTR(info->extack, batch,
				    "bytes left over after the batch's records");
		return -EINVAL;
	}
	if (!n || n > XFRM_HA_BATCH_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, batch,
				    "a batch holds 1 to XFRM_HA_BATCH_MAX (256) records");
		return -EINVAL;
	}

	msg = genlmsg_new(n * XHA_RESULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &xha_family, 0, XFRM_HA_CMD_SA_SET);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nla_for_each_nested(a, batch, rem) {
		struct netlink_ext_ack ext = {};
		char text[XHA_RESULT_MSG_MAX];
		struct nlattr *res;

		err = xha_sa_set_one(xn, net, a, &ext);
		if (ext._msg)
			strscpy(text, ext._msg, sizeof(text));
		res = nla_nest_start(msg, XFRM_HA_A_RESULT);
		if (!res ||
		    nla_put_u32(msg, XFRM_HA_RESULT_A_INDEX, i++) ||
		    nla_put_u32(msg, XFRM_HA_RESULT_A_ERROR, -err) ||
		    (ext._msg && nla_put_string(msg, XFRM_HA_RESULT_A_MSG,
						text))) {
			/* Sized for the worst case: cannot happen. */
			nlmsg_free(msg);
			NL_SET_ERR_MSG_MOD(info->extack, "batch reply too large");
			return -EMSGSIZE;
		}
		nla_nest_end(msg, res);
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Writes do not arm the namespace: a backup only writes, and on a box where
 * some other namespace listens, arming it would have it tracked, publish
 * and disarm again with every batch.
 */
static int xha_sa_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xha_net *xn = xha_net(genl_info_net(info));
	int err;

	err = xha_unique_top(info);
	if (err)
		return err;
	if (info->attrs[XFRM_HA_A_BATCH])
		return xha_sa_set_batch(xn, info);
	if (GENL_REQ_ATTR_CHECK(info, XFRM_HA_A_SA)) {
		atomic64_inc(&xn->stats.writes_refused);
		return -EINVAL;
	}
	return xha_sa_set_one(xn, genl_info_net(info), info->attrs[XFRM_HA_A_SA],
			      info->extack);
}

/*
 * The largest record a dump puts: identity, counters, the read-only
 * attributes and a full bitmap.
 */
#define XHA_RECORD_MAX	(nla_total_size(0) + 4 * nla_total_size(sizeof(u32)) + \
			 2 * nla_total_size(sizeof(struct in6_addr)) + \
			 2 * nla_total_size(sizeof(u8)) + \
			 nla_total_size(sizeof(u16)) + \
			 4 * nla_total_size_64bit(sizeof(u64)) + \
			 nla_total_size(XFRM_HA_BITMAP_MAX_BYTES))

/* Dump state, from .start to .done. The walker's marker pins no SA. */
struct xha_dump {
	struct xfrm_state_walk walk;
	bool walk_done;
};

static int xha_sa_dump_start(struct netlink_callback *cb)
{
	struct xha_dump *d;

	xha_arm(xha_net(sock_net(cb->skb->sk)));
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	xfrm_state_walk_init(&d->walk, IPSEC_PROTO_ANY, NULL);
	cb->args[0] = (long)d;
	return 0;
}

static int xha_sa_dump_done(struct netlink_callback *cb)
{
	struct xha_dump *d = (struct xha_dump *)cb->args[0];

	if (d) {
		xfrm_state_walk_done(&d->walk, sock_net(cb->skb->sk));
		kfree(d);
	}
	return 0;
}

/*
 * Each call takes from the walk only as many SAs as surely fit in skb, so
 * that no SA stays referenced between two recvmsg() calls. An SA added or
 * deleted in the namespace since the dump began sets NLM_F_DUMP_INTR.
 */
static int xha_sa_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct xha_dump *d = (struct xha_dump *)cb->args[0];
	struct net *net = sock_net(skb->sk);
	struct xha_chunk c = {};
	unsigned int records = 0;
	struct xha_snap *s;
	bool full = false;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &xha_family, NLM_F_MULTI, XFRM_HA_CMD_SA_GET);
	if (!hdr)
		return -EMSGSIZE;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		genlmsg_cancel(skb, hdr);
		return -ENOMEM;
	}
	while (!d->walk_done && !full) {
		c.max = min_t(unsigned int, XHA_CHUNK,
			      skb_tailroom(skb) / XHA_RECORD_MAX);
		if (!c.max)
			break;
		d->walk_done = !xha_chunk_fill(net, &d->walk, &c);
		for (; c.next < c.n; c.next++) {
			if (xha_snap_read(c.x[c.next], s, true))
				continue;	/* died since: not listed */
			if (xha_genl_put_sa(skb, s)) {
				/* Cannot happen (sized above): say so. */
				full = true;
				break;
			}
			records++;
		}
		xha_chunk_release(&c);
	}
	kfree(s);

	/*
	 * The generation after the walk: what changed until now is flagged.
	 * Never 0, which means "not checked" to nl_dump_check_consistent().
	 */
	cb->seq = (u32)atomic_read(&xha_net(net)->gen) << 1 | 1;
	/* SAs were dropped from this part (cannot happen): flag it torn. */
	if (full)
		cb->seq += 2;
	/* An empty last message: NLMSG_DONE carries the flag instead. */
	if (!records) {
		genlmsg_cancel(skb, hdr);
		if (d->walk_done)
			return 0;
		return skb->len ? skb->len : -EMSGSIZE;
	}
	genl_dump_check_consistent(cb, hdr);
	genlmsg_end(skb, hdr);
	return skb->len;
}

static int xha_config_put(struct sk_buff *msg, struct xha_net *xn)
{
	const struct xha_stats *st = &xn->stats;
	struct nlattr *nest;

	nest = nla_nest_start(msg, XFRM_HA_A_CONFIG);
	if (!nest ||
	    nla_put_u32(msg, XFRM_HA_CFG_A_SYNC_PACKETS,
			READ_ONCE(xn->sync_packets)) ||
	    nla_put_u32(msg, XFRM_HA_CFG_A_SYNC_TIME_MS,
			READ_ONCE(xn->sync_time_ms)) ||
	    nla_put_u32(msg, XFRM_HA_CFG_A_SCAN_INTERVAL_MS,
			READ_ONCE(xn->scan_interval_ms)) ||
	    nla_put_u32(msg, XFRM_HA_CFG_A_OSEQ_WRAP_MARGIN,
			READ_ONCE(xn->oseq_wrap_margin)) ||
	    nla_put_u32(msg, XFRM_HA_CFG_A_IDLE_INTERVAL_MS,
			READ_ONCE(xn->idle_interval_ms)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);

	nest = nla_nest_start(msg, XFRM_HA_A_STATS);
	if (!nest ||
	    nla_put_u32(msg, XFRM_HA_STATS_A_SAS, READ_ONCE(xn->n_entries)) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_EVENTS,
			      atomic64_read(&st->events), XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_SCANS,
			      atomic64_read(&st->scans), XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_RECORDS,
			      atomic64_read(&st->records), XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_BATCHES,
			      atomic64_read(&st->batches), XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_SEND_ERRORS,
			      atomic64_read(&st->send_errors),
			      XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_WRITES,
			      atomic64_read(&st->writes), XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_WRITES_REFUSED,
			      atomic64_read(&st->writes_refused),
			      XFRM_HA_STATS_A_PAD) ||
	    nla_put_u32(msg, XFRM_HA_STATS_A_ENTRY_BYTES, xha_track_entry_bytes()) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_SWEPT,
			      atomic64_read(&st->swept), XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_OSEQ_CLAMPED,
			      atomic64_read(&st->oseq_clamped),
			      XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_SOFT_EXPIRES,
			      atomic64_read(&st->soft_expires),
			      XFRM_HA_STATS_A_PAD) ||
	    nla_put_u32(msg, XFRM_HA_STATS_A_HOT, READ_ONCE(xn->n_hot)) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_CHECKS,
			      atomic64_read(&st->checks), XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_READS,
			      atomic64_read(&st->reads), XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_RECONCILES,
			      atomic64_read(&st->reconciles),
			      XFRM_HA_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, XFRM_HA_STATS_A_LIFECYCLE,
			      atomic64_read(&st->lifecycle),
			      XFRM_HA_STATS_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int xha_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xha_net *xn = xha_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &xha_family, 0,
				XFRM_HA_CMD_CONFIG_GET);
	if (!hdr || xha_config_put(msg, xn)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int xha_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xha_net *xn = xha_net_info(info);
	struct nlattr *tb[XFRM_HA_CFG_A_MAX + 1];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, XFRM_HA_A_CONFIG))
		return -EINVAL;
	err = xha_unique_top(info);
	if (err)
		return err;
	err = nla_parse_nested(tb, XFRM_HA_CFG_A_MAX,
			       info->attrs[XFRM_HA_A_CONFIG], xha_cfg_policy,
			       info->extack);
	if (!err)
		err = xha_unique(nla_data(info->attrs[XFRM_HA_A_CONFIG]),
				 nla_len(info->attrs[XFRM_HA_A_CONFIG]), 0,
				 info->extack);
	if (err)
		return err;

	mutex_lock(&xn->lock);
	if (tb[XFRM_HA_CFG_A_SYNC_PACKETS])
		WRITE_ONCE(xn->sync_packets,
			   nla_get_u32(tb[XFRM_HA_CFG_A_SYNC_PACKETS]));
	if (tb[XFRM_HA_CFG_A_SYNC_TIME_MS])
		WRITE_ONCE(xn->sync_time_ms,
			   nla_get_u32(tb[XFRM_HA_CFG_A_SYNC_TIME_MS]));
	if (tb[XFRM_HA_CFG_A_SCAN_INTERVAL_MS])
		WRITE_ONCE(xn->scan_interval_ms,
			   nla_get_u32(tb[XFRM_HA_CFG_A_SCAN_INTERVAL_MS]));
	if (tb[XFRM_HA_CFG_A_OSEQ_WRAP_MARGIN])
		WRITE_ONCE(xn->oseq_wrap_margin,
			   nla_get_u32(tb[XFRM_HA_CFG_A_OSEQ_WRAP_MARGIN]));
	if (tb[XFRM_HA_CFG_A_IDLE_INTERVAL_MS])
		WRITE_ONCE(xn->idle_interval_ms,
			   nla_get_u32(tb[XFRM_HA_CFG_A_IDLE_INTERVAL_MS]));
	mutex_unlock(&xn->lock);

	/* Apply a shorter interval now rather than after the old one. */
	xha_kick(xn, 0);
	return 0;
}

static const struct genl_ops xha_ops[] = {
	{
		.cmd = XFRM_HA_CMD_SA_GET,
		.doit = xha_sa_get_doit,
		.start = xha_sa_dump_start,
		.dumpit = xha_sa_dump,
		.done = xha_sa_dump_done,
		.policy = xha_sa_get_policy,
		.maxattr = XFRM_HA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XFRM_HA_CMD_SA_SET,
		.doit = xha_sa_set_doit,
		.policy = xha_sa_set_policy,
		.maxattr = XFRM_HA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XFRM_HA_CMD_CONFIG_GET,
		.doit = xha_config_get_doit,
		.policy = xha_cfg_req_policy,
		.maxattr = XFRM_HA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XFRM_HA_CMD_CONFIG_SET,
		.doit = xha_config_set_doit,
		.policy = xha_cfg_req_policy,
		.maxattr = XFRM_HA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group xha_mcgrps[] = {
	[XHA_MCGRP_SEQNUM] = {
		.name = XFRM_HA_MCGRP_SEQNUM,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family xha_family __ro_after_init = {
	.name = XFRM_HA_GENL_NAME,
	.version = XFRM_HA_GENL_VERSION,
	.maxattr = XFRM_HA_A_MAX,
	.netnsok = true,
	/* Every command locks what it touches: no need for genl_mutex. */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = xha_ops,
	.n_ops = ARRAY_SIZE(xha_ops),
	.mcgrps = xha_mcgrps,
	.n_mcgrps = ARRAY_SIZE(xha_mcgrps),
};

int __init xha_genl_init(void)
{
	int err;

	err = genl_register_family(&xha_family);
	if (!err)
		WRITE_ONCE(xha_family_live, true);
	return err;
}

void xha_genl_exit(void)
{
	WRITE_ONCE(xha_family_live, false);
	genl_unregister_family(&xha_family);
}
