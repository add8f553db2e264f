// SPDX-License-Identifier: GPL-2.0
/*
 * udpblast: a UDP packet blaster and counting sink for the ESP benchmarks.
 *
 *   udpblast send DST PORT [-t SECS] [-n COUNT] [-s SIZE] [-b BATCH]
 *       Send SIZE-byte datagrams (default 64) to DST:PORT with sendmmsg(),
 *       BATCH at a time (default 32), for SECS seconds (default 3) or COUNT
 *       packets, whichever comes first. Prints one line:
 *       "sent=N errors=E secs=S pps=P".
 *   udpblast recv PORT [-t MAXSECS] [-i IDLE_MS]
 *       Count datagrams on PORT until IDLE_MS (default 1000) pass without
 *       one after the first, or MAXSECS (default 60) in all. The rate is
 *       taken between the first and the last datagram, so the start of the
 *       sender need not be synchronised. Prints one line:
 *       "received=N secs=S pps=P".
 *
 * Both print "ready" on stderr once their socket is set up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_SIZE 9000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpblast send DST PORT [-t SECS] [-n COUNT] [-s SIZE] [-b BATCH]\n"
		"       udpblast recv PORT [-t MAXSECS] [-i IDLE_MS]\n");
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

static int do_send(int argc, char **argv)
{
	static char payload[MAX_SIZE];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	long secs = 3, count = 0, size = 64, batch = 32, sent = 0, errors = 0;
	double t0, t1, deadline;
	int fd, i, opt;

	if (argc < 3)
		usage();
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		usage();
	dst.sin_port = htons((uint16_t)num(argv[2]));
	optind = 3;
	while ((opt = getopt(argc, argv, "t:n:s:b:")) != -1) {
		switch (opt) {
		case 't': secs = num(optarg); break;
		case 'n': count = num(optarg); break;
		case 's': size = num(optarg); break;
		case 'b': batch = num(optarg); break;
		default: usage();
		}
	}
	if (size < 1 || size > MAX_SIZE || batch < 1 || batch > MAX_BATCH)
		usage();

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("udpblast: socket/connect");
		return 1;
	}
	memset(payload, 0xa5, sizeof(payload));
	iov.iov_base = payload;
	iov.iov_len = (size_t)size;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	fprintf(stderr, "ready\n");

	t0 = now();
	deadline = t0 + (double)secs;
	for (;;) {
		int want = (int)batch, n;

		if (count && count - sent < want)
			want = (int)(count - sent);
		if (want <= 0)
			break;
		n = sendmmsg(fd, msgs, (unsigned int)want, 0);
		if (n < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR &&
			    errno != ECONNREFUSED) {
				perror("udpblast: sendmmsg");
				return 1;
			}
			errors++;
		} else {
			sent += n;
		}
		/* Looking at the clock every batch is cheap next to ESP. */
		if (secs && now() >= deadline)
			break;
	}
	t1 = now();
	printf("sent=%ld errors=%ld secs=%.3f pps=%.0f\n", sent, errors,
	       t1 - t0, (double)sent / (t1 - t0));
	return 0;
}

static int do_recv(int argc, char **argv)
{
	static char bufs[MAX_BATCH][2048];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iovs[MAX_BATCH];
	struct sockaddr_in addr = { .sin_family = AF_INET };
	long maxsecs = 60, idle_ms = 1000, received = 0;
	double start, first = 0, last = 0;
	int fd, i, opt, rcvbuf = 16 << 20;

	if (argc < 2)
		usage();
	addr.sin_port = htons((uint16_t)num(argv[1]));
	optind = 2;
	while ((opt = getopt(argc, argv, "t:i:")) != -1) {
		switch (opt) {
		case 't': maxsecs = num(optarg); break;
		case 'i': idle_ms = num(optarg); break;
		default: usage();
		}
	}

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpblast: socket");
		return 1;
	}
	/* FORCE needs CAP_NET_ADMIN, which we have; fall back silently. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("udpblast: bind");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < MAX_BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	fprintf(stderr, "ready\n");

	start = now();
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double t = now();
		int timeout, n;

		if (t - start >= (double)maxsecs)
			break;
		timeout = received ? (int)idle_ms : 100;
		n = poll(&pfd, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("udpblast: poll");
			return 1;
		}
		if (n == 0) {
			if (received)
				break;
			continue;
		}
		n = recvmmsg(fd, msgs, MAX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		t = now();
		if (!received)
			first = t;
		last = t;
		received += n;
	}
	if (received > 1 && last > first)
		printf("received=%ld secs=%.3f pps=%.0f\n", received, last - first,
		       (double)received / (last - first));
	else
		printf("received=%ld secs=0 pps=0\n", received);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "send"))
		return do_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "recv"))
		return do_recv(argc - 1, argv + 1);
	usage();
	return 2;
}
