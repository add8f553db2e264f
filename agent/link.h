/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HA link's UDP socket: bound to local-address:port and, when
 * `interface` is set, to that interface, talking to remote-address:port
 * only.
 *
 * Binding to the interface: SO_BINDTODEVICE first (since Linux 5.7 it needs
 * no CAP_NET_RAW on a socket not bound to a device yet). Where that is
 * refused, the socket sends through the interface with IP_UNICAST_IF /
 * IPV6_UNICAST_IF and link_recv() drops what arrived on another interface
 * (IP_PKTINFO / IPV6_RECVPKTINFO), reporting it as PROTO_ERR_IFACE.
 */
#ifndef AGENT_LINK_H
#define AGENT_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"

/* How the socket is tied to `interface`. */
enum link_bind {
	LINK_BIND_NONE,		/* no interface configured (or it is missing) */
	LINK_BIND_DEVICE,	/* SO_BINDTODEVICE */
	LINK_BIND_PKTINFO,	/* *_UNICAST_IF out, *_PKTINFO checked in */
};

struct link {
	int fd;
	struct sockaddr_storage remote;
	socklen_t remote_len;
	enum link_bind bind;
	unsigned int ifindex;	/* `interface`, 0 if unset or missing */
	/*
	 * Why the last datagram link_recv() returned with *from_peer false
	 * was not taken: PROTO_ERR_SOURCE (another address or port) or
	 * PROTO_ERR_IFACE (another interface, LINK_BIND_PKTINFO only).
	 */
	int reject;
	int rcvbuf, sndbuf;	/* what the kernel granted (as getsockopt) */
};

int link_open(struct link *l, const struct config *cfg, char *err,
	      size_t errlen);
void link_close(struct link *l);

/* Returns 0 or a negative errno. */
int link_send(struct link *l, const void *pkt, size_t len);

/*
 * Read one datagram without blocking. Returns its full length (which may
 * exceed len: the rest was cut off), -EAGAIN when none is pending, or
 * another negative errno. *from_peer is false if it came from anywhere
 * but remote-address:port, or through another interface than `interface`;
 * l->reject then says which (a proto_err).
 */
ssize_t link_recv(struct link *l, void *buf, size_t len, bool *from_peer);

#endif /* AGENT_LINK_H */
