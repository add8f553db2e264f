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

struct trackfile {
	const char *path;	/* NULL: not configured */
	int value;		/* -1: never written */
};

void trackfile_init(struct trackfile *t, const char *path);
/* Returns 0, or a negative errno (logged). */
int trackfile_set(struct trackfile *t, bool hold, const char *why);

#endif /* AGENT_TRACKFILE_H */
