// SPDX-License-Identifier: GPL-2.0
/* Output helpers: JSON (json-c) and value names. */
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/xfrm_ha.h>

#include "ha-ike.h"

/* Print o on one line and free it. */
void json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
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
