// SPDX-License-Identifier: GPL-2.0
/*
 * ha-ike monitor: print every SA's counters once, then the records xfrm_ha
 * publishes on "seqnum" as they come, one line each, until interrupted or
 * --count lines were printed.
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
		json_print(sa_json(sa));
	} else {
		xha_sa_format_cmd(sa, id, sizeof(id));
		printf("%s oseq %" PRIu64 " seq %" PRIu64 "\n", id, sa->oseq,
		       sa->seq);
	}
	fflush(stdout);
	if (m->left && !--m->left)
		return 1;
	return 0;
}

/* 0, 1 if --count was reached, or -1 after printing the error. */
static int dump_current(const char *name, struct monitor *m)
{
	struct xha_nl *req = open_or_complain(name);
	int err;

	if (!req)
		return -1;
	err = xha_nl_sa_dump(req, print_cb, m);
	if (err < 0)
		runtime_error(name, "%s", xha_nl_error(req));
	xha_nl_close(req);
	return err < 0 ? -1 : err;
}

int cmd_monitor(int argc, char **argv, const char *name)
{
	struct monitor m = { 0 };
	struct sigaction sa;
	struct xha_nl *nl;
	int i, err;

	m.json = opts.json;
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
	/*
	 * The current counters first, from a dump on a second handle: that
	 * also arms the module's scan of this namespace (see the uapi header).
	 */
	err = dump_current(name, &m);
	if (err) {
		xha_nl_close(nl);
		return err < 0 ? EXIT_RUNTIME : EXIT_OK;
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
