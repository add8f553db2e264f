/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xfrm_ha generic netlink family through libxha: one request handle
 * (dumps, gets, sets, config) and, while the node is active, one
 * non-blocking notification handle subscribed to the "seqnum" group.
 */
#ifndef AGENT_KERNEL_H
#define AGENT_KERNEL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfrmmon.h"
#include "xha_nl.h"

/* What kernel_watch_ready() and kernel_tick() found. */
enum kernel_event {
	KERNEL_NONE,
	KERNEL_GONE,		/* the family was unregistered (rmmod) */
	KERNEL_BACK,		/* registered again: handles reopened */
};

struct kernel {
	struct xha_nl *req;
	struct xha_nl *ntf;	/* NULL unless subscribed */
	/* The family coming and going, and the SAs appearing (issue 7):
	 * never NULL/unopened in normal operation, but the agent runs
	 * without them (polling) if they cannot be opened. */
	struct xha_nl *watch;	/* nlctrl "notify": CTRL_CMD_NEW/DELFAMILY */
	struct xfrmmon mon;	/* XFRMNLGRP_SA: NEWSA, UPDSA */
	bool available;		/* the family is there, req resolved it */
	bool suspect;		/* check the family at the next chance */
	uint64_t checked;	/* last family check (ms) */
	uint64_t reloads;	/* family registered again, handles reopened */
	uint64_t gone;		/* family unregistered */
	enum kernel_event event; /* found by a request: for kernel_tick() */
};

/* `kernel family-reloads N` in show state. */
#define KERNEL_RELOADS(k) ((k)->reloads)
/* Writes while the family is gone fail with this (keep them). */
#define KERNEL_ENODEV (-ENODEV)
/* A request failing with -ENOENT checks the family at most this often. */
#define KERNEL_CHECK_MS 2000
/* While the family is gone, look for it this often too (a lost
 * NEWFAMILY must not keep the agent without a kernel). */
#define KERNEL_GONE_POLL_MS 5000

/* Opens the request handle, the family watch and the SA events (those
 * two only logged if they fail). */
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

/*
 * SA writes and reads through the request handle. While the family is
 * gone they fail with KERNEL_ENODEV at once. A request answered -ENOENT
 * makes a family check (at most every KERNEL_CHECK_MS): a missed reload
 * shows as an SA that is not installed, for ever. res[i].err is turned
 * into KERNEL_ENODEV when that check finds the family gone.
 */
int kernel_sa_set_batch(struct kernel *k, const struct xha_sa *sa,
			unsigned int n, struct xha_nl_result *res,
			uint64_t now);
int kernel_sa_get(struct kernel *k, const struct xha_sa *id,
		  struct xha_sa *out, uint64_t now);

/* The family watch's fd (-1 if none): call kernel_watch_ready() when
 * readable. */
int kernel_watch_fd(const struct kernel *k);
/*
 * Read the family watch; on DELFAMILY the kernel becomes unavailable, on
 * NEWFAMILY the handles are reopened (the notification handle is left to
 * the caller: unsubscribe it on GONE and BACK, subscribe again if active;
 * push the configuration again on BACK).
 */
enum kernel_event kernel_watch_ready(struct kernel *k, uint64_t now);
/* Periodic: a pending family check, and looking for a family gone. */
enum kernel_event kernel_tick(struct kernel *k, uint64_t now);

#endif /* AGENT_KERNEL_H */
