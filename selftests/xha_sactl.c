// SPDX-License-Identifier: GPL-2.0
/*
 * xha_sactl: the xfrm_ha requests sa_state.sh needs and the ha-ike CLI does
 * not make (lifetime counters, the wrap margin, every statistic, bulk
 * writes), in the caller's network namespace. ESP SAs, mark 0, if_id 0.
 *
 *   xha_sactl stats
 *       one line: key=value for every config field and statistic
 *   xha_sactl config KEY N [KEY N...]
 *       KEY: sync_packets sync_time_ms scan_interval_ms oseq_wrap_margin
 *   xha_sactl get DST SPI
 *       oseq=N seq=N bytes=N packets=N (decimal, 64 bits)
 *   xha_sactl set DST SPI [oseq N [oseq-min N]] [seq N] [bytes N] [packets N]
 *       one SA_SET request with what is given (bytes and packets together)
 *   xha_sactl setrange DST SPI COUNT [oseq N] [seq N]
 *       one SA_SET per SPI of SPI..SPI+COUNT-1 (as the agent writes every new
 *       SA); prints ok=N failed=N, exit 1 if any failed
 *   xha_sactl listen
 *       joins the "seqnum" group, dumps once (which arms the scan), prints
 *       "listening", then reads records until SIGTERM/SIGINT and prints
 *       records=N enobufs=N
 *
 * Numbers: decimal or 0x hex. Exit 0, 1 on a kernel error (message on
 * stderr), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xha_nl.h"

static int usage(void)
{
	fprintf(stderr, "usage: xha_sactl stats | config KEY N... | get DST SPI |"
		" set DST SPI [oseq N [oseq-min N]] [seq N] [bytes N] [packets N] |"
		" setrange DST SPI COUNT [oseq N] [seq N] | listen\n");
	return 2;
}

static int num(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-' ? -1 : 0;
}

static int sa_id(struct xha_sa *sa, const char *dst, const char *spi)
{
	uint64_t v;

	memset(sa, 0, sizeof(*sa));
	sa->proto = IPPROTO_ESP;
	if (inet_pton(AF_INET, dst, sa->daddr) == 1)
		sa->family = AF_INET;
	else if (inet_pton(AF_INET6, dst, sa->daddr) == 1)
		sa->family = AF_INET6;
	else
		return -1;
	if (num(spi, &v) || v > UINT32_MAX)
		return -1;
	sa->spi = htonl((uint32_t)v);
	return 0;
}

/*
 * [oseq N] [oseq-min N] [seq N] [bytes N] [packets N] into sa; -1 on bad
 * usage.
 */
static int counters(struct xha_sa *sa, int argc, char **argv, bool lifetime)
{
	bool bytes = false, packets = false;
	int i;

	for (i = 0; i + 1 < argc; i += 2) {
		uint64_t v;

		if (num(argv[i + 1], &v))
			return -1;
		if (!strcmp(argv[i], "oseq")) {
			sa->oseq = v;
			sa->has |= XHA_SA_HAS_OSEQ;
		} else if (!strcmp(argv[i], "oseq-min")) {
			sa->oseq_min = v;
			sa->has |= XHA_SA_HAS_OSEQ_MIN;
		} else if (!strcmp(argv[i], "seq")) {
			sa->seq = v;
			sa->has |= XHA_SA_HAS_SEQ;
		} else if (lifetime && !strcmp(argv[i], "bytes")) {
			sa->bytes = v;
			bytes = true;
		} else if (lifetime && !strcmp(argv[i], "packets")) {
			sa->packets = v;
			packets = true;
		} else {
			return -1;
		}
	}
	if (i != argc || bytes != packets)
		return -1;
	if (bytes)
		sa->has |= XHA_SA_HAS_LIFETIME;
	return sa->has ? 0 : -1;
}

static int cmd_stats(struct xha_nl *nl)
{
	struct xha_config c;
	struct xha_stats s;

	if (xha_nl_config_get(nl, &c, &s)) {
		fprintf(stderr, "xha_sactl: stats: %s\n", xha_nl_error(nl));
		return 1;
	}
	printf("sync_packets=%" PRIu32 " sync_time_ms=%" PRIu32
	       " scan_interval_ms=%" PRIu32 " oseq_wrap_margin=%" PRIu32
	       " sas=%" PRIu32 " events=%" PRIu64 " scans=%" PRIu64
	       " records=%" PRIu64 " batches=%" PRIu64 " send_errors=%" PRIu64
	       " writes=%" PRIu64 " writes_refused=%" PRIu64
	       " entry_bytes=%" PRIu32 " swept=%" PRIu64
	       " oseq_clamped=%" PRIu64 " soft_expires=%" PRIu64 "\n",
	       c.sync_packets, c.sync_time_ms, c.scan_interval_ms,
	       c.oseq_wrap_margin, s.sas, s.events, s.scans, s.records,
	       s.batches, s.send_errors, s.writes, s.writes_refused,
	       s.entry_bytes, s.swept, s.oseq_clamped, s.soft_expires);
	return 0;
}

