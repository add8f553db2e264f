// SPDX-License-Identifier: GPL-2.0
/*
 * ha-ike: inspect and set the replay counters that xfrm_ha keeps in sync.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ha-ike.h"

const char *prog = "ha-ike";

static int cmd_help(int argc, char **argv, const char *name);

static const struct command commands[] = {
	{ "show", "sa", cmd_show_sa, "[--json]",
	  "list every SA with its counters" },
	{ "get", "sa", cmd_get_sa,
	  "dst ADDR spi SPI [proto esp|ah] [mark N] [if-id N] [--json]",
	  "show one SA" },
	{ "set", "sa", cmd_set_sa,
	  "dst ADDR spi SPI [proto esp|ah] [mark N] [if-id N] [oseq N] [seq N]\n"
	  "      [bytes N] [packets N]",
	  "raise an SA's counters and lifetime counters (they never go down)" },
	{ "show", "stats", cmd_show_stats, "[--json]",
	  "show the configuration and statistics of this network namespace" },
	{ "set", "config", cmd_set_config,
	  "[sync-period-packets N] [sync-period-time-ms N] [scan-interval-ms N]\n"
	  "      [idle-interval-ms N] [oseq-wrap-margin N]",
	  "change the configuration of this network namespace" },
	{ "monitor", NULL, cmd_monitor, "[--json] [--count N]",
	  "print every SA, then the records the module publishes" },
	{ "group", NULL, cmd_group,
	  "NAME master|backup|fault [socket PATH]",
	  "set an externally driven HA group's state (ha-ike-agent)" },
	{ "show", "state", cmd_show_state, "[socket PATH]",
	  "the agent's HA group, role, peer, link and strongSwan state" },
	{ "help", NULL, cmd_help, "", "show this help" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s <command> [arguments]\n\nCommands:\n", prog);
	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		fprintf(f, "  %s%s%s%s%s\n      %s\n", c->verb,
			c->object ? " " : "", c->object ? c->object : "",
			c->args[0] ? " " : "", c->args, c->help);
	}
	fprintf(f, "\nSPI: 0x-prefixed hex or decimal. Exit status: 0 success, "
		"1 kernel or runtime error, 2 usage error.\n");
}

static int cmd_help(int argc, char **argv, const char *name)
{
	(void)argv;
	if (argc > 0)
		return usage_error(name, "unexpected argument \"%s\"", argv[0]);
	usage(stdout);
	return EXIT_OK;
}

/* The usage line of command `name` ("set sa"), or NULL. */
static const struct command *find_command(const char *name)
{
	char full[64];
	size_t i;

	for (i = 0; name && i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		snprintf(full, sizeof(full), "%s%s%s", c->verb,
			 c->object ? " " : "", c->object ? c->object : "");
		if (!strcmp(full, name))
			return c;
	}
	return NULL;
}

static int verror(int code, const char *name, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int verror(int code, const char *name, const char *fmt, va_list ap)
{
	const struct command *c;

	fprintf(stderr, "%s: %s%s", prog, name ? name : "", name ? ": " : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (code != EXIT_USAGE)
		return code;
	c = find_command(name);
	if (c)
		fprintf(stderr, "Usage: %s %s%s%s\n", prog, name,
			c->args[0] ? " " : "", c->args);
	else
		usage(stderr);
	return code;
}

int usage_error(const char *name, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(EXIT_USAGE, name, fmt, ap);
	va_end(ap);
	return ret;
}

int runtime_error(const char *name, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(EXIT_RUNTIME, name, fmt, ap);
	va_end(ap);
	return ret;
}

struct xha_nl *open_or_complain(const char *name)
{
	char err[256];
	struct xha_nl *nl = xha_nl_open(err, sizeof(err));

	if (!nl)
		runtime_error(name, "%s", err);
	return nl;
}

int main(int argc, char **argv)
{
	char name[64];
	size_t i;
	int ret;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(0, NULL, NULL);

	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];
		int skip = c->object ? 3 : 2;

		if (strcmp(argv[1], c->verb))
			continue;
		if (c->object && (argc < 3 || strcmp(argv[2], c->object)))
			continue;
		snprintf(name, sizeof(name), "%s%s%s", c->verb,
			 c->object ? " " : "", c->object ? c->object : "");
		ret = c->run(argc - skip, argv + skip, name);
		/* Output cut short (a full disk, a closed pipe) is a failure. */
		if ((fflush(stdout) || ferror(stdout)) && ret == EXIT_OK)
			ret = runtime_error(name, "write error: %s",
					    strerror(errno));
		return ret;
	}
	if (argc < 3 && (!strcmp(argv[1], "show") || !strcmp(argv[1], "get") ||
			 !strcmp(argv[1], "set")))
		return usage_error(argv[1], "what? (sa, stats, state or config)");
	if (argc >= 3 && (!strcmp(argv[1], "show") || !strcmp(argv[1], "get") ||
			  !strcmp(argv[1], "set")))
		return usage_error(argv[1], "unknown object \"%s\"", argv[2]);
	return usage_error(NULL, "unknown command \"%s\"", argv[1]);
}
