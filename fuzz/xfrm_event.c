// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: agent/xfrmmon.c's parser of the kernel's xfrm SA
 * events (NETLINK_XFRM, XFRMNLGRP_SA). The first byte picks the shape:
 * even, the rest is a whole datagram (any messages); odd, the rest is the
 * payload of one XFRM_MSG_NEWSA (bit 1 clear) or XFRM_MSG_UPDSA message,
 * so that the attribute parser is reached at once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "fuzz.h"
#include "xfrmmon.h"

static int check_cb(const struct xha_sa *id, void *arg)
{
	(void)arg;
	/* What a parsed event promises the backup. */
	if (id->family != 2 && id->family != 10)
		abort();
	if (id->proto != 50 && id->proto != 51)
		abort();
	if (id->has)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t malformed = 0;
	struct nlmsghdr *nlh;
	size_t len;
	void *buf;

	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		/* Exactly sized, so that the sanitizers see any overread. */
		buf = malloc(size - 1 ? size - 1 : 1);
		if (!buf)
			return 0;
		memcpy(buf, data + 1, size - 1);
		xfrmmon_parse_buf(buf, size - 1, check_cb, NULL, &malformed);
		free(buf);
		return 0;
	}
	len = MNL_NLMSG_HDRLEN + size - 1;
	if (len > UINT32_MAX)
		return 0;
	nlh = malloc(len);
	if (!nlh)
		return 0;
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = (data[0] & 2) ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA;
	nlh->nlmsg_flags = 0;
	nlh->nlmsg_seq = 0;
	nlh->nlmsg_pid = 0;
	memcpy((char *)nlh + MNL_NLMSG_HDRLEN, data + 1, size - 1);
	xfrmmon_parse_buf(nlh, len, check_cb, NULL, &malformed);
	free(nlh);
	return 0;
}
