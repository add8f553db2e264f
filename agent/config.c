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

#include "cfgtext.h"
#include "config.h"
#include "log.h"

#ifndef XHA_YANGDIR
#define XHA_YANGDIR "/usr/share/xfrm-ha/yang"
#endif

#define YANG_MODULE "xfrm-ha"

void config_seterr(char *err, size_t errlen, const char *fmt, ...)
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

/*
 * libyang's location, "Data location \"/x:a/b\", line number 3." or
 * "Schema location \"/x:a/b\".", as the path and the line (0: none).
 */
static void ly_location(const char *loc, char *path, size_t len,
			unsigned long *line)
{
	const char *q = strchr(loc, '"'), *e = q ? strchr(q + 1, '"') : NULL;
	const char *l = strstr(loc, "line number ");

	*line = l ? strtoul(l + 12, NULL, 10) : 0;
	if (q && e)
		snprintf(path, len, "%.*s", (int)(e - q - 1), q + 1);
	else
		path[0] = '\0';
}

/* The schema node whose log path (choices and cases included) is path. */
static const struct lysc_node *schema_by_log_path(const struct ly_ctx *ctx,
						  const char *path)
{
	const struct lys_module *mod;
	const struct lysc_node *found = NULL, *elem;
	char buf[1024];

	mod = ly_ctx_get_module_implemented(ctx, YANG_MODULE);
	if (!mod || !mod->compiled)
		return NULL;
	for (const struct lysc_node *top = mod->compiled->data; top && !found;
	     top = top->next) {
		LYSC_TREE_DFS_BEGIN(top, elem) {
			if (!found && lysc_path(elem, LYSC_PATH_LOG, buf,
						sizeof(buf)) &&
			    !strcmp(buf, path))
				found = elem;
			LYSC_TREE_DFS_END(top, elem);
		}
	}
	return found;
}

/*
 * How many cases of choice snode (or instances of node snode) an
 * instance of its data parent holds.
 */
static unsigned int held(const struct lyd_node *inst,
			 const struct lysc_node *snode)
{
	const struct lysc_node *cases[8];
	unsigned int n = 0, i;
	struct lyd_node *child;

	LY_LIST_FOR(lyd_child(inst), child) {
		const struct lysc_node *s = child->schema, *c = NULL;

		for (; s && s != snode; s = s->parent)
			c = s;
		if (!s)
			continue;
		if (snode->nodetype != LYS_CHOICE) {
			n++;
			continue;
		}
		for (i = 0; i < n && cases[i] != c; i++)
			;
		if (i == n && n < 8)
			cases[n++] = c;
	}
	return n;
}

/*
 * Errors about a missing mandatory node or choice, or about two cases of
 * one choice, are reported at the schema path, which does not say which
 * list entry is at fault: find it and name its data path instead.
 */
static void data_path_of_schema_error(const struct ly_ctx *ctx,
				      const struct lyd_node *tree,
				      const char *msg, char *path, size_t len)
{
	const struct lysc_node *snode, *sparent;
	bool missing = strstr(msg, "not exist") != NULL;
	struct ly_set *set = NULL;
	char *ppath, *dpath;
	uint32_t i;

	snode = tree ? schema_by_log_path(ctx, path) : NULL;
	sparent = snode ? lysc_data_parent(snode) : NULL;
	if (!sparent)
		return;
	ppath = lysc_path(sparent, LYSC_PATH_DATA, NULL, 0);
	if (ppath && lyd_find_xpath(tree, ppath, &set) == LY_SUCCESS) {
		for (i = 0; i < set->count; i++) {
			unsigned int n = held(set->dnodes[i], snode);

			if (set->count > 1 && (missing ? n != 0 : n < 2))
				continue;
			dpath = lyd_path(set->dnodes[i], LYD_PATH_STD, NULL, 0);
			if (dpath)
				snprintf(path, len, "%s/%s", dpath, snode->name);
			free(dpath);
			break;
		}
	}
	ly_set_free(set, NULL);
	free(ppath);
}

