// SPDX-License-Identifier: GPL-2.0
/*
 * espinject: replay captured ESP frames (the replay-attack selftest).
 *
 *   espinject -r FILE -s SPI [-H HI] [-f FIRST] [-l LAST] [-m MAX]
 *             [-i IFACE -d MAC] [-b BATCH] [-g USEC] [-q]
 *
 * Reads the pcap FILE (Ethernet, as tcpdump -w writes it) with libpcap,
 * selects the ESP frames (IPv4 or IPv6, ESP right after the IP header) of
 * security parameter index SPI whose sequence number lies in [FIRST, LAST]
 * (64-bit, inclusive; default: all), keeps the newest MAX of them (-m),
 * and sends them oldest first, each once, on IFACE with pcap_inject(),
 * its Ethernet destination rewritten to MAC. Without -i, it only lists
 * what it would send (a dry run).
 *
 * ESP carries only the low 32 bits of an extended sequence number. The
 * high half is reconstructed in capture order: the first frame of the SPI
 * gets HI (-H, default 0) and every next one the 64-bit value nearest to
 * the previous frame's, so a capture that crosses 2^32 counts on.
 *
 * -b BATCH and -g USEC pace the sending: a USEC pause after every BATCH
 * frames (default 64 frames, 2000 us), so that the receiver's backlog
 * never overflows (a frame dropped there would never reach the replay
 * check).
 *
 * Output, one record a line:
 *   espinject frame spi=0x... seq=N lo=0x... len=L us=T  (per frame, not -q)
 *   espinject total spi=0x... frames=F matched=M selected=K sent=S
 *            first=N last=N min=N max=N first_us=T last_us=T
 * frames: ESP frames of the SPI in the file; matched: in [FIRST, LAST];
 * selected: what -m kept; first/last: the lowest and highest selected
 * sequence number (0 when none) and first_us/last_us their capture times
 * (microseconds since the epoch); min/max: of every frame of the SPI.
 * Exit status 0, 1 on an error (a frame that cannot be sent included),
 * 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define IPPROTO_ESP_ 50

struct frame {
	uint64_t seq;
	struct timeval ts;	/* capture time */
	uint32_t len;
	unsigned char *data;
};

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The ESP header of an Ethernet frame, or NULL. */
static const unsigned char *esp_header(const unsigned char *p, uint32_t len)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	if (len < ETH_HLEN)
		return NULL;
	type = get16(p + 12);
	if (type == ETH_P_8021Q) {
		if (len < ETH_HLEN + 4)
			return NULL;
		type = get16(p + 16);
		off += 4;
	}
	if (type == ETH_P_IP) {
		uint32_t ihl;

		if (len < off + 20 || (p[off] >> 4) != 4)
			return NULL;
		ihl = (uint32_t)(p[off] & 0x0f) * 4;
		/* A fragment other than the first has no ESP header. */
		if (ihl < 20 || p[off + 9] != IPPROTO_ESP_ || (get16(p + off + 6) & 0x1fff))
			return NULL;
		off += ihl;
	} else if (type == ETH_P_IPV6) {
		if (len < off + 40 || (p[off] >> 4) != 6 || p[off + 6] != IPPROTO_ESP_)
			return NULL;
		off += 40;
	} else {
		return NULL;
	}
	if (len < off + 8)
		return NULL;
	return p + off;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end && *s != '-';
}

static bool parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6 ||
	    strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++)
		mac[i] = (unsigned char)b[i];
	return true;
}

