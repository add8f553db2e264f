// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "config.h"

#ifndef XHA_YANGDIR
#define XHA_YANGDIR "/usr/share/xfrm-ha/yang"
#endif

#define YANG_MODULE "xfrm-ha"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *role_name(enum role role)
{
	return role == ROLE_ACTIVE ? "active" : "backup";
}

static const char *const ha_state_names[] = {
	[HA_STATE_BACKUP] = "backup",
	[HA_STATE_MASTER] = "master",
	[HA_STATE_FAULT] = "fault",
};

const char *ha_state_name(enum ha_state st)
{
	return (unsigned int)st < 3 ? ha_state_names[st] : "?";
}

int ha_state_parse(const char *s, enum ha_state *st)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (!strcasecmp(s, ha_state_names[i])) {
			*st = i;
			return 0;
		}
	}
	return -1;
}

static bool has_module(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s.yang", dir, YANG_MODULE) >=
	    (int)sizeof(path))
		return false;
	return access(path, R_OK) == 0;
}

const char *config_yang_dir(char *buf, size_t len)
{
	const char *env = getenv("XFRM_HA_YANG_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		/* agent/ha-ike-agent in the source tree: yang/ is a sibling */
		if (snprintf(buf, len, "%s/../yang", dirname(exe)) < (int)len &&
		    has_module(buf))
			return buf;
	}
	return XHA_YANGDIR;
}

/* libyang keeps its errors in the context: turn the first into a line. */
static void ly_error(const struct ly_ctx *ctx, const char *what, char *err,
		     size_t errlen)
{
	const struct ly_err_item *e = ly_err_first(ctx);

	while (e && e->level != LY_LLERR)
		e = e->next;
	if (!e) {
		seterr(err, errlen, "%s failed", what);
		return;
	}
	if (e->path)
		seterr(err, errlen, "%s: %s (%s)", what, e->msg, e->path);
	else
		seterr(err, errlen, "%s: %s", what, e->msg);
}

struct ly_ctx *config_ctx_new(const char *yangdir, char *err, size_t errlen)
{
	struct ly_ctx *ctx;

	if (!has_module(yangdir)) {
		seterr(err, errlen,
		       "YANG module " YANG_MODULE ".yang not found in %s (set XFRM_HA_YANG_DIR?)",
		       yangdir);
		return NULL;
	}
	/* Store errors instead of printing them: we print one clear line. */
	ly_log_options(LY_LOSTORE);
	if (ly_ctx_new(yangdir, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx) !=
	    LY_SUCCESS) {
		seterr(err, errlen, "cannot create a YANG context for %s",
		       yangdir);
		return NULL;
	}
	if (!ly_ctx_load_module(ctx, YANG_MODULE, NULL, NULL)) {
		ly_error(ctx, "loading the " YANG_MODULE " YANG module", err,
			 errlen);
		if (strlen(err) < errlen - 64)
			snprintf(err + strlen(err), errlen - strlen(err),
				 " from %s (set XFRM_HA_YANG_DIR?)", yangdir);
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

void config_ctx_free(struct ly_ctx *ctx)
{
	if (ctx)
		ly_ctx_destroy(ctx);
}

static const char *leaf(const struct lyd_node *parent, const char *path)
{
	struct lyd_node *n;

	if (lyd_find_path(parent, path, 0, &n) != LY_SUCCESS)
		return NULL;
	return lyd_get_value(n);
}

static uint32_t leaf_u32(const struct lyd_node *parent, const char *path,
			 uint32_t dflt)
{
	const char *v = leaf(parent, path);

	return v ? (uint32_t)strtoul(v, NULL, 10) : dflt;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss,
		      uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return AF_INET6;
	}
	return -1;
}

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

static bool unusable_addr(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);

		return a == INADDR_ANY || a == INADDR_BROADCAST ||
		       IN_MULTICAST(a);
	}
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

	return IN6_IS_ADDR_UNSPECIFIED(a6) || IN6_IS_ADDR_MULTICAST(a6) ||
	       IN6_IS_ADDR_V4MAPPED(a6);
}

