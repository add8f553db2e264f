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

int pending_del(struct pending *pt, const struct xha_sa *id)
{
	struct sa_key k;
	struct entry **pe, *e;

	sa_key_make(id, &k);
	pe = find(pt, &k);
	if (!*pe)
		return 0;
	e = *pe;
	*pe = e->next;
	free(e);
	pt->count--;
	return 1;
}

void pending_walk(struct pending *pt, pending_cb cb, void *arg)
{
	struct entry **pe, *e;
	unsigned int i;

	if (!pt->count)
		return;
	for (i = 0; i < PENDING_BUCKETS; i++) {
		pe = &pt->buckets[i];
		while ((e = *pe)) {
			if (cb(arg, &e->rec, e->first_ms)) {
				*pe = e->next;
				free(e);
				pt->count--;
			} else {
				pe = &e->next;
			}
		}
	}
}
