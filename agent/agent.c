// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "agent.h"
#include "charon.h"
#include "control.h"
#include "ctl.h"
#include "hagroup.h"
#include "kernel.h"
#include "link.h"
#include "log.h"
#include "loop.h"
#include "peer.h"
#include "reload.h"
#include "sync.h"
#include "trackfile.h"

#define PEER_TICK_MS 250
#define GROUP_TICK_MS 500
#define STATS_MS 30000
/* A backup waiting for its first bulk sync extends systemd's start
 * timeout by this much, again and again while the bulk makes progress. */
#define EXTEND_USEC 10000000ULL
#define EXTEND_EVERY_MS 2000

/*
 * keepalived's hold-off: a backup whose counters are not fresh must not
 * win VRRP (see trackfile.h). The active node never holds off: lowering
 * its priority would hand the group to a node that is behind.
 */
static void update_track(struct agent *a)
{
	bool hold = a->role == ROLE_BACKUP && !peer_synced(&a->peer);

	/* Records still waiting for their SA do not hold off: after a
	 * rejoin the bulk sync carries SAs that charon's resync is replacing
	 * and that will never be installed here; they would hold the node
	 * for their whole expiry. They are applied when the SA appears, and
	 * tried again at takeover. */
	trackfile_set(&a->track, hold,
		      !hold ? (a->role == ROLE_ACTIVE ? "active" :
							"synced from the active node") :
		      !peer_is_up(&a->peer) ? "backup, HA link down" :
					      "backup, bulk sync not complete",
		      now_ms());
}

/*
 * READY=1 once the agent can be relied on, so that a unit ordered after
 * it (strongSwan) starts on fresh counters. Active: publishing (its
 * kernel side is up). Backup: its first bulk sync complete, or nobody to
 * sync from: no peer heard for PEER_DEAD_MS (alone), or the peer is a
 * backup too. Returns why it is ready, or NULL with what it waits for in
 * buf; a backup whose bulk sync makes progress extends systemd's start
 * timeout meanwhile.
 */
static const char *ready_check(struct agent *a, uint64_t now, char *buf,
			       size_t len)
{
	const struct peer *p = &a->peer;

	if (a->role == ROLE_ACTIVE) {
		if (a->kernel.ntf)
			return "active, publishing counters";
		snprintf(buf, len, "starting: active, waiting to publish (kernel module)");
		return NULL;
	}
	if (peer_synced(p))
		return "backup, first bulk sync complete";
	if (a->alone_since && now - a->alone_since >= PEER_DEAD_MS)
		return "backup ALONE: no peer heard, counters not synced";
	if (peer_is_up(p) && p->peer_role == PROTO_ROLE_BACKUP)
		return "backup, the peer is a backup too: nothing to sync from";
	if (!peer_is_up(p)) {
		snprintf(buf, len, "starting: backup, waiting for the HA link to %s",
			 a->cfg->remote_str);
		return NULL;
	}
	snprintf(buf, len,
		 "starting: backup, waiting for the first bulk sync from peer node %u (#%" PRIu32
		 ", %" PRIu64 " records so far)",
		 p->peer_node, p->bulk_req, p->bulk_records);
	if (p->want_bulk && now - p->bulk_progress < PEER_BULK_STALL_MS &&
	    now - a->last_extend >= EXTEND_EVERY_MS) {
		a->last_extend = now;
		sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu", EXTEND_USEC);
	}
	return NULL;
}

static void update_status(struct agent *a)
{
	const char *why = NULL;
	char status[256];

	update_track(a);
	if (!a->ready)	/* fills status with what it waits for */
		why = ready_check(a, now_ms(), status, sizeof(status));
	if (a->ready || why)
		sync_status(&a->sync, status, sizeof(status));
	if (why) {
		a->ready = true;
		log_info("ready: %s", why);
		snprintf(a->status, sizeof(a->status), "%s", status);
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	} else if (strcmp(status, a->status)) {
		snprintf(a->status, sizeof(a->status), "%s", status);
		sd_notifyf(0, "STATUS=%s", status);
	}
}

/* ---- role changes: the takeover order of docs/design.md ---- */

static void on_notify_readable(void *arg);

