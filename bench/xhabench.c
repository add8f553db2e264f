// SPDX-License-Identifier: GPL-2.0
/*
 * xhabench: the listeners and probes of the xfrm-ha benchmarks.
 *
 *   xhabench ha-listen [-r READYFILE]
 *       Join the "seqnum" group of the xfrm_ha family and drain it. On
 *       SIGINT/SIGTERM prints "records=N msgs=M enobufs=E".
 *   xhabench ae-listen [-r READYFILE]
 *       Join XFRMNLGRP_AEVENTS on NETLINK_XFRM (as a key manager that wants
 *       replay events would) and drain it. On SIGINT/SIGTERM prints
 *       "msgs=N newae=A bytes=B enobufs=E".
 *   xhabench fresh ha|ae DST PORT SPI [-r PPS] [-d SECS] [-W WARM_MS] [-w WAIT_MS]
 *       Freshness under steady traffic: PPS datagrams per second (default
 *       200) to DST:PORT for WARM_MS (default 1500, not measured: an SA
 *       that was idle may be looked at less often until it moves) then
 *       SECS seconds (default 3); they must leave through the outbound SA
 *       with SPI, and nothing else may use it.
 *       Meanwhile it reads the records for that SA (ha: the xfrm_ha
 *       "seqnum" group; ae: XFRM_MSG_NEWAE on XFRMNLGRP_AEVENTS) and their
 *       OSEQ. Per packet: the time from its sendmsg() to the first record
 *       whose OSEQ covers it ("delay"); at every send: the packets sent
 *       but not yet covered by a record ("gap", in packets) and the age of
 *       the oldest of them ("age", ms). Prints "fresh n= ... delay_p50=
 *       delay_p99= delay_max= gap_p50= gap_p99= gap_max= age_p50= ...
 *       records= uncovered=" (ms, packets); exit 1 if no record came.
 *   xhabench bulk-write [-a ADD]
 *       Dump every SA of this namespace (xha_nl_sa_dump), then write all
 *       their counters back raised by ADD (default 1000): OSEQ and SEQ,
 *       XHA_BATCH_MAX SA_SET requests per sendmsg (xha_nl_sa_set_batch),
 *       as the agent's takeover and bulk apply do. Prints "bulkw sas=
 *       dump_ms= write_ms= ok= erange= errors="; exit 1 on any error or
 *       when no SA was written.
 *   xhabench stats
 *       The xfrm_ha statistics and configuration of this namespace, as
 *       key=value pairs on one line.
 *   xhabench set-interval MS
 *       Set scan-interval-ms of this namespace.
 *   xhabench config [-p SYNC_PACKETS] [-t SYNC_TIME_MS] [-i INTERVAL_MS] [-I IDLE_INTERVAL_MS]
 *       Set those of this namespace (any request arms its scan).
 *   xhabench wait-scans K [-t TIMEOUT_MS]
 *       Wait until K more complete scans were counted (polling the stats
 *       every 2 ms); exit 1 on timeout (default 60000 ms).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xha_nl.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: recv returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1e3);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1e3) * 1e6);
	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xhabench ha-listen [-r READYFILE]\n"
		"       xhabench ae-listen [-r READYFILE]\n"
		"       xhabench fresh ha|ae DST PORT SPI [-r PPS] [-d SECS] [-W WARM_MS] [-w WAIT_MS]\n"
		"       xhabench bulk-write [-a ADD]\n"
		"       xhabench stats\n"
		"       xhabench set-interval MS\n"
		"       xhabench config [-p SYNC_PACKETS] [-t SYNC_TIME_MS] [-i INTERVAL_MS] [-I IDLE_INTERVAL_MS]\n"
		"       xhabench wait-scans K [-t TIMEOUT_MS]\n");
	exit(2);
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < 0)
		usage();
	return v;
}

static void big_rcvbuf(int fd)
{
	int sz = 32 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static void ready(const char *file)
{
	FILE *f;

	if (!file)
		return;
	f = fopen(file, "w");
	if (f)
		fclose(f);
}

static struct xha_nl *open_xha(void)
{
	char err[256];
	struct xha_nl *nl = xha_nl_open(err, sizeof(err));

	if (!nl) {
		fprintf(stderr, "xhabench: %s\n", err);
		exit(1);
	}
	return nl;
}

/*
 * The module scans a namespace only after a request of the family was made
 * in it (uapi/linux/xfrm_ha.h: a listener must make one after joining). A
 * CONFIG_SET that changes nothing is the cheapest: no dump of every SA
 * into the measurement.
 */
