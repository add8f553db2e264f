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
	/* readiness and reload (agent.c) */
	const char *config_path;	/* for reloads */
	bool ready;			/* READY=1 sent */
	uint64_t alone_since;		/* the link down since, 0: up */
	uint64_t last_extend;		/* EXTEND_TIMEOUT_USEC last sent */
	uint64_t reloads, reloads_failed;
	bool failed;			/* stopped on an error: exit 1 */
};

/*
 * Runs until SIGTERM/SIGINT. cfg (sodium_malloc'd: it holds the key) was
 * loaded from path and belongs to the agent from here on: a reload
 * replaces it, the agent frees it. Returns the process exit status.
 */
int agent_run(struct config *cfg, const char *path);

/*
 * Load and validate the configuration file again (SIGHUP, "ha-ike
 * reload") and apply what changed without losing the sync state (the
 * peer session and stream unless the link's key, addresses or port
 * changed, the shift and pending tables, the counters, the role). Returns
 * 0 with what changed in err (or "no change"), or -1 with the reason in
 * err, the running configuration untouched: the file is invalid (the
 * libyang message), a setting cannot change while the agent runs
 * (node-id, control-socket, the VRF), or applying it failed.
 */
int agent_reload(struct agent *a, char *err, size_t errlen);

#endif /* AGENT_AGENT_H */
