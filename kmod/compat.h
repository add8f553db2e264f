/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels xfrm_ha builds against (Debian's 6.1 and
 * 6.12), force-included by Kbuild so that the sources carry no #ifdefs.
 */
#ifndef _XFRM_HA_COMPAT_H
#define _XFRM_HA_COMPAT_H

#include <linux/netlink.h>

/*
 * NL_SET_ERR_MSG_FMT_MOD() appeared in 6.2. xfrm_ha formats only the "counter
 * would go down" refusal; on 6.1 that message loses its numbers.
 */
#ifndef NL_SET_ERR_MSG_FMT_MOD
#define NL_SET_ERR_MSG_FMT_MOD(extack, fmt, args...) do {			\
	(void)(fmt);							\
	NL_SET_ERR_MSG_MOD(extack, "value is below the SA's current counter"); \
} while (0)
#endif

#endif /* _XFRM_HA_COMPAT_H */