static void arm_scan(void)
{
	struct xha_nl *req = open_xha();
	struct xha_config none = { 0 };

	if (xha_nl_config_set(req, &none)) {
		fprintf(stderr, "xhabench: arming the scan: %s\n",
			xha_nl_error(req));
		exit(1);
	}
	xha_nl_close(req);
}

static struct xha_nl *open_xha_listener(void)
{
	struct xha_nl *nl = open_xha();
	int err = xha_nl_subscribe(nl);

	if (err) {
		fprintf(stderr, "xhabench: subscribe: %s\n", xha_nl_error(nl));
		exit(1);
	}
	big_rcvbuf(xha_nl_fd(nl));
	arm_scan();
	return nl;
}

static int open_ae_listener(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, grp = XFRMNLGRP_AEVENTS;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp))) {
		perror("xhabench: NETLINK_XFRM AEVENTS");
		exit(1);
	}
	big_rcvbuf(fd);
	return fd;
}

/* ---------------------------------------------------------- listeners */

static int count_sa(const struct xha_sa *sa, void *arg)
{
	(void)sa;
	(*(unsigned long *)arg)++;
	return 0;
}

static int cmd_ha_listen(int argc, char **argv)
{
	unsigned long records = 0, msgs = 0, enobufs = 0;
	const char *readyfile = NULL;
	struct xha_nl *nl;
	int opt, err;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r')
			readyfile = optarg;
		else
			usage();
	}
	catch_signals();
	nl = open_xha_listener();
	ready(readyfile);
	while (!stop) {
		err = xha_nl_recv_notify(nl, count_sa, &records);
		if (err == -EINTR)
			continue;
		if (err == -ENOBUFS) {
			enobufs++;
			continue;
		}
		if (err) {
			fprintf(stderr, "xhabench: %s\n", xha_nl_error(nl));
			break;
		}
		msgs++;
	}
	printf("records=%lu msgs=%lu enobufs=%lu\n", records, msgs, enobufs);
	xha_nl_close(nl);
	return 0;
}

