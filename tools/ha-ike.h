/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HA_IKE_H
#define HA_IKE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "xha_nl.h"

/* Exit codes (ha-ike(8), docs/protocol.md). */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* the kernel, the agent or the system said no */
	EXIT_USAGE = 2,		/* the command line is wrong */
	EXIT_UNREACHABLE = 3,	/* no agent on the control socket, or it
				 * did not answer, or its reply was cut */
};

extern const char *prog;

/* The global options, given before the command. */
struct options {
	bool json;		/* -j, --json */
	const char *netns;	/* -n, --netns: NULL or "main": this one */
	const char *socket;	/* -s, --socket */
};
extern struct options opts;

#define CTL_REQ_MAX 256		/* the agent's CTL_MAX_REQUEST */
#define CTL_REQ_WORDS 16	/* the agent's CTL_MAX_ARGS */

struct command {
	const char *verb;
	const char *object;
	int (*run)(int argc, char **argv, const char *name);
	const char *args;
	const char *help;
	bool kernel;	/* talks to the kernel: runs in -n NAME's netns */
};

int cmd_show_sa(int argc, char **argv, const char *name);
int cmd_get_sa(int argc, char **argv, const char *name);
int cmd_set_sa(int argc, char **argv, const char *name);
int cmd_show_stats(int argc, char **argv, const char *name);
int cmd_set_config(int argc, char **argv, const char *name);
int cmd_monitor(int argc, char **argv, const char *name);
/* agentctl.c: through ha-ike-agent's control socket */
int cmd_group(int argc, char **argv, const char *name);
int cmd_show_state(int argc, char **argv, const char *name);
int cmd_show_sync(int argc, char **argv, const char *name);
int cmd_show_config(int argc, char **argv, const char *name);
int cmd_resync(int argc, char **argv, const char *name);
int cmd_reload(int argc, char **argv, const char *name);

/* sa.c: one SA as a JSON object (json-c; the caller owns it). */
struct json_object *sa_json(const struct xha_sa *sa);

/* Print "ha-ike: <name>: <msg>" to stderr and return EXIT_USAGE. */
int usage_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "ha-ike: <name>: <msg>" to stderr and return EXIT_RUNTIME. */
int runtime_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct xha_nl *open_or_complain(const char *name);

/* args.c: strict parsers; false on anything but a complete, in-range value. */
bool parse_u64(const char *s, uint64_t max, uint64_t *out);
bool parse_u32(const char *s, uint32_t *out);
bool parse_addr(const char *s, uint16_t *family, uint8_t addr[16]);
bool parse_proto(const char *s, uint8_t *proto);
/*
 * Parse "dst ADDR spi SPI [proto esp|ah] [mark N] [if-id N]" and, when
 * counters is set, "[oseq N] [seq N]". Returns EXIT_OK or prints the
 * problem and returns EXIT_USAGE. *json is set by "--json" if json is
 * not NULL.
 */
int parse_sa_args(int argc, char **argv, const char *name, bool counters,
		  struct xha_sa *sa, bool *json);

/* Arguments that may only be "--json": EXIT_OK or, printed, EXIT_USAGE. */
int parse_json_only(int argc, char **argv, const char *name, bool *json);

/* json.c: print o on one line, then free it. */
void json_print(struct json_object *o);

/* Names for values. */
const char *proto_name(uint8_t proto);
const char *replay_mode_name(uint8_t mode);
const char *family_name(uint16_t family);

#endif /* HA_IKE_H */