/* A hint for the operator, from the leaf a type error is about. */
static const char *ly_hint(const char *path, const char *msg)
{
	const char *leafname = strrchr(path, '/');

	if (!leafname || !strstr(msg, "Invalid"))
		return "";
	leafname++;
	if (strstr(path, "/pool[") && !strcmp(leafname, "address"))
		return " (HA pools take a subnet only: ADDRESS/LENGTH, for example 10.99.0.0/24)";
	if (!strcmp(leafname, "local-address") ||
	    !strcmp(leafname, "remote-address") ||
	    !strcmp(leafname, "virtual-address"))
		return " (an IPv4 or IPv6 address without zone is expected)";
	return "";
}

/*
 * libyang keeps its errors in the context: turn the first into one line,
 * "WHAT: PATH: REASON", with the data path whenever one can be named.
 */
static void ly_error(const struct ly_ctx *ctx, const struct lyd_node *tree,
		     const char *what, char *err, size_t errlen)
{
	const struct ly_err_item *e = ly_err_first(ctx);
	char path[1024], at[48] = "";
	unsigned long line;

	while (e && e->level != LY_LLERR)
		e = e->next;
	if (!e) {
		config_seterr(err, errlen, "%s failed", what);
		return;
	}
	if (!e->path) {
		config_seterr(err, errlen, "%s: %s", what, e->msg);
		return;
	}
	ly_location(e->path, path, sizeof(path), &line);
	if (!strncmp(e->path, "Schema location", 15))
		data_path_of_schema_error(ctx, tree, e->msg, path,
					  sizeof(path));
	if (line)
		snprintf(at, sizeof(at), " (line %lu)", line);
	config_seterr(err, errlen, "%s: %s%s%s%s%s", what, path, path[0] ? ": " : "",
		      e->msg, ly_hint(path, e->msg), at);
}

struct ly_ctx *config_ctx_new(const char *yangdir, char *err, size_t errlen)
{
	struct ly_ctx *ctx;

