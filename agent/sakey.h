/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An SA's identity as the kernel compares it (family, daddr, spi, proto,
 * mark, if_id), packed for hashing: the key of the agent's per-SA tables.
 */
#ifndef AGENT_SAKEY_H
#define AGENT_SAKEY_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xha_nl.h"

struct sa_key {
	uint32_t spi;
	uint32_t mark;
	uint32_t if_id;
	uint16_t family;
	uint8_t proto;
	uint8_t pad;
	uint8_t daddr[16];
};

static inline void sa_key_make(const struct xha_sa *sa, struct sa_key *k)
{
	memset(k, 0, sizeof(*k));
	k->spi = sa->spi;
	k->mark = sa->mark;
	k->if_id = sa->if_id;
	k->family = sa->family;
	k->proto = sa->proto;
	memcpy(k->daddr, sa->daddr, sa->family == AF_INET ? 4 : 16);
}

/* The identity part of an xha_sa (everything else zero). */
static inline void sa_key_to_sa(const struct sa_key *k, struct xha_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = k->spi;
	sa->mark = k->mark;
	sa->if_id = k->if_id;
	sa->family = k->family;
	sa->proto = k->proto;
	memcpy(sa->daddr, k->daddr, sizeof(k->daddr));
}

/* FNV-1a: the keys come from the authenticated peer, not an attacker. */
static inline unsigned int sa_key_hash(const struct sa_key *k,
				       unsigned int buckets)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h % buckets;
}

/*
 * A hash table of entries keyed by SA identity, intrusive (an entry
 * starts with its struct sa_node) and grown with its entries: twice the
 * buckets once there are more entries than buckets, so that a lookup
 * stays a lookup at 100k SAs. Without the memory to grow, the chains only
 * get longer.
 */
struct sa_node {
	struct sa_node *next;
	struct sa_key key;
};

struct sa_table {
	struct sa_node **buckets;
	size_t nbuckets;	/* a power of two */
	size_t count;
};

static inline int sa_table_init(struct sa_table *t, size_t nbuckets)
{
	t->count = 0;
	t->nbuckets = nbuckets;
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -1;
}

/* The buckets only: the entries are the caller's. */
static inline void sa_table_free(struct sa_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
}

/* Forget every entry (the caller frees them). */
static inline void sa_table_clear(struct sa_table *t)
{
	memset(t->buckets, 0, t->nbuckets * sizeof(*t->buckets));
	t->count = 0;
}

static inline struct sa_node **sa_table_bucket(struct sa_node **buckets,
					       size_t nbuckets,
					       const struct sa_key *k)
{
	return &buckets[sa_key_hash(k, (unsigned int)nbuckets)];
}

/* Where k's entry is linked, or where it would be: *result NULL. */
static inline struct sa_node **sa_table_find(struct sa_table *t,
					     const struct sa_key *k)
{
	struct sa_node **pn = sa_table_bucket(t->buckets, t->nbuckets, k);

	while (*pn && memcmp(&(*pn)->key, k, sizeof(*k)))
		pn = &(*pn)->next;
	return pn;
}

static inline void sa_table_grow(struct sa_table *t)
{
	size_t n = t->nbuckets * 2, i;
	struct sa_node **b, *node, *next, **pn;

	if (t->count <= t->nbuckets || n > UINT32_MAX)
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (node = t->buckets[i]; node; node = next) {
			next = node->next;
			pn = sa_table_bucket(b, n, &node->key);
			node->next = *pn;
			*pn = node;
		}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

/* Link node (its key set, not in the table yet). */
static inline void sa_table_add(struct sa_table *t, struct sa_node *node)
{
	struct sa_node **pn = sa_table_bucket(t->buckets, t->nbuckets,
					      &node->key);

	node->next = *pn;
	*pn = node;
	t->count++;
	sa_table_grow(t);
}

/* Unlink *pn (from sa_table_find). */
static inline void sa_table_del(struct sa_table *t, struct sa_node **pn)
{
	*pn = (*pn)->next;
	t->count--;
}

#endif /* AGENT_SAKEY_H */
