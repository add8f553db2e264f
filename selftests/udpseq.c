// SPDX-License-Identifier: GPL-2.0
/*
 * udpseq: a sequence-numbered UDP stream in both directions, counted exactly.
 *
 *   udpseq -b LOCAL[:PORT] -p PEER[:PORT] [-r PPS] [-t SEC] [-g MS] [-s BYTES]
 *          [-n NAME] [-o FILE]
 *
 * Sends PPS datagrams per second from LOCAL to PEER (UDP port 5001 unless
 * given), each carrying a 64-bit sequence number and its send time, and
 * counts what arrives from the peer (which runs the same program): packets
 * received, unique, duplicated, reordered (arrived after a higher sequence
 * number), lost (sequence numbers never seen below the highest one), the
 * longest gap between two arrivals and every gap longer than MS (default
 * 100) with its wall-clock start and end, so that a gap can be matched with
 * a failover.
 *
 * A "udpseq start" line says that the signals are handled.
 * Signals: SIGUSR1 prints a "snap" summary and goes on; SIGUSR2 stops
 * sending and goes on receiving (so that the peer's last packets can still
 * arrive); SIGTERM/SIGINT, or the end of -t SEC, print the final summary and
 * exit. Output, one record a line, key=value, times in seconds since the
 * epoch (CLOCK_REALTIME, with microseconds):
 *
 *   udpseq gap name=N start=T end=T ms=M after_seq=S next_seq=S missing=K
 *   udpseq final name=N tx=... tx_err=... rx=... uniq=... dup=... reorder=...
 *          lost=... max_seq=... longest_gap_ms=... longest_gap_start=T
 *          longest_gap_end=T open_gap_ms=... gaps=... first_rx=T last_rx=T
 *          max_delay_ms=... bad=...
 *
 * "lost" counts the holes below the highest sequence number received; the
 * caller compares "uniq" with the peer's "tx" for the exact loss including
 * the tail. Exit status 0, 1 on a fatal error, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x75647173u		/* "udqs" */
#define DEFAULT_PORT 5001
#define MAX_SEQS (1ull << 27)		/* 16 MiB of bitmap at most */
#define MAX_SIZE 1400

struct pkt {
	uint32_t magic;
	uint32_t pad;
	uint64_t seq;
	uint64_t tx_ns;		/* CLOCK_REALTIME of the sender */
};

static volatile sig_atomic_t got_term, got_snap, got_stop;

static void on_signal(int sig)
{
	switch (sig) {
	case SIGUSR1:
		got_snap = 1;
		break;
	case SIGUSR2:
		got_stop = 1;
		break;
	default:
		got_term = 1;
		break;
	}
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t htonll(uint64_t v)
{
	return ((uint64_t)htonl((uint32_t)v) << 32) | htonl((uint32_t)(v >> 32));
}

#define ntohll htonll

/* "S.UUUUUU" of a CLOCK_REALTIME in ns, or "0" when unset. */
static const char *stamp(char *buf, size_t len, uint64_t ns)
{
	if (!ns)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "%" PRIu64 ".%06" PRIu64, ns / UINT64_C(1000000000),
			 ns % UINT64_C(1000000000) / 1000);
	return buf;
}

static int parse_addr(const char *arg, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	unsigned long port = DEFAULT_PORT;
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	char *end;

	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, arg, n);
	host[n] = '\0';
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || port == 0 || port > 65535)
			return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

struct stats {
	const char *name;
	FILE *out;
	uint64_t gap_ns;	/* report gaps longer than this */
	uint64_t tx, tx_err, rx, uniq, dup, reorder, bad, gaps, beyond;
	uint64_t max_seq;
	bool any;
	uint64_t first_rx, last_rx;		/* CLOCK_REALTIME */
	uint64_t last_rx_mono, last_seq;
	uint64_t longest_ns, longest_start, longest_end;
	uint64_t max_delay_ns;
	uint8_t *seen;
	uint64_t cap;		/* bits */
};