static int cmd_ae_listen(int argc, char **argv)
{
	static char buf[1 << 16];
	unsigned long msgs = 0, newae = 0, bytes = 0, enobufs = 0;
	const char *readyfile = NULL;
	int opt, fd;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r')
			readyfile = optarg;
		else
			usage();
	}
	catch_signals();
	fd = open_ae_listener();
	ready(readyfile);
	while (!stop) {
		const struct nlmsghdr *nlh;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				enobufs++;
				continue;
			}
			perror("xhabench: recv");
			break;
		}
		bytes += (unsigned long)n;
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			msgs++;
			if (nlh->nlmsg_type == XFRM_MSG_NEWAE)
				newae++;
		}
	}
	printf("msgs=%lu newae=%lu bytes=%lu enobufs=%lu\n", msgs, newae, bytes,
	       enobufs);
	close(fd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------ freshness */

struct oseq_match {
	uint32_t spi;		/* network byte order */
	int found;
	uint64_t oseq;		/* the highest OSEQ seen for spi */
};

static int match_oseq(const struct xha_sa *sa, void *arg)
{
	struct oseq_match *m = arg;

	if (sa->spi == m->spi && (sa->has & XHA_SA_HAS_OSEQ)) {
		if (!m->found || sa->oseq > m->oseq)
			m->oseq = sa->oseq;
		m->found = 1;
	}
	return 0;
}

static void ha_read_oseq(struct xha_nl *nl, struct oseq_match *m)
{
	int err;

	for (;;) {
		err = xha_nl_recv_notify(nl, match_oseq, m);
		if (err == -EAGAIN)
			return;
		if (err && err != -ENOBUFS && err != -EINTR) {
			fprintf(stderr, "xhabench: %s\n", xha_nl_error(nl));
			exit(1);
		}
	}
}

/* The OSEQ of an XFRM_MSG_NEWAE: XFRMA_REPLAY_ESN_VAL or XFRMA_REPLAY_VAL. */
static int ae_oseq_attr(const struct nlattr *attr, void *arg)
{
	uint64_t *oseq = arg;

	if (mnl_attr_get_type(attr) == XFRMA_REPLAY_ESN_VAL &&
	    mnl_attr_get_payload_len(attr) >= sizeof(struct xfrm_replay_state_esn)) {
		struct xfrm_replay_state_esn esn;

		memcpy(&esn, mnl_attr_get_payload(attr), sizeof(esn));
		*oseq = (uint64_t)esn.oseq_hi << 32 | esn.oseq;
	} else if (mnl_attr_get_type(attr) == XFRMA_REPLAY_VAL &&
		   mnl_attr_get_payload_len(attr) >= sizeof(struct xfrm_replay_state)) {
		struct xfrm_replay_state rs;

		memcpy(&rs, mnl_attr_get_payload(attr), sizeof(rs));
		*oseq = rs.oseq;
	}
	return MNL_CB_OK;
}

static void ae_read_oseq(int fd, struct oseq_match *m)
{
	static char buf[1 << 16];

	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ENOBUFS || errno == EINTR)
				continue;
			perror("xhabench: recv");
			exit(1);
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			struct xfrm_aevent_id id;
			uint64_t oseq = 0;

			if (nlh->nlmsg_type != XFRM_MSG_NEWAE ||
			    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(id)))
				continue;
			memcpy(&id, NLMSG_DATA(nlh), sizeof(id));
			if (id.sa_id.spi != m->spi)
				continue;
			mnl_attr_parse(nlh, sizeof(id), ae_oseq_attr, &oseq);
			if (!m->found || oseq > m->oseq)
				m->oseq = oseq;
			m->found = 1;
		}
	}
}

