// SPDX-License-Identifier: GPL-2.0
/*
 * The xfrm_ha generic netlink API against the contract in
 * uapi/linux/xfrm_ha.h, through libxha. Runs as root in a VM with the module
 * loaded; every test works in a fresh network namespace of its own (the
 * harness forks each test, the fixture unshares), installs SAs with ip(8) and
 * checks exact values, cross-checking counters with `ip -s xfrm state`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/xfrm_ha.h>

#include "xha_nl.h"
#include "kselftest_harness.h"

#define ESP_KEY "aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128"
#define AH_KEY "auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 128"

/* TCG is slow: give every test room, each still takes seconds at most. */
#define T(name) TEST_F_TIMEOUT(ns, name, 180)

/* Helpers ---------------------------------------------------------------- */

static int vrun(const char *fmt, va_list ap)
{
	char cmd[8192];
	int st;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st)) {
		fprintf(stderr, "# command died: %s\n", cmd);
		return -1;
	}
	if (WEXITSTATUS(st))
		fprintf(stderr, "# command failed (%d): %s\n", WEXITSTATUS(st),
			cmd);
	return WEXITSTATUS(st);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vrun(fmt, ap);
	va_end(ap);
	return ret;
}

/* Run a command and capture its standard output; returns its exit code. */
static int capture(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int capture(char *out, size_t len, const char *fmt, ...)
{
	char cmd[4096];
	size_t n = 0, r;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len && (r = fread(out + n, 1, len - 1 - n, f)) > 0)
		n += r;
	out[n] = '\0';
	st = pclose(f);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* Write lines to a file and feed it to `ip -batch`: one process, not N. */
static int ip_batch(const char *lines)
{
	char path[] = "/tmp/xha-batch-XXXXXX";
	int fd = mkstemp(path), ret;
	size_t len = strlen(lines);

	if (fd < 0)
		return -1;
	if (write(fd, lines, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	ret = run("ip -batch %s", path);
	unlink(path);
	return ret;
}

/* A new network namespace; the caller stays in (returns to) `back`. */
static int ns_new(int back)
{
	int fd;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = open("/proc/self/ns/net", O_RDONLY);
	run("ip link set lo up");
	if (setns(back, CLONE_NEWNET)) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct xha_nl *open_in(int ns, int back)
{
	struct xha_nl *nl;
	char err[256];

	if (setns(ns, CLONE_NEWNET))
		return NULL;
	nl = xha_nl_open(err, sizeof(err));
	if (!nl)
		fprintf(stderr, "# xha_nl_open: %s\n", err);
	setns(back, CLONE_NEWNET);
	return nl;
}

static struct xha_sa mkid(const char *dst, uint32_t spi, uint8_t proto,
			  uint32_t mark, uint32_t if_id)
{
	struct xha_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.family = strchr(dst, ':') ? AF_INET6 : AF_INET;
	inet_pton(sa.family, dst, sa.daddr);
	sa.spi = htonl(spi);
	sa.proto = proto;
	sa.mark = mark;
	sa.if_id = if_id;
	return sa;
}

static int set_counters(struct xha_nl *nl, const struct xha_sa *id,
			const uint64_t *oseq, const uint64_t *seq)
{
	struct xha_sa sa = *id;

	sa.has = 0;
	if (oseq) {
		sa.oseq = *oseq;
		sa.has |= XHA_SA_HAS_OSEQ;
	}
	if (seq) {
		sa.seq = *seq;
		sa.has |= XHA_SA_HAS_SEQ;
	}
	return xha_nl_sa_set(nl, &sa);
}

/* The replay state as the kernel's own xfrm_user reports it. */
struct ip_replay {
	uint64_t oseq, seq;
	uint32_t words[64];	/* bitmap words as printed */
	int nwords;
	bool esn_ctx;
};

static int ip_replay_get(struct ip_replay *r, const char *id)
{
	uint32_t seq = 0, seq_hi = 0, oseq = 0, oseq_hi = 0;
	char out[16384], *p, *tok[512], *save = NULL;
	int n = 0, i;

	memset(r, 0, sizeof(*r));
	if (capture(out, sizeof(out), "ip -s xfrm state get %s", id))
		return -1;
	p = strstr(out, "anti-replay");
	if (!p) {
		fprintf(stderr, "# no replay context in:\n%s\n", out);
		return -1;
	}
	r->esn_ctx = !strncmp(p, "anti-replay esn", 15);
	for (tok[n] = strtok_r(p, " \t\n,", &save); tok[n] && n < 511;
	     tok[++n] = strtok_r(NULL, " \t\n,", &save))
		;
	for (i = 0; i + 1 < n; i++) {
		unsigned long v = strtoul(tok[i + 1], NULL, 16);

		if (!strcmp(tok[i], "seq"))
			seq = (uint32_t)v;
		else if (!strcmp(tok[i], "seq-hi"))
			seq_hi = (uint32_t)v;
		else if (!strcmp(tok[i], "oseq"))
			oseq = (uint32_t)v;
		else if (!strcmp(tok[i], "oseq-hi"))
			oseq_hi = (uint32_t)v;
		else if (!strcmp(tok[i], "bitmap") && !r->esn_ctx)
			r->words[r->nwords++] = (uint32_t)v;
		else if (!strcmp(tok[i], "bitmap-length")) {
			int len = (int)strtol(tok[i + 1], NULL, 10), k;

			for (k = 0; k < len && k < 64 && i + 2 + k < n; k++)
				r->words[r->nwords++] =
					(uint32_t)strtoul(tok[i + 2 + k], NULL, 16);
		}
	}
	r->seq = (uint64_t)seq_hi << 32 | seq;
	r->oseq = (uint64_t)oseq_hi << 32 | oseq;
	return 0;
}

/* Exactly one non-zero bitmap word, equal to `word`? */
static bool bitmap_is(const struct ip_replay *r, uint32_t word)
{
	int i, nonzero = 0;
	bool found = false;

	for (i = 0; i < r->nwords; i++) {
		if (r->words[i])
			nonzero++;
		if (r->words[i] == word)
			found = true;
	}
	return nonzero == 1 && found;
}

/* Raw requests, for what libxha would never build. */
struct req {
	char buf[8192];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
};

static void req_start(struct req *r, struct xha_nl *nl, uint8_t cmd)
{
	memset(r->buf, 0, sizeof(r->buf));
	r->nlh = xha_nl_msg_start(nl, r->buf, cmd, NLM_F_ACK);
	r->nest = NULL;
}

static void req_nest(struct req *r, uint16_t type)
{
	r->nest = mnl_attr_nest_start(r->nlh, type);
	r->nest->nla_type |= NLA_F_NESTED;
}

static void req_nest_end(struct req *r)
{
	mnl_attr_nest_end(r->nlh, r->nest);
}

enum { F_FAMILY = 1, F_DADDR = 2, F_SPI = 4, F_PROTO = 8, F_ALL = 15 };

static void put_ident(struct req *r, const struct xha_sa *sa, unsigned int f)
{
	if (f & F_FAMILY)
		mnl_attr_put_u16(r->nlh, XFRM_HA_SA_A_FAMILY, sa->family);
	if (f & F_DADDR)
		mnl_attr_put(r->nlh, XFRM_HA_SA_A_DADDR,
			     sa->family == AF_INET ? 4 : 16, sa->daddr);
	if (f & F_SPI)
		mnl_attr_put_u32(r->nlh, XFRM_HA_SA_A_SPI, sa->spi);
	if (f & F_PROTO)
		mnl_attr_put_u8(r->nlh, XFRM_HA_SA_A_PROTO, sa->proto);
}

/* Notifications collected by a callback. */
struct rec_log {
	struct xha_sa v[4096];
	int n;
	int msgs;
	int enobufs;
	ssize_t max_msg;	/* largest datagram seen */
	ssize_t min_msg;	/* smallest, 0 if none */
	int max_recs;		/* most records in one datagram */
};

static int log_cb(const struct xha_sa *sa, void *arg)
{
	struct rec_log *log = arg;

	if (log->n < (int)(sizeof(log->v) / sizeof(log->v[0])))
		log->v[log->n++] = *sa;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Read notifications for at most ms milliseconds, stopping early once
 * done(log, arg) holds (done may be NULL: read for the whole time).
 * Returns 0 when done held, -ETIMEDOUT otherwise, or a read error.
 */
static int recv_until(struct xha_nl *nl, struct rec_log *log, int ms,
		      bool (*done)(const struct rec_log *, const void *),
		      const void *arg)
{
	long end = now_ms() + ms;
	struct pollfd pfd = { .fd = xha_nl_fd(nl), .events = POLLIN };

	fcntl(pfd.fd, F_SETFL, fcntl(pfd.fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		long left = end - now_ms();
		int err;

		if (done && done(log, arg))
			return 0;
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		for (;;) {
			int before = log->n;
			ssize_t size = recv(pfd.fd, NULL, 0,
					    MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);

			/* The peek consumes a pending socket error. */
			if (size < 0 && errno == ENOBUFS) {
				log->enobufs++;
				continue;
			}

			if (size > log->max_msg)
				log->max_msg = size;
			if (size > 0 && (!log->min_msg || size < log->min_msg))
				log->min_msg = size;
			err = xha_nl_recv_notify(nl, log_cb, log);
			if (err == -EAGAIN)
				break;
			if (err == -ENOBUFS) {
				log->enobufs++;
				continue;
			}
			if (err)
				return err;
			if (log->n > before)
				log->msgs++;
			if (log->n - before > log->max_recs)
				log->max_recs = log->n - before;
		}
	}
}

/* The last record of SA id in the log, or NULL. */
static const struct xha_sa *last_rec(const struct rec_log *log,
				     const struct xha_sa *id)
{
	int i;

	for (i = log->n - 1; i >= 0; i--)
		if (xha_sa_same_id(&log->v[i], id))
			return &log->v[i];
	return NULL;
}

static int stats_get(struct xha_nl *nl, struct xha_stats *st)
{
	struct xha_config cfg;

	return xha_nl_config_get(nl, &cfg, st);
}

/* The fixture: a fresh network namespace and a request handle in it. */
FIXTURE(ns) {
	struct xha_nl *nl;
	int self_ns;
};

FIXTURE_SETUP(ns)
{
	char err[256];

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	self->self_ns = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_LE(0, self->self_ns);
	ASSERT_EQ(0, run("ip link set lo up"));
	self->nl = xha_nl_open(err, sizeof(err));
	ASSERT_NE(NULL, self->nl) TH_LOG("xha_nl_open: %s", err);
}

FIXTURE_TEARDOWN(ns)
{
	xha_nl_close(self->nl);
}

/* SA get ----------------------------------------------------------------- */

T(family_resolves)
{
	ASSERT_NE(0, xha_nl_family_id(self->nl));
	ASSERT_NE(0, xha_nl_group_id(self->nl));
}

T(sa_get_match)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct xha_sa id6 = mkid("2001:db8::1", 0x200, IPPROTO_ESP, 0, 0);
	struct xha_sa idah = mkid("10.0.0.1", 0x300, IPPROTO_AH, 0, 0);
	uint8_t src[16] = { 0 };

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, run("ip xfrm state add src 2001:db8::2 dst 2001:db8::1 proto esp spi 0x200 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto ah spi 0x300 replay-window 32 " AH_KEY));

	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa)) TH_LOG("%s", xha_nl_error(self->nl));
	EXPECT_TRUE(xha_sa_same_id(&id, &sa));
	EXPECT_EQ(AF_INET, sa.family);
	EXPECT_EQ(IPPROTO_ESP, sa.proto);
	EXPECT_EQ(htonl(0x100), sa.spi);
	EXPECT_EQ(0, sa.mark);
	EXPECT_EQ(0, sa.if_id);
	ASSERT_EQ(XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_SADDR |
		  XHA_SA_HAS_REPLAY | XHA_SA_HAS_LIFETIME, sa.has);
	inet_pton(AF_INET, "10.0.0.2", src);
	EXPECT_EQ(0, memcmp(src, sa.saddr, 4));
	EXPECT_EQ(XFRM_HA_REPLAY_LEGACY, sa.replay_mode);
	EXPECT_EQ(32, sa.replay_window);
	EXPECT_EQ(0, sa.oseq);
	EXPECT_EQ(0, sa.seq);
	EXPECT_EQ(0, sa.bytes);
	EXPECT_EQ(0, sa.packets);

	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id6, &sa)) TH_LOG("%s", xha_nl_error(self->nl));
	EXPECT_TRUE(xha_sa_same_id(&id6, &sa));
	inet_pton(AF_INET6, "2001:db8::2", src);
	EXPECT_EQ(0, memcmp(src, sa.saddr, 16));

	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &idah, &sa)) TH_LOG("%s", xha_nl_error(self->nl));
	EXPECT_TRUE(xha_sa_same_id(&idah, &sa));
	EXPECT_EQ(IPPROTO_AH, sa.proto);
}

