// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "counters.h"
#include "pending.h"
#include "sakey.h"

#define PENDING_MIN_BUCKETS 256	/* then grown with the entries */

struct entry {
	struct sa_node node;		/* first: the table's link and key */
	struct entry *prev_in, *next_in;	/* in insertion order */
	struct xha_sa rec;
	uint64_t first_ms;
};

/*
 * The entries by SA identity (a rejoin may leave 100k records waiting: a
 * lookup per record stays a lookup), and on a list in insertion order,
 * which the sweep follows: its position is an entry, not a place in the
 * table, so the table growing does not disturb it.
 */
struct pending {
	struct sa_table t;
	struct entry *first, *last;	/* insertion order */
	size_t max;
	/* The sweep: the entry it sees next (NULL: the end of the round,
	 * unless fresh: the next call starts from the first entry). */
	struct entry *cursor;
	bool fresh;
};

struct pending *pending_new(size_t max_entries)
{
	struct pending *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return NULL;
	if (sa_table_init(&pt->t, PENDING_MIN_BUCKETS) < 0) {
		free(pt);
		return NULL;
	}
	pt->max = max_entries;
	pt->fresh = true;
	return pt;
}

void pending_free(struct pending *pt)
{
	struct entry *e, *next;

	if (!pt)
		return;
	for (e = pt->first; e; e = next) {
		next = e->next_in;
		free(e);
	}
	sa_table_free(&pt->t);
	free(pt);
}

size_t pending_count(const struct pending *pt)
{
	return pt->t.count;
}

/* The node is an entry's first member. */
static struct entry *entry_of(struct sa_node *node)
{
	return (struct entry *)node;
}

int pending_put(struct pending *pt, const struct xha_sa *rec, uint64_t now)
{
	struct sa_node **pn;
	struct sa_key k;
	struct entry *e;

	sa_key_make(rec, &k);
	pn = sa_table_find(&pt->t, &k);
	if (*pn) {
		counters_merge(&entry_of(*pn)->rec, rec);
		return 0;
	}
	if (pt->t.count >= pt->max)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOSPC;
	e->node.key = k;
	e->rec = *rec;
	e->first_ms = now;
	sa_table_add(&pt->t, &e->node);
	e->prev_in = pt->last;
	if (pt->last)
		pt->last->next_in = e;
	else
		pt->first = e;
	pt->last = e;
	return 1;
}

/* Remove *pn, keeping the sweep on the entry it was to see next. */
static void unlink_entry(struct pending *pt, struct sa_node **pn)
{
	struct entry *e = entry_of(*pn);

	if (pt->cursor == e)
		pt->cursor = e->next_in;
	sa_table_del(&pt->t, pn);
	if (e->prev_in)
		e->prev_in->next_in = e->next_in;
	else
		pt->first = e->next_in;
	if (e->next_in)
		e->next_in->prev_in = e->prev_in;
	else
		pt->last = e->prev_in;
	free(e);
}

int pending_del(struct pending *pt, const struct xha_sa *id)
{
	struct sa_node **pn;
	struct sa_key k;

	sa_key_make(id, &k);
	pn = sa_table_find(&pt->t, &k);
	if (!*pn)
		return 0;
	unlink_entry(pt, pn);
	return 1;
}

void pending_walk(struct pending *pt, pending_cb cb, void *arg)
{
	struct entry *e, *next;

	for (e = pt->first; e; e = next) {
		next = e->next_in;
		if (cb(arg, &e->rec, e->first_ms))
			unlink_entry(pt, sa_table_find(&pt->t, &e->node.key));
	}
}

int pending_get(struct pending *pt, const struct xha_sa *id,
		struct xha_sa *rec, uint64_t *first_ms)
{
	struct sa_node *node;
	struct sa_key k;
	struct entry *e;

	if (!pt->t.count)
		return 0;
	sa_key_make(id, &k);
	node = *sa_table_find(&pt->t, &k);
	if (!node)
		return 0;
	e = entry_of(node);
	*rec = e->rec;
	if (first_ms)
		*first_ms = e->first_ms;
	return 1;
}

size_t pending_next(struct pending *pt, size_t max, struct xha_sa *recs,
		    uint64_t *first_ms, bool *wrapped)
{
	size_t n = 0;

	*wrapped = false;
	if (pt->fresh) {
		pt->cursor = pt->first;
		pt->fresh = false;
	}
	while (n < max) {
		if (!pt->cursor) {
			pending_rewind(pt);
			*wrapped = true;
			break;
		}
		recs[n] = pt->cursor->rec;
		first_ms[n] = pt->cursor->first_ms;
		pt->cursor = pt->cursor->next_in;
		n++;
	}
	return n;
}

void pending_rewind(struct pending *pt)
{
	pt->cursor = NULL;
	pt->fresh = true;
}