static void arm_publishing(struct agent *a, uint64_t now)
{
	static struct ratelimit rl = RATELIMIT_INIT(10000, 1);
	char err[256];
	int fd;

	if (kernel_subscribe(&a->kernel, err, sizeof(err)) < 0) {
		log_ratelimited(&rl, LOG_LVL_ERR,
				"%s: cannot publish counters, retrying", err);
		return;
	}
	fd = kernel_notify_fd(&a->kernel);
	if (loop_add_fd(a->loop, fd, on_notify_readable, a) < 0) {
		log_err("event loop: %s", strerror(errno));
		kernel_unsubscribe(&a->kernel);
		return;
	}
	/* The module scans a netns once a request was made there after
	 * joining: this dump arms it, and offers the peer everything. */
	sync_bulk(&a->sync, 0, now);
}

static void become_active(struct agent *a, uint64_t now)
{
	/* 0. The final advance, before anything else: packets may already
	 * leave through these SAs (keepalived moves the addresses before it
	 * tells us). Every SA the adaptive shift tracks gets rate x (time
	 * since its last record + margin), at least oseq-shift. */
	sync_takeover(&a->sync, now);
	/* 1. Records still waiting for their SA are tried once more now, so
	 * that an SA charon has just installed starts ahead. */
	sync_retry_all(&a->sync, now);
	/* 2. Stop applying, start publishing: from here on, records from the
	 * peer are refused, and SAs charon creates once it is active (rekeys,
	 * new peers) are published from their first packet. */
	sync_set_role(&a->sync, ROLE_ACTIVE);
	peer_set_role(&a->peer, ROLE_ACTIVE, now);
	arm_publishing(a, now);
	/* 3. Only now charon: its IKE_SAs become established and it starts
	 * rekeying and answering DPD from this node. */
	charon_set(&a->charon, true, now);
}

static void become_backup(struct agent *a, uint64_t now)
{
	/* 1. Stop publishing: the other node is (or will be) the source. */
	if (a->kernel.ntf)
		loop_del_fd(a->loop, kernel_notify_fd(&a->kernel));
	kernel_unsubscribe(&a->kernel);
	/* 2. charon steps down: no rekey or DPD answer from a node that no
	 * longer receives the traffic. */
	charon_set(&a->charon, false, now);
	/* 3. Ask for a bulk sync (at once if the link is up), then apply the
	 * peer's counters, shifted, raise-only. keepalived is held off until
	 * that bulk sync completes. */
	sync_set_role(&a->sync, ROLE_BACKUP);
	peer_set_role(&a->peer, ROLE_BACKUP, now);
}

static void set_role(struct agent *a, enum role role, const char *why)
{
	uint64_t now = now_ms();

	if (role == a->role)
		return;
	log_info("role: %s -> %s (%s)", role_name(a->role), role_name(role),
		 why);
	a->role = role;
	a->role_since = now;
	if (role == ROLE_ACTIVE)
		become_active(a, now);
	else
		become_backup(a, now);
	update_status(a);
}

static void on_group(void *arg, enum ha_state old, enum ha_state st,
		     const char *why)
{
	struct agent *a = arg;

	(void)old;
	set_role(a, ha_state_role(st), why);
	/* Without a role change (FAULT after BACKUP, the first word on an
	 * external group) charon may still need telling; else a no-op. */
	charon_set(&a->charon, st == HA_STATE_MASTER, now_ms());
}

/* ---- peer callbacks ---- */

static int on_send(void *arg, const uint8_t *pkt, size_t len)
{
	struct agent *a = arg;
	static struct ratelimit rl = RATELIMIT_INIT(10000, 3);
	int ret = link_send(&a->link, pkt, len);

	if (ret < 0)
		log_ratelimited(&rl, LOG_LVL_WARN, "sending to %s: %s",
				a->cfg->remote_str, strerror(-ret));
	return ret;
}

static void on_link_up(void *arg)
{
	struct agent *a = arg;

	a->alone_since = 0;
	update_status(a);
}

static void on_link_down(void *arg)
{
	struct agent *a = arg;

	a->alone_since = now_ms();
	update_status(a);
}

static void on_bulk_request(void *arg, uint32_t bulk_id)
{
	struct agent *a = arg;

	sync_bulk(&a->sync, bulk_id, now_ms());
	update_status(a);
}