T(sa_get_enoent)
{
	struct xha_sa id, sa;
	const char *msg;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x101 mark 7 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x102 if_id 5 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x103 mark 0x10 mask 0xf0 replay-window 32 " ESP_KEY));

	/* The exact identities are found. */
	id = mkid("10.0.0.1", 0x101, IPPROTO_ESP, 7, 0);
	EXPECT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa)) TH_LOG("%s", xha_nl_error(self->nl));
	EXPECT_EQ(7, sa.mark);
	id = mkid("10.0.0.1", 0x102, IPPROTO_ESP, 0, 5);
	EXPECT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa)) TH_LOG("%s", xha_nl_error(self->nl));
	EXPECT_EQ(5, sa.if_id);
	id = mkid("10.0.0.1", 0x103, IPPROTO_ESP, 0x10, 0);
	EXPECT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa)) TH_LOG("%s", xha_nl_error(self->nl));

	/* Anything else is -ENOENT, with a message. */
	id = mkid("10.0.0.1", 0x999, IPPROTO_ESP, 0, 0);	/* spi */
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	msg = xha_nl_ext_msg(self->nl);
	EXPECT_TRUE(msg && *msg);
	id = mkid("10.0.0.9", 0x100, IPPROTO_ESP, 0, 0);	/* daddr */
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	id = mkid("10.0.0.1", 0x100, IPPROTO_AH, 0, 0);		/* proto */
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 1, 0);	/* mark */
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	id = mkid("10.0.0.1", 0x101, IPPROTO_ESP, 0, 0);
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	id = mkid("10.0.0.1", 0x101, IPPROTO_ESP, 8, 0);
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 5);	/* if_id */
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	id = mkid("10.0.0.1", 0x102, IPPROTO_ESP, 0, 0);
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	id = mkid("10.0.0.1", 0x102, IPPROTO_ESP, 0, 6);
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	/* 0x1f matches 0x10/0xf0 through the mask but does not name the SA. */
	id = mkid("10.0.0.1", 0x103, IPPROTO_ESP, 0x1f, 0);
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(self->nl, &id, &sa));
	/* The same for a write. */
	id.has = XHA_SA_HAS_OSEQ;
	id.oseq = 5;
	EXPECT_EQ(-ENOENT, xha_nl_sa_set(self->nl, &id));
}

/* SA dump ---------------------------------------------------------------- */

struct dump_check {
	struct xha_sa *want;
	bool *seen;
	int n_want;
	int records;
	int unexpected;
	int dups;
};

static int dump_check_cb(const struct xha_sa *sa, void *arg)
{
	struct dump_check *dc = arg;
	int i;

	dc->records++;
	for (i = 0; i < dc->n_want; i++) {
		if (!xha_sa_same_id(sa, &dc->want[i]))
			continue;
		if (dc->seen[i])
			dc->dups++;
		dc->seen[i] = true;
		/* Every SA was created with replay-oseq = its index + 1. */
		if (sa->oseq != (uint64_t)i + 1)
			dc->unexpected++;
		return 0;
	}
	dc->unexpected++;
	return 0;
}

static int count_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(*(int *)arg)++;
	return 0;
}

T(sa_dump_many)
{
	enum { N4 = 150, N6 = 100, NAH = 50, N = N4 + N6 + NAH };
	static struct xha_sa want[N];
	static bool seen[N];
	struct dump_check dc = { .want = want, .seen = seen, .n_want = N };
	char *batch = malloc(N * 300), *p = batch;
	struct req r;
	int i, msgs = 0;

	ASSERT_NE(NULL, batch);
	for (i = 0; i < N; i++) {
		char dst[64];

		if (i < N4) {
			snprintf(dst, sizeof(dst), "10.1.%d.%d", i / 200, i % 200 + 1);
			want[i] = mkid(dst, 0x1000 + i, IPPROTO_ESP, 0, 0);
			p += sprintf(p, "xfrm state add src 10.9.0.1 dst %s proto esp spi %d replay-window 32 replay-oseq %d %s\n",
				     dst, 0x1000 + i, i + 1, ESP_KEY);
		} else if (i < N4 + N6) {
			snprintf(dst, sizeof(dst), "2001:db8:1::%x", i + 1);
			want[i] = mkid(dst, 0x1000 + i, IPPROTO_ESP, 0, 0);
			p += sprintf(p, "xfrm state add src 2001:db8:9::1 dst %s proto esp spi %d replay-window 32 replay-oseq %d %s\n",
				     dst, 0x1000 + i, i + 1, ESP_KEY);
		} else {
			snprintf(dst, sizeof(dst), "10.2.0.%d", i - N4 - N6 + 1);
			want[i] = mkid(dst, 0x1000 + i, IPPROTO_AH, 0, 0);
			p += sprintf(p, "xfrm state add src 10.9.0.1 dst %s proto ah spi %d replay-window 32 replay-oseq %d %s\n",
				     dst, 0x1000 + i, i + 1, AH_KEY);
		}
	}
	ASSERT_EQ(0, ip_batch(batch));
	free(batch);

	ASSERT_EQ(0, xha_nl_sa_dump(self->nl, dump_check_cb, &dc)) TH_LOG("%s", xha_nl_error(self->nl));
	EXPECT_EQ(N, dc.records);
	EXPECT_EQ(0, dc.unexpected);
	EXPECT_EQ(0, dc.dups);
	for (i = 0; i < N; i++)
		EXPECT_TRUE(seen[i]) TH_LOG("SA %d missing from the dump", i);

	/* That was more than one message's worth. */
	req_start(&r, self->nl, XFRM_HA_CMD_SA_GET);
	r.nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ASSERT_EQ(0, xha_nl_request(self->nl, r.nlh, count_msg_cb, &msgs)) TH_LOG("%s", xha_nl_error(self->nl));
	EXPECT_LE(2, msgs);

	/* IPComp SAs are neither ESP nor AH: not dumped. */
	if (run("ip xfrm state add src 10.9.0.1 dst 10.5.0.1 proto comp spi 0x4444 comp deflate") == 0) {
		memset(seen, 0, sizeof(seen));
		dc.records = 0;
		dc.unexpected = 0;
		dc.dups = 0;
		ASSERT_EQ(0, xha_nl_sa_dump(self->nl, dump_check_cb, &dc)) TH_LOG("%s", xha_nl_error(self->nl));
		EXPECT_EQ(N, dc.records);
		EXPECT_EQ(0, dc.unexpected);
	} else {
		TH_LOG("no IPComp in this kernel: part skipped");
	}

	/* And a namespace without SAs dumps nothing. */
	ASSERT_EQ(0, run("ip xfrm state flush"));
	memset(seen, 0, sizeof(seen));
	dc.records = 0;
	ASSERT_EQ(0, xha_nl_sa_dump(self->nl, dump_check_cb, &dc));
	EXPECT_EQ(0, dc.records);
}

/* SA set ----------------------------------------------------------------- */

T(sa_set_raise)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct ip_replay ipr;
	struct xha_stats st;
	uint64_t v;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));

	v = 100;
	ASSERT_EQ(0, set_counters(self->nl, &id, &v, NULL)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(100, sa.oseq);
	EXPECT_EQ(0, sa.seq);
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_EQ(100, ipr.oseq);
	EXPECT_EQ(0, ipr.seq);

	/* Raising seq marks the new top as seen: bitmap bit 0. */
	v = 50;
	ASSERT_EQ(0, set_counters(self->nl, &id, NULL, &v)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(100, sa.oseq);
	EXPECT_EQ(50, sa.seq);
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_EQ(100, ipr.oseq);
	EXPECT_EQ(50, ipr.seq);
	ASSERT_EQ(1, ipr.nwords);
	EXPECT_EQ(0x1, ipr.words[0]);

	/* Two more: the window slides by two, 50 stays seen, 51 not. */
	v = 52;
	ASSERT_EQ(0, set_counters(self->nl, &id, NULL, &v));
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_EQ(52, ipr.seq);
	EXPECT_EQ(0x5, ipr.words[0]);

	/* Equal values are accepted and change nothing. */
	{
		uint64_t o = 100, s = 52;

		ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s)) TH_LOG("%s", xha_nl_error(self->nl));
	}
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_EQ(100, ipr.oseq);
	EXPECT_EQ(52, ipr.seq);
	EXPECT_EQ(0x5, ipr.words[0]);

	/* Both at once. */
	{
		uint64_t o = 1000, s = 2000;

		ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s));
	}
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(1000, sa.oseq);
	EXPECT_EQ(2000, sa.seq);

	/* Five accepted writes in a fresh namespace, none refused. */
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(5, st.writes);
	EXPECT_EQ(0, st.writes_refused);
}

T(sa_set_refused_lower)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct xha_stats st0, st;
	struct ip_replay ipr;
	uint64_t o, s;
	const char *msg;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	o = 100;
	s = 100;
	ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s));
	ASSERT_EQ(0, stats_get(self->nl, &st0));

	o = 5;
	EXPECT_EQ(-ERANGE, set_counters(self->nl, &id, &o, NULL));
	msg = xha_nl_ext_msg(self->nl);
	EXPECT_TRUE(msg && *msg) TH_LOG("no extack message for -ERANGE");
	TH_LOG("kernel says: %s", xha_nl_error(self->nl));

	s = 99;
	EXPECT_EQ(-ERANGE, set_counters(self->nl, &id, NULL, &s));
	EXPECT_TRUE(xha_nl_ext_msg(self->nl) != NULL);

	/* One higher, one lower: refused as a whole. */
	o = 200;
	s = 50;
	EXPECT_EQ(-ERANGE, set_counters(self->nl, &id, &o, &s));
	o = 50;
	s = 200;
	EXPECT_EQ(-ERANGE, set_counters(self->nl, &id, &o, &s));

	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(100, sa.oseq);
	EXPECT_EQ(100, sa.seq);
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_EQ(100, ipr.oseq);
	EXPECT_EQ(100, ipr.seq);
	EXPECT_EQ(0x1, ipr.words[0]);

	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(st0.writes, st.writes);
	EXPECT_EQ(st0.writes_refused + 4, st.writes_refused);
}

/* Replay modes ----------------------------------------------------------- */

T(replay_mode_legacy)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct ip_replay ipr;
	uint64_t o, s;

	/* The width limit, not the wrap guard (oseq_wrap_guard tests it). */
	{
		struct xha_config c = { .has = XHA_CFG_HAS_OSEQ_WRAP_MARGIN };

		ASSERT_EQ(0, xha_nl_config_set(self->nl, &c));
	}
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(XFRM_HA_REPLAY_LEGACY, sa.replay_mode);
	EXPECT_EQ(32, sa.replay_window);

	/* 32-bit counters: 2^32 - 1 is the top, 2^32 is refused. */
	o = 1ULL << 32;
	EXPECT_EQ(-EINVAL, set_counters(self->nl, &id, &o, NULL));
	EXPECT_TRUE(xha_nl_ext_msg(self->nl) != NULL);
	s = 1ULL << 32;
	EXPECT_EQ(-EINVAL, set_counters(self->nl, &id, NULL, &s));
	o = 7;
	s = (1ULL << 32) + 7;
	EXPECT_EQ(-EINVAL, set_counters(self->nl, &id, &o, &s));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(0, sa.oseq);
	EXPECT_EQ(0, sa.seq);

	o = 0xffffffffULL;
	s = 0xfffffff0ULL;
	ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_FALSE(ipr.esn_ctx);
	EXPECT_EQ(0xffffffffULL, ipr.oseq);
	EXPECT_EQ(0xfffffff0ULL, ipr.seq);
}

