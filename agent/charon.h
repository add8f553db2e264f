/* SPDX-License-Identifier: GPL-2.0 */
/*
 * strongSwan's ha plugin, driven through its control FIFO (charon.ha in
 * charon's piddir): "+1" activates segment 1 (charon's passive IKE_SAs
 * become established), "-1" deactivates it.
 *
 * charon opens the FIFO, reads once (at most 7 bytes), acts, closes and
 * opens it again. So one command per open, never written while charon
 * does not read (open fails with ENXIO: retried), and commands spaced by
 * CHARON_GAP_MS so that two never land in one read. Only the latest
 * wanted state is ever written.
 */
#ifndef AGENT_CHARON_H
#define AGENT_CHARON_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

#define CHARON_GAP_MS 500
#define CHARON_RETRY_MS 1000

struct charon {
	const char *path;	/* NULL: not configured, nothing to do */
	int want;		/* -1 nothing, 0 deactivate, 1 activate */
	bool done;		/* want has been written */
	uint64_t last_write, last_fail;
	char pidfile[4096];	/* charon.pid next to the FIFO */
	uint64_t pid_id;	/* inode and mtime seen last, 0: none */
	uint64_t writes, failures;
	struct ratelimit rl;
};

void charon_init(struct charon *c, const char *path);
/* Ask for the segment to be (de)activated; written at once if allowed. */
void charon_set(struct charon *c, bool active, uint64_t now);
/*
 * Retries and spaced writes. Also watches charon.pid in the FIFO's
 * directory: a charon that restarted has every segment inactive, so the
 * wanted state is written again.
 */
void charon_tick(struct charon *c, uint64_t now);
/* "activated", "deactivated", "activating (pending)", ... */
const char *charon_status(const struct charon *c);

#endif /* AGENT_CHARON_H */
