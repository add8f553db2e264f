/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's control socket: a UNIX seqpacket socket (mode 0600, so root
 * only) that ha-ike talks to. One request per connection; the reply goes
 * out in pieces, then an end message, then the agent closes it. Nothing
 * blocks the event loop: the connections are watched by an epoll set of
 * their own (itself watched by the loop), a reply is sent as fast as the
 * client reads it, and a client that says nothing, or stops reading, is
 * dropped after CTL_IDLE_MS without progress. See docs/protocol.md,
 * "The control socket".
 *
 * Request: one packet of at most CTL_MAX_REQUEST bytes, words separated by
 * blanks, "json" first for a JSON reply. Reply: the text "ok\n" and the
 * body, or "error: " and a reason, cut into messages of at most CTL_CHUNK
 * bytes, then an end message of one NUL byte. A connection that ends
 * before the end message was cut short.
 */
#ifndef AGENT_CTL_H
#define AGENT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loop.h"

#define CTL_MAX_REQUEST 256
#define CTL_MAX_ARGS 16
#define CTL_CHUNK 16384			/* bytes per reply message */
#define CTL_MAX_REPLY (256u << 20)	/* longer: refused */
#define CTL_MAX_HELD (512u << 20)	/* all replies being sent: more refused */
#define CTL_MAX_CONNS 8
#define CTL_IDLE_MS 2000

struct ctl_request {
	char *argv[CTL_MAX_ARGS];
	int argc;
	bool json;		/* "json" came first */
};

/*
 * Writes the reply's body to out and returns 0, or returns -1 with the
 * reason in err (the body is then dropped).
 */
typedef int (*ctl_handler)(void *arg, const struct ctl_request *req,
			   FILE *out, char *err, size_t errlen);

struct ctl;

struct ctl_conn {
	struct ctl *ctl;
	int fd;			/* -1: free slot */
	uint64_t since;		/* accepted, or the reply last moved */
	char *reply;		/* NULL: no request yet */
	size_t len, pos;	/* reply bytes, sent */
};

struct ctl {
	int fd;
	int ep;			/* the connections' epoll set */
	const char *path;
	struct loop *loop;
	ctl_handler handler;
	void *arg;
	struct ctl_conn conns[CTL_MAX_CONNS];
	uint64_t dropped;	/* clients dropped: idle or not reading */
	size_t max_held;	/* CTL_MAX_HELD (lower in tests) */
};

/*
 * Replaces a stale socket at path, makes its directory if needed, and
 * watches it in loop.
 */
int ctl_open(struct ctl *c, const char *path, struct loop *loop,
	     ctl_handler h, void *arg, char *err, size_t errlen);
void ctl_close(struct ctl *c);
/* Drops clients without progress for CTL_IDLE_MS. */
void ctl_tick(struct ctl *c, uint64_t now);

#endif /* AGENT_CTL_H */
