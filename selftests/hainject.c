// SPDX-License-Identifier: GPL-2.0
/*
 * hainject: an attacker on the HA link, for selftests/ha_link_attack.sh and
 * selftests/ha_link_v6.sh. Sends HA link datagrams from any source
 * address:port (IP_FREEBIND / IPV6_FREEBIND: the source may be the genuine
 * peer's, which is not configured here), made from datagrams captured with
 * tcpdump (-f) or from scratch:
 *
 *   hainject -s SRC -p SPORT -d DST -P DPORT [-I IFACE] [-f PCAP]
 *            [-T TYPES] [-N NODE] [-k KEYFILE] [-r HZ] [-t SEC] [-n MAX]
 *            [-o SPI:DADDR:OSEQ:SEQ] MODE
 *
 * MODE, applied to each captured datagram (filtered by -T hello,keepalive,
 * seqnum,ack or numbers, and -N the sender's node-id), in capture order:
 *   replay     as captured
 *   forge      the captured header, then random bytes (auth-failed)
 *   truncate   cut below header + tag (truncated)
 *   flip-hdr   one bit flipped in the boot id or counter (auth-failed)
 *   flip-ct    one bit flipped in the ciphertext or tag (auth-failed)
 *   oversize   padded with random bytes past 1400 (oversized)
 *   version    another version byte (bad-version)
 *   wrongkey   opened with -k (the genuine key), sealed again with a random
 *              key: a well-formed datagram that only the key betrays
 * (sealing follows docs/protocol.md at the byte level; SEQNUM payloads are
 * built with the agent's own proto.c)
 *   record     one SEQNUM that follows the last captured SEQNUM that opens
 *              with -k (counter + 1000, stream seq + 400, the same
 *              destination boot) carrying the record of -o (SPI hex, IPv4
 *              destination, oseq, seq), sealed with a random key; with -K,
 *              with the genuine key (the control: it must apply)
 *
 * -t SEC repeats the list for SEC seconds at -r HZ (default: one pass at
 * 500 Hz); -n caps the number sent. Prints "sent N". Exit 1 on errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "linux/xfrm_ha.h"
#include "xha_nl.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define MAXPKT 2048
#define MAXCAP 4096

struct dgram {
	size_t len;
	uint8_t b[MAXPKT];
};

static struct dgram *caps;
static size_t ncaps;
static uint8_t key[PROTO_KEY_LEN];
static bool have_key;

static void die(const char *fmt, const char *arg)
	__attribute__((format(printf, 1, 0), noreturn));

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "hainject: ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, arg);
#pragma GCC diagnostic pop
	fprintf(stderr, "\n");
	exit(1);
}

static int type_of(const char *s)
{
	if (!strcmp(s, "hello"))
		return PROTO_HELLO;
	if (!strcmp(s, "keepalive"))
		return PROTO_KEEPALIVE;
	if (!strcmp(s, "seqnum"))
		return PROTO_SEQNUM;
	if (!strcmp(s, "ack"))
		return 4;
	return atoi(s);
}

/* UDP payload of a captured frame to dport, or NULL. */
static const uint8_t *udp_payload(int dlt, const uint8_t *p, size_t caplen,
				  uint16_t dport, size_t *len)
{
	size_t off, ipl;
	uint16_t et;
	uint8_t proto;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return NULL;
		et = (uint16_t)(p[12] << 8 | p[13]);
		off = 14;
		if (et == 0x8100 && caplen >= 18) {
			et = (uint16_t)(p[16] << 8 | p[17]);
			off = 18;
		}
		break;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return NULL;
		et = (uint16_t)(p[14] << 8 | p[15]);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return NULL;
		et = (uint16_t)(p[0] << 8 | p[1]);
		off = 20;
		break;
	case DLT_RAW:
		off = 0;
		et = caplen && (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
		break;
	default:
		return NULL;
	}
	if (et == 0x0800) {
		if (caplen < off + 20)
			return NULL;
		ipl = (size_t)(p[off] & 0xf) * 4;
		proto = p[off + 9];
	} else if (et == 0x86dd) {
		if (caplen < off + 40)
			return NULL;
		ipl = 40;
		proto = p[off + 6];
	} else {
		return NULL;
	}
	if (proto != IPPROTO_UDP || caplen < off + ipl + 8)
		return NULL;
	off += ipl;
	if ((uint16_t)(p[off + 2] << 8 | p[off + 3]) != dport)
		return NULL;
	*len = (size_t)(p[off + 4] << 8 | p[off + 5]);
	if (*len < 8 || off + *len > caplen)
		return NULL;
	*len -= 8;
	return p + off + 8;
}

