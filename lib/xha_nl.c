// SPDX-License-Identifier: GPL-2.0
/*
 * libxha: requests, dumps and notifications of the xfrm_ha generic netlink
 * family over libmnl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/xfrm_ha.h>

#include "xha_nl.h"

/*
 * Big enough for any datagram the kernel builds for us: a dump skb is at
 * most 32 KiB (netlink_dump grows towards our largest recvmsg buffer), a
 * notification at most a page plus headers.
 */
#define XHA_RXBUF_SIZE 65536
/* How many times a dump is restarted when the kernel says it was torn. */
#define XHA_DUMP_RETRIES 4
/* Receive buffer asked for on notification sockets. */
#define XHA_NOTIFY_RCVBUF (8 << 20)

struct xha_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint32_t dump_seq;	/* the piecewise dump in progress */
	uint16_t family_id;
	uint32_t mcgrp_id;
	bool subscribed;
	char err[256];
	/* The kernel's extack of the last answer, if any. */
	char ext_msg[256];
	int ext_miss_type;
	char *rx;
};

typedef int (*msg_cb)(const struct nlmsghdr *nlh, void *arg);

static int seterr(struct xha_nl *nl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int seterr(struct xha_nl *nl, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nl->err, sizeof(nl->err), fmt, ap);
	va_end(ap);
	return err;
}

/* Extended ack ----------------------------------------------------------- */

struct extack {
	const char *msg;
	int miss_type;
};

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct extack *ea = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			ea->msg = mnl_attr_get_str(attr);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			ea->miss_type = (int)mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

/*
 * Record the outcome carried by an NLMSG_ERROR or NLMSG_DONE message: the
 * errno and, when the kernel attached one, the extack message. payload is
 * the size of what precedes the TLVs in the message payload.
 */
static int ack_result(struct xha_nl *nl, const struct nlmsghdr *nlh, int error,
		      size_t payload)
{
	struct extack ea = { .msg = NULL, .miss_type = -1 };

	if (error > 0 || error < -4095)
		return seterr(nl, -EPROTO, "bad error code %d from the kernel",
			      error);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    mnl_nlmsg_size(MNL_ALIGN(payload)) <= nlh->nlmsg_len)
		mnl_attr_parse(nlh, payload, extack_attr_cb, &ea);
	if (!error)
		return 0;
	snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s", ea.msg ? ea.msg : "");
	nl->ext_miss_type = ea.miss_type;
	if (ea.msg && ea.msg[0])
		return seterr(nl, error, "%s", ea.msg);
	if (ea.miss_type >= 0)
		return seterr(nl, error, "%s (missing attribute %d)",
			      strerror(-error), ea.miss_type);
	return seterr(nl, error, "%s", strerror(-error));
}

static int parse_nlmsgerr(struct xha_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t payload = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return seterr(nl, -EBADMSG, "truncated netlink error message");
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return seterr(nl, -EBADMSG, "bad netlink error message");
		payload += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	return ack_result(nl, nlh, e->error, payload);
}

static int parse_done(struct xha_nl *nl, const struct nlmsghdr *nlh)
{
	int error;

	/* Old kernels may send an empty NLMSG_DONE. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return 0;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	return ack_result(nl, nlh, error, sizeof(int));
}

/* Socket and request plumbing ------------------------------------------- */

static struct nlmsghdr *msg_start(void *buf, uint16_t type, uint8_t cmd,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : XFRM_HA_GENL_VERSION;
	return nlh;
}

/* Requests retry on EINTR; notification reads report it to the caller. */
static ssize_t recv_datagram_flags(struct xha_nl *nl, bool retry_eintr,
				   int flags)
{
	struct sockaddr_nl addr;
	struct iovec iov = { .iov_base = nl->rx, .iov_len = XHA_RXBUF_SIZE };
	struct msghdr msg = {
		.msg_name = &addr,
		.msg_namelen = sizeof(addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		n = recvmsg(mnl_socket_get_fd(nl->sock), &msg, flags);
		if (n < 0 && errno == EINTR && retry_eintr)
			continue;
		if (n < 0)
			return seterr(nl, -errno, "netlink receive: %s",
				      strerror(errno));
		if (msg.msg_flags & MSG_TRUNC)
			return seterr(nl, -EMSGSIZE, "netlink message truncated");
		/* Only the kernel (port 0) speaks for the family. */
		if (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0)
			continue;
		return n;
	}
}

static ssize_t recv_datagram(struct xha_nl *nl, bool retry_eintr)
{
	return recv_datagram_flags(nl, retry_eintr, 0);
}

/*
 * Send req and read the answer until its final ACK, error or NLMSG_DONE.
 * cb sees every other message of the exchange. If cb fails, the rest of the
 * answer is still read (so that nothing stale stays queued) and cb's error
 * is returned. *intr is set when the kernel flagged a torn dump.
 */
static int talk(struct xha_nl *nl, struct nlmsghdr *req, msg_cb cb, void *arg,
		bool *intr)
{
	uint32_t seq = ++nl->seq;
	int cb_err = 0;

	req->nlmsg_seq = seq;
	req->nlmsg_pid = 0;
	nl->ext_msg[0] = '\0';
	nl->ext_miss_type = -1;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return seterr(nl, -errno, "netlink send: %s", strerror(errno));

	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n = recv_datagram(nl, true);
		int len;

		if (n < 0)
			return (int)n;
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)nl->rx;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			int ret;

			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != nl->portid)
				continue;	/* left over from an older request */
			if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && intr)
				*intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				continue;
			case NLMSG_OVERRUN:
				return seterr(nl, -EPROTO, "netlink overrun");
			case NLMSG_ERROR:
				ret = parse_nlmsgerr(nl, nlh);
				return ret ? ret : cb_err;
			case NLMSG_DONE:
				ret = parse_done(nl, nlh);
				return ret ? ret : cb_err;
			}
			if (!cb_err && cb) {
				ret = cb(nlh, arg);
				if (ret)
					cb_err = ret;
			}
		}
	}
}

