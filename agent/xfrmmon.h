/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own xfrm SA events (NETLINK_XFRM, group XFRMNLGRP_SA):
 * XFRM_MSG_NEWSA and XFRM_MSG_UPDSA tell the backup that an SA it keeps a
 * record for was installed, so that the record is applied at once rather
 * than at the next retry. Only the identity is read, as the module
 * identifies an SA: family, daddr, spi, proto, the mark's value
 * (XFRMA_MARK v, not masked) and XFRMA_IF_ID.
 */
#ifndef AGENT_XFRMMON_H
#define AGENT_XFRMMON_H

#include <stddef.h>
#include <stdint.h>

#include "xha_nl.h"

struct nlmsghdr;
struct mnl_socket;

struct xfrmmon {
	struct mnl_socket *sock;	/* NULL: not open */
	char *rx;
	uint64_t malformed;		/* messages that did not parse */
	uint64_t enobufs;		/* events lost: full pass done */
};

/* Non-blocking socket joined to XFRMNLGRP_SA, with a large buffer. */
int xfrmmon_open(struct xfrmmon *m, char *err, size_t errlen);
void xfrmmon_close(struct xfrmmon *m);
int xfrmmon_fd(const struct xfrmmon *m);	/* -1 if not open */

/*
 * Read one datagram and call cb with the identity of every SA it says
 * was installed or updated. Returns 0, -EAGAIN when nothing was pending,
 * -ENOBUFS when events were lost (then retry everything), or cb's first
 * non-zero return.
 */
int xfrmmon_recv(struct xfrmmon *m, xha_sa_cb cb, void *arg);

/*
 * One message: 1 with *id filled (identity only, has = 0) for a NEWSA or
 * UPDSA, 0 for any other message, -EINVAL if it is malformed. Bounds are
 * checked against nlmsg_len, which the caller has checked against the
 * buffer (mnl_nlmsg_ok).
 */
int xfrmmon_parse(const struct nlmsghdr *nlh, struct xha_sa *id);
/*
 * Every message of a datagram of len bytes: cb for each SA, malformed
 * messages counted in *malformed. Returns cb's first non-zero return, or 0.
 */
int xfrmmon_parse_buf(const void *buf, size_t len, xha_sa_cb cb, void *arg,
		      uint64_t *malformed);

#endif /* AGENT_XFRMMON_H */