static int seen_test_set(struct stats *s, uint64_t seq)
{
	uint64_t ncap;
	uint8_t *n;

	if (seq >= MAX_SEQS)
		return -1;
	if (seq >= s->cap) {
		ncap = s->cap ? s->cap : 65536;
		while (ncap <= seq)
			ncap *= 2;
		n = realloc(s->seen, ncap / 8);
		if (!n)
			return -1;
		memset(n + s->cap / 8, 0, (ncap - s->cap) / 8);
		s->seen = n;
		s->cap = ncap;
	}
	if (s->seen[seq / 8] & (1u << (seq % 8)))
		return 1;
	s->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	return 0;
}

static void on_packet(struct stats *s, const struct pkt *p, uint64_t now_rt,
		      uint64_t now_mono)
{
	uint64_t seq = ntohll(p->seq), sent = ntohll(p->tx_ns), gap;
	char a[32], b[32];
	int r;

	s->rx++;
	if (sent && now_rt > sent && now_rt - sent > s->max_delay_ns)
		s->max_delay_ns = now_rt - sent;
	r = seen_test_set(s, seq);
	if (r < 0) {
		s->beyond++;
		return;
	}
	if (r > 0) {
		s->dup++;
		return;
	}
	s->uniq++;
	if (s->any) {
		gap = now_mono - s->last_rx_mono;
		if (gap > s->longest_ns) {
			s->longest_ns = gap;
			s->longest_start = s->last_rx;
			s->longest_end = now_rt;
		}
		if (gap > s->gap_ns) {
			s->gaps++;
			fprintf(s->out,
				"udpseq gap name=%s start=%s end=%s ms=%" PRIu64
				" after_seq=%" PRIu64 " next_seq=%" PRIu64
				" missing=%" PRId64 "\n",
				s->name, stamp(a, sizeof(a), s->last_rx),
				stamp(b, sizeof(b), now_rt), gap / 1000000,
				s->last_seq, seq,
				seq > s->last_seq ? (int64_t)(seq - s->last_seq - 1) : 0);
			fflush(s->out);
		}
		if (seq < s->max_seq)
			s->reorder++;
	} else {
		s->first_rx = now_rt;
	}
	if (!s->any || seq > s->max_seq)
		s->max_seq = seq;
	s->any = true;
	s->last_rx = now_rt;
	s->last_rx_mono = now_mono;
	s->last_seq = seq;
}

