/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records the backup could not apply yet because the SA is not installed
 * (-ENOENT): the latest counters per SA, retried until they apply or age
 * out. A hash table keyed by SA identity, bounded in size.
 */
#ifndef AGENT_PENDING_H
#define AGENT_PENDING_H

#include <stdbool.h>
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

/*
 * Copy the entry for this SA into *rec (and when it was first found
 * missing into *first_ms, if not NULL); returns 1, or 0 if there is none.
 */
int pending_get(struct pending *pt, const struct xha_sa *id,
		struct xha_sa *rec, uint64_t *first_ms);

/*
 * The sweep: copy up to max entries from where the last call stopped,
 * into recs[] and first_ms[]; the table is not changed, so entries may
 * be deleted (pending_del) or merged into (pending_put) afterwards, and
 * the sweep still sees every entry once per round. Returns how many;
 * *wrapped is set when the round reached the end of the table (the next
 * call starts a new round from the beginning).
 */
size_t pending_next(struct pending *pt, size_t max, struct xha_sa *recs,
		    uint64_t *first_ms, bool *wrapped);
/* Start the next round of pending_next() from the beginning. */
void pending_rewind(struct pending *pt);

#endif /* AGENT_PENDING_H */
