/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xfrm_ha generic netlink family through libxha: one request handle
 * (dumps, gets, sets, config) and, on the active node, one non-blocking
 * notification handle subscribed to the "seqnum" group.
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

/* Opens the request handle and, if subscribe, the notification one. */
int kernel_open(struct kernel *k, bool subscribe, char *err, size_t errlen);
void kernel_close(struct kernel *k);

/* Push sync-period-packets and sync-period-time (seconds). */
int kernel_configure(struct kernel *k, uint32_t packets, uint32_t seconds);

/* -1 if not subscribed. */
int kernel_notify_fd(const struct kernel *k);

#endif /* AGENT_KERNEL_H */