static void report(struct stats *s, const char *kind)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	uint64_t open = s->any ? now - s->last_rx_mono : 0;
	uint64_t lost = s->any ? s->max_seq + 1 - s->uniq : 0;
	char a[32], b[32], c[32], d[32];

	fprintf(s->out,
		"udpseq %s name=%s tx=%" PRIu64 " tx_err=%" PRIu64 " rx=%" PRIu64
		" uniq=%" PRIu64 " dup=%" PRIu64 " reorder=%" PRIu64 " lost=%" PRIu64
		" max_seq=%" PRIu64 " longest_gap_ms=%" PRIu64
		" longest_gap_start=%s longest_gap_end=%s open_gap_ms=%" PRIu64
		" gaps=%" PRIu64 " first_rx=%s last_rx=%s max_delay_ms=%" PRIu64
		" bad=%" PRIu64 "\n",
		kind, s->name, s->tx, s->tx_err, s->rx, s->uniq, s->dup,
		s->reorder, lost, s->any ? s->max_seq : 0, s->longest_ns / 1000000,
		stamp(a, sizeof(a), s->longest_start),
		stamp(b, sizeof(b), s->longest_end), open / 1000000, s->gaps,
		stamp(c, sizeof(c), s->first_rx), stamp(d, sizeof(d), s->last_rx),
		s->max_delay_ns / 1000000, s->bad + s->beyond);
	fflush(s->out);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udpseq -b LOCAL[:PORT] -p PEER[:PORT] [-r PPS] [-t SEC] [-g MS]\n"
		"              [-s BYTES] [-n NAME] [-o FILE]\n"
		"  -r PPS    packets per second to send (default 200, 0: receive only)\n"
		"  -t SEC    stop after SEC seconds (default: until SIGTERM)\n"
		"  -g MS     report gaps between arrivals longer than MS (default 100)\n"
		"  -s BYTES  UDP payload size (24..%d, default 64)\n"
		"  signals: USR1 snapshot, USR2 stop sending, TERM/INT final summary\n",
		MAX_SIZE);
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > max) {
		fprintf(stderr, "udpseq: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local, peer;
	struct stats st = { .name = "udpseq", .out = stdout };
	unsigned long rate = 200, secs = 0, gap_ms = 100, size = 64;
	bool have_local = false, have_peer = false, sending;
	unsigned char buf[2048];
	uint64_t start, next, interval, deadline;
	struct sigaction sa;
	struct pollfd pfd;
	int c, fd, one = 1;

	while ((c = getopt(argc, argv, "b:p:r:t:g:s:n:o:h")) != -1) {
		switch (c) {
		case 'b':
			if (parse_addr(optarg, &local) < 0) {
				fprintf(stderr, "udpseq: bad address '%s'\n", optarg);
				return 2;
			}
			have_local = true;
			break;
		case 'p':
			if (parse_addr(optarg, &peer) < 0) {
				fprintf(stderr, "udpseq: bad address '%s'\n", optarg);
				return 2;
			}
			have_peer = true;
			break;
		case 'r':
			rate = num(optarg, 1000000);
			break;
		case 't':
			secs = num(optarg, 10000000);
			break;
		case 'g':
			gap_ms = num(optarg, 3600000);
			break;
		case 's':
			size = num(optarg, MAX_SIZE);
			if (size < sizeof(struct pkt)) {
				usage(stderr);
				return 2;
			}
			break;
		case 'n':
			st.name = optarg;
			break;
		case 'o':
			st.out = fopen(optarg, "a");
			if (!st.out) {
				fprintf(stderr, "udpseq: %s: %s\n", optarg, strerror(errno));
				return 1;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !have_local || !have_peer) {
		usage(stderr);
		return 2;
	}
	setvbuf(st.out, NULL, _IOLBF, 0);
	st.gap_ns = (uint64_t)gap_ms * 1000000ull;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("udpseq: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("udpseq: bind");
		return 1;
	}

	fprintf(st.out, "udpseq start name=%s rate=%lu size=%lu gap_ms=%lu\n",
		st.name, rate, size, gap_ms);
	fflush(st.out);

	memset(buf, 0, sizeof(buf));
	sending = rate > 0;
	interval = rate ? 1000000000ull / rate : 0;
	start = clock_ns(CLOCK_MONOTONIC);
	next = start;
	deadline = secs ? start + (uint64_t)secs * 1000000000ull : 0;
	pfd.fd = fd;
	pfd.events = POLLIN;

	while (!got_term) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int timeout = 100;

		if (deadline && now >= deadline)
			break;
		if (got_snap) {
			got_snap = 0;
			report(&st, "snap");
		}
		if (got_stop) {
			got_stop = 0;
			sending = false;
		}
		if (sending && now >= next) {
			struct pkt p = {
				.magic = htonl(MAGIC),
				.seq = htonll(st.tx),
				.tx_ns = htonll(clock_ns(CLOCK_REALTIME)),
			};

			memcpy(buf, &p, sizeof(p));
			if (sendto(fd, buf, size, 0, (struct sockaddr *)&peer,
				   sizeof(peer)) < 0)
				st.tx_err++;	/* counted as sent: it is lost */
			st.tx++;
			next += interval;
			/* The VM stalled for more than a second: do not burst. */
			if (now > next + 1000000000ull)
				next = now + interval;
			continue;
		}
		if (sending)
			timeout = (int)((next - now) / 1000000);
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			perror("udpseq: poll");
			return 1;
		}
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			struct pkt p;

			if (n < 0)
				break;
			if ((size_t)n < sizeof(p)) {
				st.bad++;
				continue;
			}
			memcpy(&p, buf, sizeof(p));
			if (ntohl(p.magic) != MAGIC) {
				st.bad++;
				continue;
			}
			on_packet(&st, &p, clock_ns(CLOCK_REALTIME),
				  clock_ns(CLOCK_MONOTONIC));
		}
	}
	report(&st, "final");
	free(st.seen);
	close(fd);
	return 0;
}
