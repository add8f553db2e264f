/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small state files that other programs read (keepalived's track file,
 * an external HA group's last state): written whole to PATH.tmp, synced,
 * then renamed over PATH, so a reader sees the old content or the new,
 * never a part. Never follows a symlink at PATH.tmp.
 */
#ifndef AGENT_ATOMICFILE_H
#define AGENT_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 0 or a negative errno. */
int atomicfile_write(const char *path, const char *data, size_t len,
		     mode_t mode);

#endif /* AGENT_ATOMICFILE_H */