static void on_records(void *arg, const struct proto_seqnum *hdr,
		       const struct xha_sa *recs, unsigned int n)
{
	struct agent *a = arg;

	(void)hdr;
	sync_records(&a->sync, recs, n, now_ms());
}

static const struct peer_ops peer_ops = {
	.send = on_send,
	.link_up = on_link_up,
	.link_down = on_link_down,
	.bulk_request = on_bulk_request,
	.records = on_records,
};

/* ---- loop callbacks ---- */

static void on_link_readable(void *arg)
{
	struct agent *a = arg;
	uint8_t buf[PROTO_MAX_PKT + 1];
	bool from_peer;
	char what[64];
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		n = link_recv(&a->link, buf, sizeof(buf), &from_peer);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			log_debug("HA socket: %s", strerror((int)-n));
			break;
		}
		if (!from_peer) {
			snprintf(what, sizeof(what), "%zd bytes", n);
			peer_reject(&a->peer, a->link.reject, what);
			continue;
		}
		/* A cut-off datagram reaches proto_open as oversized. */
		peer_input(&a->peer, buf, (size_t)n, now_ms());
	}
	/* ACKs may have opened the stream's window. */
	sync_pump(&a->sync, now_ms());
	update_status(a);
}

static void on_notify_readable(void *arg)
{
	struct agent *a = arg;

	sync_notify_ready(&a->sync, now_ms());
	update_status(a);
}

static void on_group_readable(void *arg)
{
	struct agent *a = arg;
	/* On a read error: out of the loop first, then closed (so that the
	 * number is not reused meanwhile); the group tick reopens it. */
	if (hagroup_readable(&a->group, now_ms()) < 0) {
		loop_del_fd(a->loop, hagroup_fd(&a->group));
		hagroup_fifo_close(&a->group);
	}
}

/* ---- the kernel side (issue 7): the family coming and going, SAs
 * being installed ---- */

static void on_kernel_event(struct agent *a, enum kernel_event ev,
			    uint64_t now)
{
	if (ev == KERNEL_NONE)
		return;
	/* The notification handle belongs to the old family either way. */
	if (a->kernel.ntf)
		loop_del_fd(a->loop, kernel_notify_fd(&a->kernel));
	kernel_unsubscribe(&a->kernel);
	if (ev == KERNEL_GONE)
		return;
	/* KERNEL_BACK: a new family, configured as at start, publishing
	 * again if active, and a verified bulk sync in either role. */
	kernel_configure(&a->kernel, a->cfg->sync_period_packets,
			 a->cfg->sync_period_time, a->cfg->oseq_wrap_margin);
	if (a->role == ROLE_ACTIVE)
		arm_publishing(a, now);
	peer_resync(&a->peer, now, "kernel module reloaded");
	sync_retry_sweep(&a->sync);
	update_status(a);
}

static void on_kernel_watch(void *arg)
{
	struct agent *a = arg;
	uint64_t now = now_ms();

	on_kernel_event(a, kernel_watch_ready(&a->kernel, now), now);
}

static void on_sa_events(void *arg)
{
	struct agent *a = arg;

	sync_sa_events(&a->sync, &a->kernel.mon, now_ms());
	update_status(a);
}

static void on_peer_tick(void *arg, uint64_t now)
{
	struct agent *a = arg;

	peer_tick(&a->peer, now);
	sync_pump(&a->sync, now);
	on_kernel_event(a, kernel_tick(&a->kernel, now), now);
	/* Active but not publishing: subscribing failed; try again. */
	if (a->role == ROLE_ACTIVE && !a->kernel.ntf && a->kernel.available)
		arm_publishing(a, now);
	charon_tick(&a->charon, now);
	ctl_tick(&a->ctl, now);
	update_status(a);
}

static void on_group_tick(void *arg, uint64_t now)
{
	struct agent *a = arg;
	int before = hagroup_fd(&a->group);

	hagroup_tick(&a->group, now);
	trackfile_check(&a->track);
	/* The FIFO was reopened: watch the new descriptor, or try again. */
	if (hagroup_fd(&a->group) != before && hagroup_fd(&a->group) >= 0 &&
	    loop_add_fd(a->loop, hagroup_fd(&a->group), on_group_readable,
			a) < 0) {
		log_err("event loop: %s", strerror(errno));
		hagroup_fifo_close(&a->group);
	}
}

