// SPDX-License-Identifier: GPL-2.0
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reload.h"

static void note(struct reload_plan *rp, bool *flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One more change: set its flag, add it to the description. */
static void note(struct reload_plan *rp, bool *flag, const char *fmt, ...)
{
	size_t off = strlen(rp->what);
	va_list ap;

	if (flag)
		*flag = true;
	if (rp->changes++ && off + 2 < sizeof(rp->what)) {
		strcpy(rp->what + off, ", ");
		off += 2;
	}
	va_start(ap, fmt);
	vsnprintf(rp->what + off, sizeof(rp->what) - off, fmt, ap);
	va_end(ap);
}

#define NUM(field, name, flag)                                           \
	do {                                                              \
		if (old->field != new->field)                             \
			note(rp, flag, name " %lu -> %lu",                \
			     (unsigned long)old->field,                   \
			     (unsigned long)new->field);                  \
	} while (0)
#define STR(field, name, flag)                                           \
	do {                                                              \
		if (strcmp(old->field, new->field))                       \
			note(rp, flag, name " \"%s\" -> \"%s\"", old->field, \
			     new->field);                                 \
	} while (0)

static bool group_same(const struct config_group *a,
		       const struct config_group *b)
{
	/* config_parse zeroes the whole config first: padding compares. */
	return !memcmp(a, b, sizeof(*a));
}

int reload_plan(const struct config *old, const struct config *new,
		struct reload_plan *rp, char *err, size_t errlen)
{
	memset(rp, 0, sizeof(*rp));
	if (old->node_id != new->node_id) {
		snprintf(err, errlen,
			 "node-id %u -> %u cannot change while the agent runs (the peer knows this node by it): restart the agent",
			 old->node_id, new->node_id);
		return -1;
	}
	if (strcmp(old->control_socket, new->control_socket)) {
		snprintf(err, errlen,
			 "control-socket \"%s\" -> \"%s\" cannot change while the agent runs (this reload may come through it): restart the agent",
			 old->control_socket, new->control_socket);
		return -1;
	}
	if (!new->enabled) {
		snprintf(err, errlen,
			 "enabled false: stop the agent instead (a running agent keeps its sync state only while it syncs)");
		return -1;
	}
	STR(interface, "interface", &rp->link);
	STR(local_str, "local-address", &rp->link);
	STR(remote_str, "remote-address", &rp->link);
	NUM(port, "port", &rp->link);
	if (rp->link)
		rp->session = true;
	NUM(remote_node_id, "remote-node-id", &rp->session);
	STR(key_file, "key-file", NULL);
	if (sodium_memcmp(old->key, new->key, sizeof(old->key)))
		note(rp, &rp->session, "the link key");
	if (!group_same(&old->group, &new->group))
		note(rp, &rp->group, "ha group %s (%s) -> %s", old->group.name,
		     old->group.ctl == HA_CTL_STATIC ? "static" :
		     old->group.ctl == HA_CTL_KEEPALIVED ? "keepalived" :
							   "external",
		     new->group.name);
	STR(track_file, "track-file", &rp->track);
	NUM(strongswan, "strongswan", &rp->charon);
	STR(charon_fifo, "charon-fifo", &rp->charon);
	NUM(sync_period_time, "sync-period-time", &rp->kernel);
	NUM(sync_period_packets, "sync-period-packets", &rp->kernel);
	NUM(oseq_wrap_margin, "oseq-wrap-margin", &rp->kernel);
	if (old->sync_period_time != new->sync_period_time)
		rp->sync = true;	/* the adaptive shift's horizon */
	NUM(oseq_shift, "oseq-shift", &rp->sync);
	NUM(adaptive_shift, "adaptive-shift", &rp->sync);
	NUM(adaptive_shift_margin, "adaptive-shift-margin", &rp->sync);
	/* Pools only shape --render-strongswan's output: nothing to do
	 * here, but worth saying. */
	if (old->n_pools != new->n_pools ||
	    memcmp(old->pools, new->pools, sizeof(old->pools)))
		note(rp, NULL, "pools (%u -> %u; re-render charon's settings)",
		     old->n_pools, new->n_pools);
	return 0;
}
