/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HA group this node listens to, and its one controller:
 *  - static: the state in the configuration;
 *  - keepalived: lines from its vrrp_notify_fifo for one VRRP instance or
 *    sync group. What queued in the FIFO while nobody read it is stale:
 *    at start, after a read error, and whenever the lines and the system
 *    disagree, the state is taken from the group's virtual addresses
 *    (keepalived adds them before it writes MASTER, and removes them
 *    before it writes BACKUP or FAULT). A line they contradict is not
 *    applied;
 *  - external: set through the control socket (ha-ike group NAME STATE).
 * Every change reaches the owner through one callback.
 */
#ifndef AGENT_HAGROUP_H
#define AGENT_HAGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "keepalived.h"
#include "log.h"

#define HAGROUP_RECHECK_MS 1000	/* a disagreement older than this: VIPs win */

struct hagroup_stats {
	uint64_t transitions;
	uint64_t lines;			/* for our instance or group */
	uint64_t lines_other;		/* other names and kinds */
	uint64_t lines_malformed;
	uint64_t lines_unknown_state;
	uint64_t lines_stale;		/* drained unread at start/reopen */
	uint64_t vip_checks;
	uint64_t vip_overrides;		/* the addresses changed the state */
	uint64_t lines_contradicted;	/* not applied: the addresses disagreed */
	uint64_t fifo_errors;
};

typedef void (*hagroup_cb)(void *arg, enum ha_state old, enum ha_state st,
			   const char *why);

struct hagroup {
	const struct config_group *cfg;
	enum ha_state state;
	bool known;			/* false: external, never told */
	hagroup_cb cb;
	void *arg;

	/* keepalived */
	int fifo;
	struct ka_buf buf;
	struct mnl_socket *rtnl;
	unsigned int rtnl_seq;
	uint64_t disagree_since;	/* 0: lines and addresses agree */
	struct ratelimit rl;

	const char *state_file;		/* external: the last state set */

	struct hagroup_stats st;
};

/*
 * Sets the initial state (without calling cb; read hagroup_state()).
 * For keepalived, opens (creating if needed) the FIFO, drains what is
 * stale in it and reads the virtual addresses. Returns 0 or -1 with err.
 */
int hagroup_open(struct hagroup *g, const struct config_group *cfg,
		 hagroup_cb cb, void *arg, char *err, size_t errlen);
void hagroup_close(struct hagroup *g);

/*
 * External groups: keep the last state set in path (under /run, so it
 * does not survive a reboot), and take it back now if it is there, so
 * that an agent restarted on the active node stays active instead of
 * waiting to be told again. Returns true if a state was taken back.
 */
bool hagroup_persist(struct hagroup *g, const char *path);

/* The FIFO to watch, or -1. */
int hagroup_fd(const struct hagroup *g);
/*
 * The FIFO is readable: reads at most a pipe's capacity, applies the last
 * line for our instance or group. Returns -1 if the FIFO broke: the
 * caller stops watching it, then calls hagroup_fifo_close(); the tick
 * reopens it.
 */
int hagroup_readable(struct hagroup *g, uint64_t now);
void hagroup_fifo_close(struct hagroup *g);
/* Every second or so: settle disagreements, reopen a broken FIFO. */
void hagroup_tick(struct hagroup *g, uint64_t now);

/*
 * ha-ike group NAME STATE. Returns 0, or -1 with a message: the group is
 * not ours, or another controller drives it.
 */
int hagroup_set(struct hagroup *g, const char *name, enum ha_state st,
		char *err, size_t errlen);

enum ha_state hagroup_state(const struct hagroup *g);
const char *hagroup_controller(const struct hagroup *g);

#endif /* AGENT_HAGROUP_H */