/* Generic netlink controller: family and group ids ---------------------- */

struct family_info {
	const char *group;	/* the multicast group wanted */
	uint16_t id;
	uint32_t group_id;
	bool have_id;
	bool have_group;
};

static int mcgrp_cb(const struct nlattr *grp, struct family_info *fi)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;
	bool have_id = false;

	mnl_attr_for_each_nested(a, grp) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
				id = mnl_attr_get_u32(a);
				have_id = true;
			}
			break;
		}
	}
	if (name && have_id && !strcmp(name, fi->group)) {
		fi->group_id = id;
		fi->have_group = true;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct family_info *fi = arg;
	const struct nlattr *a, *grp;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0) {
				fi->id = mnl_attr_get_u16(a);
				fi->have_id = true;
			}
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
				break;
			mnl_attr_for_each_nested(grp, a)
				if (mnl_attr_validate(grp, MNL_TYPE_NESTED) == 0)
					mcgrp_cb(grp, fi);
			break;
		}
	}
	return 0;
}

/* Ask the controller for a family's id and one of its groups. */
static int lookup_family(struct xha_nl *nl, const char *name,
			 struct family_info *fi)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	nlh = msg_start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	err = talk(nl, nlh, family_cb, fi, NULL);
	if (err == -ENOENT)
		return seterr(nl, err, "generic netlink family \"%s\" not found%s",
			      name, strcmp(name, XFRM_HA_GENL_NAME) ? "" :
			      " (is the xfrm_ha module loaded?)");
	if (err)
		return err;
	if (!fi->have_id)
		return seterr(nl, -EPROTO, "no id for family \"%s\"", name);
	if (!fi->have_group)
		return seterr(nl, -EPROTO, "family \"%s\" has no \"%s\" group",
			      name, fi->group);
	return 0;
}

static int resolve_family(struct xha_nl *nl)
{
	struct family_info fi = { .group = XFRM_HA_MCGRP_SEQNUM };
	int err = lookup_family(nl, XFRM_HA_GENL_NAME, &fi);

	if (err)
		return err;
	nl->family_id = fi.id;
	nl->mcgrp_id = fi.group_id;
	return 0;
}

int xha_nl_family_check(struct xha_nl *nl)
{
	struct family_info fi = { .group = XFRM_HA_MCGRP_SEQNUM };
	int err = lookup_family(nl, XFRM_HA_GENL_NAME, &fi);

	if (err)
		return err;
	if (fi.id != nl->family_id || fi.group_id != nl->mcgrp_id)
		return seterr(nl, -ESTALE, "family \"%s\" was registered again (id %u, was %u)",
			      XFRM_HA_GENL_NAME, fi.id, nl->family_id);
	return 0;
}

/* A bound generic netlink socket, nothing resolved yet. */
static struct xha_nl *nl_new(int *ret)
{
	struct xha_nl *nl;
	int one = 1;

	nl = calloc(1, sizeof(*nl));
	if (!nl || !(nl->rx = malloc(XHA_RXBUF_SIZE))) {
		*ret = -ENOMEM;
		if (nl)
			seterr(nl, *ret, "out of memory");
		return nl;
	}
	nl->seq = (uint32_t)time(NULL);
	nl->ext_miss_type = -1;
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock) {
		*ret = -errno;
		seterr(nl, *ret, "netlink socket: %s", strerror(errno));
		return nl;
	}
	/* Both exist since Linux 4.12; without them we only lose detail. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		*ret = -errno;
		seterr(nl, *ret, "netlink bind: %s", strerror(errno));
		return nl;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	*ret = 0;
	return nl;
}

static struct xha_nl *open_fail(struct xha_nl *nl, int ret, char *err,
				size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", nl ? nl->err : "out of memory");
	xha_nl_close(nl);
	errno = -ret;
	return NULL;
}

struct xha_nl *xha_nl_open(char *err, size_t errlen)
{
	int ret;
	struct xha_nl *nl = nl_new(&ret);

	if (!ret)
		ret = resolve_family(nl);
	if (ret)
		return open_fail(nl, ret, err, errlen);
	nl->err[0] = '\0';
	return nl;
}

void xha_nl_close(struct xha_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rx);
	free(nl);
}

int xha_nl_fd(const struct xha_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

const char *xha_nl_error(const struct xha_nl *nl)
{
	if (!nl)
		return "no handle";
	return nl->err[0] ? nl->err : "no error";
}

const char *xha_nl_ext_msg(const struct xha_nl *nl)
{
	return nl->ext_msg[0] ? nl->ext_msg : NULL;
}

int xha_nl_ext_missing(const struct xha_nl *nl)
{
	return nl->ext_miss_type;
}

uint16_t xha_nl_family_id(const struct xha_nl *nl)
{
	return nl->family_id;
}

uint32_t xha_nl_group_id(const struct xha_nl *nl)
{
	return nl->mcgrp_id;
}

struct nlmsghdr *xha_nl_msg_start(const struct xha_nl *nl, void *buf,
				  uint8_t cmd, uint16_t flags)
{
	return msg_start(buf, nl->family_id, cmd, flags);
}

int xha_nl_request(struct xha_nl *nl, struct nlmsghdr *req, xha_msg_cb cb,
		   void *arg)
{
	bool intr = false;
	int err = talk(nl, req, cb, arg, &intr);

	if (!err && intr)
		return seterr(nl, -EINTR, "dump interrupted by a change");
	return err;
}

/* SA records ------------------------------------------------------------- */