/* "a.b.c.d/n" or "x::/n", host bits zero. */
static int parse_pool(const char *name, const char *s, struct config_pool *p,
		      char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned int max, plen, i;
	unsigned char *bytes;
	char *end;

	snprintf(p->name, sizeof(p->name), "%s", name);
	if (strchr(s, '-')) {
		seterr(err, errlen,
		       "invalid configuration: /xfrm-ha:ha/pool[name='%s']/address: \"%s\" is a range; HA pools take a subnet only (ADDRESS/LENGTH, for example 10.99.0.0/24)",
		       name, s);
		return -1;
	}
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		goto bad;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1)
		goto bad;
	if (inet_pton(AF_INET, buf, &p->addr.v4) == 1) {
		p->family = AF_INET;
		max = 32;
		bytes = (unsigned char *)&p->addr.v4;
	} else if (inet_pton(AF_INET6, buf, &p->addr.v6) == 1) {
		p->family = AF_INET6;
		max = 128;
		bytes = (unsigned char *)&p->addr.v6;
	} else {
		goto bad;
	}
	if (plen > max)
		goto bad;
	p->plen = plen;
	for (i = plen; i < max; i++) {
		if (bytes[i / 8] & (0x80 >> (i % 8))) {
			seterr(err, errlen,
			       "invalid configuration: /xfrm-ha:ha/pool[name='%s']/address: %s is not a subnet (host bits set after /%u)",
			       name, s, plen);
			return -1;
		}
	}
	return 0;
bad:
	seterr(err, errlen, "invalid configuration: /xfrm-ha:ha/pool[name='%s']/address: invalid prefix \"%s\"",
	       name, s);
	return -1;
}

static int flatten(const struct lyd_node *ha, struct config *cfg, char *err,
		   size_t errlen)
{
	struct lyd_node *n;
	const char *v;
	struct ly_set *set = NULL;
	uint32_t i;

	v = leaf(ha, "enabled");
	cfg->enabled = !v || !strcmp(v, "true");
	cfg->node_id = (uint8_t)leaf_u32(ha, "node-id", 0);
	cfg->remote_node_id = (uint8_t)leaf_u32(ha, "remote-node-id", 0);
	cfg->port = (uint16_t)leaf_u32(ha, "port", 4520);
	v = leaf(ha, "interface");
	snprintf(cfg->interface, sizeof(cfg->interface), "%s", v ? v : "");
	v = leaf(ha, "key-file");
	snprintf(cfg->key_file, sizeof(cfg->key_file), "%s", v ? v : "");
	v = leaf(ha, "control-socket");
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 v ? v : "/run/xfrm-ha/agent.sock");
	v = leaf(ha, "track-file");
	snprintf(cfg->track_file, sizeof(cfg->track_file), "%s", v ? v : "");
	if (lyd_find_path(ha, "strongswan", 0, &n) == LY_SUCCESS) {
		cfg->strongswan = true;
		v = leaf(ha, "strongswan/control-fifo");
		snprintf(cfg->charon_fifo, sizeof(cfg->charon_fifo), "%s",
			 v ? v : "/var/run/charon.ha");
	}
	cfg->sync_period_time = leaf_u32(ha, "seqnum-sync/sync-period-time", 10);
	cfg->sync_period_packets =
		leaf_u32(ha, "seqnum-sync/sync-period-packets", 2);
	cfg->oseq_shift = leaf_u32(ha, "seqnum-sync/oseq-shift", 65536);
	v = leaf(ha, "seqnum-sync/adaptive-shift");
	cfg->adaptive_shift = !v || !strcmp(v, "true");
	cfg->adaptive_shift_margin =
		leaf_u32(ha, "seqnum-sync/adaptive-shift-margin", 500);
	cfg->oseq_wrap_margin =
		leaf_u32(ha, "seqnum-sync/oseq-wrap-margin", 16777216);

	/* libyang checked the syntax; these are the semantic checks. */
	v = leaf(ha, "local-address");
	if (!v || parse_addr(v, &cfg->local, cfg->port) < 0) {
		seterr(err, errlen, "invalid configuration: /xfrm-ha:ha/local-address: invalid address \"%s\"",
		       v ? v : "");
		return -1;
	}
	snprintf(cfg->local_str, sizeof(cfg->local_str), "%s", v);
	v = leaf(ha, "remote-address");
	if (!v || parse_addr(v, &cfg->remote, cfg->port) < 0) {
		seterr(err, errlen, "invalid configuration: /xfrm-ha:ha/remote-address: invalid address \"%s\"",
		       v ? v : "");
		return -1;
	}
	snprintf(cfg->remote_str, sizeof(cfg->remote_str), "%s", v);
	if (cfg->local.ss_family != cfg->remote.ss_family) {
		seterr(err, errlen,
		       "invalid configuration: /xfrm-ha:ha/remote-address: must be of the same family as local-address");
		return -1;
	}
	if (same_addr(&cfg->local, &cfg->remote)) {
		seterr(err, errlen,
		       "invalid configuration: /xfrm-ha:ha/remote-address: must differ from local-address");
		return -1;
	}
	if (unusable_addr(&cfg->local)) {
		seterr(err, errlen,
		       "invalid configuration: /xfrm-ha:ha/local-address: %s is not a unicast address",
		       cfg->local_str);
		return -1;
	}
	if (unusable_addr(&cfg->remote)) {
		seterr(err, errlen,
		       "invalid configuration: /xfrm-ha:ha/remote-address: %s is not a unicast address",
		       cfg->remote_str);
		return -1;
	}
	cfg->family = cfg->local.ss_family;

	if (lyd_find_xpath(ha, "pool", &set) != LY_SUCCESS) {
		seterr(err, errlen, "invalid configuration: /xfrm-ha:ha/pool: cannot list entries");
		return -1;
	}
	if (set->count > CONFIG_MAX_POOLS) {
		seterr(err, errlen, "invalid configuration: /xfrm-ha:ha/pool: at most %d entries", CONFIG_MAX_POOLS);
		ly_set_free(set, NULL);
		return -1;
	}
	for (i = 0; i < set->count; i++) {
		const char *name = leaf(set->dnodes[i], "name");
		const char *addr = leaf(set->dnodes[i], "address");

		if (parse_pool(name ? name : "", addr ? addr : "",
			       &cfg->pools[i], err, errlen) < 0) {
			ly_set_free(set, NULL);
			return -1;
		}
	}
	cfg->n_pools = set->count;
	ly_set_free(set, NULL);
	return 0;
}

