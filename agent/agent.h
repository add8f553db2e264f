/* SPDX-License-Identifier: GPL-2.0 */
/* Wires config, kernel, link, peer and sync into the event loop. */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include "charon.h"
#include "config.h"
#include "ctl.h"
#include "hagroup.h"
#include "kernel.h"
#include "link.h"
#include "loop.h"
#include "peer.h"
#include "sync.h"
#include "trackfile.h"

/* The agent's state, shared by agent.c (the wiring) and control.c (the
 * control socket's requests). */
struct agent {
	struct config *cfg;
	struct loop *loop;
	struct kernel kernel;
	struct link link;
	struct peer peer;
	struct sync sync;
	struct hagroup group;
	struct charon charon;
	struct trackfile track;
	struct ctl ctl;
	enum role role;
	uint64_t role_since;
	char state_file[sizeof(((struct config *)0)->control_socket) + 8];
	char status[256];
};


/* Runs until SIGTERM/SIGINT. Returns the process exit status. */
int agent_run(struct config *cfg);

#endif /* AGENT_AGENT_H */