static size_t addr_len(uint16_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* The type of every SA attribute we read; 0: ignored (PAD, newer ones). */
static const enum mnl_attr_data_type sa_attr_type[XFRM_HA_SA_A_MAX + 1] = {
	[XFRM_HA_SA_A_FAMILY] = MNL_TYPE_U16,
	[XFRM_HA_SA_A_DADDR] = MNL_TYPE_BINARY,
	[XFRM_HA_SA_A_SPI] = MNL_TYPE_U32,
	[XFRM_HA_SA_A_PROTO] = MNL_TYPE_U8,
	[XFRM_HA_SA_A_MARK] = MNL_TYPE_U32,
	[XFRM_HA_SA_A_IF_ID] = MNL_TYPE_U32,
	[XFRM_HA_SA_A_OSEQ] = MNL_TYPE_U64,
	[XFRM_HA_SA_A_SEQ] = MNL_TYPE_U64,
	[XFRM_HA_SA_A_SADDR] = MNL_TYPE_BINARY,
	[XFRM_HA_SA_A_REPLAY_MODE] = MNL_TYPE_U8,
	[XFRM_HA_SA_A_REPLAY_WINDOW] = MNL_TYPE_U32,
	[XFRM_HA_SA_A_BYTES] = MNL_TYPE_U64,
	[XFRM_HA_SA_A_PACKETS] = MNL_TYPE_U64,
	[XFRM_HA_SA_A_BITMAP] = MNL_TYPE_BINARY,
	[XFRM_HA_SA_A_EVENT] = MNL_TYPE_U8,
};

/* An address attribute of the family's length, copied out. */
static bool sa_addr(const struct nlattr *a, uint16_t family, uint8_t *dst)
{
	size_t len = addr_len(family);

	if (!len || mnl_attr_get_payload_len(a) != len)
		return false;
	memcpy(dst, mnl_attr_get_payload(a), len);
	return true;
}

int xha_sa_parse(const struct nlattr *nest, struct xha_sa *out)
{
	const struct nlattr *tb[XFRM_HA_SA_A_MAX + 1] = { NULL };
	const struct nlattr *a;
	struct xha_sa sa;
	uint16_t type;
	int rem;

	memset(&sa, 0, sizeof(sa));
	if (!nest || nest->nla_len < MNL_ATTR_HDRLEN)
		return -EINVAL;

	/* Like mnl_attr_parse_nested, but a truncated attribute is an error. */
	rem = (int)mnl_attr_get_payload_len(nest);
	for (a = mnl_attr_get_payload(nest); mnl_attr_ok(a, rem);
	     rem -= MNL_ALIGN(a->nla_len), a = mnl_attr_next(a)) {
		type = mnl_attr_get_type(a);
		if (type > XFRM_HA_SA_A_MAX || !sa_attr_type[type])
			continue;
		if (mnl_attr_validate(a, sa_attr_type[type]) < 0)
			return -EINVAL;
		tb[type] = a;
	}
	/* Leftover bytes that do not even hold an attribute header. */
	if (rem > 0)
		return -EINVAL;

	if (!tb[XFRM_HA_SA_A_FAMILY] || !tb[XFRM_HA_SA_A_SPI] ||
	    !tb[XFRM_HA_SA_A_PROTO] || !tb[XFRM_HA_SA_A_DADDR])
		return -EINVAL;
	sa.family = mnl_attr_get_u16(tb[XFRM_HA_SA_A_FAMILY]);
	sa.spi = mnl_attr_get_u32(tb[XFRM_HA_SA_A_SPI]);	/* big endian */
	sa.proto = mnl_attr_get_u8(tb[XFRM_HA_SA_A_PROTO]);
	if (sa.proto != IPPROTO_ESP && sa.proto != IPPROTO_AH)
		return -EINVAL;
	if (!sa_addr(tb[XFRM_HA_SA_A_DADDR], sa.family, sa.daddr))
		return -EINVAL;
	if (tb[XFRM_HA_SA_A_SADDR]) {
		if (!sa_addr(tb[XFRM_HA_SA_A_SADDR], sa.family, sa.saddr))
			return -EINVAL;
		sa.has |= XHA_SA_HAS_SADDR;
	}
	if (tb[XFRM_HA_SA_A_MARK])
		sa.mark = mnl_attr_get_u32(tb[XFRM_HA_SA_A_MARK]);
	if (tb[XFRM_HA_SA_A_IF_ID])
		sa.if_id = mnl_attr_get_u32(tb[XFRM_HA_SA_A_IF_ID]);
	if (tb[XFRM_HA_SA_A_OSEQ]) {
		sa.oseq = mnl_attr_get_u64(tb[XFRM_HA_SA_A_OSEQ]);
		sa.has |= XHA_SA_HAS_OSEQ;
	}
	if (tb[XFRM_HA_SA_A_SEQ]) {
		sa.seq = mnl_attr_get_u64(tb[XFRM_HA_SA_A_SEQ]);
		sa.has |= XHA_SA_HAS_SEQ;
	}
	if (tb[XFRM_HA_SA_A_REPLAY_MODE] && tb[XFRM_HA_SA_A_REPLAY_WINDOW]) {
		sa.replay_mode = mnl_attr_get_u8(tb[XFRM_HA_SA_A_REPLAY_MODE]);
		sa.replay_window = mnl_attr_get_u32(tb[XFRM_HA_SA_A_REPLAY_WINDOW]);
		sa.has |= XHA_SA_HAS_REPLAY;
	}
	if (tb[XFRM_HA_SA_A_BYTES] && tb[XFRM_HA_SA_A_PACKETS]) {
		sa.bytes = mnl_attr_get_u64(tb[XFRM_HA_SA_A_BYTES]);
		sa.packets = mnl_attr_get_u64(tb[XFRM_HA_SA_A_PACKETS]);
		sa.has |= XHA_SA_HAS_LIFETIME;
	}
	if (tb[XFRM_HA_SA_A_EVENT])
		sa.event = mnl_attr_get_u8(tb[XFRM_HA_SA_A_EVENT]);
	if (tb[XFRM_HA_SA_A_BITMAP]) {
		size_t blen = mnl_attr_get_payload_len(tb[XFRM_HA_SA_A_BITMAP]);

		if (!blen || blen % 4 || blen > sizeof(sa.bitmap))
			return -EINVAL;
		memcpy(sa.bitmap, mnl_attr_get_payload(tb[XFRM_HA_SA_A_BITMAP]),
		       blen);
		sa.bitmap_words = blen / 4;
		sa.has |= XHA_SA_HAS_BITMAP;
	}
	*out = sa;
	return 0;
}

static int put_sa(struct nlmsghdr *nlh, const struct xha_sa *sa, bool counters)
{
	struct nlattr *nest;
	size_t alen = addr_len(sa->family);

	if (!alen)
		return -EAFNOSUPPORT;
	nest = mnl_attr_nest_start(nlh, XFRM_HA_A_SA);
	nest->nla_type |= NLA_F_NESTED;
	mnl_attr_put_u16(nlh, XFRM_HA_SA_A_FAMILY, sa->family);
	mnl_attr_put(nlh, XFRM_HA_SA_A_DADDR, alen, sa->daddr);
	mnl_attr_put_u32(nlh, XFRM_HA_SA_A_SPI, sa->spi);
	mnl_attr_put_u8(nlh, XFRM_HA_SA_A_PROTO, sa->proto);
	if (sa->mark)
		mnl_attr_put_u32(nlh, XFRM_HA_SA_A_MARK, sa->mark);
	if (sa->if_id)
		mnl_attr_put_u32(nlh, XFRM_HA_SA_A_IF_ID, sa->if_id);
	if (counters && (sa->has & XHA_SA_HAS_OSEQ))
		mnl_attr_put_u64(nlh, XFRM_HA_SA_A_OSEQ, sa->oseq);
	if (counters && (sa->has & XHA_SA_HAS_OSEQ) &&
	    (sa->has & XHA_SA_HAS_OSEQ_MIN))
		mnl_attr_put_u64(nlh, XFRM_HA_SA_A_OSEQ_MIN, sa->oseq_min);
	if (counters && (sa->has & XHA_SA_HAS_SEQ))
		mnl_attr_put_u64(nlh, XFRM_HA_SA_A_SEQ, sa->seq);
	if (counters && (sa->has & XHA_SA_HAS_SEQ) &&
	    (sa->has & XHA_SA_HAS_BITMAP) && sa->bitmap_words &&
	    sa->bitmap_words <= XHA_BITMAP_MAX_WORDS)
		mnl_attr_put(nlh, XFRM_HA_SA_A_BITMAP, sa->bitmap_words * 4,
			     sa->bitmap);
	if (counters && (sa->has & XHA_SA_HAS_LIFETIME)) {
		mnl_attr_put_u64(nlh, XFRM_HA_SA_A_BYTES, sa->bytes);
		mnl_attr_put_u64(nlh, XFRM_HA_SA_A_PACKETS, sa->packets);
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

/*
 * Call fn for every XFRM_HA_A_SA nest of a message of the family with the
 * given command. Returns fn's first non-zero result, or -EBADMSG (after the
 * valid records) if a record could not be parsed.
 */
static int for_each_sa(struct xha_nl *nl, const struct nlmsghdr *nlh,
		       uint8_t cmd, xha_sa_cb fn, void *arg)
{
	const struct genlmsghdr *g;
	const struct nlattr *a;
	int bad = 0;

	if (nlh->nlmsg_type != nl->family_id ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return 0;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != cmd)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		struct xha_sa sa;
		int ret;

		if (mnl_attr_get_type(a) != XFRM_HA_A_SA)
			continue;
		if (xha_sa_parse(a, &sa) < 0) {
			bad++;
			continue;
		}
		ret = fn(&sa, arg);
		if (ret)
			return seterr(nl, ret, "stopped by the callback (%d)",
				      ret);
	}
	if (bad)
		return seterr(nl, -EBADMSG, "%d malformed SA record(s) from the kernel",
			      bad);
	return 0;
}

struct get_ctx {
	struct xha_nl *nl;
	struct xha_sa *out;
	bool found;
};

static int get_one_cb(const struct xha_sa *sa, void *arg)
{
	struct get_ctx *ctx = arg;

	if (ctx->found)
		return 0;
	*ctx->out = *sa;
	ctx->found = true;
	return 0;
}

static int get_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct get_ctx *ctx = arg;

	return for_each_sa(ctx->nl, nlh, XFRM_HA_CMD_SA_GET, get_one_cb, ctx);
}

int xha_nl_sa_get(struct xha_nl *nl, const struct xha_sa *id,
		  struct xha_sa *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct get_ctx ctx = { .nl = nl, .out = out };
	struct nlmsghdr *nlh;
	int err;

	nlh = msg_start(buf, nl->family_id, XFRM_HA_CMD_SA_GET, NLM_F_ACK);
	if (put_sa(nlh, id, false))
		return seterr(nl, -EAFNOSUPPORT, "address family %u not supported",
			      id->family);
	err = talk(nl, nlh, get_msg_cb, &ctx, NULL);
	if (err)
		return err;
	if (!ctx.found)
		return seterr(nl, -EPROTO, "no SA in the kernel's answer");
	return 0;
}

struct sa_vec {
	struct xha_sa *v;
	size_t n, cap;
};

static int vec_add_cb(const struct xha_sa *sa, void *arg)
{
	struct sa_vec *vec = arg;

	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 256;
		struct xha_sa *v = realloc(vec->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = *sa;
	return 0;
}

struct dump_ctx {
	struct xha_nl *nl;
	struct sa_vec vec;
};

static int dump_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *ctx = arg;

	return for_each_sa(ctx->nl, nlh, XFRM_HA_CMD_SA_GET, vec_add_cb,
			   &ctx->vec);
}

/*
 * The records are collected before cb sees any, so that a dump the kernel
 * flags as torn (NLM_F_DUMP_INTR) can be restarted without showing cb
 * anything twice. After XHA_DUMP_RETRIES torn dumps the last one is
 * delivered: the contract allows SAs that come and go during a dump to be
 * missing or present, and a busy box must still get an answer.
 */
int xha_nl_sa_dump(struct xha_nl *nl, xha_sa_cb cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dump_ctx ctx = { .nl = nl };
	int attempt, err = 0;
	size_t i;

	for (attempt = 0; attempt <= XHA_DUMP_RETRIES; attempt++) {
		struct nlmsghdr *nlh;
		bool intr = false;

		ctx.vec.n = 0;
		nlh = msg_start(buf, nl->family_id, XFRM_HA_CMD_SA_GET,
				NLM_F_DUMP);
		err = talk(nl, nlh, dump_msg_cb, &ctx, &intr);
		if (err == -ENOMEM)
			seterr(nl, err, "out of memory");
		if (err || !intr)
			break;
	}
	for (i = 0; !err && i < ctx.vec.n; i++) {
		err = cb(&ctx.vec.v[i], arg);
		if (err)
			seterr(nl, err, "stopped by the callback (%d)", err);
	}
	free(ctx.vec.v);
	return err;
}

int xha_nl_sa_dump_start(struct xha_nl *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = msg_start(buf, nl->family_id, XFRM_HA_CMD_SA_GET, NLM_F_DUMP);
	nlh->nlmsg_seq = nl->dump_seq = ++nl->seq;
	nl->ext_msg[0] = '\0';
	nl->ext_miss_type = -1;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return seterr(nl, -errno, "netlink send: %s", strerror(errno));
	return 0;
}

/*
 * One datagram of the dump, without waiting: the kernel fills the next
 * one as this one is read, so the dump goes as fast as the caller reads.
 */
int xha_nl_sa_dump_step(struct xha_nl *nl, xha_sa_cb cb, void *arg,
			bool *torn)
{
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len, ret;

	n = recv_datagram_flags(nl, true, MSG_DONTWAIT);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return 0;
	if (n < 0)
		return (int)n;
	len = (int)n;
	for (nlh = (const struct nlmsghdr *)nl->rx; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != nl->dump_seq ||
		    nlh->nlmsg_pid != nl->portid)
			continue;
		if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && torn)
			*torn = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_OVERRUN:
			return seterr(nl, -EPROTO, "netlink overrun");
		case NLMSG_ERROR:
			ret = parse_nlmsgerr(nl, nlh);
			return ret ? ret : 1;
		case NLMSG_DONE:
			ret = parse_done(nl, nlh);
			return ret ? ret : 1;
		}
		ret = for_each_sa(nl, nlh, XFRM_HA_CMD_SA_GET, cb, arg);
		if (ret)
			return seterr(nl, ret, "stopped by the callback (%d)",
				      ret);
	}
	return 0;
}

