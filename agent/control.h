/* SPDX-License-Identifier: GPL-2.0 */
/* The agent's answers to control-socket requests (agent/ctl.c). */
#ifndef AGENT_CONTROL_H
#define AGENT_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#include "ctl.h"

/* A ctl_handler; arg is the struct agent. */
int control_request(void *arg, const struct ctl_request *req, FILE *out,
		    char *err, size_t errlen);

#endif /* AGENT_CONTROL_H */