T(replay_mode_bmp)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct ip_replay ipr;
	uint64_t o, s;

	/* The width limit, not the wrap guard (oseq_wrap_guard tests it). */
	{
		struct xha_config c = { .has = XHA_CFG_HAS_OSEQ_WRAP_MARGIN };

		ASSERT_EQ(0, xha_nl_config_set(self->nl, &c));
	}
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 128 " ESP_KEY));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(XFRM_HA_REPLAY_BMP, sa.replay_mode);
	EXPECT_EQ(128, sa.replay_window);

	o = 1ULL << 32;
	EXPECT_EQ(-EINVAL, set_counters(self->nl, &id, &o, NULL));
	EXPECT_TRUE(xha_nl_ext_msg(self->nl) != NULL);
	s = 1ULL << 33;
	EXPECT_EQ(-EINVAL, set_counters(self->nl, &id, NULL, &s));

	/* From 0 to 50 in a 128-packet window: only bit 49 is set. */
	o = 0x12345;
	s = 50;
	ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(0x12345, sa.oseq);
	EXPECT_EQ(50, sa.seq);
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_TRUE(ipr.esn_ctx);
	EXPECT_EQ(0x12345, ipr.oseq);
	EXPECT_EQ(50, ipr.seq);
	EXPECT_EQ(4, ipr.nwords);
	EXPECT_TRUE(bitmap_is(&ipr, 1u << (49 % 32)));

	o = 0xffffffffULL;
	s = 0xffffffffULL;
	ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(0xffffffffULL, sa.oseq);
	EXPECT_EQ(0xffffffffULL, sa.seq);
}

T(replay_mode_esn)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct ip_replay ipr;
	uint64_t o, s;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 flag esn replay-window 128 " ESP_KEY));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(XFRM_HA_REPLAY_ESN, sa.replay_mode);
	EXPECT_EQ(128, sa.replay_window);

	o = 0x100000005ULL;
	s = 0x200000007ULL;
	ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(0x100000005ULL, sa.oseq);
	EXPECT_EQ(0x200000007ULL, sa.seq);
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_EQ(0x100000005ULL, ipr.oseq);
	EXPECT_EQ(0x200000007ULL, ipr.seq);
	/* A jump wider than the window: only the new top, bit (7-1) % 128. */
	EXPECT_TRUE(bitmap_is(&ipr, 1u << 6));

	/* Lower in the high half is lower, even with a larger low half. */
	o = 0x0ffffffffULL;
	EXPECT_EQ(-ERANGE, set_counters(self->nl, &id, &o, NULL));
	s = 0x1ffffffffULL;
	EXPECT_EQ(-ERANGE, set_counters(self->nl, &id, NULL, &s));

	o = 0xfffffffe00000001ULL;
	s = 0x300000000ULL;
	ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(0xfffffffe00000001ULL, sa.oseq);
	EXPECT_EQ(0x300000000ULL, sa.seq);
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_EQ(0xfffffffe00000001ULL, ipr.oseq);
	EXPECT_EQ(0x300000000ULL, ipr.seq);
}

/* Config ----------------------------------------------------------------- */

static bool cfg_eq(const struct xha_config *a, uint32_t p, uint32_t t,
		   uint32_t s)
{
	return a->sync_packets == p && a->sync_time_ms == t &&
	       a->scan_interval_ms == s;
}

/* The inbound window -------------------------------------------------- */

/* Write seq and a window given as a list of relative positions. */
static int set_window(struct xha_nl *nl, const struct xha_sa *id, uint64_t seq,
		      uint32_t words, const uint32_t *rel, int n)
{
	struct xha_sa sa = *id;
	int i;

	sa.has = XHA_SA_HAS_SEQ | XHA_SA_HAS_BITMAP;
	sa.seq = seq;
	sa.bitmap_words = words;
	memset(sa.bitmap, 0, sizeof(sa.bitmap));
	for (i = 0; i < n; i++)
		sa.bitmap[rel[i] / 32] |= 1u << (rel[i] % 32);
	return xha_nl_sa_set(nl, &sa);
}

static bool rel_bit(const struct xha_sa *sa, uint32_t i)
{
	return i / 32 < sa->bitmap_words &&
	       (sa->bitmap[i / 32] & (1u << (i % 32)));
}

/* Positions seen within the SA's window. */
static int rel_count(const struct xha_sa *sa)
{
	int n = 0;
	uint32_t i;

	for (i = 0; i < sa->replay_window; i++)
		n += rel_bit(sa, i);
	return n;
}

T(window_export_matches_ring)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	const uint32_t rel[] = { 0, 3 };
	struct ip_replay ipr;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 128 " ESP_KEY));
	ASSERT_EQ(0, set_window(self->nl, &id, 50, 4, rel, 2)) TH_LOG("%s", xha_nl_error(self->nl));
	/* The kernel's own ring: sequence number s at bit (s - 1) % 128. */
	ASSERT_EQ(0, ip_replay_get(&ipr, "dst 10.0.0.1 proto esp spi 0x100"));
	EXPECT_EQ(50, ipr.seq);
	ASSERT_EQ(4, ipr.nwords);
	/* iproute2 prints the words from the last one down. */
	EXPECT_EQ(0, ipr.words[3]);
	EXPECT_EQ((1u << 17) | (1u << 14), ipr.words[2])
		TH_LOG("%08x %08x %08x %08x", ipr.words[0], ipr.words[1],
		       ipr.words[2], ipr.words[3]);
	/* And back, relative to the top. */
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	ASSERT_TRUE(sa.has & XHA_SA_HAS_BITMAP);
	EXPECT_EQ(4, sa.bitmap_words);
	EXPECT_TRUE(rel_bit(&sa, 0));
	EXPECT_TRUE(rel_bit(&sa, 3));
	EXPECT_EQ(2, rel_count(&sa));
}

T(window_merge_never_clears)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	uint32_t rel[1000];
	int i;

	/* Not a power of two: the ring wraps at 1000, in 32 words. */
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 1000 " ESP_KEY));
	for (i = 0; i < 500; i++)
		rel[i] = 2 * i;			/* even positions seen */
	ASSERT_EQ(0, set_window(self->nl, &id, 5000, 32, rel, 500)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(5000, sa.seq);
	EXPECT_EQ(32, sa.bitmap_words);
	EXPECT_EQ(500, rel_count(&sa));
	/* Past the window, to the end of the last word: seen (too old). */
	for (i = 1000; i < 1024; i++)
		EXPECT_TRUE(rel_bit(&sa, i)) TH_LOG("position %d", 5000 - i);

	/* Same top, the odd positions: the union, nothing cleared. */
	for (i = 0; i < 500; i++)
		rel[i] = 2 * i + 1;
	ASSERT_EQ(0, set_window(self->nl, &id, 5000, 32, rel, 500));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(1000, rel_count(&sa));

	/* An empty window at the same top clears nothing either. */
	ASSERT_EQ(0, set_window(self->nl, &id, 5000, 32, rel, 0));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(1000, rel_count(&sa));

	/*
	 * Raise by 10 with only the top seen: the old positions move down by
	 * 10 and stay seen (the 10 oldest fall out of the window), the 9
	 * skipped ones are unseen.
	 */
	rel[0] = 0;
	ASSERT_EQ(0, set_window(self->nl, &id, 5010, 32, rel, 1));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(5010, sa.seq);
	EXPECT_TRUE(rel_bit(&sa, 0));
	for (i = 1; i < 10; i++)
		EXPECT_FALSE(rel_bit(&sa, i)) TH_LOG("position %d", 5010 - i);
	for (i = 10; i < 1000; i++)
		EXPECT_TRUE(rel_bit(&sa, i)) TH_LOG("position %d", 5010 - i);
	EXPECT_EQ(991, rel_count(&sa));

	/* A lower top is refused whole, window included. */
	EXPECT_EQ(-ERANGE, set_window(self->nl, &id, 5009, 32, rel, 1));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(5010, sa.seq);
	EXPECT_EQ(991, rel_count(&sa));
}

T(window_short_record_marks_older)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	const uint32_t rel[] = { 0, 2 };
	int i;

	/* A writer with a 32-packet window, a reader with 4096. */
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 4096 " ESP_KEY));
	ASSERT_EQ(0, set_window(self->nl, &id, 100000, 1, rel, 2)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(128, sa.bitmap_words);
	EXPECT_TRUE(rel_bit(&sa, 0));
	EXPECT_FALSE(rel_bit(&sa, 1));
	EXPECT_TRUE(rel_bit(&sa, 2));
	for (i = 3; i < 32; i++)
		EXPECT_FALSE(rel_bit(&sa, i));
	/* What the writer would refuse as too old is seen here. */
	for (i = 32; i < 4096; i++)
		EXPECT_TRUE(rel_bit(&sa, i)) TH_LOG("position %d", 100000 - i);
}

T(window_legacy_and_esn)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct xha_sa ide = mkid("10.0.0.1", 0x101, IPPROTO_ESP, 0, 0);
	uint32_t rel[] = { 0, 1, 7, 31 };
	uint64_t top = (1ull << 32) + 3;
	int i;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, set_window(self->nl, &id, 40, 1, rel, 4)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(1, sa.bitmap_words);
	EXPECT_EQ(0x80000083u, sa.bitmap[0]);

	/* ESN across 2^32: positions 2^32+3 down to 2^32-124 in one window. */
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x101 flag esn replay-window 128 replay-seq-hi 0 replay-seq 0xfffffff0 " ESP_KEY));
	{
		uint32_t r[8];

		for (i = 0; i < 8; i++)
			r[i] = i * 16;		/* 2^32+3, 2^32-13, ... */
		ASSERT_EQ(0, set_window(self->nl, &ide, top, 4, r, 8)) TH_LOG("%s", xha_nl_error(self->nl));
	}
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &ide, &sa));
	EXPECT_EQ(top, sa.seq);
	EXPECT_EQ(XFRM_HA_REPLAY_ESN, sa.replay_mode);
	for (i = 0; i < 128; i++)
		EXPECT_EQ(i % 16 == 0, rel_bit(&sa, i)) TH_LOG("position %d below the top", i);
}

T(window_rejected)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct req r;
	uint32_t w[129] = { 1 };
	const char *msg;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 128 " ESP_KEY));

	/* A window without the top it is relative to. */
	req_start(&r, self->nl, XFRM_HA_CMD_SA_SET);
	req_nest(&r, XFRM_HA_A_SA);
	put_ident(&r, &id, F_ALL);
	mnl_attr_put(r.nlh, XFRM_HA_SA_A_BITMAP, 4, w);
	req_nest_end(&r);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
	msg = xha_nl_ext_msg(self->nl);
	EXPECT_TRUE(msg && strstr(msg, "SEQ")) TH_LOG("%s", msg ? msg : "(none)");

	/* Not whole words; too long. */
	for (int len = 0; len < 2; len++) {
		req_start(&r, self->nl, XFRM_HA_CMD_SA_SET);
		req_nest(&r, XFRM_HA_A_SA);
		put_ident(&r, &id, F_ALL);
		mnl_attr_put_u64(r.nlh, XFRM_HA_SA_A_SEQ, 10);
		mnl_attr_put(r.nlh, XFRM_HA_SA_A_BITMAP, len ? sizeof(w) : 6, w);
		req_nest_end(&r);
		/* A length outside the policy's range is -ERANGE. */
		EXPECT_EQ(len ? -ERANGE : -EINVAL,
			  xha_nl_request(self->nl, r.nlh, NULL, NULL));
		msg = xha_nl_ext_msg(self->nl);
		EXPECT_TRUE(msg && *msg);
	}
	/* Nothing changed. */
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(0, sa.seq);
	EXPECT_FALSE(sa.has & XHA_SA_HAS_BITMAP);
}

/* Lifetimes and the wrap guard ------------------------------------------ */