int xha_nl_sa_set(struct xha_nl *nl, const struct xha_sa *sa)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	if (!(sa->has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
			 XHA_SA_HAS_LIFETIME)))
		return seterr(nl, -EINVAL, "no counter to set");
	nlh = msg_start(buf, nl->family_id, XFRM_HA_CMD_SA_SET, NLM_F_ACK);
	if (put_sa(nlh, sa, true))
		return seterr(nl, -EAFNOSUPPORT, "address family %u not supported",
			      sa->family);
	return talk(nl, nlh, NULL, NULL, NULL);
}

struct batch_ctx {
	struct xha_nl_result *res;
	unsigned int n;
	const unsigned int *idx;	/* record -> caller's index */
	unsigned int seen;
};

/* The reply: one XFRM_HA_A_RESULT per record sent, in order. */
static int batch_reply_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct batch_ctx *ctx = arg;
	const struct nlattr *a, *r;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		uint32_t index = UINT32_MAX, error = 0;
		const char *msg = NULL;
		struct xha_nl_result *res;

		if (mnl_attr_get_type(a) != XFRM_HA_A_RESULT)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EBADMSG;
		mnl_attr_for_each_nested(r, a) {
			switch (mnl_attr_get_type(r)) {
			case XFRM_HA_RESULT_A_INDEX:
				if (mnl_attr_validate(r, MNL_TYPE_U32) < 0)
					return -EBADMSG;
				index = mnl_attr_get_u32(r);
				break;
			case XFRM_HA_RESULT_A_ERROR:
				if (mnl_attr_validate(r, MNL_TYPE_U32) < 0)
					return -EBADMSG;
				error = mnl_attr_get_u32(r);
				break;
			case XFRM_HA_RESULT_A_MSG:
				if (mnl_attr_validate(r, MNL_TYPE_NUL_STRING) < 0)
					return -EBADMSG;
				msg = mnl_attr_get_str(r);
				break;
			}
		}
		if (index >= ctx->n || error > 4095)
			return -EBADMSG;
		res = &ctx->res[ctx->idx[index]];
		res->err = -(int)error;
		snprintf(res->msg, sizeof(res->msg), "%s", msg ? msg : "");
		ctx->seen++;
	}
	return 0;
}

