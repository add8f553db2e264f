// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "linux/xfrm_ha.h"
#include "log.h"

int kernel_open(struct kernel *k, char *err, size_t errlen)
{
	char msg[256] = "";

	memset(k, 0, sizeof(*k));
	k->req = xha_nl_open(msg, sizeof(msg));
	if (!k->req) {
		snprintf(err, errlen, "kernel: %s",
			 msg[0] ? msg : strerror(errno));
		return -1;
	}
	k->available = true;
	/* Without these the agent still works: a reload goes unnoticed
	 * until a request fails, an SA's records wait for the retry. */
	k->watch = xha_watch_open(msg, sizeof(msg));
	if (!k->watch)
		log_warn("kernel: watching the %s family: %s (a module reload is noticed late)",
			 XFRM_HA_GENL_NAME, msg);
	if (xfrmmon_open(&k->mon, msg, sizeof(msg)) < 0)
		log_warn("kernel: %s (records for SAs not installed yet wait for the retry)",
			 msg);
	return 0;
}

int kernel_subscribe(struct kernel *k, char *err, size_t errlen)
{
	char msg[256] = "";
	int fd, flags;

	if (k->ntf)
		return 0;
	k->ntf = xha_nl_open(msg, sizeof(msg));
	if (!k->ntf) {
		snprintf(err, errlen, "kernel: %s",
			 msg[0] ? msg : strerror(errno));
		return -1;
	}
	if (xha_nl_subscribe(k->ntf) < 0) {
		snprintf(err, errlen, "subscribing to the %s group: %s",
			 XFRM_HA_MCGRP_SEQNUM, xha_nl_error(k->ntf));
		goto fail;
	}
	fd = xha_nl_fd(k->ntf);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "notification socket: %s",
			 strerror(errno));
		goto fail;
	}
	return 0;
fail:
	kernel_unsubscribe(k);
	return -1;
}

void kernel_unsubscribe(struct kernel *k)
{
	if (k->ntf)
		xha_nl_close(k->ntf);
	k->ntf = NULL;
}

void kernel_close(struct kernel *k)
{
	kernel_unsubscribe(k);
	if (k->req)
		xha_nl_close(k->req);
	k->req = NULL;
	xha_nl_close(k->watch);
	k->watch = NULL;
	xfrmmon_close(&k->mon);
}

int kernel_configure(struct kernel *k, uint32_t packets, uint32_t seconds,
		     uint32_t wrap_margin)
{
	struct xha_config cfg = {
		.sync_packets = packets,
		.sync_time_ms = seconds * 1000,
		.oseq_wrap_margin = wrap_margin,
		.has = XHA_CFG_HAS_SYNC_PACKETS | XHA_CFG_HAS_SYNC_TIME_MS |
		       XHA_CFG_HAS_OSEQ_WRAP_MARGIN,
	};
	int ret = xha_nl_config_set(k->req, &cfg);

	if (ret < 0)
		log_err("setting the kernel sync config (packets %u, time %u s, oseq wrap margin %u): %s",
			packets, seconds, wrap_margin, xha_nl_error(k->req));
	else
		log_info("kernel sync trigger: every %u packets%s, every %u s%s; oseq wrap margin %u packets",
			 packets, packets ? "" : " (off)", seconds,
			 seconds ? "" : " (off)", wrap_margin);
	return ret;
}

int kernel_notify_fd(const struct kernel *k)
{
	return k->ntf ? xha_nl_fd(k->ntf) : -1;
}

/* ---- the family coming and going ---- */

static enum kernel_event went_away(struct kernel *k, const char *why)
{
	if (!k->available)
		return KERNEL_NONE;
	k->available = false;
	k->gone++;
	log_warn("kernel: the %s family went away (%s): writes are kept until it is back",
		 XFRM_HA_GENL_NAME, why);
	return KERNEL_GONE;
}

/* Open a new request handle; the old one stays until this succeeds. */
static enum kernel_event come_back(struct kernel *k, const char *why)
{
	char msg[256] = "";
	struct xha_nl *nl = xha_nl_open(msg, sizeof(msg));

	if (!nl) {
		log_debug("kernel: %s: %s", why, msg);
		return KERNEL_NONE;
	}
	xha_nl_close(k->req);
	k->req = nl;
	k->available = true;
	k->suspect = false;
	k->reloads++;
	log_info("kernel: the %s family is back (%s, id %u): handles reopened (reload %" PRIu64 ")",
		 XFRM_HA_GENL_NAME, why, xha_nl_family_id(nl), k->reloads);
	return KERNEL_BACK;
}

