// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the configuration loader (libyang JSON parsing, or
 * the router's text format, and validation against yang/xfrm-ha.yang,
 * then the agent's own checks) for the VRF "main".
 * The YANG context is built once; XFRM_HA_YANG_DIR or ../yang next to the
 * binary's directory locate the module.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

static struct ly_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[PATH_MAX], err[CONFIG_ERR_LEN];

	(void)argc;
	(void)argv;
	/* The binary lives in fuzz/out/: yang/ is two levels up. */
	if (!getenv("XFRM_HA_YANG_DIR"))
		setenv("XFRM_HA_YANG_DIR", FUZZ_YANG_DIR, 1);
	ctx = config_ctx_new(config_yang_dir(dir, sizeof(dir)), err,
			     sizeof(err));
	if (!ctx) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_LEN];
	struct config cfg;
	char *json;

	json = malloc(size + 1);
	memcpy(json, data, size);
	json[size] = '\0';
	err[0] = '\0';
	memset(&cfg, 0, sizeof(cfg));
	if (config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) == 0) {
		if (!cfg.node_id || cfg.node_id > 15 ||
		    (cfg.family != 2 && cfg.family != 10) ||
		    cfg.n_pools > CONFIG_MAX_POOLS || !cfg.key_file[0] || !cfg.port)
			abort();
		/* The group listen-ha-group names, with one controller. */
		if (!cfg.group.name[0] || cfg.group.ctl > HA_CTL_EXTERNAL ||
		    !cfg.control_socket[0] ||
		    (cfg.strongswan && cfg.charon_fifo[0] != '/'))
			abort();
		/* The running config is printed, the warnings bounded. */
		if (!cfg.running || cfg.running[0] != '{' ||
		    cfg.n_warnings > CONFIG_MAX_WARNINGS ||
		    cfg.control_socket[0] != '/')
			abort();
		config_free(&cfg);
		if (cfg.group.ctl == HA_CTL_STATIC &&
		    cfg.group.static_state > HA_STATE_FAULT)
			abort();
		if (cfg.group.ctl == HA_CTL_KEEPALIVED &&
		    (cfg.group.fifo[0] != '/' || !cfg.group.vrrp_name[0] ||
		     cfg.group.n_vips > CONFIG_MAX_VIPS))
			abort();
	} else if (!err[0] || cfg.running) {
		abort();	/* every failure says why, leaves nothing */
	}
	free(json);
	return 0;
}