int xha_nl_sa_set_batch(struct xha_nl *nl, const struct xha_sa *sa,
			unsigned int n, struct xha_nl_result *res)
{
	unsigned int idx[XHA_BATCH_MAX], i, sent = 0;
	struct batch_ctx ctx = { .res = res, .idx = idx };
	struct nlmsghdr *nlh;
	struct nlattr *batch;
	char *buf;
	int err = 0;

	if (n > XHA_BATCH_MAX)
		return seterr(nl, -E2BIG, "more than %d requests in a batch",
			      XHA_BATCH_MAX);
	for (i = 0; i < n; i++) {
		res[i].err = -EINPROGRESS;
		res[i].msg[0] = '\0';
	}
	buf = malloc((size_t)n * XHA_SET_MSG_MAX + MNL_SOCKET_BUFFER_SIZE);
	if (!buf)
		return seterr(nl, -ENOMEM, "out of memory");
	nlh = msg_start(buf, nl->family_id, XFRM_HA_CMD_SA_SET, NLM_F_ACK);
	batch = mnl_attr_nest_start(nlh, XFRM_HA_A_BATCH);
	batch->nla_type |= NLA_F_NESTED;
	for (i = 0; i < n; i++) {
		if (!(sa[i].has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ |
				   XHA_SA_HAS_LIFETIME))) {
			res[i].err = -EINVAL;
			snprintf(res[i].msg, sizeof(res[i].msg),
				 "no counter to set");
			continue;
		}
		if (put_sa(nlh, &sa[i], true)) {
			res[i].err = -EAFNOSUPPORT;
			snprintf(res[i].msg, sizeof(res[i].msg),
				 "address family %u not supported",
				 sa[i].family);
			continue;
		}
		idx[sent++] = i;
	}
	mnl_attr_nest_end(nlh, batch);
	ctx.n = sent;
	if (sent)
		err = talk(nl, nlh, batch_reply_cb, &ctx, NULL);
	if (!err && ctx.seen != sent)
		err = seterr(nl, -EBADMSG, "%u results for %u records",
			     ctx.seen, sent);
	/* Records left without a result: the request's failure. */
	for (i = 0; i < n; i++)
		if (res[i].err == -EINPROGRESS) {
			res[i].err = err;
			snprintf(res[i].msg, sizeof(res[i].msg), "%s", nl->err);
		}
	free(buf);
	return err;
}