/* p-th percentile (0..100) of a sorted array of n. */
static double pct(const double *v, long n, double p)
{
	long i;

	if (n <= 0)
		return -1;
	i = (long)((double)n * p / 100.0 + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static int cmd_fresh(int argc, char **argv)
{
	static char payload[64];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct xha_nl *nl = NULL, *req;
	struct xha_sa id, cur;
	struct oseq_match m = { 0 };
	long pps = 200, secs = 3, wait_ms = 3000, warm_ms = 1500, total, sent = 0;
	long covered = 0, nd = 0, ng = 0, records = 0, k, warm;
	double *tsend, *delay, *gap, *age, t0, period, next, t_end;
	uint64_t base;
	int ha, fd, lfd, opt;
	char err[256];

	if (argc < 5)
		usage();
	if (!strcmp(argv[1], "ha"))
		ha = 1;
	else if (!strcmp(argv[1], "ae"))
		ha = 0;
	else
		usage();
	if (inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1)
		usage();
	dst.sin_port = htons((uint16_t)num(argv[3]));
	m.spi = htonl((uint32_t)num(argv[4]));
	optind = 5;
	while ((opt = getopt(argc, argv, "r:d:w:W:")) != -1) {
		switch (opt) {
		case 'r': pps = num(optarg); break;
		case 'd': secs = num(optarg); break;
		case 'w': wait_ms = num(optarg); break;
		case 'W': warm_ms = num(optarg); break;
		default: usage();
		}
	}
	if (pps < 1 || secs < 1)
		usage();
	warm = pps * warm_ms / 1000;
	total = warm + pps * secs;
	tsend = calloc((size_t)total + 1, sizeof(double));
	delay = calloc((size_t)total + 1, sizeof(double));
	gap = calloc((size_t)total + 1, sizeof(double));
	age = calloc((size_t)total + 1, sizeof(double));
	if (!tsend || !delay || !gap || !age)
		return 1;

	/* The SA's OSEQ before the first packet (the request arms the scan). */
	req = xha_nl_open(err, sizeof(err));
	if (!req) {
		fprintf(stderr, "xhabench: %s\n", err);
		return 1;
	}
	memset(&id, 0, sizeof(id));
	id.family = AF_INET;
	id.proto = IPPROTO_ESP;
	id.spi = m.spi;
	memcpy(id.daddr, &dst.sin_addr, 4);
	if (ha) {
		nl = open_xha_listener();
		lfd = xha_nl_fd(nl);
	} else {
		lfd = open_ae_listener();
	}
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("xhabench: udp socket");
		return 1;
	}
	/* Let a first pass see the listener and publish what is due. */
	sleep_ms(300);
	if (xha_nl_sa_get(req, &id, &cur) || !(cur.has & XHA_SA_HAS_OSEQ)) {
		fprintf(stderr, "xhabench: SA_GET of spi 0x%x: %s\n",
			ntohl(m.spi), xha_nl_error(req));
		return 1;
	}
	base = cur.oseq;
	if (ha)
		ha_read_oseq(nl, &m);	/* drain */
	else
		ae_read_oseq(lfd, &m);
	m.found = 0;

	period = 1000.0 / (double)pps;
	t0 = now_ms();
	next = t0;
	t_end = t0 + (double)(secs * 1000 + warm_ms);
	for (;;) {
		double t = now_ms();
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int timeout;

		if (stop)
			break;
		if (sent < total && t >= next) {
			if (send(fd, payload, sizeof(payload), 0) < 0) {
				if (errno == EINTR)
					continue;
				perror("xhabench: send");
				return 1;
			}
			tsend[++sent] = now_ms();
			next += period;
			if (sent > warm) {
				gap[ng] = (double)(sent - covered);
				age[ng++] = tsend[sent] - tsend[covered + 1];
			}
			continue;
		}
		if (sent >= total && (covered >= sent || t > t_end + (double)wait_ms))
			break;
		timeout = sent < total ? (int)(next - t) + 1 : 20;
		if (poll(&p, 1, timeout < 1 ? 1 : timeout) <= 0)
			continue;
		m.found = 0;
		if (ha)
			ha_read_oseq(nl, &m);
		else
			ae_read_oseq(lfd, &m);
		if (!m.found)
			continue;
		if (sent > warm)
			records++;
		t = now_ms();
		k = m.oseq > base ? (long)(m.oseq - base) : 0;
		if (k > sent)
			k = sent;	/* only packets of ours are timed */
		for (; covered < k; covered++)
			if (covered + 1 > warm)
				delay[nd++] = t - tsend[covered + 1];
	}
	qsort(delay, (size_t)nd, sizeof(double), cmp_double);
	qsort(gap, (size_t)ng, sizeof(double), cmp_double);
	qsort(age, (size_t)ng, sizeof(double), cmp_double);
	printf("fresh mode=%s pps=%ld secs=%ld warm_ms=%ld n=%ld records=%ld uncovered=%ld"
	       " delay_p50=%.3f delay_p99=%.3f delay_max=%.3f"
	       " gap_p50=%.0f gap_p99=%.0f gap_max=%.0f"
	       " age_p50=%.3f age_p99=%.3f age_max=%.3f\n",
	       ha ? "ha" : "ae", pps, secs, warm_ms, sent - warm, records, sent - covered,
	       pct(delay, nd, 50), pct(delay, nd, 99), pct(delay, nd, 100),
	       pct(gap, ng, 50), pct(gap, ng, 99), pct(gap, ng, 100),
	       pct(age, ng, 50), pct(age, ng, 99), pct(age, ng, 100));
	if (!records)
		fprintf(stderr, "xhabench: fresh: no record for spi 0x%x in %ld s\n",
			ntohl(m.spi), secs);
	return records ? 0 : 1;
}

/* ------------------------------------------------------------ bulk write */

/*
 * The dump is read whole before the callback sees its first SA (libxha
 * retries a torn one), so the first call ends the dump's time; the writes
 * go out from the callback, XHA_BATCH_MAX at a time, on a second handle.
 */
struct bulkw {
	struct xha_nl *w;
	struct xha_sa batch[XHA_BATCH_MAX];
	unsigned int n;
	long add;
	double t_dumped;
	unsigned long sas, ok, erange, errors;
};

static int bulkw_flush(struct bulkw *b)
{
	struct xha_nl_result res[XHA_BATCH_MAX];
	unsigned int i;

	if (!b->n)
		return 0;
	if (xha_nl_sa_set_batch(b->w, b->batch, b->n, res)) {
		fprintf(stderr, "xhabench: set batch: %s\n", xha_nl_error(b->w));
		return -EIO;
	}
	for (i = 0; i < b->n; i++) {
		if (!res[i].err)
			b->ok++;
		else if (res[i].err == -ERANGE)
			b->erange++;
		else if (b->errors++ < 3)
			fprintf(stderr, "xhabench: write: %s\n", res[i].msg);
	}
	b->n = 0;
	return 0;
}

static int bulkw_sa(const struct xha_sa *sa, void *arg)
{
	struct bulkw *b = arg;
	struct xha_sa *s = &b->batch[b->n++];

	if (!b->sas++)
		b->t_dumped = now_ms();
	*s = *sa;
	s->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ;
	s->oseq += (uint64_t)b->add;
	s->seq += (uint64_t)b->add;
	return b->n == XHA_BATCH_MAX ? bulkw_flush(b) : 0;
}

static int cmd_bulk_write(int argc, char **argv)
{
	static struct bulkw b;
	struct xha_nl *nl = open_xha();
	double t0, t1;
	int opt, err;

	b.add = 1000;
	while ((opt = getopt(argc, argv, "a:")) != -1) {
		if (opt == 'a')
			b.add = num(optarg);
		else
			usage();
	}
	b.w = open_xha();
	t0 = now_ms();
	err = xha_nl_sa_dump(nl, bulkw_sa, &b);
	if (!err)
		err = bulkw_flush(&b);
	t1 = now_ms();
	if (err) {
		fprintf(stderr, "xhabench: bulk write: %s\n",
			err == -EIO ? "failed" : xha_nl_error(nl));
		return 1;
	}
	if (!b.sas)
		b.t_dumped = t1;
	printf("bulkw sas=%lu batch=%d dump_ms=%.1f write_ms=%.1f ok=%lu erange=%lu errors=%lu\n",
	       b.sas, XHA_BATCH_MAX, b.t_dumped - t0, t1 - b.t_dumped, b.ok, b.erange, b.errors);
	return b.errors || !b.ok ? 1 : 0;
}

/* ---------------------------------------------------- stats, config */

static int get_stats(struct xha_nl *nl, struct xha_config *cfg,
		     struct xha_stats *st)
{
	int err = xha_nl_config_get(nl, cfg, st);

	if (err)
		fprintf(stderr, "xhabench: config get: %s\n", xha_nl_error(nl));
	return err;
}

static int cmd_stats(void)
{
	struct xha_nl *nl = open_xha();
	struct xha_config cfg;
	struct xha_stats st;

	if (get_stats(nl, &cfg, &st))
		return 1;
	printf("sas=%u events=%llu scans=%llu records=%llu batches=%llu "
	       "send_errors=%llu writes=%llu writes_refused=%llu "
	       "entry_bytes=%u hot=%u checks=%llu reads=%llu reconciles=%llu "
	       "lifecycle=%llu sync_packets=%u sync_time_ms=%u scan_interval_ms=%u "
	       "idle_interval_ms=%u\n",
	       st.sas, (unsigned long long)st.events,
	       (unsigned long long)st.scans, (unsigned long long)st.records,
	       (unsigned long long)st.batches,
	       (unsigned long long)st.send_errors,
	       (unsigned long long)st.writes,
	       (unsigned long long)st.writes_refused, st.entry_bytes, st.hot,
	       (unsigned long long)st.checks, (unsigned long long)st.reads,
	       (unsigned long long)st.reconciles,
	       (unsigned long long)st.lifecycle, cfg.sync_packets,
	       cfg.sync_time_ms, cfg.scan_interval_ms, cfg.idle_interval_ms);
	return 0;
}

static int cmd_set_interval(const char *ms)
{
	struct xha_nl *nl = open_xha();
	struct xha_config cfg = {
		.scan_interval_ms = (uint32_t)num(ms),
		.has = XHA_CFG_HAS_SCAN_INTERVAL_MS,
	};

	if (xha_nl_config_set(nl, &cfg)) {
		fprintf(stderr, "xhabench: config set: %s\n", xha_nl_error(nl));
		return 1;
	}
	return 0;
}

static int cmd_config(int argc, char **argv)
{
	struct xha_nl *nl = open_xha();
	struct xha_config cfg = { 0 };
	int opt;

	while ((opt = getopt(argc, argv, "p:t:i:I:")) != -1) {
		switch (opt) {
		case 'p':
			cfg.sync_packets = (uint32_t)num(optarg);
			cfg.has |= XHA_CFG_HAS_SYNC_PACKETS;
			break;
		case 't':
			cfg.sync_time_ms = (uint32_t)num(optarg);
			cfg.has |= XHA_CFG_HAS_SYNC_TIME_MS;
			break;
		case 'i':
			cfg.scan_interval_ms = (uint32_t)num(optarg);
			cfg.has |= XHA_CFG_HAS_SCAN_INTERVAL_MS;
			break;
		case 'I':
			cfg.idle_interval_ms = (uint32_t)num(optarg);
			cfg.has |= XHA_CFG_HAS_IDLE_INTERVAL_MS;
			break;
		default:
			usage();
		}
	}
	if (xha_nl_config_set(nl, &cfg)) {
		fprintf(stderr, "xhabench: config set: %s\n", xha_nl_error(nl));
		return 1;
	}
	return 0;
}

static int cmd_wait_scans(int argc, char **argv)
{
	struct xha_nl *nl = open_xha();
	struct xha_config cfg;
	struct xha_stats st;
	long k, timeout = 60000;
	unsigned long long start;
	double t0 = now_ms();
	int opt;

	if (argc < 2)
		usage();
	k = num(argv[1]);
	optind = 2;
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't')
			timeout = num(optarg);
		else
			usage();
	}
	if (get_stats(nl, &cfg, &st))
		return 1;
	start = (unsigned long long)st.scans;
	for (;;) {
		if (get_stats(nl, &cfg, &st))
			return 1;
		if ((unsigned long long)st.scans >= start + (unsigned long long)k)
			return 0;
		if (now_ms() - t0 > (double)timeout) {
			fprintf(stderr, "xhabench: %ld scans not seen in %ld ms\n",
				k, timeout);
			return 1;
		}
		sleep_ms(2);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "ha-listen"))
		return cmd_ha_listen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ae-listen"))
		return cmd_ae_listen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fresh"))
		return cmd_fresh(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bulk-write"))
		return cmd_bulk_write(argc - 1, argv + 1);
	if (!strcmp(argv[1], "config"))
		return cmd_config(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats();
	if (!strcmp(argv[1], "set-interval") && argc == 3)
		return cmd_set_interval(argv[2]);
	if (!strcmp(argv[1], "wait-scans"))
		return cmd_wait_scans(argc - 1, argv + 1);
	usage();
	return 2;
}