/*
 * Ask the controller whether the family is still the one req resolved.
 * Gone, or registered again under another id: unavailable, and what the
 * caller did not see yet is reported by the next kernel_tick(), which
 * reopens the handles at once in the second case.
 */
static void check(struct kernel *k, uint64_t now)
{
	int ret;

	k->checked = now;
	k->suspect = false;
	ret = xha_nl_family_check(k->req);
	if (ret == -ENOENT || ret == -ESTALE) {
		if (went_away(k, ret == -ENOENT ? "not registered" :
				 "registered again") == KERNEL_GONE)
			k->event = KERNEL_GONE;
		if (ret == -ESTALE)
			k->checked = 0;	/* reopen at the next tick */
	} else if (ret < 0) {
		log_debug("kernel: checking the family: %s",
			  xha_nl_error(k->req));
	}
}

int kernel_watch_fd(const struct kernel *k)
{
	return k->watch ? xha_nl_fd(k->watch) : -1;
}

enum kernel_event kernel_watch_ready(struct kernel *k, uint64_t now)
{
	enum kernel_event ev = KERNEL_NONE;
	int i, ret;
	bool back = false;

	if (!k->watch)
		return KERNEL_NONE;
	for (i = 0; i < 64; i++) {
		ret = xha_watch_recv(k->watch);
		if (ret == -EAGAIN)
			break;
		if (ret == -ENOBUFS) {
			/* Which events were lost? Ask. */
			k->suspect = true;
			k->checked = 0;
			continue;
		}
		if (ret < 0) {
			log_debug("kernel: family watch: %s",
				  xha_nl_error(k->watch));
			break;
		}
		/* In order: a DEL then a NEW in one read is a reload. */
		if (ret & XHA_WATCH_DEL) {
			back = false;
			if (went_away(k, "CTRL_CMD_DELFAMILY") == KERNEL_GONE)
				ev = KERNEL_GONE;
		}
		if (ret & XHA_WATCH_NEW)
			back = true;
	}
	if (back) {
		/* A NEW without the DEL (lost): a reload all the same,
		 * unless the family is still the one we resolved. */
		if (k->available && xha_nl_family_check(k->req) == 0)
			return ev;
		went_away(k, "registered again");
		if (come_back(k, "CTRL_CMD_NEWFAMILY") == KERNEL_BACK)
			return KERNEL_BACK;
		k->checked = 0;
		return KERNEL_GONE;
	}
	if (ev == KERNEL_NONE && k->suspect)
		return kernel_tick(k, now);
	return ev;
}

enum kernel_event kernel_tick(struct kernel *k, uint64_t now)
{
	enum kernel_event ev = k->event;

	k->event = KERNEL_NONE;
	if (ev != KERNEL_NONE)
		return ev;
	if (!k->available) {
		if (k->checked && now - k->checked < KERNEL_GONE_POLL_MS)
			return KERNEL_NONE;
		k->checked = now;
		return come_back(k, "found by polling");
	}
	if (k->suspect && (!k->checked || now - k->checked >= KERNEL_CHECK_MS))
		check(k, now);
	ev = k->event;
	k->event = KERNEL_NONE;
	return ev;
}

/* ---- SA requests ---- */

int kernel_sa_set_batch(struct kernel *k, const struct xha_sa *sa,
			unsigned int n, struct xha_nl_result *res,
			uint64_t now)
{
	unsigned int i, enoent = 0;
	int ret;

	if (!k->available) {
		for (i = 0; i < n; i++) {
			res[i].err = KERNEL_ENODEV;
			snprintf(res[i].msg, sizeof(res[i].msg),
				 "the %s family is gone", XFRM_HA_GENL_NAME);
		}
		return KERNEL_ENODEV;
	}
	ret = xha_nl_sa_set_batch(k->req, sa, n, res);
	for (i = 0; i < n; i++)
		enoent += res[i].err == -ENOENT;
	if (enoent) {
		/* A check now, or the next tick's if one was done lately. */
		k->suspect = true;
		if (!k->checked || now - k->checked >= KERNEL_CHECK_MS)
			check(k, now);
		if (!k->available)
			for (i = 0; i < n; i++)
				if (res[i].err == -ENOENT)
					res[i].err = KERNEL_ENODEV;
	}
	return ret;
}

int kernel_sa_get(struct kernel *k, const struct xha_sa *id,
		  struct xha_sa *out, uint64_t now)
{
	int ret;

	(void)now;
	if (!k->available)
		return KERNEL_ENODEV;
	ret = xha_nl_sa_get(k->req, id, out);
	if (ret == -ENOENT)
		k->suspect = true;
	return ret;
}