/* Configuration and statistics ------------------------------------------ */

static int parse_config(const struct nlattr *nest, struct xha_config *cfg)
{
	const struct nlattr *a;

	memset(cfg, 0, sizeof(*cfg));
	mnl_attr_for_each_nested(a, nest) {
		uint32_t *dst;
		unsigned int bit;

		switch (mnl_attr_get_type(a)) {
		case XFRM_HA_CFG_A_SYNC_PACKETS:
			dst = &cfg->sync_packets;
			bit = XHA_CFG_HAS_SYNC_PACKETS;
			break;
		case XFRM_HA_CFG_A_SYNC_TIME_MS:
			dst = &cfg->sync_time_ms;
			bit = XHA_CFG_HAS_SYNC_TIME_MS;
			break;
		case XFRM_HA_CFG_A_SCAN_INTERVAL_MS:
			dst = &cfg->scan_interval_ms;
			bit = XHA_CFG_HAS_SCAN_INTERVAL_MS;
			break;
		case XFRM_HA_CFG_A_OSEQ_WRAP_MARGIN:
			dst = &cfg->oseq_wrap_margin;
			bit = XHA_CFG_HAS_OSEQ_WRAP_MARGIN;
			break;
		case XFRM_HA_CFG_A_IDLE_INTERVAL_MS:
			dst = &cfg->idle_interval_ms;
			bit = XHA_CFG_HAS_IDLE_INTERVAL_MS;
			break;
		default:
			continue;
		}
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -EBADMSG;
		*dst = mnl_attr_get_u32(a);
		cfg->has |= bit;
	}
	return 0;
}

/* Where each 64-bit statistic goes in struct xha_stats; 0: not one. */
static const size_t stats_u64_offset[XFRM_HA_STATS_A_MAX + 1] = {
	[XFRM_HA_STATS_A_EVENTS] = offsetof(struct xha_stats, events),
	[XFRM_HA_STATS_A_SCANS] = offsetof(struct xha_stats, scans),
	[XFRM_HA_STATS_A_RECORDS] = offsetof(struct xha_stats, records),
	[XFRM_HA_STATS_A_BATCHES] = offsetof(struct xha_stats, batches),
	[XFRM_HA_STATS_A_SEND_ERRORS] = offsetof(struct xha_stats, send_errors),
	[XFRM_HA_STATS_A_WRITES] = offsetof(struct xha_stats, writes),
	[XFRM_HA_STATS_A_WRITES_REFUSED] =
		offsetof(struct xha_stats, writes_refused),
	[XFRM_HA_STATS_A_SWEPT] = offsetof(struct xha_stats, swept),
	[XFRM_HA_STATS_A_OSEQ_CLAMPED] =
		offsetof(struct xha_stats, oseq_clamped),
	[XFRM_HA_STATS_A_SOFT_EXPIRES] =
		offsetof(struct xha_stats, soft_expires),
	[XFRM_HA_STATS_A_CHECKS] = offsetof(struct xha_stats, checks),
	[XFRM_HA_STATS_A_READS] = offsetof(struct xha_stats, reads),
	[XFRM_HA_STATS_A_RECONCILES] = offsetof(struct xha_stats, reconciles),
	[XFRM_HA_STATS_A_LIFECYCLE] = offsetof(struct xha_stats, lifecycle),
};

