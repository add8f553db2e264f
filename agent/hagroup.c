// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "hagroup.h"

#define PIPE_CAPACITY 65536	/* Linux default: a full pipe may have lost lines */
/*
 * A FIFO filled with whole lines holds less than its capacity: each line
 * is written at once and never straddles a page, so every page of the
 * pipe may be short by up to a line. Reading this much in one go means
 * the FIFO may have been full.
 */
#define PIPE_FULL (PIPE_CAPACITY - PIPE_CAPACITY / 4096 * KA_LINE_MAX)

static const char *const ctl_names[] = {
	[HA_CTL_STATIC] = "static",
	[HA_CTL_KEEPALIVED] = "keepalived",
	[HA_CTL_EXTERNAL] = "external",
};

const char *hagroup_controller(const struct hagroup *g)
{
	return ctl_names[g->cfg->ctl];
}

enum ha_state hagroup_state(const struct hagroup *g)
{
	return g->state;
}

static void change(struct hagroup *g, enum ha_state st, const char *why)
{
	enum ha_state old = g->state;
	bool first = !g->known;

	g->known = true;
	/* The first word on an external group counts even if it matches
	 * the default: charon has not been told anything yet. */
	if (st == old && !first)
		return;
	g->state = st;
	if (st != old)
		g->st.transitions++;
	log_info("HA group %s: %s -> %s (%s)", g->cfg->name,
		 ha_state_name(old), ha_state_name(st), why);
	g->cb(g->arg, old, st, why);
}

/* ---- the virtual addresses ---- */

struct vip_walk {
	const struct config_group *cfg;
	bool found[CONFIG_MAX_VIPS];
};

static int addr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type == IFA_LOCAL || type == IFA_ADDRESS)
		tb[type] = a;
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	struct vip_walk *w = data;
	const struct nlattr *a;
	unsigned int i, alen;

	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
		return MNL_CB_OK;
	/* IPv4 puts the address itself in IFA_LOCAL (IFA_ADDRESS is the
	 * peer on point-to-point links); IPv6 has IFA_ADDRESS only. */
	a = ifa->ifa_family == AF_INET && tb[IFA_LOCAL] ? tb[IFA_LOCAL] :
							   tb[IFA_ADDRESS];
	if (!a)
		return MNL_CB_OK;
	alen = mnl_attr_get_payload_len(a);
	for (i = 0; i < w->cfg->n_vips; i++) {
		const struct sockaddr_storage *ss = &w->cfg->vips[i];

		if (ss->ss_family != ifa->ifa_family)
			continue;
		if (ss->ss_family == AF_INET && alen == 4 &&
		    !memcmp(mnl_attr_get_payload(a),
			    &((const struct sockaddr_in *)ss)->sin_addr, 4))
			w->found[i] = true;
		if (ss->ss_family == AF_INET6 && alen == 16 &&
		    !memcmp(mnl_attr_get_payload(a),
			    &((const struct sockaddr_in6 *)ss)->sin6_addr, 16))
			w->found[i] = true;
	}
	return MNL_CB_OK;
}

/* 1: every virtual address is here (MASTER), 0: not all, -1: error. */
static int vips_present(struct hagroup *g)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct vip_walk w = { .cfg = g->cfg };
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	unsigned int portid, i;
	int ret;

	g->st.vip_checks++;
	if (!g->rtnl) {
		g->rtnl = mnl_socket_open(NETLINK_ROUTE);
		if (!g->rtnl)
			return -1;
		if (mnl_socket_bind(g->rtnl, 0, MNL_SOCKET_AUTOPID) < 0) {
			mnl_socket_close(g->rtnl);
			g->rtnl = NULL;
			return -1;
		}
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++g->rtnl_seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(g->rtnl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	portid = mnl_socket_get_portid(g->rtnl);
	do {
		ret = (int)mnl_socket_recvfrom(g->rtnl, buf, sizeof(buf));
		if (ret <= 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)ret, g->rtnl_seq, portid,
				 addr_cb, &w);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return -1;
	for (i = 0; i < g->cfg->n_vips; i++)
		if (!w.found[i])
			return 0;
	return 1;
}

/* Take the state from the addresses. */
static void resolve(struct hagroup *g, const char *why)
{
	char msg[160];
	int v;

	g->disagree_since = 0;
	if (!g->cfg->n_vips)
		return;
	v = vips_present(g);
	if (v < 0) {
		log_ratelimited(&g->rl, LOG_LVL_ERR,
				"HA group %s: cannot read the addresses: %s",
				g->cfg->name, strerror(errno));
		return;
	}
	if ((v == 1) == (g->state == HA_STATE_MASTER) && g->known)
		return;
	if (g->known)
		g->st.vip_overrides++;
	snprintf(msg, sizeof(msg), "%s: the virtual addresses are %s", why,
		 v ? "here" : "not here");
	change(g, v ? HA_STATE_MASTER : HA_STATE_BACKUP, msg);
}

/* ---- keepalived's FIFO ---- */

static int fifo_open(struct hagroup *g, char *err, size_t errlen)
{
	const char *path = g->cfg->fifo;
	struct stat st;
	int fd;

	if (mkfifo(path, 0600) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "keepalived notify FIFO %s: %s", path,
			 strerror(errno));
		return -1;
	}
	/* Read-write: keepalived restarting never gives us an EOF. */
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "keepalived notify FIFO %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		snprintf(err, errlen, "keepalived notify FIFO %s: not a FIFO",
			 path);
		close(fd);
		return -1;
	}
	g->fifo = fd;
	memset(&g->buf, 0, sizeof(g->buf));
	return 0;
}

