// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "proto.h"

#define LINK_RCVBUF (4 << 20)	/* a bulk sync arrives as a burst */
#define LINK_SNDBUF (1 << 20)	/* and leaves as one */
#define LINK_TOS 0xc0		/* CS6, network control */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);
}

/*
 * A socket buffer of `want` bytes: SO_*BUFFORCE (CAP_NET_ADMIN) goes past
 * the sysctl's maximum; without it SO_*BUF is capped there. The kernel
 * doubles what it is asked for (bookkeeping overhead) and getsockopt
 * reports the doubled size. Returns what was granted.
 */
static int set_buf(int fd, bool rcv, int want)
{
	int force = rcv ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
	int opt = rcv ? SO_RCVBUF : SO_SNDBUF;
	const char *what = rcv ? "receive" : "send";
	const char *sysctl = rcv ? "net.core.rmem_max" : "net.core.wmem_max";
	int got = 0, ferr = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof(want)) < 0) {
		ferr = errno;
		if (setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want)) < 0)
			log_warn("HA socket %s buffer: %s", what,
				 strerror(errno));
	}
	if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) < 0) {
		log_warn("HA socket %s buffer: getsockopt: %s", what,
			 strerror(errno));
		return 0;
	}
	if (got / 2 < want)
		log_warn("HA socket %s buffer: asked for %d bytes, the kernel "
			 "granted %d (SO_%s: %s); a burst (bulk sync) may be "
			 "dropped: raise %s (sysctl -w %s=%d) or give the agent "
			 "CAP_NET_ADMIN",
			 what, want, got / 2,
			 rcv ? "RCVBUFFORCE" : "SNDBUFFORCE",
			 ferr ? strerror(ferr) : "granted less", sysctl, sysctl,
			 want);
	return got;
}

/*
 * Without SO_BINDTODEVICE: send through the interface (IP_UNICAST_IF /
 * IPV6_UNICAST_IF; both want the index in network byte order) and learn
 * each datagram's incoming interface (IP_PKTINFO / IPV6_RECVPKTINFO).
 */
static int bind_pktinfo(int fd, int family, unsigned int ifindex)
{
	int one = 1;

	if (family == AF_INET) {
		uint32_t idx = htonl(ifindex);

		if (setsockopt(fd, IPPROTO_IP, IP_UNICAST_IF, &idx,
			       sizeof(idx)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
			       sizeof(one)) < 0)
			return -errno;
	} else {
		/* Network byte order as well (ipv6_sockglue.c: ntohl). */
		int idx = (int)htonl(ifindex);

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_IF, &idx,
			       sizeof(idx)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			       sizeof(one)) < 0)
			return -errno;
	}
	return 0;
}