T(lifetime_raise_only)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	sa = id;
	sa.has = XHA_SA_HAS_LIFETIME;
	sa.bytes = 123456;
	sa.packets = 789;
	ASSERT_EQ(0, xha_nl_sa_set(self->nl, &sa)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(123456, sa.bytes);
	EXPECT_EQ(789, sa.packets);
	/* Lower values are ignored, not refused. */
	sa = id;
	sa.has = XHA_SA_HAS_LIFETIME | XHA_SA_HAS_OSEQ;
	sa.oseq = 5;
	sa.bytes = 1;
	sa.packets = 1000;
	ASSERT_EQ(0, xha_nl_sa_set(self->nl, &sa)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(123456, sa.bytes);
	EXPECT_EQ(1000, sa.packets);
	EXPECT_EQ(5, sa.oseq);
}

static int cfg_margin(struct xha_nl *nl, uint32_t margin)
{
	struct xha_config cfg = { .oseq_wrap_margin = margin,
				  .has = XHA_CFG_HAS_OSEQ_WRAP_MARGIN };

	return xha_nl_config_set(nl, &cfg);
}

#define U32MAX 0xffffffffull
#define NO_MIN UINT64_MAX

/*
 * Write oseq, with OSEQ_MIN min unless NO_MIN; *now gets what the SA holds
 * afterwards. Returns the write's result.
 */
static int write_oseq(struct xha_nl *nl, const struct xha_sa *id,
		      uint64_t oseq, uint64_t min, uint64_t *now)
{
	struct xha_sa sa = *id;
	int ret;

	sa.has = XHA_SA_HAS_OSEQ;
	sa.oseq = oseq;
	if (min != NO_MIN) {
		sa.oseq_min = min;
		sa.has |= XHA_SA_HAS_OSEQ_MIN;
	}
	ret = xha_nl_sa_set(nl, &sa);
	*now = xha_nl_sa_get(nl, id, &sa) ? 0 : sa.oseq;
	return ret;
}

T(oseq_wrap_guard)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct xha_sa idw = mkid("10.0.0.1", 0x101, IPPROTO_ESP, 0, 0);
	struct xha_sa ide = mkid("10.0.0.1", 0x102, IPPROTO_ESP, 0, 0);
	struct xha_config cfg;
	struct xha_stats st;
	const char *msg;
	uint64_t now;

	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, &st));
	EXPECT_EQ(XFRM_HA_OSEQ_WRAP_MARGIN_DEFAULT, cfg.oseq_wrap_margin);
	ASSERT_EQ(0, cfg_margin(self->nl, 1000)) TH_LOG("%s", xha_nl_error(self->nl));

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x101 replay-window 32 extra-flag oseq-may-wrap " ESP_KEY));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x102 flag esn replay-window 32 " ESP_KEY));

	/* Within the margin: clamped, soft expire, seq still written. */
	sa = id;
	sa.has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_OSEQ_MIN | XHA_SA_HAS_SEQ;
	sa.oseq = 0xffffffffull - 10;
	sa.oseq_min = 0;
	sa.seq = 77;
	ASSERT_EQ(0, xha_nl_sa_set(self->nl, &sa)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(0xffffffffull - 1000, sa.oseq);
	EXPECT_EQ(77, sa.seq);
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(1, st.oseq_clamped);
	EXPECT_EQ(1, st.soft_expires);
	/* Again: clamped, but one soft expire per SA. */
	EXPECT_EQ(0, write_oseq(self->nl, &id, U32MAX, 5, &now));
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(2, st.oseq_clamped);
	EXPECT_EQ(1, st.soft_expires);
	/* Never below OSEQ_MIN: what may have been used is not used again. */
	EXPECT_EQ(0, write_oseq(self->nl, &id, U32MAX - 3, U32MAX - 600, &now));
	EXPECT_EQ(U32MAX - 600, now);
	/* Without OSEQ_MIN nothing is known to be unused: no clamping. */
	EXPECT_EQ(0, write_oseq(self->nl, &id, U32MAX - 20, NO_MIN, &now));
	EXPECT_EQ(U32MAX - 20, now);
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(3, st.oseq_clamped);
	EXPECT_EQ(1, st.soft_expires);
	/* OSEQ_MIN above OSEQ: refused, nothing written. */
	sa = id;
	sa.has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_OSEQ_MIN;
	sa.oseq = U32MAX - 10;
	sa.oseq_min = U32MAX - 9;
	EXPECT_EQ(-EINVAL, xha_nl_sa_set(self->nl, &sa));
	msg = xha_nl_ext_msg(self->nl);
	EXPECT_TRUE(msg && strstr(msg, "OSEQ_MIN")) TH_LOG("%s", msg ? msg : "(none)");
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(U32MAX - 20, sa.oseq);

	/* An SA that may wrap, and an ESN SA, are not clamped. */
	EXPECT_EQ(0, write_oseq(self->nl, &idw, U32MAX - 10, 0, &now));
	EXPECT_EQ(U32MAX - 10, now);
	EXPECT_EQ(0, write_oseq(self->nl, &ide, U32MAX - 10, 0, &now));
	EXPECT_EQ(U32MAX - 10, now);
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(3, st.oseq_clamped);

	/* Margin 0 turns the guard off. */
	ASSERT_EQ(0, cfg_margin(self->nl, 0));
	EXPECT_EQ(0, write_oseq(self->nl, &id, U32MAX, 0, &now));
	EXPECT_EQ(U32MAX, now);
}

/* Tracking entries ------------------------------------------------------ */

static struct xha_nl *subscribed(void);

/* Entries exist, holding their SA, only while someone listens. */
T(entries_only_while_heard)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0);
	struct xha_stats st;
	struct xha_nl *mc;
	uint64_t v = 10;
	int i;

	/* Nobody listens here: a backup that only writes tracks nothing. */
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, set_counters(self->nl, &id, &v, &v));
	usleep(200 * 1000);
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(0, st.sas);

	/* A listener: the reconcile walk tracks the SA. */
	mc = subscribed();
	ASSERT_NE(NULL, mc);
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, stats_get(self->nl, &st));
		if (st.sas == 1)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(1, st.sas);
	EXPECT_LE(1, st.reconciles);
	EXPECT_LT(0, st.entry_bytes);
	EXPECT_GE(128, st.entry_bytes);
	/* Deleted: pruned at once, not at the next reconcile. */
	ASSERT_EQ(0, run("ip xfrm state del dst 10.0.0.1 proto esp spi 0x100"));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, stats_get(self->nl, &st));
		if (!st.sas)
			break;
		usleep(50 * 1000);
	}
	EXPECT_EQ(0, st.sas);
	EXPECT_EQ(1, st.swept);

	/* The listener leaves: every entry (and reference) goes. */
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x101 replay-window 32 " ESP_KEY));
	for (i = 0; i < 20 && st.sas != 1; i++) {
		usleep(50 * 1000);
		ASSERT_EQ(0, stats_get(self->nl, &st));
	}
	EXPECT_EQ(1, st.sas);
	xha_nl_close(mc);
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, stats_get(self->nl, &st));
		if (!st.sas)
			break;
		usleep(50 * 1000);
	}
	EXPECT_EQ(0, st.sas);
}

T(config_round_trip)
{
	struct xha_config cfg, set;
	struct xha_stats st;

	/* A fresh namespace has the defaults. */
	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, &st)) TH_LOG("%s", xha_nl_error(self->nl));
	EXPECT_EQ(XHA_CFG_HAS_SYNC_PACKETS | XHA_CFG_HAS_SYNC_TIME_MS |
		  XHA_CFG_HAS_SCAN_INTERVAL_MS | XHA_CFG_HAS_OSEQ_WRAP_MARGIN |
		  XHA_CFG_HAS_IDLE_INTERVAL_MS,
		  cfg.has);
	EXPECT_EQ(XFRM_HA_OSEQ_WRAP_MARGIN_DEFAULT, cfg.oseq_wrap_margin);
	EXPECT_EQ(XFRM_HA_IDLE_INTERVAL_MS_DEFAULT, cfg.idle_interval_ms);
	EXPECT_TRUE(cfg_eq(&cfg, XFRM_HA_SYNC_PACKETS_DEFAULT,
			   XFRM_HA_SYNC_TIME_MS_DEFAULT,
			   XFRM_HA_SCAN_INTERVAL_MS_DEFAULT));
	EXPECT_EQ(0, st.writes);
	EXPECT_EQ(0, st.writes_refused);
	EXPECT_EQ(0, st.records);
	EXPECT_EQ(0, st.batches);

	/* One field: the others keep their value. */
	memset(&set, 0, sizeof(set));
	set.sync_packets = 7;
	set.has = XHA_CFG_HAS_SYNC_PACKETS;
	ASSERT_EQ(0, xha_nl_config_set(self->nl, &set)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, NULL));
	EXPECT_TRUE(cfg_eq(&cfg, 7, XFRM_HA_SYNC_TIME_MS_DEFAULT,
			   XFRM_HA_SCAN_INTERVAL_MS_DEFAULT));

	/* All three, at their bounds. */
	set.sync_packets = 0;
	set.sync_time_ms = XFRM_HA_SYNC_TIME_MS_MAX;
	set.scan_interval_ms = XFRM_HA_SCAN_INTERVAL_MS_MIN;
	set.has = XHA_CFG_HAS_SYNC_PACKETS | XHA_CFG_HAS_SYNC_TIME_MS |
		  XHA_CFG_HAS_SCAN_INTERVAL_MS;
	ASSERT_EQ(0, xha_nl_config_set(self->nl, &set)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, NULL));
	EXPECT_TRUE(cfg_eq(&cfg, 0, XFRM_HA_SYNC_TIME_MS_MAX,
			   XFRM_HA_SCAN_INTERVAL_MS_MIN));

	set.sync_packets = UINT32_MAX;
	set.sync_time_ms = 0;
	set.scan_interval_ms = XFRM_HA_SCAN_INTERVAL_MS_MAX;
	ASSERT_EQ(0, xha_nl_config_set(self->nl, &set)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, NULL));
	EXPECT_TRUE(cfg_eq(&cfg, UINT32_MAX, 0, XFRM_HA_SCAN_INTERVAL_MS_MAX));

	/* An empty CONFIG nest changes nothing. */
	set.has = 0;
	ASSERT_EQ(0, xha_nl_config_set(self->nl, &set)) TH_LOG("%s", xha_nl_error(self->nl));
	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, NULL));
	EXPECT_TRUE(cfg_eq(&cfg, UINT32_MAX, 0, XFRM_HA_SCAN_INTERVAL_MS_MAX));
}

T(config_rejected)
{
	/* "values outside a documented range [are rejected] with -ERANGE" */
	static const struct {
		uint16_t type;
		uint32_t v;
		int err;
		const char *what;
	} bad[] = {
		{ XFRM_HA_CFG_A_IDLE_INTERVAL_MS, XFRM_HA_IDLE_INTERVAL_MS_MAX + 1, -ERANGE, "idle interval max+1" },
		{ XFRM_HA_CFG_A_SCAN_INTERVAL_MS, XFRM_HA_SCAN_INTERVAL_MS_MAX + 1, -ERANGE, "scan interval max+1" },
		{ XFRM_HA_CFG_A_SCAN_INTERVAL_MS, 0, -ERANGE, "scan interval 0" },
		{ XFRM_HA_CFG_A_SYNC_TIME_MS, XFRM_HA_SYNC_TIME_MS_MAX + 1, -ERANGE, "sync time max+1" },
		{ XFRM_HA_CFG_A_SYNC_TIME_MS, UINT32_MAX, -ERANGE, "sync time 2^32-1" },
		{ XFRM_HA_CFG_A_MAX + 1, 5, -EINVAL, "unknown config attribute" },
	};
	struct xha_config cfg;
	struct req r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *msg;

		/* A valid change in the same request must not be applied. */
		req_start(&r, self->nl, XFRM_HA_CMD_CONFIG_SET);
		req_nest(&r, XFRM_HA_A_CONFIG);
		mnl_attr_put_u32(r.nlh, XFRM_HA_CFG_A_SYNC_PACKETS, 77);
		mnl_attr_put_u32(r.nlh, bad[i].type, bad[i].v);
		req_nest_end(&r);
		EXPECT_EQ(bad[i].err, xha_nl_request(self->nl, r.nlh, NULL, NULL)) TH_LOG("%s", bad[i].what);
		msg = xha_nl_ext_msg(self->nl);
		EXPECT_TRUE(msg && *msg) TH_LOG("%s: no extack message", bad[i].what);
	}

	/* A u16 where a u32 belongs. */
	req_start(&r, self->nl, XFRM_HA_CMD_CONFIG_SET);
	req_nest(&r, XFRM_HA_A_CONFIG);
	mnl_attr_put_u16(r.nlh, XFRM_HA_CFG_A_SYNC_PACKETS, 77);
	req_nest_end(&r);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
	EXPECT_TRUE(xha_nl_ext_msg(self->nl) != NULL);

	/* Statistics are read-only. */
	req_start(&r, self->nl, XFRM_HA_CMD_CONFIG_SET);
	req_nest(&r, XFRM_HA_A_STATS);
	mnl_attr_put_u32(r.nlh, XFRM_HA_STATS_A_SAS, 1);
	req_nest_end(&r);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
	EXPECT_TRUE(xha_nl_ext_msg(self->nl) != NULL);

	/* No CONFIG at all. */
	req_start(&r, self->nl, XFRM_HA_CMD_CONFIG_SET);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
	EXPECT_TRUE(xha_nl_ext_msg(self->nl) ||
		    xha_nl_ext_missing(self->nl) == XFRM_HA_A_CONFIG);

	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, NULL));
	EXPECT_TRUE(cfg_eq(&cfg, XFRM_HA_SYNC_PACKETS_DEFAULT,
			   XFRM_HA_SYNC_TIME_MS_DEFAULT,
			   XFRM_HA_SCAN_INTERVAL_MS_DEFAULT));
}

