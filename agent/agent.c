// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "agent.h"
#include "kernel.h"
#include "link.h"
#include "log.h"
#include "loop.h"
#include "peer.h"
#include "sync.h"

#define PEER_TICK_MS 250
#define STATS_MS 30000

struct agent {
	struct config *cfg;
	struct loop *loop;
	struct kernel kernel;
	struct link link;
	struct peer peer;
	struct sync sync;
	char status[256];
};

static void update_status(struct agent *a)
{
	char status[256];

	sync_status(&a->sync, status, sizeof(status));
	if (strcmp(status, a->status)) {
		snprintf(a->status, sizeof(a->status), "%s", status);
		sd_notifyf(0, "STATUS=%s", status);
	}
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
	update_status(arg);
}

static void on_link_down(void *arg)
{
	update_status(arg);
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
			peer_reject(&a->peer, PROTO_ERR_SOURCE, what);
			continue;
		}
		/* A cut-off datagram reaches proto_open as oversized. */
		peer_input(&a->peer, buf, (size_t)n, now_ms());
	}
	update_status(a);
}

static void on_notify_readable(void *arg)
{
	struct agent *a = arg;

	sync_notify_ready(&a->sync, now_ms());
	update_status(a);
}

static void on_peer_tick(void *arg, uint64_t now)
{
	struct agent *a = arg;

	peer_tick(&a->peer, now);
	update_status(a);
}

static void on_retry(void *arg, uint64_t now)
{
	struct agent *a = arg;

	sync_retry(&a->sync, now);
	update_status(a);
}

static void on_stats(void *arg, uint64_t now)
{
	struct agent *a = arg;

	(void)now;
	if (log_debug_enabled())
		sync_log_stats(&a->sync, LOG_LVL_DEBUG);
}

static void on_watchdog(void *arg, uint64_t now)
{
	(void)arg;
	(void)now;
	sd_notify(0, "WATCHDOG=1");
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
	case SIGHUP:
		log_info("SIGHUP: reloading is not supported, restart to apply a new configuration");
		break;
	case SIGUSR1:
		sync_log_stats(&a->sync, LOG_LVL_INFO);
		break;
	}
}

static int setup(struct agent *a)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	const struct config *cfg = a->cfg;
	uint64_t wd_usec;
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
	if (kernel_open(&a->kernel, cfg->role == ROLE_ACTIVE, err,
			sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	if (link_open(&a->link, cfg, err, sizeof(err)) < 0) {
		log_err("HA link: %s", err);
		return -1;
	}
	/* Only once everything that may fail has succeeded, so that a start
	 * that fails leaves the kernel's configuration alone. */
	if (kernel_configure(&a->kernel, cfg->sync_period_packets,
			     cfg->sync_period_time) < 0)
		return -1;
	peer_init(&a->peer, cfg, &peer_ops, a);
	if (sync_init(&a->sync, cfg, &a->kernel, &a->peer) < 0) {
		log_err("out of memory");
		return -1;
	}
	if (loop_add_fd(a->loop, a->link.fd, on_link_readable, a) < 0 ||
	    loop_add_timer(a->loop, PEER_TICK_MS, on_peer_tick, a) < 0 ||
	    loop_add_timer(a->loop, STATS_MS, on_stats, a) < 0 ||
	    (cfg->role == ROLE_ACTIVE &&
	     loop_add_fd(a->loop, kernel_notify_fd(&a->kernel),
			 on_notify_readable, a) < 0) ||
	    (cfg->role == ROLE_BACKUP &&
	     loop_add_timer(a->loop, SYNC_RETRY_MS, on_retry, a) < 0)) {
		log_err("event loop: %s", strerror(errno));
		return -1;
	}
	if (sd_watchdog_enabled(0, &wd_usec) > 0 &&
	    loop_add_timer(a->loop, (unsigned int)(wd_usec / 2000), on_watchdog,
			   a) < 0) {
		log_err("watchdog timer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int agent_run(struct config *cfg)
{
	struct agent a = { .cfg = cfg, .link = { .fd = -1 } };
	int ret = EXIT_FAILURE;

	if (setup(&a) == 0) {
		log_info("node %u %s on %s port %u (peer %s%s%s), oseq-shift %u",
			 cfg->node_id, role_name(cfg->role), cfg->local_str,
			 cfg->port, cfg->remote_str,
			 cfg->interface[0] ? ", interface " : "",
			 cfg->interface, cfg->oseq_shift);
		if (cfg->listen_ha_group[0])
			log_info("listen-ha-group %s: not implemented yet, static role %s applies",
				 cfg->listen_ha_group, role_name(cfg->role));
		peer_start(&a.peer, now_ms());
		sync_status(&a.sync, a.status, sizeof(a.status));
		sd_notifyf(0, "READY=1\nSTATUS=%s", a.status);
		if (loop_run(a.loop) < 0)
			log_err("event loop: %s", strerror(errno));
		else
			ret = EXIT_SUCCESS;
		sync_log_stats(&a.sync, LOG_LVL_INFO);
	}
	sync_free(&a.sync);
	link_close(&a.link);
	kernel_close(&a.kernel);
	loop_free(a.loop);
	return ret;
}
