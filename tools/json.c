// SPDX-License-Identifier: GPL-2.0
/* Output helpers: JSON strings and value names. */
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/xfrm_ha.h>

#include "ha-ike.h"

/* A JSON string literal; bytes >= 0x80 pass through (UTF-8 is assumed). */
void json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_ESP ? "esp" : proto == IPPROTO_AH ? "ah" : NULL;
}

const char *replay_mode_name(uint8_t mode)
{
	switch (mode) {
	case XFRM_HA_REPLAY_LEGACY:
		return "legacy";
	case XFRM_HA_REPLAY_BMP:
		return "bmp";
	case XFRM_HA_REPLAY_ESN:
		return "esn";
	}
	return NULL;
}

const char *family_name(uint16_t family)
{
	return family == AF_INET ? "inet" : family == AF_INET6 ? "inet6" : NULL;
}
