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

#define LINK_RCVBUF (4 << 20)	/* a bulk sync arrives as a burst */
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

int link_open(struct link *l, const struct config *cfg, char *err,
	      size_t errlen)
{
	struct sockaddr_storage local = cfg->local;
	struct timeval tv = { .tv_sec = 1 };
	int one = 1, tos = LINK_TOS, rcvbuf = LINK_RCVBUF;
	unsigned int ifindex = 0;

	l->remote = cfg->remote;
	l->remote_len = sa_len(&cfg->remote);
	if (cfg->interface[0]) {
		ifindex = if_nametoindex(cfg->interface);
		if (!ifindex)
			log_warn("interface %s: %s", cfg->interface,
				 strerror(errno));
	}
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
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	/* Sends block (a bulk sync can fill the queue), but not forever. */
	setsockopt(l->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (cfg->interface[0] &&
	    setsockopt(l->fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->interface,
		       strlen(cfg->interface) + 1) < 0)
		log_warn("cannot bind the HA socket to interface %s: %s; "
			 "relying on the addresses only",
			 cfg->interface, strerror(errno));
	if (bind(l->fd, (struct sockaddr *)&local, sa_len(&local)) < 0) {
		int e = errno;

		seterr(err, errlen, "bind to %s port %u: %s%s", cfg->local_str,
		       cfg->port, strerror(e),
		       e == EADDRNOTAVAIL ? " (local-address not configured on this host?)" :
		       e == EADDRINUSE ? " (another ha-ike-agent running?)" : "");
		close(l->fd);
		l->fd = -1;
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

ssize_t link_recv(struct link *l, void *buf, size_t len, bool *from_peer)
{
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	do
		n = recvmsg(l->fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*from_peer = same_peer(&from, &l->remote);
	return n;
}