static void on_retry(void *arg, uint64_t now)
{
	struct agent *a = arg;

	sync_retry(&a->sync, now);
	update_status(a);
}

static void on_shift_tick(void *arg, uint64_t now)
{
	struct agent *a = arg;

	sync_shift_tick(&a->sync, now);
}

static void on_stats(void *arg, uint64_t now)
{
	struct agent *a = arg;

	(void)now;
	if (log_debug_enabled())
		sync_log_stats(&a->sync, LOG_LVL_DEBUG);
}

static void on_signal(void *arg, int signo)
{
	struct agent *a = arg;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		log_info("%s: shutting down", strsignal(signo));
		sd_notify(0, "STOPPING=1");
		loop_stop(a->loop);
		break;
	case SIGHUP: {
		char msg[CONFIG_ERR_LEN + 256];

		agent_reload(a, msg, sizeof(msg));	/* logs either way */
		break;
	}
	case SIGUSR1:
		sync_log_stats(&a->sync, LOG_LVL_INFO);
		break;
	}
}

static int setup(struct agent *a)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	const struct config *cfg = a->cfg;
	char err[CONFIG_ERR_LEN];
	int ret;

	a->loop = loop_new();
	if (!a->loop) {
		log_err("event loop: %s", strerror(errno));
		return -1;
	}
	ret = loop_add_signals(a->loop, signals, 4, on_signal, a);
	if (ret < 0) {
		log_err("signals: %s", strerror(-ret));
		return -1;
	}
	if (kernel_open(&a->kernel, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	if (link_open(&a->link, cfg, err, sizeof(err)) < 0) {
		log_err("HA link: %s", err);
		return -1;
	}
	if (ctl_open(&a->ctl, cfg->control_socket, a->loop, control_request, a, err,
		     sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	if (hagroup_open(&a->group, &cfg->group, on_group, a, err,
			 sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	snprintf(a->state_file, sizeof(a->state_file), "%s.state",
		 cfg->control_socket);
	hagroup_persist(&a->group, a->state_file);
	/* Only once everything that may fail has succeeded, so that a start
	 * that fails leaves the kernel's configuration alone. */
	if (kernel_configure(&a->kernel, cfg->sync_period_packets,
			     cfg->sync_period_time, cfg->oseq_wrap_margin) < 0)
		return -1;
	a->role = ha_state_role(hagroup_state(&a->group));
	peer_init(&a->peer, cfg, a->role, &peer_ops, a);
	if (sync_init(&a->sync, cfg, a->role, &a->kernel, &a->peer) < 0) {
		log_err("out of memory");
		return -1;
	}
	charon_init(&a->charon, cfg->strongswan ? cfg->charon_fifo : NULL);
	trackfile_init(&a->track, cfg->track_file);
	if (loop_add_fd(a->loop, a->link.fd, on_link_readable, a) < 0 ||
	    (hagroup_fd(&a->group) >= 0 &&
	     loop_add_fd(a->loop, hagroup_fd(&a->group), on_group_readable,
			 a) < 0) ||
	    loop_add_timer(a->loop, PEER_TICK_MS, on_peer_tick, a) < 0 ||
	    loop_add_timer(a->loop, GROUP_TICK_MS, on_group_tick, a) < 0 ||
	    loop_add_timer(a->loop, STATS_MS, on_stats, a) < 0 ||
	    loop_add_timer(a->loop, SYNC_RETRY_MS, on_retry, a) < 0 ||
	    /* a no-op without the adaptive shift (a reload may turn it on) */
	    loop_add_timer(a->loop, SYNC_SHIFT_TICK_MS, on_shift_tick, a) < 0) {
		log_err("event loop: %s", strerror(errno));
		return -1;
	}
	/* Issue 7: the family watch and the SA events, when they opened. */
	if ((kernel_watch_fd(&a->kernel) >= 0 &&
	     loop_add_fd(a->loop, kernel_watch_fd(&a->kernel), on_kernel_watch,
			 a) < 0) ||
	    (xfrmmon_fd(&a->kernel.mon) >= 0 &&
	     loop_add_fd(a->loop, xfrmmon_fd(&a->kernel.mon), on_sa_events,
			 a) < 0)) {
		log_err("event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- reload ---- */

static void config_release(struct config *cfg)
{
	if (!cfg)
		return;
	config_free(cfg);
	sodium_free(cfg);
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Open cfg's link socket and watch it; closed again on failure. */
static int open_link(struct agent *a, const struct config *cfg, char *err,
		     size_t errlen)
{
	if (link_open(&a->link, cfg, err, errlen) < 0)
		return -1;
	if (loop_add_fd(a->loop, a->link.fd, on_link_readable, a) < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		link_close(&a->link);
		return -1;
	}
	return 0;
}

/*
 * The new link, or the old one again if the new one cannot be opened
 * (both may bind the same address: the old socket goes first). If neither
 * opens (the old address gone meanwhile), the agent cannot work: it stops
 * with a failure, for systemd to restart it with the file as it is.
 */
static int reopen_link(struct agent *a, const struct config *n, char *err,
		       size_t errlen)
{
	char e[256];

	loop_del_fd(a->loop, a->link.fd);
	link_close(&a->link);
	if (open_link(a, n, err, errlen) == 0)
		return 0;
	if (open_link(a, a->cfg, e, sizeof(e)) < 0) {
		log_err("HA link: neither the new socket (%s) nor the old one (%s) opens: stopping",
			err, e);
		a->failed = true;
		loop_stop(a->loop);
	}
	return -1;
}

/* The HA group: the new one replaces the old (opened by the caller). */
static void swap_group(struct agent *a, struct hagroup *g, uint64_t now)
{
	if (hagroup_fd(&a->group) >= 0)
		loop_del_fd(a->loop, hagroup_fd(&a->group));
	hagroup_close(&a->group);
	a->group = *g;
	if (hagroup_fd(&a->group) >= 0 &&
	    loop_add_fd(a->loop, hagroup_fd(&a->group), on_group_readable,
			a) < 0)
		hagroup_fifo_close(&a->group);	/* the group tick retries */
	hagroup_persist(&a->group, a->state_file);
	/* An external group not told yet keeps the role it had. */
	if (a->group.known) {
		set_role(a, ha_state_role(hagroup_state(&a->group)),
			 "reload: new HA group");
		charon_set(&a->charon,
			   hagroup_state(&a->group) == HA_STATE_MASTER, now);
	}
}

static int reload_apply(struct agent *a, struct config *n,
			const struct reload_plan *rp, char *err, size_t errlen)
{
	struct config *old = a->cfg;
	struct hagroup g = { .fifo = -1 };
	uint64_t now = now_ms();
	bool kernel = rp->kernel && a->kernel.available;
	char e[256];
	int want;

	/* What may fail first, undone if a later step fails. */
	if (kernel && kernel_configure(&a->kernel, n->sync_period_packets,
				       n->sync_period_time,
				       n->oseq_wrap_margin) < 0) {
		snprintf(err, errlen, "the kernel module refused the sync settings (see the log)");
		return -1;
	}
	/* Lines keepalived queued for the old group are applied first: the
	 * new group, on the same FIFO, drains what it finds as stale. */
	if (rp->group && hagroup_fd(&a->group) >= 0)
		on_group_readable(a);
	if (rp->group && hagroup_open(&g, &n->group, on_group, a, err,
				      errlen) < 0)
		goto undo_kernel;
	if (rp->link && reopen_link(a, n, err, errlen) < 0)
		goto undo_group;
	if (sync_reconfigure(&a->sync, n) < 0) {
		snprintf(err, errlen, "out of memory");
		if (rp->link && reopen_link(a, old, e, sizeof(e)) < 0)
			log_err("HA link: reopening the old socket: %s", e);
		goto undo_group;
	}

	/* From here on nothing fails. */
	a->cfg = n;
	a->peer.key = n->key;
	a->ctl.path = n->control_socket;	/* the same string */
	if (rp->group)
		swap_group(a, &g, now);
	else
		a->group.cfg = &n->group;
	want = a->charon.want;
	if (rp->charon) {
		/* The new FIFO gets the group's state (as at start), or the
		 * last wish if the group is not known. */
		charon_init(&a->charon, n->strongswan ? n->charon_fifo : NULL);
		if (a->group.known)
			want = hagroup_state(&a->group) == HA_STATE_MASTER;
		if (want >= 0)
			charon_set(&a->charon, want, now);
	} else {
		a->charon.path = n->strongswan ? n->charon_fifo : NULL;
	}
	if (rp->track)
		trackfile_init(&a->track, n->track_file);
	else
		a->track.path = n->track_file[0] ? n->track_file : NULL;
	if (rp->session)
		peer_restart(&a->peer, n, now, "reload: link settings changed");
	config_release(old);
	return 0;

undo_group:
	if (rp->group)
		hagroup_close(&g);
undo_kernel:
	if (kernel)
		kernel_configure(&a->kernel, old->sync_period_packets,
				 old->sync_period_time, old->oseq_wrap_margin);
	return -1;
}

int agent_reload(struct agent *a, char *err, size_t errlen)
{
	struct reload_plan rp;
	char e[CONFIG_ERR_LEN];
	struct config *n;

	a->reloads++;
	if (a->ready)
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
			   (unsigned long long)monotonic_usec(), a->config_path);
	n = sodium_malloc(sizeof(*n));	/* guarded, holds the key */
	if (!n) {
		snprintf(err, errlen, "out of memory");
	} else if (config_load(a->config_path, a->cfg->vrf, n, e,
			       sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", a->config_path, e);
		sodium_free(n);
		n = NULL;
	} else if (strcmp(n->vrf, a->cfg->vrf)) {
		snprintf(err, errlen, "vrf %s -> %s cannot change while the agent runs: start an agent per VRF",
			 a->cfg->vrf, n->vrf);
	} else if (reload_plan(a->cfg, n, &rp, err, errlen) == 0 &&
		   reload_apply(a, n, &rp, err, errlen) == 0) {
		log_info("reload of %s: %s", a->config_path,
			 rp.changes ? rp.what : "no change");
		snprintf(err, errlen, "%s", rp.changes ? rp.what : "no change");
		n = NULL;	/* running */
		if (a->ready)
			sd_notifyf(0, "READY=1\nSTATUS=%s", a->status);
		update_status(a);
		return 0;
	}
	config_release(n);
	a->reloads_failed++;
	log_err("reload refused, the running configuration stays: %s", err);
	if (a->ready)
		sd_notifyf(0, "READY=1\nSTATUS=%s", a->status);
	return -1;
}

int agent_run(struct config *cfg, const char *path)
{
	struct agent a = { .cfg = cfg, .link = { .fd = -1 },
			   .ctl = { .fd = -1 }, .group = { .fifo = -1 },
			   .config_path = path };
	int ret = EXIT_FAILURE;
	uint64_t now;

	if (setup(&a) == 0) {
		log_info("node %u on %s port %u (peer %s%s%s), oseq-shift %u%s, HA group %s (%s): %s",
			 a.cfg->node_id, a.cfg->local_str, a.cfg->port,
			 a.cfg->remote_str, a.cfg->interface[0] ? ", interface " : "",
			 a.cfg->interface, a.cfg->oseq_shift,
			 a.cfg->adaptive_shift ? " (adaptive)" : "",
			 a.cfg->group.name,
			 hagroup_controller(&a.group), role_name(a.role));
		now = now_ms();
		a.role_since = now;
		a.alone_since = now;
		peer_start(&a.peer, now);
		if (a.role == ROLE_ACTIVE)
			arm_publishing(&a, now);
		/* An external group is unknown until told: charon is left as
		 * it is (an agent restart must not take its segment away). */
		if (a.group.known)
			charon_set(&a.charon,
				   hagroup_state(&a.group) == HA_STATE_MASTER,
				   now);
		/* READY=1 comes from here when ready at once (active), else
		 * from the event that makes it so (the first bulk sync). */
		update_status(&a);
		if (loop_run(a.loop) < 0)
			log_err("event loop: %s", strerror(errno));
		else if (!a.failed)
			ret = EXIT_SUCCESS;
		sync_log_stats(&a.sync, LOG_LVL_INFO);
	}
	sync_free(&a.sync);
	peer_free(&a.peer);
	hagroup_close(&a.group);
	ctl_close(&a.ctl);
	link_close(&a.link);
	kernel_close(&a.kernel);
	loop_free(a.loop);
	config_release(a.cfg);
	return ret;
}