static int parse_stats(const struct nlattr *nest, struct xha_stats *st)
{
	const struct nlattr *a;
	uint16_t type;

	memset(st, 0, sizeof(*st));
	mnl_attr_for_each_nested(a, nest) {
		type = mnl_attr_get_type(a);
		if (type == XFRM_HA_STATS_A_SAS) {
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			st->sas = mnl_attr_get_u32(a);
		} else if (type == XFRM_HA_STATS_A_ENTRY_BYTES) {
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			st->entry_bytes = mnl_attr_get_u32(a);
		} else if (type == XFRM_HA_STATS_A_HOT) {
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			st->hot = mnl_attr_get_u32(a);
		} else if (type <= XFRM_HA_STATS_A_MAX && stats_u64_offset[type]) {
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			*(uint64_t *)((char *)st + stats_u64_offset[type]) =
				mnl_attr_get_u64(a);
		}
	}
	return 0;
}

struct cfg_ctx {
	struct xha_config *cfg;
	struct xha_stats *stats;
	bool have_cfg, have_stats;
};

static int config_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct cfg_ctx *ctx = arg;
	const struct nlattr *a;
	struct xha_config cfg;
	struct xha_stats st;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case XFRM_HA_A_CONFIG:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
			    parse_config(a, &cfg) < 0)
				return -EBADMSG;
			if (ctx->cfg)
				*ctx->cfg = cfg;
			ctx->have_cfg = true;
			break;
		case XFRM_HA_A_STATS:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
			    parse_stats(a, &st) < 0)
				return -EBADMSG;
			if (ctx->stats)
				*ctx->stats = st;
			ctx->have_stats = true;
			break;
		}
	}
	return 0;
}

int xha_nl_config_get(struct xha_nl *nl, struct xha_config *cfg,
		      struct xha_stats *stats)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct cfg_ctx ctx = { .cfg = cfg, .stats = stats };
	struct nlmsghdr *nlh;
	int err;

	nlh = msg_start(buf, nl->family_id, XFRM_HA_CMD_CONFIG_GET, NLM_F_ACK);
	err = talk(nl, nlh, config_msg_cb, &ctx, NULL);
	if (err == -EBADMSG)
		return seterr(nl, err, "malformed configuration from the kernel");
	if (err)
		return err;
	if (!ctx.have_cfg || !ctx.have_stats)
		return seterr(nl, -EPROTO, "incomplete configuration from the kernel");
	return 0;
}

int xha_nl_config_set(struct xha_nl *nl, const struct xha_config *cfg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = msg_start(buf, nl->family_id, XFRM_HA_CMD_CONFIG_SET, NLM_F_ACK);
	nest = mnl_attr_nest_start(nlh, XFRM_HA_A_CONFIG);
	nest->nla_type |= NLA_F_NESTED;
	if (cfg->has & XHA_CFG_HAS_SYNC_PACKETS)
		mnl_attr_put_u32(nlh, XFRM_HA_CFG_A_SYNC_PACKETS,
				 cfg->sync_packets);
	if (cfg->has & XHA_CFG_HAS_SYNC_TIME_MS)
		mnl_attr_put_u32(nlh, XFRM_HA_CFG_A_SYNC_TIME_MS,
				 cfg->sync_time_ms);
	if (cfg->has & XHA_CFG_HAS_SCAN_INTERVAL_MS)
		mnl_attr_put_u32(nlh, XFRM_HA_CFG_A_SCAN_INTERVAL_MS,
				 cfg->scan_interval_ms);
	if (cfg->has & XHA_CFG_HAS_OSEQ_WRAP_MARGIN)
		mnl_attr_put_u32(nlh, XFRM_HA_CFG_A_OSEQ_WRAP_MARGIN,
				 cfg->oseq_wrap_margin);
	if (cfg->has & XHA_CFG_HAS_IDLE_INTERVAL_MS)
		mnl_attr_put_u32(nlh, XFRM_HA_CFG_A_IDLE_INTERVAL_MS,
				 cfg->idle_interval_ms);
	mnl_attr_nest_end(nlh, nest);
	return talk(nl, nlh, NULL, NULL, NULL);
}

/* Notifications ---------------------------------------------------------- */

int xha_nl_subscribe(struct xha_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock);
	int size = XHA_NOTIFY_RCVBUF, one = 1;
	unsigned int grp = nl->mcgrp_id;

	/*
	 * A burst of records must not overflow the queue while the reader
	 * is busy: ask for a large buffer, beyond rmem_max when privileged.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/*
	 * Without this, a message our full queue drops is invisible to the
	 * sender (netlink_broadcast() reports delivery failures only to
	 * those who ask) and the module's send_errors would not count it.
	 */
	mnl_socket_setsockopt(nl->sock, NETLINK_BROADCAST_ERROR, &one,
			      sizeof(one));
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return seterr(nl, -errno, "joining group \"%s\": %s",
			      XFRM_HA_MCGRP_SEQNUM, strerror(errno));
	nl->subscribed = true;
	return 0;
}

