// SPDX-License-Identifier: GPL-2.0
/*
 * udpspray: UDP datagrams round-robin over many destination addresses, one
 * per SA (ha_link_loss.sh: traffic on 1000 SAs from one process).
 *
 *   udpspray -b LOCAL -d BASE -n COUNT [-f FIRST] [-r PPS] [-t SEC] [-p PORT]
 *
 * Sends from LOCAL (bound, port 0) to BASE+FIRST .. BASE+FIRST+COUNT-1 (the
 * IPv4 address as a 32-bit number plus i; FIRST defaults to 1), UDP port
 * PORT (9 unless given), one 16-byte datagram to each address in turn, PPS
 * datagrams per second in all (default 1000), for SEC seconds (default:
 * until SIGTERM/SIGINT). A datagram the kernel refuses (no SA yet, buffer
 * full) counts as an error and is not retried.
 *
 * Output, one record a line: "udpspray start" once the signals are handled,
 * then at the end "udpspray final tx=N err=N rounds=N" (rounds: complete
 * passes over the COUNT addresses). Exit status 0, 1 on a fatal error, 2 on
 * bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: udpspray -b LOCAL -d BASE -n COUNT [-f FIRST] [-r PPS] [-t SEC] [-p PORT]\n");
	return 2;
}

static int number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end || *v > max ? -1 : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	unsigned long count = 0, first = 1, pps = 1000, secs = 0, port = 9;
	unsigned long long tx = 0, err = 0, rounds = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	uint32_t base = 0;
	uint64_t t0, end, period, next;
	unsigned char payload[16];
	unsigned long i = 0;
	int c, fd;
	int have_local = 0, have_base = 0;

	while ((c = getopt(argc, argv, "b:d:n:f:r:t:p:")) != -1) {
		switch (c) {
		case 'b':
			if (inet_pton(AF_INET, optarg, &local.sin_addr) != 1)
				return usage();
			have_local = 1;
			break;
		case 'd': {
			struct in_addr a;

			if (inet_pton(AF_INET, optarg, &a) != 1)
				return usage();
			base = ntohl(a.s_addr);
			have_base = 1;
			break;
		}
		case 'n':
			if (number(optarg, 1u << 20, &count) || !count)
				return usage();
			break;
		case 'f':
			if (number(optarg, 1u << 20, &first))
				return usage();
			break;
		case 'r':
			if (number(optarg, 1000000, &pps) || !pps)
				return usage();
			break;
		case 't':
			if (number(optarg, 86400, &secs))
				return usage();
			break;
		case 'p':
			if (number(optarg, 65535, &port) || !port)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || !have_local || !have_base || !count)
		return usage();

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("udpspray: socket");
		return 1;
	}
	memset(payload, 0x5a, sizeof(payload));
	dst.sin_port = htons((uint16_t)port);
	printf("udpspray start\n");
	fflush(stdout);

	/* Paced in slots of 10 ms: PPS / 100 datagrams each (at least one). */
	period = 1000000000ull / pps;
	t0 = now_ns();
	end = secs ? t0 + secs * 1000000000ull : UINT64_MAX;
	next = t0;
	while (!stop) {
		uint64_t now = now_ns();

		if (now >= end)
			break;
		/* Behind by more than a second (a slow VM): no burst to catch up. */
		if (now - next > 1000000000ull)
			next = now;
		while (next <= now && !stop) {
			dst.sin_addr.s_addr = htonl(base + (uint32_t)(first + i));
			if (sendto(fd, payload, sizeof(payload), 0,
				   (struct sockaddr *)&dst, sizeof(dst)) < 0)
				err++;
			else
				tx++;
			if (++i == count) {
				i = 0;
				rounds++;
			}
			next += period;
		}
		if (next > now) {
			uint64_t d = next - now;
			struct timespec ts;

			if (d < 10000000ull)
				d = 10000000ull;
			ts.tv_sec = (time_t)(d / 1000000000ull);
			ts.tv_nsec = (long)(d % 1000000000ull);
			nanosleep(&ts, NULL);
		}
	}
	printf("udpspray final tx=%llu err=%llu rounds=%llu\n", tx, err, rounds);
	return 0;
}
