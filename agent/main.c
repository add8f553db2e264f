// SPDX-License-Identifier: GPL-2.0
/*
 * ha-ike-agent: relays IPsec SA replay counters between the two nodes of
 * an HA gateway pair (see docs/protocol.md).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>

#include "agent.h"
#include "config.h"
#include "log.h"
#include "strongswan.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ha-ike-agent [--config FILE] [--vrf NAME] [-v] [--check | --render-strongswan]\n"
		"       ha-ike-agent --genkey\n"
		"  -c, --config FILE     configuration (xfrm-ha YANG model, JSON or text;\n"
		"                        default " CONFIG_DEFAULT_PATH ")\n"
		"      --vrf NAME        the VRF (network namespace) to run (default " CONFIG_DEFAULT_VRF ")\n"
		"  -v, --verbose         debug logging\n"
		"      --check           validate the configuration and key, then exit\n"
		"      --render-strongswan\n"
		"                        print charon's ha plugin settings for this\n"
		"                        node (strongswan.d style; holds a secret)\n"
		"      --genkey          print a new random link key\n"
		"  -h, --help            this text\n"
		"SIGHUP reloads the configuration. Exit status: 0 stopped (SIGTERM) or\n"
		"--check passed, 1 a runtime failure, 64 (EX_USAGE) a wrong command\n"
		"line, 78 (EX_CONFIG) an invalid configuration or key file (retrying\n"
		"cannot help either).\n");
}

static int genkey(void)
{
	unsigned char key[CONFIG_KEY_LEN];
	char hex[2 * CONFIG_KEY_LEN + 1];

	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	printf("%s\n", hex);
	sodium_memzero(hex, sizeof(hex));
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static const char *ctl_desc(const struct config_group *g, char *buf,
			    size_t len)
{
	switch (g->ctl) {
	case HA_CTL_STATIC:
		snprintf(buf, len, "static %s", ha_state_name(g->static_state));
		break;
	case HA_CTL_EXTERNAL:
		snprintf(buf, len, "external (ha-ike group %s STATE)", g->name);
		break;
	case HA_CTL_KEEPALIVED:
		snprintf(buf, len, "keepalived %s %s via %s, %u virtual address(es)",
			 g->vrrp_sync_group ? "sync group" : "instance",
			 g->vrrp_name, g->fifo, g->n_vips);
		break;
	}
	return buf;
}

static void config_release(struct config *cfg)
{
	config_free(cfg);
	sodium_free(cfg);
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_GENKEY, OPT_RENDER, OPT_VRF };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "vrf", required_argument, NULL, OPT_VRF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "genkey", no_argument, NULL, OPT_GENKEY },
		{ "render-strongswan", no_argument, NULL, OPT_RENDER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *vrf = CONFIG_DEFAULT_VRF;
	bool verbose = false, check = false, gen = false, render = false;
	char err[CONFIG_ERR_LEN], desc[CONFIG_PATH_LEN + 256];
	struct config *cfg;
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case OPT_VRF:
			vrf = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_GENKEY:
			gen = true;
			break;
		case OPT_RENDER:
			render = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc || (gen && (path || check)) ||
	    (render && (check || gen))) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!path)
		path = CONFIG_DEFAULT_PATH;
	log_init(verbose);
	if (sodium_init() < 0) {
		log_err("libsodium initialisation failed");
		return EXIT_FAILURE;
	}
	if (gen)
		return genkey();

	cfg = sodium_malloc(sizeof(*cfg));	/* guarded, holds the key */
	if (!cfg) {
		log_err("out of memory");
		return EXIT_FAILURE;
	}
	if (check)	/* the warnings go to stdout, with the verdict */
		log_set_level(LOG_LVL_ERR);
	if (config_load(path, vrf, cfg, err, sizeof(err)) < 0) {
		log_err("%s: %s", path, err);
		sodium_free(cfg);
		return EX_CONFIG;
	}
	if (render) {
		ret = strongswan_render(stdout, cfg, path) == 0 &&
			      fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		config_release(cfg);
		return ret;
	}
	if (check) {
		printf("%s: configuration OK (vrf %s, node %u, %s -> %s port %u, HA group %s: %s%s)\n",
		       path, cfg->vrf, cfg->node_id, cfg->local_str,
		       cfg->remote_str, cfg->port, cfg->group.name,
		       ctl_desc(&cfg->group, desc, sizeof(desc)),
		       cfg->enabled ? "" : ", disabled");
		for (unsigned int i = 0; i < cfg->n_warnings; i++)
			printf("%s: warning: %s\n", path, cfg->warnings[i]);
		config_release(cfg);
		return EXIT_SUCCESS;
	}
	if (!cfg->enabled) {
		log_info("HA synchronisation disabled in %s (vrf %s): nothing to do",
			 path, cfg->vrf);
		sd_notify(0, "READY=1\nSTATUS=disabled by configuration");
		config_release(cfg);
		return EXIT_SUCCESS;
	}
	/* A reader gone from charon's FIFO (or any pipe) is an EPIPE to
	 * handle, not a signal that kills the agent. */
	signal(SIGPIPE, SIG_IGN);
	return agent_run(cfg, path);	/* takes cfg */
}