static void load_pcap(const char *file, uint16_t dport, const bool *types,
		      int node)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const uint8_t *data, *u;
	pcap_t *pc;
	size_t len;
	int dlt;

	pc = pcap_open_offline(file, ebuf);
	if (!pc)
		die("%s", ebuf);
	dlt = pcap_datalink(pc);
	caps = calloc(MAXCAP, sizeof(*caps));
	if (!caps)
		die("%s", "out of memory");
	while (ncaps < MAXCAP && pcap_next_ex(pc, &ph, &data) == 1) {
		u = udp_payload(dlt, data, ph->caplen, dport, &len);
		if (!u || len < PROTO_HDR_LEN || len > MAXPKT ||
		    memcmp(u, PROTO_MAGIC, 4))
			continue;
		if (!types[u[5] & 0xff] || (node && u[6] != node))
			continue;
		memcpy(caps[ncaps].b, u, len);
		caps[ncaps].len = len;
		ncaps++;
	}
	pcap_close(pc);
}

static void read_key(const char *file)
{
	char hex[80] = "";
	size_t n;
	FILE *f = fopen(file, "r");

	if (!f)
		die("cannot open %s", file);
	n = fread(hex, 1, sizeof(hex) - 1, f);
	fclose(f);
	hex[n] = 0;
	if (sodium_hex2bin(key, sizeof(key), hex, n, "\n", &n, NULL) ||
	    n != sizeof(key))
		die("bad key in %s", file);
	have_key = true;
}

static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	die("bad address %s", s);
	return -1;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The nonce of docs/protocol.md: node-id | 0 (7) | boot id | counter. */
static void nonce_of(const uint8_t *hdr, uint8_t n[24])
{
	memset(n, 0, 24);
	n[0] = hdr[6];
	memcpy(n + 8, hdr + 8, 16);
}

/*
 * Seal pl under the header bytes hdr (the associated data), with a random
 * key or the genuine one, into out. Byte level, so that it follows any
 * header layout that keeps the nonce's fields where they are.
 */
static size_t seal(const uint8_t *hdr, const uint8_t *pl, size_t plen,
		   bool genuine, uint8_t *out)
{
	uint8_t k[PROTO_KEY_LEN], n[24];
	unsigned long long clen;

	if (genuine)
		memcpy(k, key, sizeof(k));
	else
		randombytes_buf(k, sizeof(k));
	memcpy(out, hdr, PROTO_HDR_LEN);
	nonce_of(hdr, n);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + PROTO_HDR_LEN, &clen,
						   pl, plen, hdr, PROTO_HDR_LEN,
						   NULL, n, k);
	return PROTO_HDR_LEN + (size_t)clen;
}

/* Open a captured datagram with the genuine key; -1 if it does not. */
static int open_pkt(const struct dgram *d, uint8_t *pl, size_t *plen)
{
	unsigned long long mlen;
	uint8_t n[24];

	if (d->len < PROTO_HDR_LEN + PROTO_TAG_LEN)
		return -1;
	nonce_of(d->b, n);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pl, &mlen, NULL,
						       d->b + PROTO_HDR_LEN,
						       d->len - PROTO_HDR_LEN,
						       d->b, PROTO_HDR_LEN, n, key))
		return -1;
	*plen = (size_t)mlen;
	return 0;
}

