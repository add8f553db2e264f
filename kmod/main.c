// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_ha: publish and restore xfrm SA replay counters for HA gateway pairs.
 */

#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/xfrm_ha.h>

#include "xfrm_ha.h"

static int __init xha_init(void)
{
	int err;

	err = xha_track_cache_init();
	if (err)
		return err;

	err = xha_netns_init();
	if (err)
		goto err_cache;

	err = xha_genl_init();
	if (err)
		goto err_netns;

	/* Last: from here on, SA events kick the per-netns scans. */
	err = xha_km_init();
	if (err)
		goto err_genl;
	return 0;

err_genl:
	xha_genl_exit();
err_netns:
	xha_netns_exit();
err_cache:
	xha_track_cache_exit();
	return err;
}

static void __exit xha_exit(void)
{
	xha_km_exit();
	/* No scan may publish once the family and its group are gone. */
	xha_netns_stop_all();
	xha_genl_exit();
	xha_netns_exit();
	xha_track_cache_exit();
}

module_init(xha_init);
module_exit(xha_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Replay-counter synchronisation for xfrm SAs on HA gateways");
MODULE_AUTHOR("xfrm-ha developers");
MODULE_ALIAS_GENL_FAMILY(XFRM_HA_GENL_NAME);