/* Policy rejections on SA requests ----------------------------------------- */

/*
 * Build rejected SA_SET request number i, all of them asking to raise
 * oseq to 500 on an SA that exists. Returns its name, NULL past the end;
 * *miss is the attribute the kernel may name as missing instead of giving
 * a message (-1: a message is required).
 */
static const char *bad_sa_req(int i, struct req *r, struct xha_nl *nl,
			      const struct xha_sa *id, int *miss)
{
	struct xha_sa v6 = *id;
	uint8_t five[5] = { 10, 0, 0, 1, 0 };

	*miss = -1;
	req_start(r, nl, XFRM_HA_CMD_SA_SET);
	if (i == 0) {
		*miss = XFRM_HA_A_SA;
		return "no SA nest";
	}
	req_nest(r, XFRM_HA_A_SA);
	switch (i) {
	case 1:
		*miss = XFRM_HA_SA_A_FAMILY;
		put_ident(r, id, F_ALL & ~F_FAMILY);
		break;
	case 2:
		*miss = XFRM_HA_SA_A_DADDR;
		put_ident(r, id, F_ALL & ~F_DADDR);
		break;
	case 3:
		*miss = XFRM_HA_SA_A_SPI;
		put_ident(r, id, F_ALL & ~F_SPI);
		break;
	case 4:
		*miss = XFRM_HA_SA_A_PROTO;
		put_ident(r, id, F_ALL & ~F_PROTO);
		break;
	case 5:		/* 16-byte address for AF_INET */
		put_ident(r, id, F_FAMILY | F_SPI | F_PROTO);
		mnl_attr_put(r->nlh, XFRM_HA_SA_A_DADDR, 16, id->daddr);
		break;
	case 6:		/* 4-byte address for AF_INET6 */
		v6.family = AF_INET6;
		put_ident(r, &v6, F_FAMILY | F_SPI | F_PROTO);
		mnl_attr_put(r->nlh, XFRM_HA_SA_A_DADDR, 4, id->daddr);
		break;
	case 7:
		put_ident(r, id, F_FAMILY | F_SPI | F_PROTO);
		mnl_attr_put(r->nlh, XFRM_HA_SA_A_DADDR, sizeof(five), five);
		break;
	case 8:		/* UDP is not IPsec */
		put_ident(r, id, F_FAMILY | F_DADDR | F_SPI);
		mnl_attr_put_u8(r->nlh, XFRM_HA_SA_A_PROTO, IPPROTO_UDP);
		break;
	case 9:		/* IPComp neither */
		put_ident(r, id, F_FAMILY | F_DADDR | F_SPI);
		mnl_attr_put_u8(r->nlh, XFRM_HA_SA_A_PROTO, IPPROTO_COMP);
		break;
	case 10:
		put_ident(r, id, F_DADDR | F_SPI | F_PROTO);
		mnl_attr_put_u16(r->nlh, XFRM_HA_SA_A_FAMILY, AF_PACKET);
		break;
	case 11:	/* unknown attribute in the nest */
		put_ident(r, id, F_ALL);
		mnl_attr_put_u32(r->nlh, XFRM_HA_SA_A_MAX + 1, 1);
		break;
	case 12:	/* read-only attribute */
		put_ident(r, id, F_ALL);
		mnl_attr_put(r->nlh, XFRM_HA_SA_A_SADDR, 4, id->daddr);
		break;
	case 13:	/* SPI of the wrong size */
		put_ident(r, id, F_FAMILY | F_DADDR | F_PROTO);
		mnl_attr_put_u16(r->nlh, XFRM_HA_SA_A_SPI, 0x100);
		break;
	case 14:	/* 32-bit oseq */
		put_ident(r, id, F_ALL);
		mnl_attr_put_u32(r->nlh, XFRM_HA_SA_A_OSEQ, 500);
		req_nest_end(r);
		return "u32 oseq";
	case 15:	/* unknown attribute at the top level */
		put_ident(r, id, F_ALL);
		mnl_attr_put_u64(r->nlh, XFRM_HA_SA_A_OSEQ, 500);
		req_nest_end(r);
		mnl_attr_put_u32(r->nlh, XFRM_HA_A_MAX + 1, 1);
		return "unknown top-level attribute";
	case 16:	/* config in an SA request */
		put_ident(r, id, F_ALL);
		mnl_attr_put_u64(r->nlh, XFRM_HA_SA_A_OSEQ, 500);
		req_nest_end(r);
		req_nest(r, XFRM_HA_A_CONFIG);
		mnl_attr_put_u32(r->nlh, XFRM_HA_CFG_A_SYNC_PACKETS, 1);
		req_nest_end(r);
		return "config attribute in an SA request";
	case 17:	/* trailing bytes that are no attribute */
		put_ident(r, id, F_ALL);
		mnl_attr_put_u64(r->nlh, XFRM_HA_SA_A_OSEQ, 500);
		req_nest_end(r);
		r->nlh->nlmsg_len += 2;
		return "trailing data";
	case 18:	/* nothing to set */
		put_ident(r, id, F_ALL);
		req_nest_end(r);
		return "no counter";
	case 19:	/* SA nest without NLA_F_NESTED */
		put_ident(r, id, F_ALL);
		mnl_attr_put_u64(r->nlh, XFRM_HA_SA_A_OSEQ, 500);
		req_nest_end(r);
		r->nest->nla_type &= ~NLA_F_NESTED;
		return "nest without NLA_F_NESTED";
	default:
		return NULL;
	}
	mnl_attr_put_u64(r->nlh, XFRM_HA_SA_A_OSEQ, 500);
	req_nest_end(r);
	switch (i) {
	case 1: return "missing family";
	case 2: return "missing daddr";
	case 3: return "missing spi";
	case 4: return "missing proto";
	case 5: return "AF_INET with a 16-byte daddr";
	case 6: return "AF_INET6 with a 4-byte daddr";
	case 7: return "5-byte daddr";
	case 8: return "proto UDP";
	case 9: return "proto IPComp";
	case 10: return "family AF_PACKET";
	case 11: return "unknown SA attribute";
	case 12: return "read-only saddr";
	case 13: return "u16 spi";
	}
	return "?";
}

T(sa_policy_rejected)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct xha_stats st0, st;
	const char *name;
	struct req r;
	int i, miss, n = 0;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, stats_get(self->nl, &st0));

	for (i = 0; (name = bad_sa_req(i, &r, self->nl, &id, &miss)); i++) {
		const char *msg;
		int err = xha_nl_request(self->nl, r.nlh, NULL, NULL);

		n++;
		EXPECT_EQ(-EINVAL, err) TH_LOG("%s: got %d (%s)", name, err, xha_nl_error(self->nl));
		msg = xha_nl_ext_msg(self->nl);
		if (miss >= 0) {
			EXPECT_TRUE((msg && *msg) || xha_nl_ext_missing(self->nl) == miss)
				TH_LOG("%s: neither a message nor the missing attribute (got %d)",
				       name, xha_nl_ext_missing(self->nl));
		} else {
			EXPECT_TRUE(msg && *msg) TH_LOG("%s: no extack message", name);
		}
		TH_LOG("%s: %s", name, xha_nl_error(self->nl));

		ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
		EXPECT_EQ(0, sa.oseq) TH_LOG("%s changed the SA", name);
	}
	ASSERT_EQ(20, n);
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(st0.writes, st.writes);

	/* The same malformed identities are refused by SA_GET. */
	for (i = 1; i <= 13; i++) {
		bad_sa_req(i, &r, self->nl, &id, &miss);
		((struct genlmsghdr *)mnl_nlmsg_get_payload(r.nlh))->cmd = XFRM_HA_CMD_SA_GET;
		EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL)) TH_LOG("get %d", i);
	}
}

static int count_cb(const struct xha_sa *sa, void *arg)
{
	(void)sa;
	(*(int *)arg)++;
	return 0;
}

/*
 * WRITES_REFUSED counts the SA_SET requests the module refused; those that
 * fail the attribute policy never reach it and are not counted. The
 * identity checks the module makes itself (missing attribute, family,
 * address length, proto) are not named either way: no double counting.
 */
T(stats_writes_refused)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), other;
	struct xha_stats st0, st;
	struct req r;
	uint64_t v;
	int i, miss;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	v = 100;
	ASSERT_EQ(0, set_counters(self->nl, &id, &v, &v));

	for (i = 0; bad_sa_req(i, &r, self->nl, &id, &miss); i++) {
		const char *name = bad_sa_req(i, &r, self->nl, &id, &miss);
		uint64_t want;

		ASSERT_EQ(0, stats_get(self->nl, &st0));
		EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
		ASSERT_EQ(0, stats_get(self->nl, &st));
		EXPECT_EQ(st0.writes, st.writes);
		if (i >= 11 && i != 18) {	/* policy: never reaches the module */
			want = st0.writes_refused;
		} else if (i == 18) {		/* nothing to set */
			want = st0.writes_refused + 1;
		} else {			/* not named: 0 or 1 */
			EXPECT_GE(st0.writes_refused + 1, st.writes_refused) TH_LOG("%s", name);
			TH_LOG("%s: %scounted", name,
			       st.writes_refused == st0.writes_refused ? "not " : "");
			continue;
		}
		EXPECT_EQ(want, st.writes_refused) TH_LOG("%s", name);
	}

	/* Unknown SA, lowering, value too wide: counted, one each. */
	ASSERT_EQ(0, stats_get(self->nl, &st0));
	other = mkid("10.0.0.1", 0x999, IPPROTO_ESP, 0, 0);
	v = 500;
	EXPECT_EQ(-ENOENT, set_counters(self->nl, &other, &v, NULL));
	v = 5;
	EXPECT_EQ(-ERANGE, set_counters(self->nl, &id, &v, NULL));
	v = 1ULL << 32;
	EXPECT_EQ(-EINVAL, set_counters(self->nl, &id, NULL, &v));
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(st0.writes_refused + 3, st.writes_refused);
	EXPECT_EQ(st0.writes, st.writes);
}

/* Privileges ------------------------------------------------------------- */

/* In a child without CAP_NET_ADMIN: every command and the group -> -EPERM. */
static int unprivileged_checks(const struct xha_sa *id)
{
	struct xha_config cfg = { .sync_packets = 1,
				  .has = XHA_CFG_HAS_SYNC_PACKETS };
	struct xha_stats st;
	struct xha_sa sa = *id, out;
	struct xha_nl *nl;
	char err[256];
	int ret, fails = 0, n = 0;

	nl = xha_nl_open(err, sizeof(err));
	if (!nl) {
		fprintf(stderr, "# unprivileged open failed: %s\n", err);
		return 1;
	}
#define CHECK(what, call) do {						\
		ret = (call);						\
		if (ret != -EPERM) {					\
			fprintf(stderr, "# unprivileged %s: %d, want -EPERM\n", \
				what, ret);				\
			fails++;					\
		}							\
	} while (0)
	CHECK("sa get", xha_nl_sa_get(nl, id, &out));
	CHECK("sa dump", xha_nl_sa_dump(nl, count_cb, &n));
	sa.oseq = 1000;
	sa.has = XHA_SA_HAS_OSEQ;
	CHECK("sa set", xha_nl_sa_set(nl, &sa));
	CHECK("config get", xha_nl_config_get(nl, &cfg, &st));
	CHECK("config set", xha_nl_config_set(nl, &cfg));
	CHECK("subscribe", xha_nl_subscribe(nl));
#undef CHECK
	xha_nl_close(nl);
	return fails ? 1 : 0;
}

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return -1;
	return 0;
}

/* Stay uid 0 but lose CAP_NET_ADMIN from every set. */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].inheritable &= ~(1u << (CAP_NET_ADMIN % 32));
	return (int)syscall(SYS_capset, &hdr, data);
}

static int in_child(int (*drop)(void), const struct xha_sa *id)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (drop()) {
			fprintf(stderr, "# dropping privileges: %s\n",
				strerror(errno));
			_exit(2);
		}
		_exit(unprivileged_checks(id));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

T(unprivileged)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct xha_config cfg;
	uint64_t o = 10;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, set_counters(self->nl, &id, &o, NULL));

	EXPECT_EQ(0, in_child(drop_to_nobody, &id));
	EXPECT_EQ(0, in_child(drop_net_admin, &id));

	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(10, sa.oseq);
	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, NULL));
	EXPECT_EQ(XFRM_HA_SYNC_PACKETS_DEFAULT, cfg.sync_packets);
}

