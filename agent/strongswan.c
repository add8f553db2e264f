// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <sodium.h>

#include "strongswan.h"

/* crypto_kdf context: exactly crypto_kdf_CONTEXTBYTES (8) characters. */
#define KDF_CTX "xha-chha"
#define KDF_ID_CHARON_HA 1

void strongswan_secret(const struct config *cfg, char out[65])
{
	uint8_t sub[32];

	/* A subkey, so that the ha plugin's PSK never is the link key. */
	crypto_kdf_derive_from_key(sub, sizeof(sub), KDF_ID_CHARON_HA, KDF_CTX,
				   cfg->key);
	sodium_bin2hex(out, 65, sub, sizeof(sub));
	sodium_memzero(sub, sizeof(sub));
}

int strongswan_render(FILE *f, const struct config *cfg, const char *from)
{
	char secret[65], addr[INET6_ADDRSTRLEN];
	unsigned int i;

	strongswan_secret(cfg, secret);
	fprintf(f,
		"# charon's ha plugin for xfrm-ha node %u, from %s\n"
		"# (ha-ike-agent --render-strongswan). Holds a secret: mode 0600.\n"
		"# VRRP (keepalived, through ha-ike-agent) alone activates the\n"
		"# segment: no heartbeat takeover, no balancing, one segment.\n"
		"charon {\n"
		"    plugins {\n"
		"        ha {\n"
		"            load = yes\n"
		"            local = %s\n"
		"            remote = %s\n"
		"            segment_count = 1\n"
		"            monitor = no\n"
		"            autobalance = 0\n"
		"            resync = yes\n"
		"            secret = %s\n",
		cfg->node_id, from, cfg->local_str, cfg->remote_str, secret);
	sodium_memzero(secret, sizeof(secret));
	if (cfg->n_pools) {
		fprintf(f, "            pools {\n");
		for (i = 0; i < cfg->n_pools; i++) {
			const struct config_pool *p = &cfg->pools[i];

			inet_ntop(p->family, &p->addr, addr, sizeof(addr));
			fprintf(f, "                %s = %s/%u\n", p->name, addr,
				p->plen);
		}
		fprintf(f, "            }\n");
	}
	fprintf(f, "        }\n    }\n}\n");
	return ferror(f) ? -1 : 0;
}