int link_open(struct link *l, const struct config *cfg, char *err,
	      size_t errlen)
{
	struct sockaddr_storage local = cfg->local;
	struct timeval tv = { .tv_sec = 1 };
	int one = 1, tos = LINK_TOS;
	unsigned int ifindex = 0;

	l->fd = -1;
	l->bind = LINK_BIND_NONE;
	l->reject = PROTO_ERR_SOURCE;
	l->rcvbuf = l->sndbuf = 0;
	l->remote = cfg->remote;
	l->remote_len = sa_len(&cfg->remote);
	if (cfg->interface[0]) {
		ifindex = if_nametoindex(cfg->interface);
		if (!ifindex)
			log_warn("interface %s: %s", cfg->interface,
				 strerror(errno));
	}
	l->ifindex = ifindex;
	if (cfg->family == AF_INET6) {
		struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&local;
		struct sockaddr_in6 *r6 = (struct sockaddr_in6 *)&l->remote;

		/* Link-local addresses need the interface as their scope. */
		if (IN6_IS_ADDR_LINKLOCAL(&l6->sin6_addr) ||
		    IN6_IS_ADDR_LINKLOCAL(&r6->sin6_addr)) {
			if (!ifindex) {
				seterr(err, errlen,
				       "link-local addresses need an existing interface");
				return -1;
			}
			if (IN6_IS_ADDR_LINKLOCAL(&l6->sin6_addr))
				l6->sin6_scope_id = ifindex;
			if (IN6_IS_ADDR_LINKLOCAL(&r6->sin6_addr))
				r6->sin6_scope_id = ifindex;
		}
	}

	l->fd = socket(cfg->family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (l->fd < 0) {
		seterr(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* No SO_REUSEADDR: a second agent on the same address must fail to
	 * bind (EADDRINUSE) rather than share the port and split traffic. */
	if (cfg->family == AF_INET6) {
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	} else {
		setsockopt(l->fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	}
	l->rcvbuf = set_buf(l->fd, true, LINK_RCVBUF);
	l->sndbuf = set_buf(l->fd, false, LINK_SNDBUF);
	/* Sends block (a bulk sync can fill the queue), but not forever. */
	setsockopt(l->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/*
	 * Before bind(): on a socket not yet bound to a device,
	 * SO_BINDTODEVICE needs no CAP_NET_RAW since Linux 5.7.
	 */
	if (ifindex) {
		int e, r;

		if (!setsockopt(l->fd, SOL_SOCKET, SO_BINDTODEVICE,
				cfg->interface, strlen(cfg->interface) + 1)) {
			l->bind = LINK_BIND_DEVICE;
		} else {
			e = errno;
			r = bind_pktinfo(l->fd, cfg->family, ifindex);
			if (r < 0) {
				seterr(err, errlen,
				       "cannot tie the HA socket to interface %s: "
				       "SO_BINDTODEVICE: %s, %s: %s",
				       cfg->interface, strerror(e),
				       cfg->family == AF_INET ? "IP_UNICAST_IF/IP_PKTINFO" :
				       "IPV6_UNICAST_IF/IPV6_RECVPKTINFO",
				       strerror(-r));
				link_close(l);
				return -1;
			}
			l->bind = LINK_BIND_PKTINFO;
			log_warn("HA socket: SO_BINDTODEVICE %s: %s; sending through "
				   "it with %s and dropping datagrams that arrive on "
				   "another interface (wrong-interface)",
				   cfg->interface, strerror(e),
				   cfg->family == AF_INET ? "IP_UNICAST_IF" :
				   "IPV6_UNICAST_IF");
		}
	} else if (cfg->interface[0]) {
		log_warn("HA socket not tied to interface %s (missing); "
			 "relying on the addresses only", cfg->interface);
	}
	if (bind(l->fd, (struct sockaddr *)&local, sa_len(&local)) < 0) {
		int e = errno;

		seterr(err, errlen, "bind to %s port %u: %s%s", cfg->local_str,
		       cfg->port, strerror(e),
		       e == EADDRNOTAVAIL ? " (local-address not configured on this host?)" :
		       e == EADDRINUSE ? " (another ha-ike-agent running?)" : "");
		link_close(l);
		return -1;
	}
	return 0;
}

void link_close(struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int link_send(struct link *l, const void *pkt, size_t len)
{
	ssize_t n;

	do
		n = sendto(l->fd, pkt, len, 0, (struct sockaddr *)&l->remote,
			   l->remote_len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

static bool same_peer(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       x->sin_port == y->sin_port;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return !memcmp(&x->sin6_addr, &y->sin6_addr, 16) &&
	       x->sin6_port == y->sin6_port;
}

/* The incoming interface from IP_PKTINFO / IPV6_PKTINFO, 0 if absent. */
static unsigned int msg_ifindex(struct msghdr *msg)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return (unsigned int)pi.ipi_ifindex;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return pi.ipi6_ifindex;
		}
	}
	return 0;
}

ssize_t link_recv(struct link *l, void *buf, size_t len, bool *from_peer)
{
	struct sockaddr_storage from;
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.b,
		.msg_controllen = sizeof(cbuf.b),
	};
	ssize_t n;

	do
		n = recvmsg(l->fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* The interface first: with SO_BINDTODEVICE the kernel would not
	 * even have delivered it. No pktinfo (cut off) counts as another. */
	if (l->bind == LINK_BIND_PKTINFO && msg_ifindex(&msg) != l->ifindex) {
		l->reject = PROTO_ERR_IFACE;
		*from_peer = false;
		return n;
	}
	l->reject = PROTO_ERR_SOURCE;
	*from_peer = same_peer(&from, &l->remote);
	return n;
}
