/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration: one file holding the xfrm-ha YANG model's tree, in its
 * JSON encoding or in the router's indented text format, parsed and
 * validated by libyang (defaults included: they come from the model
 * only), then checked further (addresses, key file) and flattened into
 * struct config for one VRF.
 */
#ifndef AGENT_CONFIG_H
#define AGENT_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_KEY_LEN 32
#define CONFIG_MAX_POOLS 64
#define CONFIG_ERR_LEN 512

#define CONFIG_MAX_VIPS 16
#define CONFIG_NAME_LEN 65
#define CONFIG_PATH_LEN 4096
#define CONFIG_MAX_WARNINGS 8
#define CONFIG_WARN_LEN 320

#define CONFIG_DEFAULT_PATH "/etc/xfrm-ha/xfrm-ha.conf"
#define CONFIG_DEFAULT_VRF "main"
/* control-socket's default is CONFIG_SOCKET_DIR/<vrf>.sock (the model). */
#define CONFIG_SOCKET_DIR "/run/xfrm-ha"

/* What this node does for the HA link, derived from its HA group state. */
enum role {
	ROLE_ACTIVE,
	ROLE_BACKUP,
};

/* The state of an HA group, as keepalived names it. */
enum ha_state {
	HA_STATE_BACKUP,
	HA_STATE_MASTER,
	HA_STATE_FAULT,
};

enum ha_ctl {
	HA_CTL_STATIC,
	HA_CTL_KEEPALIVED,
	HA_CTL_EXTERNAL,
};

/* The HA group this node listens to (ha/listen-ha-group). */
struct config_group {
	char name[CONFIG_NAME_LEN];
	enum ha_ctl ctl;
	enum ha_state static_state;	/* HA_CTL_STATIC */
	/* HA_CTL_KEEPALIVED */
	char fifo[CONFIG_PATH_LEN];
	bool vrrp_sync_group;		/* else a vrrp_instance */
	char vrrp_name[CONFIG_NAME_LEN];
	unsigned int n_vips;
	struct sockaddr_storage vips[CONFIG_MAX_VIPS];
};

struct config_pool {
	char name[65];
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	unsigned int plen;
};

/*
 * The configuration of one VRF (vrf NAME ike ha) and the HA group it
 * listens to. Filled by config_parse()/config_load(), which overwrite the
 * whole struct: running is then owned by it, released by config_free().
 */
struct config {
	char vrf[CONFIG_NAME_LEN];	/* the VRF this agent runs */
	bool enabled;
	uint8_t node_id;
	uint8_t remote_node_id;		/* 0: pinned at first verification */
	char interface[IFNAMSIZ];	/* "" if unset */
	int family;			/* AF_INET or AF_INET6 */
	struct sockaddr_storage local;	/* with port */
	struct sockaddr_storage remote;
	char local_str[INET6_ADDRSTRLEN];
	char remote_str[INET6_ADDRSTRLEN];
	uint16_t port;
	char key_file[4096];
	struct config_group group;	/* the one listen-ha-group names */
	char control_socket[108];
	char track_file[CONFIG_PATH_LEN];	/* "" if unset */
	bool strongswan;		/* drive charon's ha plugin */
	char charon_fifo[CONFIG_PATH_LEN];
	uint32_t sync_period_time;	/* seconds, 0 disables */
	uint32_t sync_period_packets;	/* 0 disables */
	uint32_t oseq_shift;
	bool adaptive_shift;
	uint32_t adaptive_shift_margin;	/* milliseconds */
	uint32_t oseq_wrap_margin;	/* packets, pushed to the kernel */
	unsigned int n_pools;
	struct config_pool pools[CONFIG_MAX_POOLS];
	uint8_t key[CONFIG_KEY_LEN];	/* filled by config_load_key() */
	/*
	 * The whole validated tree (every VRF and group), canonical YANG
	 * JSON without the values equal to their default
	 * (LYD_PRINT_WD_TRIM), for 'show config'. malloc'd; NULL until a
	 * successful parse and after config_free().
	 */
	char *running;
	/* Legal but suspicious settings of this VRF, one line each. */
	unsigned int n_warnings;
	char warnings[CONFIG_MAX_WARNINGS][CONFIG_WARN_LEN];
};

struct ly_ctx;

/*
 * The directory holding xfrm-ha.yang: $XFRM_HA_YANG_DIR, else ../yang next
 * to the running binary (the source tree), else the compiled-in default.
 */
const char *config_yang_dir(char *buf, size_t len);

/* A libyang context with the xfrm-ha module loaded from yangdir. */
struct ly_ctx *config_ctx_new(const char *yangdir, char *err, size_t errlen);
void config_ctx_free(struct ly_ctx *ctx);

/*
 * Parse and validate a NUL-terminated document, JSON (its first
 * non-blank character is '{') or the router's text format, and flatten
 * the VRF named vrf (NULL: CONFIG_DEFAULT_VRF) into *cfg, which is
 * overwritten (config_free() a previous one first). Every VRF is
 * validated. Does not read the key file and logs nothing: warnings are
 * left in cfg->warnings. Returns 0, or -1 with a message naming the data
 * path and the reason, and nothing allocated in *cfg.
 */
int config_parse(struct ly_ctx *ctx, const char *data, const char *vrf,
		 struct config *cfg, char *err, size_t errlen);

/* Read and check cfg->key_file into cfg->key. Returns 0 or -1. */
int config_load_key(struct config *cfg, char *err, size_t errlen);

/*
 * Everything: context, file, validation and key, as config_parse(); logs
 * the warnings (log_warn). Returns 0 or -1 (nothing allocated).
 */
int config_load(const char *path, const char *vrf, struct config *cfg,
		char *err, size_t errlen);

/* Releases cfg->running. The rest of *cfg is plain data. */
void config_free(struct config *cfg);

/* Formats an error into err (errlen bytes); does nothing if err is NULL. */
void config_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

const char *role_name(enum role role);
/* "master", "backup", "fault" (keepalived's words, lower case). */
const char *ha_state_name(enum ha_state st);
/* The reverse, case-insensitive. Returns 0 or -1. */
int ha_state_parse(const char *s, enum ha_state *st);
static inline enum role ha_state_role(enum ha_state st)
{
	return st == HA_STATE_MASTER ? ROLE_ACTIVE : ROLE_BACKUP;
}

#endif /* AGENT_CONFIG_H */