/* Network namespaces ----------------------------------------------------- */

T(netns_isolation)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0), sa;
	struct xha_config cfg = { .sync_packets = 9,
				  .has = XHA_CFG_HAS_SYNC_PACKETS };
	struct xha_nl *nlb;
	int b, n = 0;
	uint64_t o;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 replay-oseq 3 " ESP_KEY));
	b = ns_new(self->self_ns);
	ASSERT_LE(0, b);
	nlb = open_in(b, self->self_ns);
	ASSERT_NE(NULL, nlb);

	/* A's SA does not exist from B. */
	EXPECT_EQ(-ENOENT, xha_nl_sa_get(nlb, &id, &sa));
	o = 50;
	EXPECT_EQ(-ENOENT, set_counters(nlb, &id, &o, NULL));
	EXPECT_EQ(0, xha_nl_sa_dump(nlb, count_cb, &n));
	EXPECT_EQ(0, n);

	/* B's SA of the same name is another SA. */
	ASSERT_EQ(0, setns(b, CLONE_NEWNET));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 replay-oseq 7 " ESP_KEY));
	ASSERT_EQ(0, setns(self->self_ns, CLONE_NEWNET));
	ASSERT_EQ(0, xha_nl_sa_get(nlb, &id, &sa));
	EXPECT_EQ(7, sa.oseq);
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(3, sa.oseq);
	o = 50;
	ASSERT_EQ(0, set_counters(nlb, &id, &o, NULL));
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &sa));
	EXPECT_EQ(3, sa.oseq);
	ASSERT_EQ(0, xha_nl_sa_get(nlb, &id, &sa));
	EXPECT_EQ(50, sa.oseq);

	/* Configuration and statistics are per namespace. */
	ASSERT_EQ(0, xha_nl_config_set(nlb, &cfg));
	{
		struct xha_config ca, cb;
		struct xha_stats sa_st, sb_st;

		ASSERT_EQ(0, xha_nl_config_get(self->nl, &ca, &sa_st));
		ASSERT_EQ(0, xha_nl_config_get(nlb, &cb, &sb_st));
		EXPECT_EQ(XFRM_HA_SYNC_PACKETS_DEFAULT, ca.sync_packets);
		EXPECT_EQ(9, cb.sync_packets);
		EXPECT_EQ(0, sa_st.writes);
		EXPECT_EQ(1, sb_st.writes);
		EXPECT_EQ(0, sa_st.writes_refused);
		EXPECT_EQ(1, sb_st.writes_refused);
	}
	xha_nl_close(nlb);
	close(b);
}

/* Notifications ---------------------------------------------------------- */

static int ignore_sa(const struct xha_sa *sa, void *arg)
{
	(void)sa;
	(void)arg;
	return 0;
}

/*
 * A listener as the uapi header asks for one: join the group, then dump
 * (which also arms the module's scan of this namespace and kicks it at
 * once). rcvbuf, if not 0, is set before the dump.
 */
static struct xha_nl *subscribed_rcvbuf(int rcvbuf)
{
	struct xha_nl *nl, *req;
	char err[256];

	nl = xha_nl_open(err, sizeof(err));
	req = xha_nl_open(err, sizeof(err));
	if (!nl || !req) {
		fprintf(stderr, "# xha_nl_open: %s\n", err);
		goto fail;
	}
	if (xha_nl_subscribe(nl)) {
		fprintf(stderr, "# subscribe: %s\n", xha_nl_error(nl));
		goto fail;
	}
	if (rcvbuf && setsockopt(xha_nl_fd(nl), SOL_SOCKET, SO_RCVBUF,
				 &rcvbuf, sizeof(rcvbuf))) {
		perror("# SO_RCVBUF");
		goto fail;
	}
	if (xha_nl_sa_dump(req, ignore_sa, NULL)) {
		fprintf(stderr, "# dump: %s\n", xha_nl_error(req));
		goto fail;
	}
	xha_nl_close(req);
	return nl;
fail:
	if (nl)
		xha_nl_close(nl);
	if (req)
		xha_nl_close(req);
	return NULL;
}

static struct xha_nl *subscribed(void)
{
	return subscribed_rcvbuf(0);
}

static bool has_n_records(const struct rec_log *log, const void *arg)
{
	return log->n >= *(const int *)arg;
}

/*
 * A new SA is announced (ADDED), with everything, exactly once; one at 0/0
 * too, as a lifecycle record.
 */
T(notify_content)
{
	struct xha_sa id = mkid("2001:db8::1", 0xc001, IPPROTO_ESP, 0x42, 9);
	struct xha_nl *mc = subscribed();
	struct rec_log *log = calloc(1, sizeof(*log));
	const struct xha_sa *rec;
	uint8_t src[16];
	int two = 2;

	ASSERT_NE(NULL, mc);
	ASSERT_NE(NULL, log);
	ASSERT_EQ(0, run("ip xfrm state add src 2001:db8::2 dst 2001:db8::1 proto esp spi 0xc001 mark 0x42 if_id 9 flag esn replay-window 128 "
			 "replay-oseq-hi 3 replay-oseq 9 replay-seq-hi 2 replay-seq 4 " ESP_KEY));
	/* An SA at 0/0 has nothing to publish. */
	ASSERT_EQ(0, run("ip xfrm state add src 2001:db8::2 dst 2001:db8::1 proto esp spi 0xc002 flag esn replay-window 128 " ESP_KEY));

	EXPECT_EQ(0, recv_until(mc, log, 5000, has_n_records, &two));
	/* Nothing else comes. */
	EXPECT_EQ(-ETIMEDOUT, recv_until(mc, log, 500, NULL, NULL));
	ASSERT_EQ(2, log->n);
	rec = last_rec(log, &id);
	ASSERT_NE(NULL, rec);
	EXPECT_EQ(XFRM_HA_EVENT_ADDED, rec->event);
	EXPECT_EQ(XFRM_HA_EVENT_ADDED, log->v[rec == &log->v[0]].event);
	EXPECT_EQ(0, log->v[rec == &log->v[0]].oseq);
	EXPECT_EQ(XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_SADDR |
		  XHA_SA_HAS_REPLAY | XHA_SA_HAS_LIFETIME | XHA_SA_HAS_BITMAP,
		  rec->has);
	EXPECT_EQ(0x300000009ULL, rec->oseq);
	EXPECT_EQ(0x200000004ULL, rec->seq);
	EXPECT_EQ(XFRM_HA_REPLAY_ESN, rec->replay_mode);
	EXPECT_EQ(128, rec->replay_window);
	EXPECT_EQ(0x42, rec->mark);
	EXPECT_EQ(9, rec->if_id);
	inet_pton(AF_INET6, "2001:db8::2", src);
	EXPECT_EQ(0, memcmp(src, rec->saddr, 16));
	free(log);
	xha_nl_close(mc);
}

/* Writes set the baseline: they are not echoed to listeners. */
T(notify_no_echo)
{
	struct xha_sa id = mkid("10.0.0.1", 0x100, IPPROTO_ESP, 0, 0);
	struct xha_config cfg = {
		.sync_packets = 1, .scan_interval_ms = 10,
		.has = XHA_CFG_HAS_SYNC_PACKETS | XHA_CFG_HAS_SCAN_INTERVAL_MS,
	};
	struct xha_nl *mc = subscribed();
	struct rec_log *log = calloc(1, sizeof(*log));
	struct xha_stats st0, st;
	uint64_t o = 1000, s = 2000;
	int one = 1;

	ASSERT_NE(NULL, mc);
	ASSERT_NE(NULL, log);
	ASSERT_EQ(0, xha_nl_config_set(self->nl, &cfg));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x100 replay-window 32 " ESP_KEY));
	/* The SA is announced, then a few scans see it at 0/0. */
	EXPECT_EQ(0, recv_until(mc, log, 2000, has_n_records, &one));
	usleep(300 * 1000);
	ASSERT_EQ(0, stats_get(self->nl, &st0));
	EXPECT_LE(1, st0.scans);
	EXPECT_EQ(1, st0.sas);
	EXPECT_EQ(1, st0.records);

	ASSERT_EQ(0, set_counters(self->nl, &id, &o, &s));
	EXPECT_EQ(-ETIMEDOUT, recv_until(mc, log, 1000, NULL, NULL));
	EXPECT_EQ(1, log->n);
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_LT(st0.scans, st.scans);
	EXPECT_EQ(1, st.records);
	free(log);
	xha_nl_close(mc);
}

/* Many SAs due in one scan: few messages, each SA once. */
T(notify_batching)
{
	enum { N = 120 };
	struct xha_nl *mc;
	struct rec_log *log = calloc(1, sizeof(*log));
	struct xha_stats st;
	char *batch = malloc(N * 200), *p = batch;
	int i, n = N;
	bool seen[N] = { false };

	ASSERT_NE(NULL, log);
	ASSERT_NE(NULL, batch);
	/* No listener yet: nothing is scanned while they are created. */
	for (i = 0; i < N; i++)
		p += sprintf(p, "xfrm state add src 10.9.0.1 dst 10.3.0.%d proto esp spi %d replay-window 32 replay-oseq 10 replay-seq %d %s\n",
			     i + 1, 0x2000 + i, i + 5, ESP_KEY);
	ASSERT_EQ(0, ip_batch(batch));
	free(batch);

	mc = subscribed();
	ASSERT_NE(NULL, mc);
	EXPECT_EQ(0, recv_until(mc, log, 10000, has_n_records, &n));
	EXPECT_EQ(-ETIMEDOUT, recv_until(mc, log, 500, NULL, NULL));
	ASSERT_EQ(N, log->n);
	for (i = 0; i < log->n; i++) {
		int k = (int)ntohl(log->v[i].spi) - 0x2000;

		ASSERT_TRUE(k >= 0 && k < N);
		EXPECT_FALSE(seen[k]) TH_LOG("SA %d published twice", k);
		seen[k] = true;
		EXPECT_EQ(10, log->v[i].oseq);
		EXPECT_EQ((uint64_t)k + 5, log->v[i].seq);
	}
	/* ~130 bytes a record, NLMSG_GOODSIZE a message. */
	TH_LOG("%d records in %d messages of %zd to %zd bytes", log->n,
	       log->msgs, log->min_msg, log->max_msg);
	EXPECT_LE(log->msgs * 10, log->n);
	/* "up to 8 KiB, more if the allocator rounds up: [...] 32 KiB" */
	EXPECT_GE(32768, log->max_msg);
	/* As few messages as possible: every one but the last is full. */
	EXPECT_EQ((N + log->max_recs - 1) / log->max_recs, log->msgs);

	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(N, st.records);
	EXPECT_EQ(log->msgs, st.batches);
	EXPECT_EQ(N, st.sas);
	EXPECT_EQ(0, st.send_errors);
	EXPECT_LE(1, st.scans);
	free(log);
	xha_nl_close(mc);
}

/* A listener that does not keep up sees ENOBUFS; the module counts it. */
T(notify_enobufs)
{
	enum { N = 300 };
	struct xha_nl *mc;
	struct rec_log *log = calloc(1, sizeof(*log));
	struct xha_stats st;
	char *batch = malloc(N * 200), *p = batch;
	int i, tiny = 1;
	long end;

	ASSERT_NE(NULL, log);
	ASSERT_NE(NULL, batch);
	for (i = 0; i < N; i++)
		p += sprintf(p, "xfrm state add src 10.9.0.1 dst 10.4.%d.%d proto esp spi %d replay-window 32 replay-oseq 10 %s\n",
			     i / 200, i % 200 + 1, 0x3000 + i, ESP_KEY);
	ASSERT_EQ(0, ip_batch(batch));
	free(batch);

	mc = subscribed_rcvbuf(tiny);
	ASSERT_NE(NULL, mc);
	/* Do not read until the scan has published everything. */
	end = now_ms() + 10000;
	do {
		usleep(100 * 1000);
		ASSERT_EQ(0, stats_get(self->nl, &st));
	} while (st.records < N && now_ms() < end);
	EXPECT_EQ(N, st.records);
	EXPECT_LT(0, st.send_errors);

	recv_until(mc, log, 300, NULL, NULL);
	EXPECT_LE(1, log->enobufs);
	EXPECT_GT(N, log->n);
	free(log);
	xha_nl_close(mc);
}

struct traffic_want {
	struct xha_sa out, in;
	uint64_t oseq, seq;
};