/* Make datagram i of the list for MODE into out; returns its length. */
static size_t make(const char *mode, const struct dgram *d, uint8_t *out)
{
	size_t len = d->len, n;
	uint32_t r = randombytes_random();

	memcpy(out, d->b, len);
	if (!strcmp(mode, "replay"))
		return len;
	if (!strcmp(mode, "forge")) {
		len = PROTO_HDR_LEN + PROTO_TAG_LEN +
		      randombytes_uniform(PROTO_MAX_PKT - PROTO_HDR_LEN - PROTO_TAG_LEN + 1);
		randombytes_buf(out + PROTO_HDR_LEN, len - PROTO_HDR_LEN);
		return len;
	}
	if (!strcmp(mode, "truncate"))
		return randombytes_uniform(PROTO_HDR_LEN + PROTO_TAG_LEN);
	if (!strcmp(mode, "flip-hdr")) {
		/* boot id (8..15) or counter (16..23), never to zero */
		do {
			memcpy(out, d->b, len);
			n = 8 + randombytes_uniform(16);
			out[n] ^= (uint8_t)(1u << (r++ & 7));
		} while (!get64(out + 8) || !get64(out + 16));
		return len;
	}
	if (!strcmp(mode, "flip-ct")) {
		n = PROTO_HDR_LEN + randombytes_uniform((uint32_t)(len - PROTO_HDR_LEN));
		out[n] ^= (uint8_t)(1u << (r & 7));
		return len;
	}
	if (!strcmp(mode, "oversize")) {
		n = PROTO_MAX_PKT + 1 + randombytes_uniform(MAXPKT - PROTO_MAX_PKT - 1 - 600);
		randombytes_buf(out + len, n > len ? n - len : 0);
		return n;
	}
	if (!strcmp(mode, "version")) {
		do
			out[4] = (uint8_t)randombytes_uniform(256);
		while (out[4] == PROTO_VERSION);
		return len;
	}
	if (!strcmp(mode, "wrongkey")) {
		uint8_t pl[MAXPKT];
		size_t plen;

		if (open_pkt(d, pl, &plen))
			die("%s", "a captured datagram does not open with -k");
		return seal(d->b, pl, plen, false, out);
	}
	die("unknown mode %s", mode);
	return 0;
}

/* "SPI:DADDR:OSEQ:SEQ" into a record of an ESN SA (64-bit counters). */
static void parse_record(const char *s, struct xha_sa *sa)
{
	char buf[128], *spi, *da, *o, *q, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	spi = strtok_r(buf, ":", &save);
	da = strtok_r(NULL, ":", &save);
	o = strtok_r(NULL, ":", &save);
	q = strtok_r(NULL, ":", &save);
	if (!spi || !da || !o || !q)
		die("bad -o %s", s);
	memset(sa, 0, sizeof(*sa));
	sa->family = AF_INET;
	sa->proto = IPPROTO_ESP;
	sa->replay_mode = XFRM_HA_REPLAY_ESN;
	sa->spi = htonl((uint32_t)strtoul(spi, NULL, 16));
	if (inet_pton(AF_INET, da, sa->daddr) != 1)
		die("bad -o address %s", da);
	sa->oseq = strtoull(o, NULL, 0);
	sa->seq = strtoull(q, NULL, 0);
	sa->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
}

/*
 * A SEQNUM that the receiver takes for the genuine sender's next ones: the
 * last captured SEQNUM's header with the counter RECORD_CTR_AHEAD ahead
 * (fresh: above anything the sender sent since, and within the receiver's
 * anti-replay window, so the sender's own next packets stay acceptable)
 * and the stream seq RECORD_SEQ_AHEAD ahead (within the 4096-message
 * receive window, above what the sender sends before ours arrives, which
 * would make ours a duplicate: at the module's 10 ms passes that can be a
 * hundred messages a second), and the destination boot of its payload (offset 8:
 * the receiver's boot; anything else is stale-session). The same record
 * whatever the key: only the key decides.
 */
#define RECORD_CTR_AHEAD 1000
#define RECORD_SEQ_AHEAD 400

static size_t make_record(const char *rec, bool genuine, uint8_t *out)
{
	struct proto_batch b;
	struct xha_sa sa;
	uint8_t hdr[PROTO_HDR_LEN], pl[MAXPKT];
	size_t plen = 0, i;
	int e = -1;

	parse_record(rec, &sa);
	for (i = ncaps; i-- > 0;) {
		if (caps[i].b[5] != PROTO_SEQNUM)
			continue;
		e = open_pkt(&caps[i], pl, &plen);
		if (!e)
			break;
	}
	if (e)
		die("%s", "no captured SEQNUM opens with -k");
	if (plen < PROTO_SEQNUM_HDR_LEN)
		die("%s", "the captured SEQNUM's payload is too short");
	memcpy(hdr, caps[i].b, PROTO_HDR_LEN);
	put64(hdr + 16, get64(hdr + 16) + RECORD_CTR_AHEAD);
	put64(hdr + 24, get64(hdr + 24) + RECORD_SEQ_AHEAD);
	proto_batch_init(&b, 0, 0);
	b.hdr.dest_boot = get64(pl + 8);
	if (proto_batch_add(&b, &sa) < 0)
		die("%s", "record refused by proto_batch_add");
	plen = proto_batch_finish(&b);
	return seal(hdr, b.buf, plen, genuine, out);
}

