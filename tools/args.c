// SPDX-License-Identifier: GPL-2.0
/* Strict command-line parsing: a value is taken whole or not at all. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ha-ike.h"

/* Decimal or 0x-prefixed hexadecimal, no sign, no spaces, at most max. */
bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return false;
	} else if (!isdigit((unsigned char)s[0])) {
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool parse_addr(const char *s, uint16_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

bool parse_proto(const char *s, uint8_t *proto)
{
	if (!strcmp(s, "esp"))
		*proto = IPPROTO_ESP;
	else if (!strcmp(s, "ah"))
		*proto = IPPROTO_AH;
	else
		return false;
	return true;
}

enum {
	K_DST, K_SPI, K_PROTO, K_MARK, K_IF_ID, K_OSEQ, K_SEQ, K_BYTES,
	K_PACKETS, K_MAX
};
static const char *const keywords[K_MAX] = {
	"dst", "spi", "proto", "mark", "if-id", "oseq", "seq", "bytes",
	"packets",
};

int parse_sa_args(int argc, char **argv, const char *name, bool counters,
		  struct xha_sa *sa, bool *json)
{
	bool seen[K_MAX] = { false };
	uint32_t spi;
	int i, k;

	memset(sa, 0, sizeof(*sa));
	sa->proto = IPPROTO_ESP;
	for (i = 0; i < argc; i++) {
		const char *val;

		if (json && !strcmp(argv[i], "--json")) {
			*json = true;
			continue;
		}
		for (k = 0; k < K_MAX; k++)
			if (!strcmp(argv[i], keywords[k]))
				break;
		if (k == K_MAX || (!counters && k >= K_OSEQ))
			return usage_error(name, "unexpected argument \"%s\"",
					   argv[i]);
		if (seen[k])
			return usage_error(name, "\"%s\" given twice",
					   keywords[k]);
		seen[k] = true;
		if (i + 1 >= argc)
			return usage_error(name, "\"%s\" needs a value",
					   keywords[k]);
		val = argv[++i];
		switch (k) {
		case K_DST:
			if (!parse_addr(val, &sa->family, sa->daddr))
				return usage_error(name, "bad address \"%s\"", val);
			break;
		case K_SPI:
			if (!parse_u32(val, &spi))
				return usage_error(name, "bad SPI \"%s\" (0x-prefixed hex or decimal, 32 bits)",
						   val);
			sa->spi = htonl(spi);
			break;
		case K_PROTO:
			if (!parse_proto(val, &sa->proto))
				return usage_error(name, "bad proto \"%s\" (esp or ah)",
						   val);
			break;
		case K_MARK:
			if (!parse_u32(val, &sa->mark))
				return usage_error(name, "bad mark \"%s\" (32-bit number)",
						   val);
			break;
		case K_IF_ID:
			if (!parse_u32(val, &sa->if_id))
				return usage_error(name, "bad if-id \"%s\" (32-bit number)",
						   val);
			break;
		case K_OSEQ:
			if (!parse_u64(val, UINT64_MAX, &sa->oseq))
				return usage_error(name, "bad oseq \"%s\" (64-bit number)",
						   val);
			sa->has |= XHA_SA_HAS_OSEQ;
			break;
		case K_SEQ:
			if (!parse_u64(val, UINT64_MAX, &sa->seq))
				return usage_error(name, "bad seq \"%s\" (64-bit number)",
						   val);
			sa->has |= XHA_SA_HAS_SEQ;
			break;
		case K_BYTES:
		case K_PACKETS:
			/* Raise-only in the kernel: the one not given stays 0. */
			if (!parse_u64(val, UINT64_MAX,
				       k == K_BYTES ? &sa->bytes : &sa->packets))
				return usage_error(name, "bad %s \"%s\" (64-bit number)",
						   keywords[k], val);
			sa->has |= XHA_SA_HAS_LIFETIME;
			break;
		}
	}
	if (!seen[K_DST])
		return usage_error(name, "missing \"dst ADDR\"");
	if (!seen[K_SPI])
		return usage_error(name, "missing \"spi SPI\"");
	if (counters && !seen[K_OSEQ] && !seen[K_SEQ] && !seen[K_BYTES] &&
	    !seen[K_PACKETS])
		return usage_error(name, "nothing to set (give oseq, seq, bytes or packets)");
	return EXIT_OK;
}

int parse_json_only(int argc, char **argv, const char *name, bool *json)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json"))
			return usage_error(name, "unexpected argument \"%s\"",
					   argv[i]);
		*json = true;
	}
	return EXIT_OK;
}
