/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keepalived's vrrp_notify_fifo: lines such as
 *	INSTANCE "VI_1" MASTER 100
 *	GROUP "VPN" BACKUP 0
 * split out of a byte stream and parsed. Pure: no I/O, fuzzed.
 */
#ifndef AGENT_KEEPALIVED_H
#define AGENT_KEEPALIVED_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define KA_LINE_MAX 512		/* longer lines are malformed */

enum ka_kind {
	KA_INSTANCE,
	KA_GROUP,
	KA_OTHER,		/* VS, RS, ...: not ours */
};

enum ka_state {
	KA_MASTER,
	KA_BACKUP,
	KA_FAULT,
	KA_STOP,
	KA_DELETED,
	KA_UNKNOWN,		/* a word we do not know (newer keepalived) */
};

struct ka_line {
	enum ka_kind kind;
	char name[CONFIG_NAME_LEN];
	enum ka_state state;
	int priority;		/* -1 if absent */
};

/*
 * Parse one line, without its newline. Returns 0, or -1 if it is not a
 * keepalived notify line (bad quoting, a name too long, trailing junk).
 */
int ka_parse_line(const char *line, size_t len, struct ka_line *out);

/* The HA group state a line means; false for KA_UNKNOWN. */
bool ka_state_to_ha(enum ka_state st, enum ha_state *ha);
const char *ka_state_name(enum ka_state st);

/*
 * Splits a byte stream into lines. Feed what read() returned; take each
 * complete line with ka_buf_next(). A line longer than KA_LINE_MAX is
 * dropped whole, up to its newline, and counted.
 */
struct ka_buf {
	char data[KA_LINE_MAX + 1];
	size_t len;
	bool skipping;		/* inside an overlong line */
	bool complete;		/* data holds a whole line */
	unsigned long overlong;
};

/*
 * Consume up to n bytes of in; stops early once a complete line is
 * buffered (returns how many bytes were used). Then ka_buf_next().
 */
size_t ka_buf_feed(struct ka_buf *b, const char *in, size_t n);
/* A complete line (NUL-terminated, no newline) or NULL. */
const char *ka_buf_next(struct ka_buf *b, size_t *len);

#endif /* AGENT_KEEPALIVED_H */
