/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keepalived's vrrp_track_file as a hold-off, as sasyncd uses the carp
 * demote counter: 1 while this node must not win VRRP because its
 * counters are not fresh, 0 otherwise. Written atomically (a temporary
 * file renamed over it), and only when the value changes.
 */
#ifndef AGENT_TRACKFILE_H
#define AGENT_TRACKFILE_H

#include <stdbool.h>

#include <stdint.h>

#include "log.h"

#define TRACKFILE_RETRY_MS 1000

struct trackfile {
	const char *path;	/* NULL: not configured */
	int value;		/* -1: not written (or to be rewritten) */
	uint64_t last_fail;
	struct ratelimit rl;
};

void trackfile_init(struct trackfile *t, const char *path);
/*
 * Returns 0, or a negative errno (logged, rate limited; retried at most
 * every TRACKFILE_RETRY_MS).
 */
int trackfile_set(struct trackfile *t, bool hold, const char *why,
		  uint64_t now);
/*
 * Someone else wrote the file (keepalived's init_file overwrite at its
 * restart, an operator): forget what we wrote, so that the next
 * trackfile_set() writes it again.
 */
void trackfile_check(struct trackfile *t);

#endif /* AGENT_TRACKFILE_H */