static int cmd_config(struct xha_nl *nl, int argc, char **argv)
{
	struct xha_config c = { 0 };
	int i;

	if (argc < 2 || argc % 2)
		return usage();
	for (i = 0; i < argc; i += 2) {
		uint64_t v;

		if (num(argv[i + 1], &v) || v > UINT32_MAX)
			return usage();
		if (!strcmp(argv[i], "sync_packets")) {
			c.sync_packets = (uint32_t)v;
			c.has |= XHA_CFG_HAS_SYNC_PACKETS;
		} else if (!strcmp(argv[i], "sync_time_ms")) {
			c.sync_time_ms = (uint32_t)v;
			c.has |= XHA_CFG_HAS_SYNC_TIME_MS;
		} else if (!strcmp(argv[i], "scan_interval_ms")) {
			c.scan_interval_ms = (uint32_t)v;
			c.has |= XHA_CFG_HAS_SCAN_INTERVAL_MS;
		} else if (!strcmp(argv[i], "oseq_wrap_margin")) {
			c.oseq_wrap_margin = (uint32_t)v;
			c.has |= XHA_CFG_HAS_OSEQ_WRAP_MARGIN;
		} else {
			return usage();
		}
	}
	if (xha_nl_config_set(nl, &c)) {
		fprintf(stderr, "xha_sactl: config: %s\n", xha_nl_error(nl));
		return 1;
	}
	return 0;
}

static int cmd_get(struct xha_nl *nl, int argc, char **argv)
{
	struct xha_sa id, sa;

	if (argc != 2 || sa_id(&id, argv[0], argv[1]))
		return usage();
	if (xha_nl_sa_get(nl, &id, &sa)) {
		fprintf(stderr, "xha_sactl: get: %s\n", xha_nl_error(nl));
		return 1;
	}
	printf("oseq=%" PRIu64 " seq=%" PRIu64 " bytes=%" PRIu64
	       " packets=%" PRIu64 "\n", sa.oseq, sa.seq, sa.bytes, sa.packets);
	return 0;
}

static int cmd_set(struct xha_nl *nl, int argc, char **argv)
{
	struct xha_sa sa;

	if (argc < 2 || sa_id(&sa, argv[0], argv[1]) ||
	    counters(&sa, argc - 2, argv + 2, true))
		return usage();
	if (xha_nl_sa_set(nl, &sa)) {
		fprintf(stderr, "xha_sactl: set: %s\n", xha_nl_error(nl));
		return 1;
	}
	return 0;
}

static int cmd_setrange(struct xha_nl *nl, int argc, char **argv)
{
	uint64_t count, i, ok = 0, failed = 0;
	struct xha_sa sa;
	uint32_t spi0;

	if (argc < 3 || sa_id(&sa, argv[0], argv[1]) || num(argv[2], &count) ||
	    counters(&sa, argc - 3, argv + 3, false))
		return usage();
	spi0 = ntohl(sa.spi);
	for (i = 0; i < count; i++) {
		sa.spi = htonl(spi0 + (uint32_t)i);
		if (xha_nl_sa_set(nl, &sa)) {
			if (!failed)
				fprintf(stderr, "xha_sactl: setrange: spi 0x%08x: %s\n",
					spi0 + (uint32_t)i, xha_nl_error(nl));
			failed++;
		} else {
			ok++;
		}
	}
	printf("ok=%" PRIu64 " failed=%" PRIu64 "\n", ok, failed);
	return failed ? 1 : 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int count_cb(const struct xha_sa *sa, void *arg)
{
	(void)sa;
	(*(uint64_t *)arg)++;
	return 0;
}

static int cmd_listen(struct xha_nl *nl)
{
	uint64_t records = 0, dumped = 0, enobufs = 0;
	struct sigaction act;
	struct xha_nl *req;
	char err[256];
	int ret;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;	/* no SA_RESTART: recv gets EINTR */
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	if (xha_nl_subscribe(nl)) {
		fprintf(stderr, "xha_sactl: listen: %s\n", xha_nl_error(nl));
		return 1;
	}
	req = xha_nl_open(err, sizeof(err));
	if (!req) {
		fprintf(stderr, "xha_sactl: listen: %s\n", err);
		return 1;
	}
	ret = xha_nl_sa_dump(req, count_cb, &dumped);
	xha_nl_close(req);
	if (ret) {
		fprintf(stderr, "xha_sactl: listen: dump failed\n");
		return 1;
	}
	printf("listening dumped=%" PRIu64 "\n", dumped);
	fflush(stdout);
	while (!stop) {
		ret = xha_nl_recv_notify(nl, count_cb, &records);
		if (ret == -ENOBUFS)
			enobufs++;
		else if (ret < 0 && ret != -EINTR)
			break;
	}
	printf("records=%" PRIu64 " enobufs=%" PRIu64 "\n", records, enobufs);
	return 0;
}

int main(int argc, char **argv)
{
	struct xha_nl *nl;
	char err[256];
	int ret;

	if (argc < 2)
		return usage();
	nl = xha_nl_open(err, sizeof(err));
	if (!nl) {
		fprintf(stderr, "xha_sactl: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[1], "stats") && argc == 2)
		ret = cmd_stats(nl);
	else if (!strcmp(argv[1], "config"))
		ret = cmd_config(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "get"))
		ret = cmd_get(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "set"))
		ret = cmd_set(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "setrange"))
		ret = cmd_setrange(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "listen") && argc == 2)
		ret = cmd_listen(nl);
	else
		ret = usage();
	xha_nl_close(nl);
	return ret;
}
