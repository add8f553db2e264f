// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "counters.h"
#include "pending.h"
#include "sakey.h"

#define PENDING_BUCKETS 4096

struct entry {
	struct entry *next;
	struct sa_key key;
	struct xha_sa rec;
	uint64_t first_ms;
};

struct pending {
	struct entry *buckets[PENDING_BUCKETS];
	size_t count;
	size_t max;
	/* The sweep's position: the next entry is the pos-th of bucket. */
	unsigned int bucket;
	size_t pos;
};

struct pending *pending_new(size_t max_entries)
{
	struct pending *pt = calloc(1, sizeof(*pt));

	if (pt)
		pt->max = max_entries;
	return pt;
}

void pending_free(struct pending *pt)
{
	struct entry *e, *next;
	unsigned int i;

	if (!pt)
		return;
	for (i = 0; i < PENDING_BUCKETS; i++)
		for (e = pt->buckets[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	free(pt);
}

size_t pending_count(const struct pending *pt)
{
	return pt->count;
}

static struct entry **find(struct pending *pt, const struct sa_key *k)
{
	struct entry **pe = &pt->buckets[sa_key_hash(k, PENDING_BUCKETS)];

	while (*pe && memcmp(&(*pe)->key, k, sizeof(*k)))
		pe = &(*pe)->next;
	return pe;
}

int pending_put(struct pending *pt, const struct xha_sa *rec, uint64_t now)
{
	struct sa_key k;
	struct entry **pe, *e;

	sa_key_make(rec, &k);
	pe = find(pt, &k);
	if (*pe) {
		counters_merge(&(*pe)->rec, rec);
		return 0;
	}
	if (pt->count >= pt->max)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOSPC;
	e->key = k;
	e->rec = *rec;
	e->first_ms = now;
	*pe = e;
	pt->count++;
	return 1;
}

/* Remove *pe, the i-th entry of bucket b, keeping the sweep on the entry
 * it was to see next. */
static void unlink_entry(struct pending *pt, struct entry **pe,
			 unsigned int b, size_t i)
{
	struct entry *e = *pe;

	if (b == pt->bucket && i < pt->pos)
		pt->pos--;
	*pe = e->next;
	free(e);
	pt->count--;
}

int pending_del(struct pending *pt, const struct xha_sa *id)
{
	struct sa_key k;
	struct entry **pe;
	size_t i = 0;
	unsigned int b;

	sa_key_make(id, &k);
	b = sa_key_hash(&k, PENDING_BUCKETS);
	for (pe = &pt->buckets[b]; *pe && memcmp(&(*pe)->key, &k, sizeof(k));
	     pe = &(*pe)->next)
		i++;
	if (!*pe)
		return 0;
	unlink_entry(pt, pe, b, i);
	return 1;
}

void pending_walk(struct pending *pt, pending_cb cb, void *arg)
{
	struct entry **pe, *e;
	unsigned int b;
	size_t i;

	for (b = 0; b < PENDING_BUCKETS && pt->count; b++) {
		pe = &pt->buckets[b];
		for (i = 0; (e = *pe);) {
			if (cb(arg, &e->rec, e->first_ms)) {
				unlink_entry(pt, pe, b, i);
			} else {
				pe = &e->next;
				i++;
			}
		}
	}
}

int pending_get(struct pending *pt, const struct xha_sa *id,
		struct xha_sa *rec, uint64_t *first_ms)
{
	struct sa_key k;
	struct entry *e;

	if (!pt->count)
		return 0;
	sa_key_make(id, &k);
	e = *find(pt, &k);
	if (!e)
		return 0;
	*rec = e->rec;
	if (first_ms)
		*first_ms = e->first_ms;
	return 1;
}

size_t pending_next(struct pending *pt, size_t max, struct xha_sa *recs,
		    uint64_t *first_ms, bool *wrapped)
{
	struct entry *e;
	size_t n = 0, i;

	*wrapped = false;
	while (n < max) {
		if (pt->bucket >= PENDING_BUCKETS) {
			pending_rewind(pt);
			*wrapped = true;
			break;
		}
		/* New entries are appended to their bucket: pos stays valid. */
		for (e = pt->buckets[pt->bucket], i = 0; e && i < pt->pos;
		     e = e->next)
			i++;
		for (; e && n < max; e = e->next, pt->pos++, n++) {
			recs[n] = e->rec;
			first_ms[n] = e->first_ms;
		}
		if (!e) {
			pt->bucket++;
			pt->pos = 0;
		}
	}
	return n;
}

void pending_rewind(struct pending *pt)
{
	pt->bucket = 0;
	pt->pos = 0;
}
