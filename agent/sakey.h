/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An SA's identity as the kernel compares it (family, daddr, spi, proto,
 * mark, if_id), packed for hashing: the key of the agent's per-SA tables.
 */
#ifndef AGENT_SAKEY_H
#define AGENT_SAKEY_H

#include <netinet/in.h>
#include <stdint.h>
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

#endif /* AGENT_SAKEY_H */
