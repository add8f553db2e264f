/* SPDX-License-Identifier: GPL-2.0 */
/* The agent's answers to control-socket requests (agent/ctl.c). */
#ifndef AGENT_CONTROL_H
#define AGENT_CONTROL_H

#include <stddef.h>

/* A ctl_handler; arg is the struct agent. */
void control_request(void *arg, char *const *argv, int argc, char *reply,
		     size_t len);

#endif /* AGENT_CONTROL_H */