static int cmp_frame(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint64_t usecs(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000 + (uint64_t)tv->tv_usec;
}

static void usage(FILE *f)
{
	fputs("usage: espinject -r FILE -s SPI [-H HI] [-f FIRST] [-l LAST] [-m MAX]\n"
	      "                 [-i IFACE -d MAC] [-b BATCH] [-g USEC] [-q]\n", f);
}

static void pause_us(uint64_t us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(us / 1000000),
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *iface = NULL;
	uint64_t spi = 0, hi = 0, first = 0, last = UINT64_MAX, max = UINT64_MAX;
	uint64_t batch = 64, gap_us = 2000, v, prev = 0, smin = UINT64_MAX, smax = 0;
	unsigned char mac[6];
	bool have_spi = false, have_mac = false, quiet = false, seen = false;
	char err[PCAP_ERRBUF_SIZE];
	struct frame *fr = NULL;
	size_t nfr = 0, cap = 0, i, start, sent = 0, nframes = 0, matched, sel;
	struct pcap_pkthdr *h;
	const unsigned char *data;
	pcap_t *in, *out = NULL;
	int c, r, rc = 0;

	while ((c = getopt(argc, argv, "r:s:H:f:l:m:i:d:b:g:qh")) != -1) {
		switch (c) {
		case 'r':
			file = optarg;
			break;
		case 'i':
			iface = optarg;
			break;
		case 'd':
			if (!parse_mac(optarg, mac)) {
				fprintf(stderr, "espinject: bad MAC '%s'\n", optarg);
				return 2;
			}
			have_mac = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 's': case 'H': case 'f': case 'l': case 'm': case 'b': case 'g':
			if (!parse_u64(optarg, &v) || (c == 's' && v > UINT32_MAX) ||
			    (c == 'H' && v > UINT32_MAX) || (c == 'b' && v == 0)) {
				fprintf(stderr, "espinject: bad value '%s' for -%c\n", optarg, c);
				return 2;
			}
			switch (c) {
			case 's': spi = v; have_spi = true; break;
			case 'H': hi = v; break;
			case 'f': first = v; break;
			case 'l': last = v; break;
			case 'm': max = v; break;
			case 'b': batch = v; break;
			default: gap_us = v; break;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !file || !have_spi || (iface && !have_mac)) {
		usage(stderr);
		return 2;
	}

	in = pcap_open_offline(file, err);
	if (!in) {
		fprintf(stderr, "espinject: %s\n", err);
		return 1;
	}
	if (pcap_datalink(in) != DLT_EN10MB) {
		fprintf(stderr, "espinject: %s: not an Ethernet capture (link type %d)\n",
			file, pcap_datalink(in));
		pcap_close(in);
		return 1;
	}
	while ((r = pcap_next_ex(in, &h, &data)) == 1) {
		const unsigned char *esp = esp_header(data, h->caplen);
		uint64_t seq;
		uint32_t lo;

		if (!esp || get32(esp) != spi)
			continue;
		if (h->caplen != h->len) {
			fprintf(stderr, "espinject: %s: a frame of SPI 0x%08" PRIx64
				" was truncated by the capture (%u of %u bytes)\n",
				file, spi, h->caplen, h->len);
			rc = 1;
			break;
		}
		lo = get32(esp + 4);
		if (!seen) {
			seq = hi << 32 | lo;
			seen = true;
		} else {
			/* Nearest to the previous: same high half, or one off. */
			uint64_t ph = prev >> 32, best = ph << 32 | lo;
			uint64_t d = best > prev ? best - prev : prev - best;

			if (ph < UINT32_MAX && ((ph + 1) << 32 | lo) - prev < d)
				best = (ph + 1) << 32 | lo, d = best - prev;
			if (ph > 0 && prev - ((ph - 1) << 32 | lo) < d)
				best = (ph - 1) << 32 | lo;
			seq = best;
		}
		prev = seq;
		nframes++;
		if (seq < smin)
			smin = seq;
		if (seq > smax)
			smax = seq;
		if (seq < first || seq > last)
			continue;
		if (nfr == cap) {
			struct frame *n;

			cap = cap ? cap * 2 : 1024;
			n = realloc(fr, cap * sizeof(*fr));
			if (!n) {
				perror("espinject: realloc");
				return 1;
			}
			fr = n;
		}
		fr[nfr].seq = seq;
		fr[nfr].ts = h->ts;
		fr[nfr].len = h->caplen;
		fr[nfr].data = malloc(h->caplen);
		if (!fr[nfr].data) {
			perror("espinject: malloc");
			return 1;
		}
		memcpy(fr[nfr].data, data, h->caplen);
		nfr++;
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "espinject: %s: %s\n", file, pcap_geterr(in));
		rc = 1;
	}
	pcap_close(in);

	/* Oldest first, each sequence number once, the newest MAX of them. */
	if (nfr)
		qsort(fr, nfr, sizeof(*fr), cmp_frame);
	for (i = 0, start = 0; i < nfr; i++) {
		if (start && fr[start - 1].seq == fr[i].seq) {
			free(fr[i].data);
			continue;
		}
		fr[start++] = fr[i];
	}
	matched = start;
	sel = (uint64_t)matched > max ? (size_t)max : matched;
	start = matched - sel;

	if (iface && !rc) {
		out = pcap_open_live(iface, 65535, 0, 100, err);
		if (!out) {
			fprintf(stderr, "espinject: %s: %s\n", iface, err);
			rc = 1;
		}
	}
	for (i = start; i < matched && !rc; i++) {
		if (have_mac)
			memcpy(fr[i].data, mac, sizeof(mac));
		if (out) {
			if (pcap_inject(out, fr[i].data, fr[i].len) != (int)fr[i].len) {
				fprintf(stderr, "espinject: %s: seq %" PRIu64 ": %s\n",
					iface, fr[i].seq, pcap_geterr(out));
				rc = 1;
				break;
			}
			sent++;
			if (gap_us && sent % batch == 0)
				pause_us(gap_us);
		}
		if (!quiet)
			printf("espinject frame spi=0x%08" PRIx64 " seq=%" PRIu64
			       " lo=0x%08" PRIx64 " len=%u us=%" PRIu64 "\n", spi, fr[i].seq,
			       fr[i].seq & UINT32_MAX, fr[i].len, usecs(&fr[i].ts));
	}
	printf("espinject total spi=0x%08" PRIx64 " frames=%zu matched=%zu selected=%zu"
	       " sent=%zu first=%" PRIu64 " last=%" PRIu64 " min=%" PRIu64
	       " max=%" PRIu64 " first_us=%" PRIu64 " last_us=%" PRIu64 "\n",
	       spi, nframes, matched, sel, sent,
	       sel ? fr[start].seq : 0, sel ? fr[matched - 1].seq : 0,
	       nframes ? smin : 0, nframes ? smax : 0,
	       sel ? usecs(&fr[start].ts) : 0, sel ? usecs(&fr[matched - 1].ts) : 0);
	for (i = 0; i < matched; i++)
		free(fr[i].data);
	free(fr);
	if (out)
		pcap_close(out);
	return rc;
}