/* What queued while nobody read is history, not state. */
static void drain_stale(struct hagroup *g)
{
	char buf[4096];
	ssize_t n;
	size_t i;

	while ((n = read(g->fifo, buf, sizeof(buf))) > 0)
		for (i = 0; i < (size_t)n; i++)
			g->st.lines_stale += buf[i] == '\n';
	if (g->st.lines_stale)
		log_info("HA group %s: ignored %llu stale line(s) queued in %s",
			 g->cfg->name, (unsigned long long)g->st.lines_stale,
			 g->cfg->fifo);
}

/* What one wakeup read: the last line for our instance or group. */
struct batch {
	bool have;		/* a known state word */
	bool unknown;		/* an unknown state word came after it */
	enum ha_state st;
	char why[128];
};

static void on_line(struct hagroup *g, const char *line, size_t len,
		    struct batch *b)
{
	enum ka_kind want = g->cfg->vrrp_sync_group ? KA_GROUP : KA_INSTANCE;
	struct ka_line l;

	if (ka_parse_line(line, len, &l) < 0) {
		g->st.lines_malformed++;
		log_ratelimited(&g->rl, LOG_LVL_WARN,
				"HA group %s: malformed line in %s ignored",
				g->cfg->name, g->cfg->fifo);
		return;
	}
	if (l.kind != want || strcmp(l.name, g->cfg->vrrp_name)) {
		g->st.lines_other++;
		return;
	}
	g->st.lines++;
	if (!ka_state_to_ha(l.state, &b->st)) {
		g->st.lines_unknown_state++;
		b->unknown = true;
		log_ratelimited(&g->rl, LOG_LVL_WARN,
				"HA group %s: unknown keepalived state in \"%.*s\": checking the addresses",
				g->cfg->name, (int)len, line);
		return;
	}
	b->have = true;
	b->unknown = false;
	snprintf(b->why, sizeof(b->why), "keepalived %s \"%s\" %s",
		 l.kind == KA_GROUP ? "sync group" : "instance", l.name,
		 ka_state_name(l.state));
}

/*
 * The lines of one wakeup are history but for the last: apply it if the
 * addresses agree. keepalived moves them before it writes the line, so a
 * line they contradict is stale, or lines were lost: it is not applied,
 * and the addresses decide unless they come round within
 * HAGROUP_RECHECK_MS.
 */
static void apply(struct hagroup *g, const struct batch *b, uint64_t now)
{
	int v;

	if (b->unknown) {
		resolve(g, "unknown keepalived state");
		return;
	}
	if (!b->have)
		return;
	if (!g->cfg->n_vips) {
		change(g, b->st, b->why);
		return;
	}
	v = vips_present(g);
	if (v < 0 || (v == 1) == (b->st == HA_STATE_MASTER)) {
		g->disagree_since = 0;
		change(g, b->st, b->why);
		return;
	}
	g->st.lines_contradicted++;
	if (!g->disagree_since)
		g->disagree_since = now ? now : 1;
	log_warn("HA group %s: %s, but the virtual addresses are %s: not applied, rechecking",
		 g->cfg->name, b->why, v ? "here" : "not here");
}

int hagroup_readable(struct hagroup *g, uint64_t now)
{
	char buf[4096];
	size_t total = 0, off, used, len;
	struct batch b = { 0 };
	const char *line;
	ssize_t n;
	int ret = 0;

	if (g->fifo < 0)
		return 0;
	/* Bounded: the loop calls again while more is queued. */
	while (total < PIPE_CAPACITY) {
		n = read(g->fifo, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			g->st.fifo_errors++;
			log_err("HA group %s: reading %s: %s; reopening",
				g->cfg->name, g->cfg->fifo,
				n ? strerror(errno) : "end of file");
			ret = -1;
			break;
		}
		total += (size_t)n;
		for (off = 0; off < (size_t)n; off += used) {
			used = ka_buf_feed(&g->buf, buf + off, (size_t)n - off);
			while ((line = ka_buf_next(&g->buf, &len)))
				on_line(g, line, len, &b);
		}
	}
	apply(g, &b, now);
	if (total >= PIPE_FULL)
		resolve(g, "the notify FIFO was full (lines may be lost)");
	return ret;
}

