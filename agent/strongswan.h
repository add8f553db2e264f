/* SPDX-License-Identifier: GPL-2.0 */
/*
 * charon's ha plugin settings that match an xfrm-ha configuration, in
 * strongswan.d syntax: VRRP alone decides (monitor = no, autobalance = 0,
 * one segment), the plugin's own sync link is protected by a secret
 * derived from the xfrm-ha link key, and the HA pools are ours.
 */
#ifndef AGENT_STRONGSWAN_H
#define AGENT_STRONGSWAN_H

#include <stdio.h>

#include "config.h"

/* The secret, as 64 hex characters and a NUL. Needs sodium_init(). */
void strongswan_secret(const struct config *cfg, char out[65]);
/* Returns 0, or -1 if writing failed. */
int strongswan_render(FILE *f, const struct config *cfg, const char *from);

#endif /* AGENT_STRONGSWAN_H */
