// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "counters.h"
#include "pending.h"

#define PENDING_BUCKETS 4096

/* SA identity as compared by the kernel, packed for hashing. */
struct sa_key {
	uint32_t spi;
	uint32_t mark;
	uint32_t if_id;
	uint16_t family;
	uint8_t proto;
	uint8_t pad;
	uint8_t daddr[16];
};

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

static void make_key(const struct xha_sa *sa, struct sa_key *k)
{
	memset(k, 0, sizeof(*k));
	k->spi = sa->spi;
	k->mark = sa->mark;
	k->if_id = sa->if_id;
	k->family = sa->family;
	k->proto = sa->proto;
	memcpy(k->daddr, sa->daddr, sa->family == AF_INET ? 4 : 16);
}

/* FNV-1a: the keys come from the authenticated peer, not an attacker. */
static unsigned int hash_key(const struct sa_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h % PENDING_BUCKETS;
}

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
	struct entry **pe = &pt->buckets[hash_key(k)];

	while (*pe && memcmp(&(*pe)->key, k, sizeof(*k)))
		pe = &(*pe)->next;
	return pe;
}

int pending_put(struct pending *pt, const struct xha_sa *rec, uint64_t now)
{
	struct sa_key k;
	struct entry **pe, *e;

	make_key(rec, &k);
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

	make_key(id, &k);
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
