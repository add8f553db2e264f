/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records the backup could not apply yet because the SA is not installed
 * (-ENOENT): the latest counters per SA, retried until they apply or age
 * out. A hash table keyed by SA identity, bounded in size.
 */
#ifndef AGENT_PENDING_H
#define AGENT_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "xha_nl.h"

struct pending;

struct pending *pending_new(size_t max_entries);
void pending_free(struct pending *pt);
size_t pending_count(const struct pending *pt);

/*
 * Store rec, or merge it (higher counters win) into the entry for the
 * same SA. Returns 1 if added, 0 if merged, -ENOSPC if the table is full.
 */
int pending_put(struct pending *pt, const struct xha_sa *rec, uint64_t now);
/* Drop the entry for this SA if there is one; returns 1 if there was. */
int pending_del(struct pending *pt, const struct xha_sa *id);

/*
 * Call cb for every entry; cb returns non-zero to remove the entry. rec
 * may be updated in place by cb. first_ms is when the SA was first found
 * missing.
 */
typedef int (*pending_cb)(void *arg, struct xha_sa *rec, uint64_t first_ms);
void pending_walk(struct pending *pt, pending_cb cb, void *arg);

#endif /* AGENT_PENDING_H */
