/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HA link's UDP socket: bound to local-address:port (and to the
 * interface when configured and permitted), talking to
 * remote-address:port only.
 */
#ifndef AGENT_LINK_H
#define AGENT_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"

struct link {
	int fd;
	struct sockaddr_storage remote;
	socklen_t remote_len;
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
 * but remote-address:port.
 */
ssize_t link_recv(struct link *l, void *buf, size_t len, bool *from_peer);

#endif /* AGENT_LINK_H */