/* The group ha/listen-ha-group names (libyang checked that it exists). */
static int flatten_group(const struct lyd_node *tree, const char *name,
			 struct config_group *g, char *err, size_t errlen)
{
	char path[128 + CONFIG_NAME_LEN];
	struct lyd_node *grp, *n;
	struct ly_set *set = NULL;
	const char *v;
	uint32_t i;

	if (!name) {
		seterr(err, errlen,
		       "invalid configuration: /xfrm-ha:ha/listen-ha-group: missing");
		return -1;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(path, sizeof(path), "/" YANG_MODULE ":ha-group[name='%s']",
		 name);
	if (lyd_find_path(tree, path, 0, &grp) != LY_SUCCESS) {
		seterr(err, errlen,
		       "invalid configuration: /xfrm-ha:ha/listen-ha-group: no ha-group \"%s\"",
		       name);
		return -1;
	}
	if ((v = leaf(grp, "static"))) {
		g->ctl = HA_CTL_STATIC;
		ha_state_parse(v, &g->static_state);
		return 0;
	}
	if (lyd_find_path(grp, "external", 0, &n) == LY_SUCCESS) {
		g->ctl = HA_CTL_EXTERNAL;
		return 0;
	}
	g->ctl = HA_CTL_KEEPALIVED;
	v = leaf(grp, "keepalived/notify-fifo");
	snprintf(g->fifo, sizeof(g->fifo), "%s", v ? v : "");
	v = leaf(grp, "keepalived/sync-group");
	g->vrrp_sync_group = v != NULL;
	if (!v)
		v = leaf(grp, "keepalived/instance");
	snprintf(g->vrrp_name, sizeof(g->vrrp_name), "%s", v ? v : "");
	if (lyd_find_xpath(grp, "keepalived/virtual-address", &set) !=
	    LY_SUCCESS) {
		seterr(err, errlen, "invalid configuration: %s/keepalived/virtual-address: cannot list entries",
		       path);
		return -1;
	}
	for (i = 0; i < set->count && i < CONFIG_MAX_VIPS; i++) {
		v = lyd_get_value(set->dnodes[i]);
		if (parse_addr(v, &g->vips[i], 0) < 0) {
			seterr(err, errlen,
			       "invalid configuration: %s/keepalived/virtual-address: invalid address \"%s\"",
			       path, v);
			ly_set_free(set, NULL);
			return -1;
		}
	}
	g->n_vips = i;
	ly_set_free(set, NULL);
	return 0;
}

int config_parse(struct ly_ctx *ctx, const char *json, struct config *cfg,
		 char *err, size_t errlen)
{
	struct lyd_node *tree = NULL, *ha = NULL;
	int ret = -1;

	memset(cfg, 0, sizeof(*cfg));
	ly_err_clean(ctx, NULL);
	if (lyd_parse_data_mem(ctx, json, LYD_JSON, LYD_PARSE_STRICT,
			       LYD_VALIDATE_PRESENT, &tree) != LY_SUCCESS) {
		ly_error(ctx, "invalid configuration", err, errlen);
		goto out;
	}
	if (!tree || lyd_find_path(tree, "/" YANG_MODULE ":ha", 0, &ha) !=
	    LY_SUCCESS) {
		seterr(err, errlen,
		       "invalid configuration: no \"" YANG_MODULE ":ha\" container");
		goto out;
	}
	ret = flatten(ha, cfg, err, errlen);
	if (ret == 0)
		ret = flatten_group(tree, leaf(ha, "listen-ha-group"),
				    &cfg->group, err, errlen);
out:
	lyd_free_all(tree);
	ly_err_clean(ctx, NULL);
	return ret;
}

int config_load_key(struct config *cfg, char *err, size_t errlen)
{
	static const uint8_t zero[CONFIG_KEY_LEN];
	char buf[2 * CONFIG_KEY_LEN + 3];
	const char *end;
	size_t binlen;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(cfg->key_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		seterr(err, errlen, "key-file %s: %s", cfg->key_file,
		       strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "key-file %s: not a regular file",
		       cfg->key_file);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		seterr(err, errlen,
		       "key-file %s: accessible by group or others (mode %04o); chmod 600 it",
		       cfg->key_file, (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		seterr(err, errlen, "key-file %s: %s", cfg->key_file,
		       strerror(errno));
		goto fail;
	}
	if (n == 2 * CONFIG_KEY_LEN + 1 && buf[n - 1] == '\n')
		n--;
	if (n != 2 * CONFIG_KEY_LEN) {
		seterr(err, errlen,
		       "key-file %s: expected %d hex characters and an optional newline",
		       cfg->key_file, 2 * CONFIG_KEY_LEN);
		goto fail;
	}
	if (sodium_hex2bin(cfg->key, sizeof(cfg->key), buf, n, NULL, &binlen,
			   &end) != 0 || binlen != CONFIG_KEY_LEN ||
	    end != buf + n) {
		seterr(err, errlen, "key-file %s: not hexadecimal",
		       cfg->key_file);
		goto fail;
	}
	if (sodium_memcmp(cfg->key, zero, sizeof(zero)) == 0) {
		seterr(err, errlen, "key-file %s: all-zero key refused",
		       cfg->key_file);
		goto fail;
	}
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return 0;
fail:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(cfg->key, sizeof(cfg->key));
	close(fd);
	return -1;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		seterr(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	do {
		if (cap - len < 4096) {
			char *p;

			if (cap > (1u << 20)) {
				seterr(err, errlen, "larger than 1 MiB");
				goto fail;
			}
			cap = cap ? 2 * cap : 8192;
			p = realloc(data, cap + 1);
			if (!p) {
				seterr(err, errlen, "out of memory");
				goto fail;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (ferror(f)) {
		seterr(err, errlen, "read error");
		goto fail;
	}
	fclose(f);
	data[len] = '\0';
	return data;
fail:
	fclose(f);
	free(data);
	return NULL;
}

int config_load(const char *path, struct config *cfg, char *err,
		size_t errlen)
{
	char dirbuf[PATH_MAX];
	struct ly_ctx *ctx;
	char *json;
	int ret;

	json = read_file(path, err, errlen);
	if (!json)
		return -1;
	ctx = config_ctx_new(config_yang_dir(dirbuf, sizeof(dirbuf)), err,
			     errlen);
	if (!ctx) {
		free(json);
		return -1;
	}
	ret = config_parse(ctx, json, cfg, err, errlen);
	config_ctx_free(ctx);
	free(json);
	if (ret == 0)
		ret = config_load_key(cfg, err, errlen);
	return ret;
}
