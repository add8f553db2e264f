// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as the payload of an XFRM_HA_A_SA nest,
 * the way a notification or a dump reply hands it to xha_sa_parse().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm_ha.h>

#include "xha_nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xha_sa sa;
	struct nlattr *nest;
	size_t len = MNL_ATTR_HDRLEN + size;
	char id[128];

	/* nla_len is 16 bits: longer input cannot be one attribute. */
	if (len > UINT16_MAX)
		return 0;
	/* Exactly sized, so that the sanitizers see any overread. */
	nest = malloc(len);
	if (!nest)
		return 0;
	nest->nla_len = (uint16_t)len;
	nest->nla_type = NLA_F_NESTED | XFRM_HA_A_SA;
	memcpy((char *)nest + MNL_ATTR_HDRLEN, data, size);

	if (xha_sa_parse(nest, &sa) == 0) {
		/* What a parsed record promises its users. */
		if (sa.family != 2 && sa.family != 10)
			abort();
		if (sa.proto != 50 && sa.proto != 51)
			abort();
		xha_sa_format_id(&sa, id, sizeof(id));
		if (!xha_sa_same_id(&sa, &sa))
			abort();
	}
	free(nest);
	return 0;
}