void hagroup_fifo_close(struct hagroup *g)
{
	if (g->fifo >= 0)
		close(g->fifo);
	g->fifo = -1;
}

void hagroup_tick(struct hagroup *g, uint64_t now)
{
	char err[256];
	int v;

	if (g->cfg->ctl != HA_CTL_KEEPALIVED)
		return;
	if (g->fifo < 0) {
		if (fifo_open(g, err, sizeof(err)) < 0) {
			log_ratelimited(&g->rl, LOG_LVL_ERR, "HA group %s: %s",
					g->cfg->name, err);
			return;
		}
		drain_stale(g);
		resolve(g, "notify FIFO reopened");
	}
	if (!g->cfg->n_vips)
		return;
	if (!g->disagree_since) {
		/* Cheap insurance against a line lost without a trace. */
		v = vips_present(g);
		if (v < 0 || (v == 1) == (g->state == HA_STATE_MASTER))
			return;
		g->disagree_since = now ? now : 1;
		return;
	}
	if (now - g->disagree_since >= HAGROUP_RECHECK_MS)
		resolve(g, "lines and addresses disagree");
}

int hagroup_open(struct hagroup *g, const struct config_group *cfg,
		 hagroup_cb cb, void *arg, char *err, size_t errlen)
{
	int v;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->cb = cb;
	g->arg = arg;
	g->fifo = -1;
	g->rl = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	g->state = HA_STATE_BACKUP;
	switch (cfg->ctl) {
	case HA_CTL_STATIC:
		g->state = cfg->static_state;
		g->known = true;
		return 0;
	case HA_CTL_EXTERNAL:
		return 0;
	case HA_CTL_KEEPALIVED:
		break;
	}
	if (fifo_open(g, err, errlen) < 0)
		return -1;
	drain_stale(g);
	if (!cfg->n_vips) {
		/* Nothing authoritative: a backup for the counters, charon
		 * left alone, until keepalived writes a line. */
		log_warn("HA group %s: no virtual-address: state unknown until keepalived writes one",
			 cfg->name);
		return 0;
	}
	v = vips_present(g);
	if (v < 0) {
		snprintf(err, errlen,
			 "HA group %s: cannot read the addresses: %s",
			 cfg->name, strerror(errno));
		hagroup_close(g);
		return -1;
	}
	g->state = v ? HA_STATE_MASTER : HA_STATE_BACKUP;
	g->known = true;
	log_info("HA group %s: %s at start (the virtual addresses are %s)",
		 cfg->name, ha_state_name(g->state), v ? "here" : "not here");
	return 0;
}

void hagroup_close(struct hagroup *g)
{
	hagroup_fifo_close(g);
	if (g->rtnl)
		mnl_socket_close(g->rtnl);
	g->rtnl = NULL;
}

int hagroup_fd(const struct hagroup *g)
{
	return g->fifo;
}

bool hagroup_persist(struct hagroup *g, const char *path)
{
	char buf[16];
	ssize_t n = -1;
	enum ha_state st;
	int fd;

	if (g->cfg->ctl != HA_CTL_EXTERNAL)
		return false;
	g->state_file = path;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 1 || buf[n - 1] != '\n')
		return false;
	buf[n - 1] = '\0';
	if (ha_state_parse(buf, &st) < 0) {
		log_warn("HA group %s: %s holds no state: ignored", g->cfg->name,
			 path);
		return false;
	}
	g->state = st;
	g->known = true;
	log_info("HA group %s: %s, as last set (%s)", g->cfg->name,
		 ha_state_name(st), path);
	return true;
}

static void persist(struct hagroup *g)
{
	char buf[16];
	int n, err;

	if (!g->state_file)
		return;
	n = snprintf(buf, sizeof(buf), "%s\n", ha_state_name(g->state));
	err = atomicfile_write(g->state_file, buf, (size_t)n, 0600);
	if (err)
		log_ratelimited(&g->rl, LOG_LVL_WARN,
				"HA group %s: cannot keep the state in %s: %s",
				g->cfg->name, g->state_file, strerror(-err));
}

int hagroup_set(struct hagroup *g, const char *name, enum ha_state st,
		char *err, size_t errlen)
{
	if (strcmp(name, g->cfg->name)) {
		snprintf(err, errlen,
			 "no HA group \"%s\" here (this agent listens to \"%s\")",
			 name, g->cfg->name);
		return -1;
	}
	if (g->cfg->ctl != HA_CTL_EXTERNAL) {
		snprintf(err, errlen,
			 "HA group \"%s\" is driven by %s: refused (one controller per group)",
			 name, hagroup_controller(g));
		return -1;
	}
	change(g, st, "set by ha-ike");
	persist(g);
	return 0;
}
