/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reload (SIGHUP, "ha-ike reload"): what differs between the running
 * configuration and the one just loaded, what that takes to apply, and what
 * cannot change while the agent runs. Pure: agent.c applies the plan.
 */
#ifndef AGENT_RELOAD_H
#define AGENT_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct reload_plan {
	bool link;	/* interface, addresses, port: reopen the socket */
	bool session;	/* key, addresses, port, remote-node-id: handshake again */
	bool group;	/* the HA group or its controller: reopen it */
	bool kernel;	/* sync-period-*, oseq-wrap-margin: push to the module */
	bool sync;	/* oseq-shift, the adaptive shift, sync-period-time */
	bool charon;	/* strongswan, its FIFO */
	bool track;	/* track-file */
	unsigned int changes;	/* settings that differ, 0: nothing to do */
	char what[768];	/* "oseq-shift 65536 -> 1024, ...", for the log */
};

/*
 * Fills *rp. Returns 0, or -1 with err naming what cannot change live
 * (node-id, control-socket, enabled) and saying why.
 */
int reload_plan(const struct config *old, const struct config *new,
		struct reload_plan *rp, char *err, size_t errlen);

#endif /* AGENT_RELOAD_H */
