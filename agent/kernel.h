/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xfrm_ha generic netlink family through libxha: one request handle
 * (dumps, gets, sets, config) and, while the node is active, one
 * non-blocking notification handle subscribed to the "seqnum" group.
 */
#ifndef AGENT_KERNEL_H
#define AGENT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xha_nl.h"

struct kernel {
	struct xha_nl *req;
	struct xha_nl *ntf;	/* NULL unless subscribed */
};

/* Opens the request handle. */
int kernel_open(struct kernel *k, char *err, size_t errlen);
void kernel_close(struct kernel *k);

/*
 * The active node's notification handle: subscribe on becoming active,
 * close it on becoming a backup, so that the module scans this netns
 * only while someone publishes. After subscribing, dump: the module
 * arms the scan on a request (see uapi/linux/xfrm_ha.h).
 */
int kernel_subscribe(struct kernel *k, char *err, size_t errlen);
void kernel_unsubscribe(struct kernel *k);

/*
 * Push sync-period-packets, sync-period-time (seconds) and
 * oseq-wrap-margin (packets) in one request: all or nothing.
 */
int kernel_configure(struct kernel *k, uint32_t packets, uint32_t seconds,
		     uint32_t wrap_margin);

/* -1 if not subscribed. */
int kernel_notify_fd(const struct kernel *k);

#endif /* AGENT_KERNEL_H */
