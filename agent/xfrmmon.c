// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "xfrmmon.h"

/* A datagram of events: the kernel's skbs for them are at most a page or
 * two, but a large buffer costs nothing. */
#define XFRMMON_RXBUF 65536
#define XFRMMON_RCVBUF (4 << 20)

int xfrmmon_open(struct xfrmmon *m, char *err, size_t errlen)
{
	unsigned int grp = XFRMNLGRP_SA;
	int fd, flags, size = XFRMMON_RCVBUF;

	memset(m, 0, sizeof(*m));
	m->rx = malloc(XFRMMON_RXBUF);
	m->sock = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!m->rx || !m->sock) {
		snprintf(err, errlen, "xfrm event socket: %s",
			 m->rx ? strerror(errno) : "out of memory");
		goto fail;
	}
	fd = mnl_socket_get_fd(m->sock);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (mnl_socket_bind(m->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(m->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		snprintf(err, errlen, "xfrm event socket (group XFRMNLGRP_SA): %s",
			 strerror(errno));
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "xfrm event socket: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	xfrmmon_close(m);
	return -1;
}

void xfrmmon_close(struct xfrmmon *m)
{
	if (m->sock)
		mnl_socket_close(m->sock);
	free(m->rx);
	m->sock = NULL;
	m->rx = NULL;
}

int xfrmmon_fd(const struct xfrmmon *m)
{
	return m->sock ? mnl_socket_get_fd(m->sock) : -1;
}

int xfrmmon_parse(const struct nlmsghdr *nlh, struct xha_sa *id)
{
	struct xfrm_usersa_info info, *p = &info;
	struct xfrm_mark mark;
	const struct nlattr *a;
	size_t alen;
	int rem;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA &&
	    nlh->nlmsg_type != XFRM_MSG_UPDSA)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < MNL_ALIGN(sizeof(info)))
		return -EINVAL;
	/* Copied: a message is only 4-byte aligned, the struct wants 8. */
	memcpy(&info, mnl_nlmsg_get_payload(nlh), sizeof(info));
	memset(id, 0, sizeof(*id));
	id->family = p->family;
	alen = p->family == AF_INET ? 4 : p->family == AF_INET6 ? 16 : 0;
	if (!alen)
		return -EINVAL;
	if (p->id.proto != IPPROTO_ESP && p->id.proto != IPPROTO_AH)
		return 0;	/* IPcomp and the like: never ours */
	id->proto = p->id.proto;
	id->spi = p->id.spi;
	memcpy(id->daddr, &p->id.daddr, alen);
	/* Not mnl_attr_for_each: it ends at the aligned tail, up to 3 bytes
	 * past an unaligned nlmsg_len. rem counts what nlmsg_len leaves. */
	rem = (int)(nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(sizeof(info)));
	for (a = (const struct nlattr *)((const char *)mnl_nlmsg_get_payload(nlh) +
					 MNL_ALIGN(sizeof(info)));
	     mnl_attr_ok(a, rem);
	     rem -= MNL_ALIGN(a->nla_len), a = mnl_attr_next(a)) {
		switch (mnl_attr_get_type(a)) {
		case XFRMA_MARK:
			if (mnl_attr_validate2(a, MNL_TYPE_UNSPEC,
					       sizeof(mark)) < 0)
				return -EINVAL;
			memcpy(&mark, mnl_attr_get_payload(a), sizeof(mark));
			id->mark = mark.v;
			break;
		case XFRMA_IF_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EINVAL;
			id->if_id = mnl_attr_get_u32(a);
			break;
		}
	}
	return 1;
}

int xfrmmon_parse_buf(const void *buf, size_t len, xha_sa_cb cb, void *arg,
		      uint64_t *malformed)
{
	const char *p = buf;
	const struct nlmsghdr *nlh;
	struct xha_sa id;
	size_t step;
	int ret;

	/*
	 * Not mnl_nlmsg_ok()/mnl_nlmsg_next(): they compare nlmsg_len as an
	 * int, and a length of 2^31 or more passes and then steps out of
	 * the buffer (found by fuzz/xfrm_event.c). Sizes compared unsigned.
	 */
	while (len >= sizeof(*nlh)) {
		nlh = (const struct nlmsghdr *)p;
		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len) {
			(*malformed)++;
			break;
		}
		ret = xfrmmon_parse(nlh, &id);
		if (ret < 0)
			(*malformed)++;
		if (ret > 0) {
			ret = cb(&id, arg);
			if (ret)
				return ret;
		}
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

int xfrmmon_recv(struct xfrmmon *m, xha_sa_cb cb, void *arg)
{
	struct sockaddr_nl addr;
	struct iovec iov = { .iov_base = m->rx, .iov_len = XFRMMON_RXBUF };
	struct msghdr msg = {
		.msg_name = &addr,
		.msg_namelen = sizeof(addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	if (!m->sock)
		return -EAGAIN;
	n = recvmsg(mnl_socket_get_fd(m->sock), &msg, 0);
	if (n < 0 && errno == ENOBUFS) {
		m->enobufs++;
		return -ENOBUFS;
	}
	if (n < 0)
		return errno == EINTR || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* Only the kernel (port 0) speaks for xfrm; a cut-off datagram is
	 * parsed as far as it goes. */
	if (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0)
		return 0;
	return xfrmmon_parse_buf(m->rx, (size_t)n, cb, arg, &m->malformed);
}