static bool traffic_done(const struct rec_log *log, const void *arg)
{
	const struct traffic_want *w = arg;
	const struct xha_sa *o = last_rec(log, &w->out);
	const struct xha_sa *i = last_rec(log, &w->in);

	return o && i && o->oseq == w->oseq && i->seq == w->seq;
}

/*
 * The honest way: ESP between two namespaces over veth, a ping, and the
 * records that follow. A third namespace listens and hears nothing.
 */
T(notify_traffic)
{
	struct xha_config cfg = {
		.sync_packets = 1, .scan_interval_ms = 10,
		.has = XHA_CFG_HAS_SYNC_PACKETS | XHA_CFG_HAS_SCAN_INTERVAL_MS,
	};
	struct traffic_want w = {
		.out = mkid("10.99.0.2", 0xa1, IPPROTO_ESP, 0, 0),
		.in = mkid("10.99.0.1", 0xb1, IPPROTO_ESP, 0, 0),
	};
	static const char *const sas =
		"xfrm state add src 10.99.0.1 dst 10.99.0.2 proto esp spi 0xa1 replay-window 32 " ESP_KEY "\n"
		"xfrm state add src 10.99.0.2 dst 10.99.0.1 proto esp spi 0xb1 replay-window 32 " ESP_KEY "\n";
	struct rec_log *log = calloc(1, sizeof(*log)), *clog = calloc(1, sizeof(*clog));
	struct xha_nl *mc, *mcc;
	struct xha_sa sa;
	int b, c, i;
	uint64_t prev_o = 0, prev_s = 0;

	ASSERT_NE(NULL, log);
	ASSERT_NE(NULL, clog);
	b = ns_new(self->self_ns);
	c = ns_new(self->self_ns);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);

	/* A = 10.99.0.1, B = 10.99.0.2; the same two SAs on both sides. */
	ASSERT_EQ(0, run("ip link add xha-a type veth peer name xha-b"));
	ASSERT_EQ(0, run("ip link set xha-b netns /proc/%d/fd/%d", getpid(), b));
	ASSERT_EQ(0, run("ip addr add 10.99.0.1/24 dev xha-a && ip link set xha-a up"));
	ASSERT_EQ(0, ip_batch(sas));
	ASSERT_EQ(0, run("ip xfrm policy add src 10.99.0.1/32 dst 10.99.0.2/32 dir out tmpl src 10.99.0.1 dst 10.99.0.2 proto esp mode transport"));
	ASSERT_EQ(0, run("ip xfrm policy add src 10.99.0.2/32 dst 10.99.0.1/32 dir in tmpl src 10.99.0.2 dst 10.99.0.1 proto esp mode transport"));
	ASSERT_EQ(0, setns(b, CLONE_NEWNET));
	ASSERT_EQ(0, run("ip addr add 10.99.0.2/24 dev xha-b && ip link set xha-b up"));
	ASSERT_EQ(0, ip_batch(sas));
	ASSERT_EQ(0, run("ip xfrm policy add src 10.99.0.2/32 dst 10.99.0.1/32 dir out tmpl src 10.99.0.2 dst 10.99.0.1 proto esp mode transport"));
	ASSERT_EQ(0, run("ip xfrm policy add src 10.99.0.1/32 dst 10.99.0.2/32 dir in tmpl src 10.99.0.1 dst 10.99.0.2 proto esp mode transport"));
	ASSERT_EQ(0, setns(c, CLONE_NEWNET));
	mcc = subscribed();
	ASSERT_NE(NULL, mcc);
	ASSERT_EQ(0, setns(self->self_ns, CLONE_NEWNET));

	ASSERT_EQ(0, xha_nl_config_set(self->nl, &cfg));
	mc = subscribed();
	ASSERT_NE(NULL, mc);

	ASSERT_EQ(0, run("ping -q -c 5 -i 0.2 -W 5 10.99.0.2 >/dev/null"));

	/* The kernel's own counters are the truth the records must reach. */
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &w.out, &sa));
	EXPECT_EQ(5, sa.oseq);
	EXPECT_EQ(5, sa.packets);
	w.oseq = sa.oseq;
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &w.in, &sa));
	EXPECT_EQ(5, sa.seq);
	w.seq = sa.seq;

	EXPECT_EQ(0, recv_until(mc, log, 5000, traffic_done, &w))
		TH_LOG("%d records, none with oseq %" PRIu64 " / seq %" PRIu64,
		       log->n, w.oseq, w.seq);
	for (i = 0; i < log->n; i++) {
		const struct xha_sa *r = &log->v[i];

		ASSERT_TRUE(xha_sa_same_id(r, &w.out) || xha_sa_same_id(r, &w.in));
		EXPECT_EQ(XFRM_HA_REPLAY_LEGACY, r->replay_mode);
		if (xha_sa_same_id(r, &w.out)) {
			EXPECT_LE(prev_o, r->oseq);
			EXPECT_EQ(0, r->seq);
			EXPECT_EQ(r->oseq, r->packets);
			prev_o = r->oseq;
		} else {
			EXPECT_LE(prev_s, r->seq);
			EXPECT_EQ(0, r->oseq);
			prev_s = r->seq;
		}
	}
	EXPECT_EQ(5, last_rec(log, &w.out) ? last_rec(log, &w.out)->packets : 0);

	/* Neither B (no listener) nor C (no SAs) leaks into the other. */
	EXPECT_EQ(-ETIMEDOUT, recv_until(mcc, clog, 500, NULL, NULL));
	EXPECT_EQ(0, clog->n);

	xha_nl_close(mcc);
	xha_nl_close(mc);
	free(log);
	free(clog);
	close(b);
	close(c);
}

/* The CLI ---------------------------------------------------------------- */

static void ha_ike_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		n = 0;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%s/../tools/ha-ike", self);
}

/* Lifecycle ------------------------------------------------------------ */

static bool has_event(const struct rec_log *log, const void *arg)
{
	int i;

	for (i = 0; i < log->n; i++)
		if (log->v[i].event == *(const uint8_t *)arg)
			return true;
	return false;
}

/* Added, updated in place, deleted and flushed: all on the one group. */
T(notify_lifecycle)
{
	struct xha_sa id = mkid("10.0.0.1", 0x500, IPPROTO_ESP, 0, 0);
	struct xha_nl *mc = subscribed();
	struct rec_log *log = calloc(1, sizeof(*log));
	uint8_t ev;
	uint64_t v = 77;
	int i, n;

	ASSERT_NE(NULL, mc);
	ASSERT_NE(NULL, log);
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x500 replay-window 32 " ESP_KEY));
	ev = XFRM_HA_EVENT_ADDED;
	EXPECT_EQ(0, recv_until(mc, log, 3000, has_event, &ev));
	ASSERT_EQ(0, set_counters(self->nl, &id, &v, &v));
	ASSERT_EQ(0, run("ip xfrm state update src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x500 replay-window 32 " ESP_KEY " limit packet-soft 1000000"));
	ev = XFRM_HA_EVENT_REPLACED;
	EXPECT_EQ(0, recv_until(mc, log, 3000, has_event, &ev));
	ASSERT_EQ(0, run("ip xfrm state del src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x500"));
	ev = XFRM_HA_EVENT_DELETED;
	EXPECT_EQ(0, recv_until(mc, log, 3000, has_event, &ev));
	/* The deleted record carries the final counters. */
	ASSERT_LE(1, log->n);
	EXPECT_EQ(XFRM_HA_EVENT_DELETED, log->v[log->n - 1].event);
	EXPECT_EQ(77, log->v[log->n - 1].oseq);
	EXPECT_TRUE(xha_sa_same_id(&log->v[log->n - 1], &id));

	/* A flush names no SA: each one still gets its record. */
	log->n = 0;
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.1.%d proto esp spi 0x600 replay-window 32 " ESP_KEY, i + 1));
	n = 5;
	EXPECT_EQ(0, recv_until(mc, log, 3000, has_n_records, &n));
	ASSERT_EQ(0, run("ip xfrm state flush"));
	n = 10;
	EXPECT_EQ(0, recv_until(mc, log, 3000, has_n_records, &n));
	for (i = 0; i < log->n; i++)
		EXPECT_EQ(i < 5 ? XFRM_HA_EVENT_ADDED : XFRM_HA_EVENT_DELETED,
			  log->v[i].event);
	free(log);
	xha_nl_close(mc);
}

/*
 * Membership is per protocol: a listener in another namespace keeps
 * genl_has_listeners() true everywhere. A namespace whose own listener
 * left must still stop being watched, and drop what it holds: the idle
 * probe finds out within 10 s.
 */
T(idle_probe_disarms)
{
	struct xha_nl *mc, *other = NULL;
	struct xha_stats st;
	uint64_t s1;
	char err[256];
	int fd, i;

	ASSERT_EQ(0, run("ip netns add xha-probe-other"));
	fd = open("/var/run/netns/xha-probe-other", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setns(fd, CLONE_NEWNET));
	other = xha_nl_open(err, sizeof(err));
	ASSERT_EQ(0, setns(self->self_ns, CLONE_NEWNET));
	close(fd);
	ASSERT_NE(NULL, other) TH_LOG("%s", err);
	ASSERT_EQ(0, xha_nl_subscribe(other));

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x800 replay-window 32 " ESP_KEY));
	mc = subscribed();
	ASSERT_NE(NULL, mc);
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, stats_get(self->nl, &st));
		if (st.sas == 1)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(1, st.sas);
	xha_nl_close(mc);
	for (i = 0; i < 150; i++) {
		ASSERT_EQ(0, stats_get(self->nl, &st));
		if (!st.sas)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(0, st.sas) TH_LOG("still watched %d ms after the listener left", i * 100);
	s1 = st.scans;
	usleep(500 * 1000);
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(s1, st.scans);
	xha_nl_close(other);
	run("ip netns del xha-probe-other");
}

/* Bulk writes ------------------------------------------------------------ */

/* One request, many records, a result each; a bad one spoils nothing. */
T(sa_set_batch)
{
	struct xha_sa sa[4], got;
	struct xha_nl_result res[4];
	struct xha_stats st;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi %d replay-window 32 " ESP_KEY, 0x700 + i));
	for (i = 0; i < 4; i++) {
		sa[i] = mkid("10.0.0.1", 0x700 + i, IPPROTO_ESP, 0, 0);
		sa[i].oseq = 100 + i;
		sa[i].has = XHA_SA_HAS_OSEQ;
	}
	/* Record 3 names no SA. */
	ASSERT_EQ(0, xha_nl_sa_set_batch(self->nl, sa, 4, res)) TH_LOG("%s", xha_nl_error(self->nl));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, res[i].err) TH_LOG("record %d: %s", i, res[i].msg);
	EXPECT_EQ(-ENOENT, res[3].err);
	EXPECT_TRUE(strstr(res[3].msg, "no such SA") != NULL) TH_LOG("%s", res[3].msg);
	/* Record 1 would lower its counter: refused alone. */
	sa[1].oseq = 50;
	sa[0].oseq = 200;
	ASSERT_EQ(0, xha_nl_sa_set_batch(self->nl, sa, 3, res));
	EXPECT_EQ(0, res[0].err);
	EXPECT_EQ(-ERANGE, res[1].err);
	EXPECT_EQ(0, res[2].err);
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &sa[0], &got));
	EXPECT_EQ(200, got.oseq);
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &sa[1], &got));
	EXPECT_EQ(101, got.oseq);
	ASSERT_EQ(0, stats_get(self->nl, &st));
	EXPECT_EQ(5, st.writes);
	EXPECT_EQ(2, st.writes_refused);
}