	if (!has_module(yangdir)) {
		config_seterr(err, errlen,
			      "YANG module " YANG_MODULE ".yang not found in %s (set XFRM_HA_YANG_DIR?)",
			      yangdir);
		return NULL;
	}
	/* Store errors instead of printing them: we print one clear line. */
	ly_log_options(LY_LOSTORE);
	if (ly_ctx_new(yangdir, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx) !=
	    LY_SUCCESS) {
		config_seterr(err, errlen, "cannot create a YANG context for %s",
			      yangdir);
		return NULL;
	}
	if (!ly_ctx_load_module(ctx, YANG_MODULE, NULL, NULL)) {
		ly_error(ctx, NULL, "loading the " YANG_MODULE " YANG module",
			 err, errlen);
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

/*
 * Flattening one vrf/ike/ha container: where it is (its data path, for
 * messages) and the first error.
 */
struct flat {
	char where[256];
	char *err;
	size_t errlen;
	bool failed;
};

static void flat_err(struct flat *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void flat_err(struct flat *f, const char *fmt, ...)
{
	char msg[CONFIG_ERR_LEN];
	va_list ap;

	if (f->failed)
		return;
	f->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_seterr(f->err, f->errlen, "invalid configuration: %s/%s", f->where,
		      msg);
}

/*
 * A leaf the model gives a default: validation added it, so there is
 * always a value. No default in C: the model is the one place.
 */
static const char *dflt(struct flat *f, const struct lyd_node *ha,
			const char *path)
{
	const char *v = leaf(ha, path);

	if (!v)
		flat_err(f, "%s: no value and no default in the model", path);
	return v;
}

static uint32_t dflt_u32(struct flat *f, const struct lyd_node *ha,
			 const char *path)
{
	const char *v = dflt(f, ha, path);

	return v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

static bool dflt_bool(struct flat *f, const struct lyd_node *ha,
		      const char *path)
{
	const char *v = dflt(f, ha, path);

	return v && !strcmp(v, "true");
}

static void warn(struct config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct config *cfg, const char *fmt, ...)
{
	va_list ap;

	if (cfg->n_warnings >= CONFIG_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(cfg->warnings[cfg->n_warnings++], CONFIG_WARN_LEN, fmt, ap);
	va_end(ap);
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

static bool link_local(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LINKLOCAL(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/*
 * An inet:ip-prefix in its canonical form ("a.b.c.d/n" or "x::/n", host
 * bits cleared by libyang).
 */
static int parse_pool(const char *name, const char *s, struct config_pool *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned int max;
	char *end;

	snprintf(p->name, sizeof(p->name), "%s", name);
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	errno = 0;
	p->plen = strtoul(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1)
		return -1;
	if (inet_pton(AF_INET, buf, &p->addr.v4) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &p->addr.v6) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	return p->plen <= max ? 0 : -1;
}

static bool pools_overlap(const struct config_pool *a,
			  const struct config_pool *b)
{
	const unsigned char *x = (const unsigned char *)&a->addr;
	const unsigned char *y = (const unsigned char *)&b->addr;
	unsigned int plen = a->plen < b->plen ? a->plen : b->plen, i;

	if (a->family != b->family)
		return false;
	for (i = 0; i < plen; i++)
		if ((x[i / 8] ^ y[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

static void flatten_pools(struct flat *f, const struct lyd_node *ha,
			  struct config *cfg)
{
	struct ly_set *set = NULL;
	unsigned int i, j;

	if (lyd_find_xpath(ha, "pool", &set) != LY_SUCCESS) {
		flat_err(f, "pool: cannot list entries");
		return;
	}
	/* The model's max-elements keeps this within the array. */
	for (i = 0; i < set->count && i < CONFIG_MAX_POOLS; i++) {
		const char *name = leaf(set->dnodes[i], "name");
		const char *addr = leaf(set->dnodes[i], "address");

		if (parse_pool(name ? name : "", addr ? addr : "",
			       &cfg->pools[i]) < 0) {
			flat_err(f, "pool[name='%s']/address: invalid prefix \"%s\"",
				 name ? name : "", addr ? addr : "");
			break;
		}
		for (j = 0; j < i; j++)
			if (pools_overlap(&cfg->pools[j], &cfg->pools[i]))
				warn(cfg, "%s/pool: pools %s and %s overlap: the same address can be leased twice",
				     f->where, cfg->pools[j].name,
				     cfg->pools[i].name);
	}
	cfg->n_pools = i;
	ly_set_free(set, NULL);
}

static void flatten_addrs(struct flat *f, const struct lyd_node *ha,
			  struct config *cfg)
{
	const char *v;

	/* libyang checked the syntax and the model the family and the
	 * difference; these are what it cannot say. */
	v = leaf(ha, "local-address");
	if (!v || parse_addr(v, &cfg->local, cfg->port) < 0) {
		flat_err(f, "local-address: invalid address \"%s\"", v ? v : "");
		return;
	}
	snprintf(cfg->local_str, sizeof(cfg->local_str), "%s", v);
	v = leaf(ha, "remote-address");
	if (!v || parse_addr(v, &cfg->remote, cfg->port) < 0) {
		flat_err(f, "remote-address: invalid address \"%s\"", v ? v : "");
		return;
	}
	snprintf(cfg->remote_str, sizeof(cfg->remote_str), "%s", v);
	if (cfg->local.ss_family != cfg->remote.ss_family)
		flat_err(f, "remote-address: must be of the same family as local-address");
	else if (same_addr(&cfg->local, &cfg->remote))
		flat_err(f, "remote-address: must differ from local-address");
	else if (unusable_addr(&cfg->local))
		flat_err(f, "local-address: %s is not a unicast address",
			 cfg->local_str);
	else if (unusable_addr(&cfg->remote))
		flat_err(f, "remote-address: %s is not a unicast address",
			 cfg->remote_str);
	else if (!cfg->interface[0] && link_local(&cfg->local))
		flat_err(f, "local-address: %s is link-local: set 'interface' (its scope)",
			 cfg->local_str);
	else if (!cfg->interface[0] && link_local(&cfg->remote))
		flat_err(f, "remote-address: %s is link-local: set 'interface' (its scope)",
			 cfg->remote_str);
	cfg->family = cfg->local.ss_family;
}

/* The HA group named NAME in the top-level ha/group list. */
static int flatten_group(struct flat *f, const struct lyd_node *tree,
			 const char *name, struct config *cfg)
{
	struct config_group *g = &cfg->group;
	struct lyd_node *grp = NULL, *n;
	struct ly_set *set = NULL;
	char path[64 + CONFIG_NAME_LEN];
	const char *v;
	uint32_t i;

	if (!name) {
		flat_err(f, "listen-ha-group: missing");
		return -1;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
	/* No XPath built from the name: compare each entry's key. */
	if (lyd_find_xpath(tree, "/" YANG_MODULE ":ha/group", &set) ==
	    LY_SUCCESS) {
		for (i = 0; i < set->count && !grp; i++) {
			v = leaf(set->dnodes[i], "name");
			if (v && !strcmp(v, name))
				grp = set->dnodes[i];
		}
		ly_set_free(set, NULL);
		set = NULL;
	}
	if (!grp) {
		flat_err(f, "listen-ha-group: no HA group \"%s\" (ha group NAME)",
			 name);
		return -1;
	}
	snprintf(path, sizeof(path), "/" YANG_MODULE ":ha/group[name='%s']",
		 name);
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
		config_seterr(f->err, f->errlen,
			      "invalid configuration: %s/keepalived/virtual-address: cannot list entries",
			      path);
		f->failed = true;
		return -1;
	}
	for (i = 0; i < set->count && i < CONFIG_MAX_VIPS; i++) {
		v = lyd_get_value(set->dnodes[i]);
		if (parse_addr(v, &g->vips[i], 0) < 0) {
			config_seterr(f->err, f->errlen,
				      "invalid configuration: %s/keepalived/virtual-address: invalid address \"%s\"",
				      path, v);
			f->failed = true;
			ly_set_free(set, NULL);
			return -1;
		}
		if (same_addr(&g->vips[i], &cfg->local))
			warn(cfg, "%s/keepalived/virtual-address: %s is %s/local-address, always present: the group always looks MASTER",
			     path, v, f->where);
	}
	g->n_vips = i;
	ly_set_free(set, NULL);
	return 0;
}

/* Legal but suspicious: said at load time, not refused. */
static void check_warnings(const struct flat *f, struct config *cfg)
{
	if (!cfg->enabled)
		warn(cfg, "%s/enabled: false: HA synchronisation is off, the agent exits at once",
		     f->where);
	if (!cfg->sync_period_time && !cfg->sync_period_packets)
		warn(cfg, "%s/seqnum-sync: sync-period-time and sync-period-packets are both 0: no periodic update, the backup's counters are only as fresh as its last bulk sync",
		     f->where);
	if (!cfg->oseq_shift)
		warn(cfg, "%s/seqnum-sync/oseq-shift: 0: %s",
		     f->where, cfg->adaptive_shift ?
		     "only the adaptive estimate covers the packets sent since the last update" :
		     "after a takeover, output sequence numbers sent since the last update are used again (the peer drops them as replays)");
	else if (!cfg->adaptive_shift && cfg->sync_period_packets >
		 cfg->oseq_shift)
		warn(cfg, "%s/seqnum-sync/oseq-shift: %u is less than sync-period-packets %u and adaptive-shift is off: after a takeover, up to %u output sequence numbers can be used again",
		     f->where, cfg->oseq_shift, cfg->sync_period_packets,
		     cfg->sync_period_packets - cfg->oseq_shift);
}

/* One vrf/ike/ha container (HA) of the VRF named VRF into cfg. */
static int flatten(const struct lyd_node *tree, const struct lyd_node *ha,
		   const char *vrf, struct config *cfg, char *err,
		   size_t errlen)
{
	struct flat f = { .err = err, .errlen = errlen };
	struct lyd_node *n;
	const char *v;
	char *p;

	p = lyd_path(ha, LYD_PATH_STD, NULL, 0);
	snprintf(f.where, sizeof(f.where), "%s", p ? p : "ha");
	free(p);
	snprintf(cfg->vrf, sizeof(cfg->vrf), "%s", vrf);

	cfg->enabled = dflt_bool(&f, ha, "enabled");
	cfg->node_id = (uint8_t)strtoul(leaf(ha, "node-id") ?: "0", NULL, 10);
	cfg->remote_node_id =
		(uint8_t)strtoul(leaf(ha, "remote-node-id") ?: "0", NULL, 10);
	cfg->port = (uint16_t)dflt_u32(&f, ha, "port");
	v = leaf(ha, "interface");
	snprintf(cfg->interface, sizeof(cfg->interface), "%s", v ? v : "");
	v = leaf(ha, "key-file");
	snprintf(cfg->key_file, sizeof(cfg->key_file), "%s", v ? v : "");
	/* The one computed default, said in the model's description. */
	v = leaf(ha, "control-socket");
	if (v)
		snprintf(cfg->control_socket, sizeof(cfg->control_socket),
			 "%s", v);
	else
		snprintf(cfg->control_socket, sizeof(cfg->control_socket),
			 CONFIG_SOCKET_DIR "/%s.sock", vrf);
	v = leaf(ha, "track-file");
	snprintf(cfg->track_file, sizeof(cfg->track_file), "%s", v ? v : "");
	if (lyd_find_path(ha, "strongswan", 0, &n) == LY_SUCCESS) {
		cfg->strongswan = true;
		v = dflt(&f, ha, "strongswan/control-fifo");
		snprintf(cfg->charon_fifo, sizeof(cfg->charon_fifo), "%s",
			 v ? v : "");
	}
	cfg->oseq_shift = dflt_u32(&f, ha, "seqnum-sync/oseq-shift");
	cfg->sync_period_time = dflt_u32(&f, ha, "seqnum-sync/sync-period-time");
	cfg->sync_period_packets =
		dflt_u32(&f, ha, "seqnum-sync/sync-period-packets");
	cfg->adaptive_shift = dflt_bool(&f, ha, "seqnum-sync/adaptive-shift");
	cfg->adaptive_shift_margin =
		dflt_u32(&f, ha, "seqnum-sync/adaptive-shift-margin");
	cfg->oseq_wrap_margin =
		dflt_u32(&f, ha, "seqnum-sync/oseq-wrap-margin");
	if (f.failed)
		return -1;
	flatten_addrs(&f, ha, cfg);
	if (!f.failed)
		flatten_pools(&f, ha, cfg);
	if (!f.failed)
		flatten_group(&f, tree, leaf(ha, "listen-ha-group"), cfg);
	if (f.failed)
		return -1;
	check_warnings(&f, cfg);
	return 0;
}

/* The document into a validated tree with the model's defaults. */
static int parse_tree(struct ly_ctx *ctx, const char *data,
		      struct lyd_node **tree, char *err, size_t errlen)
{
	*tree = NULL;
	/* The router's text format: cfgtext validates too. */
	if (cfgtext_is_text(data))
		return cfgtext_parse(ctx, data, tree, err, errlen);
	/* Parsed first, validated then: a failed validation keeps the
	 * tree, so that its message can name the data path. */
	if (lyd_parse_data_mem(ctx, data, LYD_JSON,
			       LYD_PARSE_STRICT | LYD_PARSE_ONLY, 0, tree) !=
	    LY_SUCCESS) {
		ly_error(ctx, *tree, "invalid configuration", err, errlen);
		return -1;
	}
	if (lyd_validate_all(tree, ctx, LYD_VALIDATE_PRESENT, NULL) !=
	    LY_SUCCESS) {
		ly_error(ctx, *tree, "invalid configuration", err, errlen);
		return -1;
	}
	return 0;
}

static void vrf_list(const struct ly_set *set, char *buf, size_t len)
{
	size_t off = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < set->count && off < len; i++) {
		const char *name = leaf(set->dnodes[i], "name");

		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
				name ? name : "?");
	}
}

int config_parse(struct ly_ctx *ctx, const char *data, const char *vrf,
		 struct config *cfg, char *err, size_t errlen)
{
	struct lyd_node *tree = NULL, *ha;
	struct config *scratch = NULL;
	struct ly_set *set = NULL;
	bool found = false;
	char names[256];
	uint32_t i;
	int ret = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (!vrf)
		vrf = CONFIG_DEFAULT_VRF;
	ly_err_clean(ctx, NULL);
	if (parse_tree(ctx, data, &tree, err, errlen) < 0)
		goto out;
	if (lyd_find_xpath(tree, "/" YANG_MODULE ":vrf", &set) != LY_SUCCESS ||
	    !set->count) {
		config_seterr(err, errlen,
			      "invalid configuration: /" YANG_MODULE ":vrf: no VRF configured (vrf NAME ike ha)");
		goto out;
	}
	scratch = calloc(1, sizeof(*scratch));
	if (!scratch) {
		config_seterr(err, errlen, "out of memory");
		goto out;
	}
	/* Every VRF is checked (the file is valid or not as a whole); cfg
	 * gets the one this agent runs. */
	for (i = 0; i < set->count; i++) {
		const char *name = leaf(set->dnodes[i], "name");
		bool mine = name && !strcmp(name, vrf);

		if (lyd_find_path(set->dnodes[i], "ike/ha", 0, &ha) !=
		    LY_SUCCESS) {
			if (mine) {
				config_seterr(err, errlen,
					      "invalid configuration: /" YANG_MODULE ":vrf[name='%s']/ike/ha: missing: VRF %s has no HA IKE configuration",
					      vrf, vrf);
				goto out;
			}
			continue;
		}
		if (flatten(tree, ha, name ? name : "", mine ? cfg : scratch,
			    err, errlen) < 0)
			goto out;
		found |= mine;
		memset(scratch, 0, sizeof(*scratch));
	}
	if (!found) {
		vrf_list(set, names, sizeof(names));
		config_seterr(err, errlen,
			      "invalid configuration: /" YANG_MODULE ":vrf[name='%s']: no such VRF (configured: %s)",
			      vrf, names);
		goto out;
	}
	if (lyd_print_mem(&cfg->running, tree, LYD_JSON,
			  LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_TRIM) !=
	    LY_SUCCESS || !cfg->running) {
		config_seterr(err, errlen, "cannot print the running configuration");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		config_free(cfg);
	ly_set_free(set, NULL);
	free(scratch);
	lyd_free_all(tree);
	ly_err_clean(ctx, NULL);
	return ret;
}

void config_free(struct config *cfg)
{
	free(cfg->running);
	cfg->running = NULL;
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
		config_seterr(err, errlen, "key-file %s: %s", cfg->key_file,
			      strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		config_seterr(err, errlen, "key-file %s: not a regular file",
			      cfg->key_file);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		config_seterr(err, errlen,
			      "key-file %s: accessible by group or others (mode %04o); chmod 600 it",
			      cfg->key_file, (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		config_seterr(err, errlen, "key-file %s: %s", cfg->key_file,
			      strerror(errno));
		goto fail;
	}
	if (n == 2 * CONFIG_KEY_LEN + 1 && buf[n - 1] == '\n')
		n--;
	if (n != 2 * CONFIG_KEY_LEN) {
		config_seterr(err, errlen,
			      "key-file %s: expected %d hex characters and an optional newline",
			      cfg->key_file, 2 * CONFIG_KEY_LEN);
		goto fail;
	}
	if (sodium_hex2bin(cfg->key, sizeof(cfg->key), buf, n, NULL, &binlen,
			   &end) != 0 || binlen != CONFIG_KEY_LEN ||
	    end != buf + n) {
		config_seterr(err, errlen, "key-file %s: not hexadecimal",
			      cfg->key_file);
		goto fail;
	}
	if (sodium_memcmp(cfg->key, zero, sizeof(zero)) == 0) {
		config_seterr(err, errlen, "key-file %s: all-zero key refused",
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
		config_seterr(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	do {
		if (cap - len < 4096) {
			char *p;

			if (cap > (1u << 20)) {
				config_seterr(err, errlen, "larger than 1 MiB");
				goto fail;
			}
			cap = cap ? 2 * cap : 8192;
			p = realloc(data, cap + 1);
			if (!p) {
				config_seterr(err, errlen, "out of memory");
				goto fail;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (ferror(f)) {
		config_seterr(err, errlen, "read error");
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

int config_load(const char *path, const char *vrf, struct config *cfg,
		char *err, size_t errlen)
{
	char dirbuf[PATH_MAX];
	struct ly_ctx *ctx;
	unsigned int i;
	char *data;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	data = read_file(path, err, errlen);
	if (!data)
		return -1;
	ctx = config_ctx_new(config_yang_dir(dirbuf, sizeof(dirbuf)), err,
			     errlen);
	if (!ctx) {
		free(data);
		return -1;
	}
	ret = config_parse(ctx, data, vrf, cfg, err, errlen);
	config_ctx_free(ctx);
	free(data);
	if (ret == 0)
		ret = config_load_key(cfg, err, errlen);
	if (ret < 0) {
		config_free(cfg);
		return -1;
	}
	for (i = 0; i < cfg->n_warnings; i++)
		log_warn("%s: %s", path, cfg->warnings[i]);
	return 0;
}
