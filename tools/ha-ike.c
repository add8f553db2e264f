// SPDX-License-Identifier: GPL-2.0
/*
 * ha-ike: inspect and set the replay counters that xfrm_ha keeps in sync.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ha-ike.h"

const char *prog = "ha-ike";
struct options opts;

static int cmd_help(int argc, char **argv, const char *name);

static const struct command commands[] = {
	{ "show", "sa", cmd_show_sa, "",
	  "list every SA: one line each, \"dst ADDR spi SPI proto P [mark N]\n"
	  "      [if-id N] oseq N seq N [bytes N packets N]\", as set sa takes it",
	  true },
	{ "get", "sa", cmd_get_sa,
	  "dst ADDR spi SPI [proto esp|ah] [mark N] [if-id N]",
	  "show one SA", true },
	{ "set", "sa", cmd_set_sa,
	  "dst ADDR spi SPI [proto esp|ah] [mark N] [if-id N] [oseq N] [seq N]\n"
	  "      [bytes N] [packets N]",
	  "raise an SA's counters and lifetime counters (they never go down)",
	  true },
	{ "show", "stats", cmd_show_stats, "",
	  "show the module's configuration and statistics in this network namespace",
	  true },
	{ "set", "config", cmd_set_config,
	  "[sync-period-packets N] [sync-period-time N[s|ms]] [scan-interval-ms N]\n"
	  "      [idle-interval-ms N] [oseq-wrap-margin N]",
	  "change the module's configuration in this network namespace\n"
	  "      (sync-period-time in seconds as in the configuration, or with ms;\n"
	  "      sync-period-time-ms N is accepted too)", true },
	{ "monitor", NULL, cmd_monitor, "[--count N]",
	  "print every SA, then the records the module publishes", true },
	{ "group", NULL, cmd_group, "NAME master|backup|fault",
	  "set an externally driven HA group's state (ha-ike-agent)", false },
	{ "show", "state", cmd_show_state, "",
	  "the agent's HA group, role, peer (liveness, boot id), link and strongSwan state",
	  false },
	{ "show", "sync", cmd_show_sync, "",
	  "the agent's sync lag: per SA, the worst, pending updates", false },
	{ "show", "config", cmd_show_config, "[nodefault] [PATH...]",
	  "the agent's running configuration (-j: its YANG JSON); PATH\n"
	  "      selects one node as blocks open: vrf main ike ha seqnum-sync", false },
	{ "resync", NULL, cmd_resync, "",
	  "a bulk sync now (a backup asks the active node for one)", false },
	{ "reload", NULL, cmd_reload, "",
	  "the agent loads its configuration file again (as SIGHUP does)", false },
	{ "help", NULL, cmd_help, "", "show this help", false },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j|--json] [-n|--netns NAME] [-s|--socket PATH] <command> [arguments]\n\n"
		"  -j, --json         JSON output\n"
		"  -n, --netns NAME   the network namespace /run/netns/NAME (\"main\": this one):\n"
		"                     kernel commands run there; the agent's socket is\n"
		"                     /run/xfrm-ha/NAME.sock\n"
		"  -s, --socket PATH  the agent's control socket (default /run/xfrm-ha/main.sock)\n"
		"\nCommands:\n", prog);
	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		fprintf(f, "  %s%s%s%s%s\n      %s\n", c->verb,
			c->object ? " " : "", c->object ? c->object : "",
			c->args[0] ? " " : "", c->args, c->help);
	}
	fprintf(f, "\nSPI: 0x-prefixed hex or decimal. The old forms \"... --json\" and\n"
		"\"... socket PATH\" at the end of a command still work.\n"
		"Exit status: 0 success; 1 the kernel, the agent or the system refused\n"
		"(the reason on stderr); 2 usage error; 3 the agent is not running or\n"
		"did not answer (control socket missing, refused, silent or cut short).\n");
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

/* -n NAME for a kernel command: into /run/netns/NAME ("main": stay). */
static int enter_netns(const char *name)
{
	char path[300];
	int fd;

	if (!opts.netns || !strcmp(opts.netns, "main"))
		return EXIT_OK;
	snprintf(path, sizeof(path), "/run/netns/%s", opts.netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return runtime_error(name, "network namespace \"%s\": %s: %s",
				     opts.netns, path, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0) {
		close(fd);
		return runtime_error(name, "network namespace \"%s\": setns: %s",
				     opts.netns, strerror(errno));
	}
	close(fd);
	return EXIT_OK;
}

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "netns", required_argument, NULL, 'n' },
	{ "socket", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	char name[64];
	size_t i;
	int c, ret;

	opterr = 0;
	/* "+": options end at the command (its own arguments follow). */
	while ((c = getopt_long(argc, argv, "+jn:s:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'n':
			if (!optarg[0] || strchr(optarg, '/') ||
			    !strcmp(optarg, ".") || !strcmp(optarg, "..") ||
			    strlen(optarg) > 64)
				return usage_error(NULL, "bad network namespace name \"%s\"",
						   optarg);
			opts.netns = optarg;
			break;
		case 's':
			if (!optarg[0])
				return usage_error(NULL, "empty socket path");
			opts.socket = optarg;
			break;
		case 'h':
			return cmd_help(0, NULL, NULL);
		default:
			if (optopt && strchr("ns", optopt))
				return usage_error(NULL, "option -%c needs a value",
						   optopt);
			return usage_error(NULL, "unknown option \"%s\"",
					   argv[optind - 1]);
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}

	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *cmd = &commands[i];
		int skip = cmd->object ? 3 : 2;

		if (strcmp(argv[1], cmd->verb))
			continue;
		if (cmd->object && (argc < 3 || strcmp(argv[2], cmd->object)))
			continue;
		snprintf(name, sizeof(name), "%s%s%s", cmd->verb,
			 cmd->object ? " " : "", cmd->object ? cmd->object : "");
		if (cmd->kernel) {
			ret = enter_netns(name);
			if (ret)
				return ret;
		}
		ret = cmd->run(argc - skip, argv + skip, name);
		/* Output cut short (a full disk, a closed pipe) is a failure. */
		if ((fflush(stdout) || ferror(stdout)) && ret == EXIT_OK)
			ret = runtime_error(name, "write error: %s",
					    strerror(errno));
		return ret;
	}
	if (argc < 3 && (!strcmp(argv[1], "show") || !strcmp(argv[1], "get") ||
			 !strcmp(argv[1], "set")))
		return usage_error(argv[1], "what? (sa, stats, state, sync or config)");
	if (argc >= 3 && (!strcmp(argv[1], "show") || !strcmp(argv[1], "get") ||
			  !strcmp(argv[1], "set")))
		return usage_error(argv[1], "unknown object \"%s\"", argv[2]);
	return usage_error(NULL, "unknown command \"%s\"", argv[1]);
}