/* A batch that is malformed as a whole is refused whole. */
T(sa_set_batch_malformed)
{
	struct xha_sa id = mkid("10.0.0.1", 0x710, IPPROTO_ESP, 0, 0);
	struct xha_sa got;
	struct req r;
	struct nlattr *batch, *nest;
	const char *msg;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x710 replay-window 32 " ESP_KEY));
	/* A record, then something that is not XFRM_HA_A_SA. */
	req_start(&r, self->nl, XFRM_HA_CMD_SA_SET);
	batch = mnl_attr_nest_start(r.nlh, XFRM_HA_A_BATCH);
	batch->nla_type |= NLA_F_NESTED;
	r.nest = mnl_attr_nest_start(r.nlh, XFRM_HA_A_SA);
	r.nest->nla_type |= NLA_F_NESTED;
	put_ident(&r, &id, F_ALL);
	mnl_attr_put_u64(r.nlh, XFRM_HA_SA_A_OSEQ, 5);
	req_nest_end(&r);
	nest = mnl_attr_nest_start(r.nlh, XFRM_HA_A_CONFIG);
	mnl_attr_nest_end(r.nlh, nest);
	mnl_attr_nest_end(r.nlh, batch);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
	msg = xha_nl_ext_msg(self->nl);
	EXPECT_TRUE(msg && strstr(msg, "batch")) TH_LOG("%s", msg ? msg : "(none)");
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &got));
	EXPECT_EQ(0, got.oseq);

	/* An empty batch. */
	req_start(&r, self->nl, XFRM_HA_CMD_SA_SET);
	batch = mnl_attr_nest_start(r.nlh, XFRM_HA_A_BATCH);
	batch->nla_type |= NLA_F_NESTED;
	mnl_attr_nest_end(r.nlh, batch);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
	EXPECT_TRUE(xha_nl_ext_msg(self->nl) != NULL);
}

/* The policies would take the last of two: both are refused instead. */
T(duplicates_rejected)
{
	struct xha_sa id = mkid("10.0.0.1", 0x720, IPPROTO_ESP, 0, 0);
	struct xha_sa other = mkid("10.0.0.1", 0x721, IPPROTO_ESP, 0, 0);
	struct xha_sa got;
	struct req r;
	const char *msg;

	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x720 replay-window 32 " ESP_KEY));
	ASSERT_EQ(0, run("ip xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x721 replay-window 32 " ESP_KEY));

	/* Two XFRM_HA_A_SA nests in one SA_SET. */
	req_start(&r, self->nl, XFRM_HA_CMD_SA_SET);
	req_nest(&r, XFRM_HA_A_SA);
	put_ident(&r, &id, F_ALL);
	mnl_attr_put_u64(r.nlh, XFRM_HA_SA_A_OSEQ, 5);
	req_nest_end(&r);
	req_nest(&r, XFRM_HA_A_SA);
	put_ident(&r, &other, F_ALL);
	mnl_attr_put_u64(r.nlh, XFRM_HA_SA_A_OSEQ, 6);
	req_nest_end(&r);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
	msg = xha_nl_ext_msg(self->nl);
	EXPECT_TRUE(msg && strstr(msg, "twice")) TH_LOG("%s", msg ? msg : "(none)");

	/* OSEQ twice in one nest. */
	req_start(&r, self->nl, XFRM_HA_CMD_SA_SET);
	req_nest(&r, XFRM_HA_A_SA);
	put_ident(&r, &id, F_ALL);
	mnl_attr_put_u64(r.nlh, XFRM_HA_SA_A_OSEQ, 5);
	mnl_attr_put_u64(r.nlh, XFRM_HA_SA_A_OSEQ, 9);
	req_nest_end(&r);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));
	msg = xha_nl_ext_msg(self->nl);
	EXPECT_TRUE(msg && strstr(msg, "twice")) TH_LOG("%s", msg ? msg : "(none)");

	/* Twice in a config. */
	req_start(&r, self->nl, XFRM_HA_CMD_CONFIG_SET);
	req_nest(&r, XFRM_HA_A_CONFIG);
	mnl_attr_put_u32(r.nlh, XFRM_HA_CFG_A_SYNC_PACKETS, 5);
	mnl_attr_put_u32(r.nlh, XFRM_HA_CFG_A_SYNC_PACKETS, 6);
	req_nest_end(&r);
	EXPECT_EQ(-EINVAL, xha_nl_request(self->nl, r.nlh, NULL, NULL));

	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &id, &got));
	EXPECT_EQ(0, got.oseq);
	ASSERT_EQ(0, xha_nl_sa_get(self->nl, &other, &got));
	EXPECT_EQ(0, got.oseq);
}

/* Dumps ------------------------------------------------------------------ */

static long slab_xfrm_state(void)
{
	char out[256];
	long n;

	if (run("echo 1 > /sys/kernel/slab/xfrm_state/shrink") ||
	    capture(out, sizeof(out), "awk '$1 == \"xfrm_state\" { print $2 }' /proc/slabinfo"))
		return -1;
	n = strtol(out, NULL, 10);
	return n;
}

static int count_sa(const struct xha_sa *sa, void *arg)
{
	(void)sa;
	(*(int *)arg)++;
	return 0;
}

/*
 * A dump in progress holds no SA between two reads, and one that SAs came
 * or went during is flagged (NLM_F_DUMP_INTR).
 */
T(sa_dump_no_pin_and_torn)
{
	enum { N = 600 };
	char *batch = malloc(N * 200), *p = batch;
	struct xha_nl *d;
	char err[256];
	bool torn = false;
	long base, now;
	int i, ret, n = 0, small = 4096;

	ASSERT_NE(NULL, batch);
	base = slab_xfrm_state();
	ASSERT_LE(0, base);
	for (i = 0; i < N; i++)
		p += sprintf(p, "xfrm state add src 10.9.0.1 dst 10.5.%d.%d proto esp spi %d replay-window 32 %s\n",
			     i / 200, i % 200 + 1, 0x5000 + i, ESP_KEY);
	ASSERT_EQ(0, ip_batch(batch));
	free(batch);

	d = xha_nl_open(err, sizeof(err));
	ASSERT_NE(NULL, d);
	/* Small: the kernel fills the next datagram only once this one is read. */
	ASSERT_EQ(0, setsockopt(xha_nl_fd(d), SOL_SOCKET, SO_RCVBUF, &small,
				sizeof(small)));
	ASSERT_EQ(0, xha_nl_sa_dump_start(d));
	/* One datagram of the dump, then everything goes. */
	for (i = 0; i < 100 && !n; i++) {
		ret = xha_nl_sa_dump_step(d, count_sa, &n, &torn);
		ASSERT_LE(0, ret);
		if (!n)
			usleep(10 * 1000);
	}
	ASSERT_LT(0, n);
	ASSERT_GT(N, n);
	EXPECT_FALSE(torn);
	ASSERT_EQ(0, run("ip xfrm state flush"));
	for (i = 0; i < 50; i++) {
		now = slab_xfrm_state();
		if (now == base)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(base, now) TH_LOG("xfrm_state objects still held by the dump");
	/* The rest of the dump: nothing more, and flagged as torn. */
	for (i = 0; i < 200; i++) {
		ret = xha_nl_sa_dump_step(d, count_sa, &n, &torn);
		ASSERT_LE(0, ret);
		if (ret == 1)
			break;
		usleep(10 * 1000);
	}
	EXPECT_EQ(1, ret);
	EXPECT_TRUE(torn);
	EXPECT_GT(N, n);
	xha_nl_close(d);
}


T(cli)
{
	char ha[PATH_MAX + 32], out[4096], line[4096];
	struct xha_config cfg;

	ha_ike_path(ha, sizeof(ha));
	ASSERT_EQ(0, access(ha, X_OK)) TH_LOG("%s not built", ha);
	ASSERT_EQ(0, run("ip xfrm state add src 10.1.0.2 dst 10.1.0.1 proto esp spi 0x1234 replay-window 32 replay-oseq 5 " ESP_KEY));

	EXPECT_EQ(0, run("%s set sa dst 10.1.0.1 spi 0x1234 oseq 7", ha));
	EXPECT_EQ(0, capture(out, sizeof(out), "%s get sa dst 10.1.0.1 spi 4660 proto esp --json", ha));
	EXPECT_STREQ("{\"sa\":\"dst 10.1.0.1 spi 0x00001234 proto esp\",\"family\":\"inet\",\"daddr\":\"10.1.0.1\",\"saddr\":\"10.1.0.2\",\"spi\":\"0x00001234\",\"proto\":\"esp\","
		     "\"mark\":0,\"if_id\":0,\"oseq\":7,\"seq\":0,\"replay_mode\":\"legacy\",\"replay_window\":32,"
		     "\"bytes\":0,\"packets\":0}\n", out);
	EXPECT_EQ(0, capture(out, sizeof(out), "%s show sa --json", ha));
	EXPECT_STREQ("[{\"sa\":\"dst 10.1.0.1 spi 0x00001234 proto esp\",\"family\":\"inet\",\"daddr\":\"10.1.0.1\",\"saddr\":\"10.1.0.2\",\"spi\":\"0x00001234\",\"proto\":\"esp\","
		     "\"mark\":0,\"if_id\":0,\"oseq\":7,\"seq\":0,\"replay_mode\":\"legacy\",\"replay_window\":32,"
		     "\"bytes\":0,\"packets\":0}]\n", out);
	EXPECT_EQ(0, capture(out, sizeof(out), "%s show sa", ha));
	/* One line per SA, in the form set sa takes back. */
	EXPECT_STREQ("dst 10.1.0.1 spi 0x00001234 proto esp oseq 7 seq 0 bytes 0 packets 0\n", out);
	EXPECT_EQ(0, capture(out, sizeof(out), "%s get sa dst 10.1.0.1 spi 0x1234", ha));
	TH_LOG("get sa:\n%s", out);

	/* Lowering: exit 1 and the kernel's message. */
	EXPECT_EQ(1, capture(out, sizeof(out), "%s set sa dst 10.1.0.1 spi 0x1234 oseq 3 2>&1", ha));
	EXPECT_EQ(0, strncmp(out, "ha-ike: set sa: ", 16)) TH_LOG("%s", out);
	EXPECT_LT(18, strlen(out));
	EXPECT_EQ(1, capture(out, sizeof(out), "%s get sa dst 10.1.0.1 spi 0x9999 2>&1", ha));
	/* Usage errors: exit 2, nothing sent. */
	EXPECT_EQ(2, run("%s set sa dst 10.1.0.1 spi 0x12g4 oseq 9 2>/dev/null", ha));
	EXPECT_EQ(2, run("%s set sa dst 10.1.0.1 spi 0x1234 2>/dev/null", ha));
	EXPECT_EQ(2, run("%s set sa dst 10.1.0.300 spi 0x1234 oseq 9 2>/dev/null", ha));
	EXPECT_EQ(2, run("%s set config scan-interval-ms 0 2>/dev/null", ha));
	EXPECT_EQ(2, run("%s frobnicate 2>/dev/null", ha));
	EXPECT_EQ(0, run("%s help >/dev/null", ha));

	EXPECT_EQ(0, run("%s set config sync-period-packets 3 scan-interval-ms 50", ha));
	ASSERT_EQ(0, xha_nl_config_get(self->nl, &cfg, NULL));
	EXPECT_EQ(3, cfg.sync_packets);
	EXPECT_EQ(50, cfg.scan_interval_ms);
	EXPECT_EQ(0, capture(out, sizeof(out), "%s show stats --json", ha));
	{
		static const char head[] =
			"{\"config\":{\"sync_period_packets\":3,\"sync_period_time_ms\":10000,\"scan_interval_ms\":50,"
			"\"idle_interval_ms\":1000,\"oseq_wrap_margin\":16777216},\"stats\":{\"sas\":";

		EXPECT_EQ(0, strncmp(out, head, strlen(head))) TH_LOG("%s", out);
	}
	EXPECT_TRUE(strstr(out, "\"writes\":1,\"writes_refused\":1,\"entry_bytes\":") != NULL) TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ",\"swept\":0,\"oseq_clamped\":0,\"soft_expires\":0,\"hot\":") != NULL) TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ",\"lifecycle\":") && strstr(out, "}}\n")) TH_LOG("%s", out);

	/* Lifetimes and the window through the CLI. */
	EXPECT_EQ(0, run("%s set sa dst 10.1.0.1 spi 0x1234 seq 40 packets 99 bytes 4242", ha));
	EXPECT_EQ(0, capture(out, sizeof(out), "%s get sa dst 10.1.0.1 spi 0x1234 --json", ha));
	EXPECT_TRUE(strstr(out, "\"seq\":40,") && strstr(out, "\"bytes\":4242,\"packets\":99,\"window_seen\":1}")) TH_LOG("%s", out);
	EXPECT_EQ(2, run("%s set sa dst 10.1.0.1 spi 0x1234 packets -1 2>/dev/null", ha));
	/* show sa's line, fed back to set sa, is accepted (the same values). */
	EXPECT_EQ(0, capture(line, sizeof(line), "%s show sa", ha));
	line[strcspn(line, "\n")] = '\0';
	EXPECT_EQ(0, run("%s set sa %s", ha, line));
	EXPECT_EQ(0, capture(out, sizeof(out), "%s show stats", ha));
	TH_LOG("show stats:\n%s", out);
}

TEST_HARNESS_MAIN
