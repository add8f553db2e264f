// SPDX-License-Identifier: GPL-2.0
/* The control socket's requests (ctl.c carries them): docs/protocol.md,
 * "Control socket". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "control.h"

/* The HA link's counters, in stable "key value" lines (docs/protocol.md,
 * "Statistics"). */
static size_t show_link(struct agent *a, char *buf, size_t len)
{
	const struct peer *p = &a->peer;
	const struct peer_stats *ps = &p->st;
	uint64_t now = now_ms();
	size_t off;
	int i;

	off = (size_t)snprintf(buf, len, "link-rejected");
	for (i = 1; i < PROTO_ERR_MAX && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " %s %" PRIu64,
					proto_err_name(i), ps->rx_rejected[i]);
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off,
			"\nlink-stats rx %" PRIu64 " tx %" PRIu64
			" tx-failed %" PRIu64 " retransmits %" PRIu64
			" nacks-sent %" PRIu64 " nacks-received %" PRIu64
			" acks-sent %" PRIu64 " peer-boots %" PRIu64
			" last-heard-ms %" PRId64 " hello-replies %" PRIu64
			" outages %" PRIu64 "\n"
			"stream tx-seq %" PRIu64 " acked %" PRIu64
			" unacked %zu queue-max %d overflow %" PRIu64
			" rx-cum %" PRIu64 " rx-lost %" PRIu64
			" rx-dup %" PRIu64 " resyncs %" PRIu64
			" lag-worst-ms %" PRIu64 "\n"
			"bulk requested %" PRIu64 " completed %" PRIu64
			" incomplete %" PRIu64 " served %" PRIu64
			" records %" PRIu64 " last-ms %" PRIu64
			" max-ms %" PRIu64 " sent %" PRIu64
			" send-last-ms %" PRIu64 "\n"
			"kernel family-reloads %" PRIu64 "\n",
			ps->rx_packets, ps->tx_packets, ps->tx_failed,
			ps->retransmits, ps->nacks_sent, ps->nacks_received,
			ps->acks_sent, ps->peer_boots,
			p->last_rx ? (int64_t)(now - p->last_rx) : -1,
			ps->hello_replies, ps->outages,
			stream_tx_last(&p->tx), p->tx.acked, p->tx.count,
			STREAM_QUEUE_MAX, p->tx.overflow, p->rx.cum,
			ps->rx_lost, p->rx.dup, ps->resyncs,
			p->tx.lag_worst_ms, ps->bulks_requested,
			ps->bulks_completed, ps->bulks_incomplete,
			ps->bulks_served, ps->bulk_last_records,
			ps->bulk_last_ms, ps->bulk_max_ms,
			a->sync.st.bulks_sent, a->sync.st.bulk_send_last_ms,
			KERNEL_RELOADS(&a->kernel));
	return off < len ? off : len;
}

static void show_state(struct agent *a, char *buf, size_t len)
{
	const struct peer *p = &a->peer;
	const struct hagroup_stats *gs = &a->group.st;
	uint64_t now = now_ms();
	size_t off;

	snprintf(buf, len,
		 "ok\n"
		 "node %u role %s since %" PRIu64 " ms\n"
		 "ha-group %s controller %s state %s transitions %" PRIu64 "\n"
		 "keepalived lines %" PRIu64 " other %" PRIu64
		 " malformed %" PRIu64 " stale %" PRIu64
		 " contradicted %" PRIu64 " address-overrides %" PRIu64 "\n"
		 "track-file %s %s\n"
		 "strongswan %s\n"
		 "peer node %u link %s %s peer-role %s split-brain %s (%" PRIu64
		 " times)\n"
		 "status %s\n",
		 a->cfg->node_id, role_name(a->role), now - a->role_since,
		 a->group.cfg->name, hagroup_controller(&a->group),
		 a->group.known ? ha_state_name(hagroup_state(&a->group)) :
				  "unknown",
		 gs->transitions, gs->lines, gs->lines_other,
		 gs->lines_malformed, gs->lines_stale, gs->lines_contradicted,
		 gs->vip_overrides,
		 a->track.path ? a->track.path : "-",
		 a->track.value < 0 ? "unset" :
		 a->track.value ? "1 (holding off)" : "0",
		 charon_status(&a->charon), p->peer_node,
		 peer_is_up(p) ? "up" : "down",
		 a->role == ROLE_BACKUP ?
			 (peer_synced(p) ? "synced" : "not-synced") : "",
		 !p->verified ? "unknown" :
		 p->peer_role == PROTO_ROLE_ACTIVE ? "active" : "backup",
		 p->split_brain ? "YES" : "no", p->st.split_brains, a->status);
	off = strlen(buf);
	if (off + 1 < len)
		show_link(a, buf + off, len - off);
}

void control_request(void *arg, char *const *argv, int argc, char *reply,
		     size_t len)
{
	struct agent *a = arg;
	char err[256];
	enum ha_state st;

	if (argc == 3 && !strcmp(argv[0], "group")) {
		if (ha_state_parse(argv[2], &st) < 0) {
			snprintf(reply, len,
				 "error: state \"%s\": expected master, backup or fault",
				 argv[2]);
			return;
		}
		if (hagroup_set(&a->group, argv[1], st, err, sizeof(err)) < 0) {
			snprintf(reply, len, "error: %s", err);
			return;
		}
		snprintf(reply, len, "ok\nha-group %s state %s role %s\n",
			 argv[1], ha_state_name(st), role_name(a->role));
		return;
	}
	if (argc == 2 && !strcmp(argv[0], "show") &&
	    !strcmp(argv[1], "state")) {
		show_state(a, reply, len);
		return;
	}
	snprintf(reply, len,
		 "error: unknown request (expected \"group NAME STATE\" or \"show state\")");
}
