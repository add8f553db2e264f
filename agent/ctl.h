/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's control socket: a UNIX datagram socket (mode 0600, so root
 * only) that ha-ike talks to. One request per datagram, one reply per
 * request, sent back without blocking; see docs/protocol.md. Requests:
 *	group NAME master|backup|fault
 *	show state
 * A reply starts with "ok" or "error: ", then text lines.
 */
#ifndef AGENT_CTL_H
#define AGENT_CTL_H

#include <stddef.h>

#define CTL_MAX_REQUEST 256
#define CTL_MAX_REPLY 4096

/* Fill reply (NUL-terminated, at most len). */
typedef void (*ctl_handler)(void *arg, char *const *argv, int argc,
			    char *reply, size_t len);

struct ctl {
	int fd;
	const char *path;
	ctl_handler handler;
	void *arg;
};

/* Replaces a stale socket at path; makes its directory if needed. */
int ctl_open(struct ctl *c, const char *path, ctl_handler h, void *arg,
	     char *err, size_t errlen);
void ctl_close(struct ctl *c);
void ctl_readable(struct ctl *c);

#endif /* AGENT_CTL_H */
