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
 *   xhabench latency ha|ae DST PORT SPI [-n SAMPLES] [-b BURST] [-g GAP_MS]
 *       SAMPLES times: sleep 5 ms + a random time in [0, GAP_MS], send a
 *       burst of BURST (default 4) UDP datagrams to DST:PORT (they must leave
 *       through the outbound SA with SPI), then wait for the first record
 *       (ha: an xfrm_ha SA_NOTIFY record; ae: an XFRM_MSG_NEWAE) for that
 *       SPI. Prints one "sample=MS" line per burst, the time from the end of
 *       the burst to the arrival of the record, then a summary.
 *   xhabench stats
 *       The xfrm_ha statistics and configuration of this namespace, as
 *       key=value pairs on one line.
 *   xhabench set-interval MS
 *       Set scan-interval-ms of this namespace.
 *   xhabench wait-scans K [-t TIMEOUT_MS]
 *       Wait until K more complete scans were counted (polling the stats
 *       every 2 ms); exit 1 on timeout (default 60000 ms).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
		"       xhabench latency ha|ae DST PORT SPI [-n SAMPLES] [-b BURST] [-g GAP_MS]\n"
		"       xhabench stats\n"
		"       xhabench set-interval MS\n"
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

/* ------------------------------------------------------------ latency */

struct match {
	uint32_t spi;		/* network byte order */
	int found;
};

static int match_sa(const struct xha_sa *sa, void *arg)
{
	struct match *m = arg;

	if (sa->spi == m->spi)
		m->found = 1;
	return 0;
}

/* Read what is pending on fd; returns 1 if a record for m->spi was seen. */
static int ha_read(struct xha_nl *nl, struct match *m)
{
	int err;

	m->found = 0;
	for (;;) {
		err = xha_nl_recv_notify(nl, match_sa, m);
		if (err == -EAGAIN)
			break;
		if (err && err != -ENOBUFS && err != -EINTR) {
			fprintf(stderr, "xhabench: %s\n", xha_nl_error(nl));
			exit(1);
		}
	}
	return m->found;
}

static int ae_read(int fd, struct match *m)
{
	static char buf[1 << 16];

	m->found = 0;
	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS || errno == EINTR)
				continue;
			perror("xhabench: recv");
			exit(1);
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const struct xfrm_aevent_id *id = NLMSG_DATA(nlh);

			if (nlh->nlmsg_type == XFRM_MSG_NEWAE &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*id)) &&
			    id->sa_id.spi == m->spi)
				m->found = 1;
		}
	}
	return m->found;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_latency(int argc, char **argv)
{
	static char payload[64];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct mmsghdr msgs[64];
	struct iovec iov = { payload, sizeof(payload) };
	long samples = 20, burst = 4, gap = 100;
	struct xha_nl *nl = NULL;
	struct match m;
	double *lat;
	int ha, fd, lfd, opt, i, timeouts = 0, got = 0;

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
	while ((opt = getopt(argc, argv, "n:b:g:")) != -1) {
		switch (opt) {
		case 'n': samples = num(optarg); break;
		case 'b': burst = num(optarg); break;
		case 'g': gap = num(optarg); break;
		default: usage();
		}
	}
	if (samples < 1 || burst < 1 || burst > 64)
		usage();
	lat = calloc((size_t)samples, sizeof(*lat));
	if (!lat)
		return 1;

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
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < burst; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	srand((unsigned int)getpid());
	/* Let a first scan see the listener and publish whatever is due. */
	sleep_ms(300);

	for (i = 0; i < samples && !stop; i++) {
		double t_end, t_rec = 0;
		int sent = 0;

		sleep_ms(5 + (double)gap * rand() / RAND_MAX);
		if (ha)
			ha_read(nl, &m);	/* drain */
		else
			ae_read(lfd, &m);
		while (sent < burst) {
			int n = sendmmsg(fd, msgs + sent,
					 (unsigned int)(burst - sent), 0);

			if (n < 0) {
				perror("xhabench: sendmmsg");
				return 1;
			}
			sent += n;
		}
		t_end = now_ms();
		for (;;) {
			struct pollfd p = { .fd = lfd, .events = POLLIN };
			int left = (int)(t_end + 10000 - now_ms());

			if (left <= 0 || stop)
				break;
			if (poll(&p, 1, left) <= 0)
				continue;
			if (ha ? ha_read(nl, &m) : ae_read(lfd, &m)) {
				t_rec = now_ms();
				break;
			}
		}
		if (!t_rec) {
			timeouts++;
			printf("sample=timeout\n");
			continue;
		}
		lat[got++] = t_rec - t_end;
		printf("sample=%.3f\n", t_rec - t_end);
	}
	if (got) {
		qsort(lat, (size_t)got, sizeof(*lat), cmp_double);
		printf("latency n=%d timeouts=%d min=%.3f median=%.3f p90=%.3f max=%.3f\n",
		       got, timeouts, lat[0], lat[got / 2],
		       lat[(got * 9) / 10 < got ? (got * 9) / 10 : got - 1],
		       lat[got - 1]);
	} else {
		printf("latency n=0 timeouts=%d\n", timeouts);
	}
	return got ? 0 : 1;
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
	       "sync_packets=%u sync_time_ms=%u scan_interval_ms=%u\n",
	       st.sas, (unsigned long long)st.events,
	       (unsigned long long)st.scans, (unsigned long long)st.records,
	       (unsigned long long)st.batches,
	       (unsigned long long)st.send_errors,
	       (unsigned long long)st.writes,
	       (unsigned long long)st.writes_refused, cfg.sync_packets,
	       cfg.sync_time_ms, cfg.scan_interval_ms);
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
	if (!strcmp(argv[1], "latency"))
		return cmd_latency(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats();
	if (!strcmp(argv[1], "set-interval") && argc == 3)
		return cmd_set_interval(argv[2]);
	if (!strcmp(argv[1], "wait-scans"))
		return cmd_wait_scans(argc - 1, argv + 1);
	usage();
	return 2;
}