int main(int argc, char **argv)
{
	const char *src = NULL, *dst = NULL, *pcapf = NULL, *ifname = NULL;
	const char *rec = NULL, *mode;
	uint16_t sport = 4520, dport = 4520;
	struct sockaddr_storage sa, da;
	socklen_t slen, dlen;
	bool types[256], genuine = false;
	double hz = 500, secs = 0;
	long max = -1, sent = 0, failed = 0;
	int opt, fam, fd, one = 1, node = 0;
	struct timespec t0, now, gap;
	uint8_t out[MAXPKT];
	size_t i, len;

	memset(types, 1, sizeof(types));
	if (sodium_init() < 0)
		die("%s", "sodium_init");
	while ((opt = getopt(argc, argv, "s:p:d:P:I:f:T:N:k:Kr:t:n:o:")) != -1) {
		switch (opt) {
		case 's': src = optarg; break;
		case 'p': sport = (uint16_t)atoi(optarg); break;
		case 'd': dst = optarg; break;
		case 'P': dport = (uint16_t)atoi(optarg); break;
		case 'I': ifname = optarg; break;
		case 'f': pcapf = optarg; break;
		case 'T': {
			char *save = NULL, *t;

			memset(types, 0, sizeof(types));
			for (t = strtok_r(optarg, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				types[type_of(t) & 0xff] = true;
			break;
		}
		case 'N': node = atoi(optarg); break;
		case 'k': read_key(optarg); break;
		case 'K': genuine = true; break;
		case 'r': hz = atof(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'n': max = atol(optarg); break;
		case 'o': rec = optarg; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of hainject.c\n");
			return 2;
		}
	}
	if (optind != argc - 1 || !src || !dst)
		die("%s", "usage: hainject -s SRC -p SPORT -d DST -P DPORT [...] MODE");
	mode = argv[optind];
	if (strcmp(mode, "record"))
		rec = NULL;
	else if (!rec)
		die("%s", "record needs -o");
	if (pcapf)
		load_pcap(pcapf, dport, types, node);
	if (!ncaps)
		die("%s", "no captured datagram to work from (-f, -T, -N)");
	if ((!strcmp(mode, "wrongkey") || !strcmp(mode, "record")) && !have_key)
		die("%s needs -k", mode);
	if (genuine && !have_key)
		die("%s", "-K needs -k");

	fam = parse_addr(src, sport, &sa, &slen);
	if (parse_addr(dst, dport, &da, &dlen) != fam)
		die("%s", "source and destination of different families");
	fd = socket(fam, SOCK_DGRAM, IPPROTO_UDP);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* A source that is not ours: FREEBIND to bind it, TRANSPARENT
	 * (CAP_NET_ADMIN) for the route lookup to accept it. */
	if (fam == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				 (socklen_t)strlen(ifname) + 1) < 0)
		die("SO_BINDTODEVICE: %s", strerror(errno));
	if (ifname && fam == AF_INET6) {
		unsigned int idx = if_nametoindex(ifname);

		((struct sockaddr_in6 *)&sa)->sin6_scope_id = idx;
		((struct sockaddr_in6 *)&da)->sin6_scope_id = idx;
	}
	if (bind(fd, (struct sockaddr *)&sa, slen) < 0)
		die("bind to the source: %s", strerror(errno));

	gap.tv_sec = (time_t)(1 / hz);
	gap.tv_nsec = (long)((1 / hz - (double)gap.tv_sec) * 1e9);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (i = 0; i < ncaps && (max < 0 || sent < max); i++) {
			len = rec ? make_record(rec, genuine, out) :
				    make(mode, &caps[i], out);
			if (sendto(fd, out, len, 0, (struct sockaddr *)&da,
				   dlen) < 0) {
				if (!failed)
					perror("hainject: sendto");
				failed++;
			} else {
				sent++;
			}
			nanosleep(&gap, NULL);
			if (rec)
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (rec || (max >= 0 && sent >= max) ||
		    (double)(now.tv_sec - t0.tv_sec) +
		    (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >= secs)
			break;
	}
	printf("sent %ld\n", sent);
	if (failed)
		fprintf(stderr, "hainject: %ld sends failed\n", failed);
	return sent ? 0 : 1;
}
