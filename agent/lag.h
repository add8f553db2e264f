/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-SA sync lag, for "show sync" (docs/protocol.md, "The control
 * socket"). The backup notes each record it receives (when, its oseq and
 * seq) and the oseq the kernel holds once it is written (so the shift
 * applied); the active notes each record it publishes and the stream
 * message that carried it (acknowledged or not). Entries not heard of for
 * LAG_EXPIRE_MS go at the next lag_expire; at most max entries.
 */
#ifndef AGENT_LAG_H
#define AGENT_LAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sakey.h"

#define LAG_EXPIRE_MS 600000

struct lag_entry {
	struct sa_node node;
	uint64_t at;		/* last record: received / published */
	uint64_t oseq, seq;	/* the record's */
	uint64_t written;	/* backup: oseq the kernel holds (0: none) */
	uint64_t msg;		/* active: its stream message (0: not sent) */
	uint16_t has;		/* the record's XHA_SA_HAS_* */
	uint8_t replay_mode;
};

struct lag {
	struct sa_table t;
	size_t max;
	uint64_t full;		/* records not noted: table full */
	struct lag_entry **staged;	/* active: noted, message not sent */
	size_t nstaged, capstaged;
};

struct lag *lag_new(size_t max);
void lag_free(struct lag *l);
/* Forget every SA (the role changed). */
void lag_clear(struct lag *l);
size_t lag_count(const struct lag *l);
/* A record received (backup) or published (active) at now. */
struct lag_entry *lag_note(struct lag *l, const struct xha_sa *rec,
			   uint64_t now);
/* Backup: the kernel holds at least oseq for this SA. */
void lag_written(struct lag *l, const struct xha_sa *id, uint64_t oseq);
/* Active: rec goes in the message being filled; lag_commit gives them the
 * message's stream seq once it is sent (0: it was not). */
void lag_stage(struct lag *l, const struct xha_sa *rec, uint64_t now);
void lag_commit(struct lag *l, uint64_t msg);
/* Drop the entries not heard of since now - LAG_EXPIRE_MS. */
void lag_expire(struct lag *l, uint64_t now);
/* Every entry, in no particular order; cb returns non-zero to stop. */
int lag_walk(const struct lag *l, int (*cb)(void *arg,
					    const struct lag_entry *e),
	     void *arg);

#endif /* AGENT_LAG_H */
