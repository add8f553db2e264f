// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "linux/xfrm_ha.h"
#include "log.h"

int kernel_open(struct kernel *k, char *err, size_t errlen)
{
	char msg[256] = "";

	k->ntf = NULL;
	k->req = xha_nl_open(msg, sizeof(msg));
	if (!k->req) {
		snprintf(err, errlen, "kernel: %s",
			 msg[0] ? msg : strerror(errno));
		return -1;
	}
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
