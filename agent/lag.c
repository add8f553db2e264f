// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "lag.h"

struct lag *lag_new(size_t max)
{
	struct lag *l = calloc(1, sizeof(*l));

	if (!l || sa_table_init(&l->t, 1024) < 0) {
		free(l);
		return NULL;
	}
	l->max = max;
	return l;
}

void lag_clear(struct lag *l)
{
	struct sa_node *n, *next;
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->t.nbuckets; i++)
		for (n = l->t.buckets[i]; n; n = next) {
			next = n->next;
			free(n);
		}
	sa_table_clear(&l->t);
	l->nstaged = 0;
}

void lag_free(struct lag *l)
{
	if (!l)
		return;
	lag_clear(l);
	sa_table_free(&l->t);
	free(l->staged);
	free(l);
}

size_t lag_count(const struct lag *l)
{
	return l ? l->t.count : 0;
}

static struct lag_entry *find(struct lag *l, const struct xha_sa *sa)
{
	struct sa_key k;

	sa_key_make(sa, &k);
	return (struct lag_entry *)*sa_table_find(&l->t, &k);
}

struct lag_entry *lag_note(struct lag *l, const struct xha_sa *rec,
			   uint64_t now)
{
	struct lag_entry *e;

	if (!l)
		return NULL;
	e = find(l, rec);
	if (!e) {
		if (l->t.count >= l->max) {
			l->full++;
			return NULL;
		}
		e = calloc(1, sizeof(*e));
		if (!e) {
			l->full++;
			return NULL;
		}
		sa_key_make(rec, &e->node.key);
		sa_table_add(&l->t, &e->node);
	}
	e->at = now;
	e->has = rec->has;
	e->replay_mode = rec->replay_mode;
	if (rec->has & XHA_SA_HAS_OSEQ)
		e->oseq = rec->oseq;
	if (rec->has & XHA_SA_HAS_SEQ)
		e->seq = rec->seq;
	e->msg = 0;
	return e;
}

void lag_written(struct lag *l, const struct xha_sa *id, uint64_t oseq)
{
	struct lag_entry *e = l ? find(l, id) : NULL;

	if (e && oseq > e->written)
		e->written = oseq;
}

void lag_stage(struct lag *l, const struct xha_sa *rec, uint64_t now)
{
	struct lag_entry *e = lag_note(l, rec, now);
	struct lag_entry **v;

	if (!e)
		return;
	if (l->nstaged == l->capstaged) {
		size_t cap = l->capstaged ? 2 * l->capstaged : 64;

		v = realloc(l->staged, cap * sizeof(*v));
		if (!v)
			return;	/* shown as not sent */
		l->staged = v;
		l->capstaged = cap;
	}
	l->staged[l->nstaged++] = e;
}

void lag_commit(struct lag *l, uint64_t msg)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nstaged; i++)
		l->staged[i]->msg = msg;
	l->nstaged = 0;
}

void lag_expire(struct lag *l, uint64_t now)
{
	struct sa_node **pn;
	struct lag_entry *e;
	size_t i;

	if (!l || l->nstaged)
		return;
	for (i = 0; i < l->t.nbuckets; i++) {
		pn = &l->t.buckets[i];
		while (*pn) {
			e = (struct lag_entry *)*pn;
			if (now - e->at < LAG_EXPIRE_MS) {
				pn = &(*pn)->next;
				continue;
			}
			sa_table_del(&l->t, pn);
			free(e);
		}
	}
}

int lag_walk(const struct lag *l,
	     int (*cb)(void *arg, const struct lag_entry *e), void *arg)
{
	const struct sa_node *n;
	size_t i;
	int ret;

	for (i = 0; l && i < l->t.nbuckets; i++)
		for (n = l->t.buckets[i]; n; n = n->next) {
			ret = cb(arg, (const struct lag_entry *)n);
			if (ret)
				return ret;
		}
	return 0;
}