int xha_nl_recv_notify(struct xha_nl *nl, xha_sa_cb cb, void *arg)
{
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	n = recv_datagram(nl, false);
	if (n == -EINTR)
		return -EINTR;
	if (n == -ENOBUFS)
		return seterr(nl, -ENOBUFS, "notifications lost (ENOBUFS): dump again");
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return -EAGAIN;
	if (n < 0)
		return (int)n;
	len = (int)n;
	for (nlh = (const struct nlmsghdr *)nl->rx; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		int ret = for_each_sa(nl, nlh, XFRM_HA_CMD_SA_NOTIFY, cb, arg);

		if (ret)
			return ret;
	}
	return 0;
}

/* The controller's "notify" group: the family registered again ------- */

struct xha_nl *xha_watch_open(char *err, size_t errlen)
{
	struct family_info fi = { .group = "notify" };
	int ret, flags, fd;
	unsigned int grp;
	struct xha_nl *nl = nl_new(&ret);

	if (!ret)
		ret = lookup_family(nl, "nlctrl", &fi);
	if (!ret) {
		grp = fi.group_id;
		if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
					  &grp, sizeof(grp)) < 0)
			ret = seterr(nl, -errno, "joining nlctrl's \"notify\" group: %s",
				     strerror(errno));
	}
	if (!ret) {
		fd = mnl_socket_get_fd(nl->sock);
		flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
			ret = seterr(nl, -errno, "fcntl: %s", strerror(errno));
	}
	if (ret)
		return open_fail(nl, ret, err, errlen);
	nl->family_id = GENL_ID_CTRL;
	nl->subscribed = true;
	nl->err[0] = '\0';
	return nl;
}

/* Is this controller message about the xfrm_ha family? */
static bool ctrl_names_us(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
		    !strcmp(mnl_attr_get_str(a), XFRM_HA_GENL_NAME))
			return true;
	return false;
}

int xha_watch_recv(struct xha_nl *nl)
{
	const struct nlmsghdr *nlh;
	const struct genlmsghdr *g;
	int len, seen = 0;
	ssize_t n;

	n = recv_datagram(nl, false);
	if (n == -EWOULDBLOCK)
		return -EAGAIN;
	if (n == -ENOBUFS)
		return seterr(nl, -ENOBUFS, "controller notifications lost (ENOBUFS)");
	if (n < 0)
		return (int)n;
	len = (int)n;
	for (nlh = (const struct nlmsghdr *)nl->rx; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != GENL_ID_CTRL ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
			continue;
		g = mnl_nlmsg_get_payload(nlh);
		if (g->cmd == CTRL_CMD_NEWFAMILY && ctrl_names_us(nlh))
			seen |= XHA_WATCH_NEW;
		else if (g->cmd == CTRL_CMD_DELFAMILY && ctrl_names_us(nlh))
			seen |= XHA_WATCH_DEL;
	}
	return seen;
}

/* Helpers ---------------------------------------------------------------- */

int xha_sa_format_id(const struct xha_sa *sa, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	const char *proto;
	int n;

	if (!addr_len(sa->family) ||
	    !inet_ntop(sa->family, sa->daddr, addr, sizeof(addr))) {
		if (len)
			snprintf(buf, len, "<family %u>", sa->family);
		return -EAFNOSUPPORT;
	}
	proto = sa->proto == IPPROTO_ESP ? "esp" :
		sa->proto == IPPROTO_AH ? "ah" : NULL;
	if (proto)
		n = snprintf(buf, len, "%s spi 0x%08x dst %s mark %u if_id %u",
			     proto, ntohl(sa->spi), addr, sa->mark, sa->if_id);
	else
		n = snprintf(buf, len, "proto %u spi 0x%08x dst %s mark %u if_id %u",
			     sa->proto, ntohl(sa->spi), addr, sa->mark,
			     sa->if_id);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int xha_sa_format_cmd(const struct xha_sa *sa, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN], proto[8], extra[40] = "";
	int n;

	if (!addr_len(sa->family) ||
	    !inet_ntop(sa->family, sa->daddr, addr, sizeof(addr))) {
		if (len)
			snprintf(buf, len, "<family %u>", sa->family);
		return -EAFNOSUPPORT;
	}
	if (sa->proto == IPPROTO_ESP || sa->proto == IPPROTO_AH)
		snprintf(proto, sizeof(proto), "%s",
			 sa->proto == IPPROTO_ESP ? "esp" : "ah");
	else
		snprintf(proto, sizeof(proto), "%u", sa->proto);
	if (sa->mark && sa->if_id)
		snprintf(extra, sizeof(extra), " mark %u if-id %u", sa->mark,
			 sa->if_id);
	else if (sa->mark)
		snprintf(extra, sizeof(extra), " mark %u", sa->mark);
	else if (sa->if_id)
		snprintf(extra, sizeof(extra), " if-id %u", sa->if_id);
	n = snprintf(buf, len, "dst %s spi 0x%08x proto %s%s", addr,
		     ntohl(sa->spi), proto, extra);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

bool xha_sa_same_id(const struct xha_sa *a, const struct xha_sa *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->spi == b->spi && a->mark == b->mark &&
	       a->if_id == b->if_id && addr_len(a->family) &&
	       !memcmp(a->daddr, b->daddr, addr_len(a->family));
}
