// SPDX-License-Identifier: GPL-2.0
/*
 * ha-ike monitor: print the records xfrm_ha publishes on "seqnum", one line
 * each, until interrupted or --count records were printed. Subscribing makes
 * the module scan this namespace, as the agent's subscription does.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ha-ike.h"

struct monitor {
	bool json;
	uint64_t left;		/* 0: unlimited */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_cb(const struct xha_sa *sa, void *arg)
{
	struct monitor *m = arg;
	char id[128];

	if (m->json) {
		sa_json(stdout, sa);
		putchar('\n');
	} else {
		xha_sa_format_id(sa, id, sizeof(id));
		printf("%s oseq %" PRIu64 " seq %" PRIu64 "\n", id, sa->oseq,
		       sa->seq);
	}
	fflush(stdout);
	if (m->left && !--m->left)
		return 1;
	return 0;
}

int cmd_monitor(int argc, char **argv, const char *name)
{
	struct monitor m = { 0 };
	struct sigaction sa;
	struct xha_nl *nl;
	int i, err;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			m.json = true;
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			if (!parse_u64(argv[++i], UINT64_MAX, &m.left) || !m.left)
				return usage_error(name, "bad count \"%s\"", argv[i]);
		} else {
			return usage_error(name, "unexpected argument \"%s\"",
					   argv[i]);
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: recv returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	nl = open_or_complain(name);
	if (!nl)
		return EXIT_RUNTIME;
	err = xha_nl_subscribe(nl);
	if (err) {
		runtime_error(name, "cannot subscribe: %s", xha_nl_error(nl));
		xha_nl_close(nl);
		return EXIT_RUNTIME;
	}
	while (!stop) {
		err = xha_nl_recv_notify(nl, print_cb, &m);
		if (err == 1)
			break;		/* --count reached */
		if (err == -EINTR)
			continue;
		if (err == -ENOBUFS) {
			fprintf(stderr, "%s: %s: records were lost; "
				"'ha-ike show sa' has the current counters\n",
				prog, name);
			continue;
		}
		if (err < 0) {
			runtime_error(name, "%s", xha_nl_error(nl));
			xha_nl_close(nl);
			return EXIT_RUNTIME;
		}
	}
	xha_nl_close(nl);
	return EXIT_OK;
}
