/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's control socket: a UNIX seqpacket socket (mode 0600, so root
 * only) that ha-ike talks to. One request per connection, one reply, then
 * the agent closes it; nothing blocks the event loop, and a client that
 * says nothing is dropped after CTL_IDLE_MS. See docs/protocol.md.
 * Requests:
 *	group NAME master|backup|fault
 *	show state
 * A reply starts with "ok" or "error: ", then text lines.
 */
#ifndef AGENT_CTL_H
#define AGENT_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define CTL_MAX_REQUEST 256
#define CTL_MAX_REPLY 4096
#define CTL_MAX_CONNS 8
#define CTL_IDLE_MS 2000

/* Fill reply (NUL-terminated, at most len). */
typedef void (*ctl_handler)(void *arg, char *const *argv, int argc,
			    char *reply, size_t len);

struct ctl;

struct ctl_conn {
	struct ctl *ctl;
	int fd;			/* -1: free slot */
	uint64_t since;
};

struct ctl {
	int fd;
	const char *path;
	struct loop *loop;
	ctl_handler handler;
	void *arg;
	struct ctl_conn conns[CTL_MAX_CONNS];
};

/*
 * Replaces a stale socket at path, makes its directory if needed, and
 * watches it in loop.
 */
int ctl_open(struct ctl *c, const char *path, struct loop *loop,
	     ctl_handler h, void *arg, char *err, size_t errlen);
void ctl_close(struct ctl *c);
/* Drops clients idle for CTL_IDLE_MS. */
void ctl_tick(struct ctl *c, uint64_t now);

#endif /* AGENT_CTL_H */
