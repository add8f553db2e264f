/* SPDX-License-Identifier: GPL-2.0 */
/* Wires config, kernel, link, peer and sync into the event loop. */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include "config.h"

/* Runs until SIGTERM/SIGINT. Returns the process exit status. */
int agent_run(struct config *cfg);

#endif /* AGENT_AGENT_H */
