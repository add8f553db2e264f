// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that talk to ha-ike-agent over its control socket rather
 * than to the kernel: group, show state, show sync, show config, resync,
 * reload. The protocol is in docs/protocol.md ("The control socket"): one
 * request, then the reply in pieces and an end message of one NUL byte.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ha-ike.h"

#define REPLY_TIMEOUT_MS 10000	/* between two pieces of the reply */
#define PIECE_MAX 16384		/* the agent's CTL_CHUNK */

/* The socket: -s, else the old trailing "socket PATH", else the netns's. */
static int take_socket(int argc, char **argv, const char **path)
{
	static char buf[108];

	if (opts.socket) {
		*path = opts.socket;
	} else {
		snprintf(buf, sizeof(buf), "/run/xfrm-ha/%s.sock",
			 opts.netns ? opts.netns : "main");
		*path = buf;
	}
	if (argc >= 2 && !strcmp(argv[argc - 2], "socket")) {
		*path = argv[argc - 1];
		return argc - 2;
	}
	return argc;
}

/* The old trailing "--json", wherever it is among the arguments. */
static int take_json(int argc, char **argv)
{
	int i, j;

	for (i = j = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			opts.json = true;
		else
			argv[j++] = argv[i];
	}
	return j;
}

static int unreachable(const char *name, const char *path, const char *why)
{
	fprintf(stderr, "%s: %s: %s: %s\n", prog, name, path, why);
	return EXIT_UNREACHABLE;
}

/*
 * Send one request and copy the reply's body to stdout as it comes.
 * EXIT_OK if it began "ok", EXIT_RUNTIME for "error: ", EXIT_UNREACHABLE
 * when the agent cannot be reached or its reply was cut short.
 */
static int request(const char *name, const char *path, const char *req)
{
	struct sockaddr_un to = { .sun_family = AF_UNIX };
	char piece[PIECE_MAX + 1], full[CTL_REQ_MAX + 8];
	char errmsg[1024] = "";
	static const struct timeval sndtimeo = {
		.tv_sec = REPLY_TIMEOUT_MS / 1000,
		.tv_usec = REPLY_TIMEOUT_MS % 1000 * 1000,
	};
	bool first = true, failed = false;
	struct pollfd pfd;
	size_t elen = 0;
	ssize_t n;
	int fd, ret;

	if (strlen(path) >= sizeof(to.sun_path))
		return usage_error(name, "socket path too long");
	snprintf(full, sizeof(full), "%s%s", opts.json ? "json " : "", req);
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return runtime_error(name, "socket: %s", strerror(errno));
	/* A stuck agent's backlog fills up, and connect() would then wait
	 * for ever: the send timeout bounds it (EAGAIN). */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sndtimeo,
		       sizeof(sndtimeo)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0 ||
	    send(fd, full, strlen(full), MSG_NOSIGNAL) < 0) {
		snprintf(errmsg, sizeof(errmsg), "%s%s",
			 errno == EAGAIN ? "the agent does not accept connections" :
					   strerror(errno),
			 errno == ENOENT || errno == ECONNREFUSED ?
				 " (is ha-ike-agent running?)" : "");
		close(fd);
		return unreachable(name, path, errmsg);
	}
	for (;;) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) != 1) {
			close(fd);
			return unreachable(name, path, "no answer from the agent");
		}
		n = recv(fd, piece, sizeof(piece) - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(errmsg, sizeof(errmsg), "%s", strerror(errno));
			close(fd);
			return unreachable(name, path, errmsg);
		}
		if (n == 0) {
			close(fd);
			return unreachable(name, path, first ?
				"the agent closed the connection (busy?)" :
				"the agent's reply was cut short");
		}
		if (n == 1 && piece[0] == '\0')
			break;	/* the end message */
		piece[n] = '\0';
		if (first) {
			first = false;
			if (!strncmp(piece, "ok\n", 3)) {
				fwrite(piece + 3, 1, (size_t)n - 3, stdout);
				continue;
			}
			if (!strcmp(piece, "ok"))
				continue;
			failed = true;
			ret = !strncmp(piece, "error: ", 7) ? 7 : 0;
			elen = (size_t)snprintf(errmsg, sizeof(errmsg), "%s",
						piece + ret);
			continue;
		}
		if (failed) {
			if (elen < sizeof(errmsg))
				elen += (size_t)snprintf(errmsg + elen,
							 sizeof(errmsg) - elen,
							 "%s", piece);
			continue;
		}
		fwrite(piece, 1, (size_t)n, stdout);
	}
	close(fd);
	if (failed)
		return runtime_error(name, "%s", errmsg);
	return EXIT_OK;
}

int cmd_group(int argc, char **argv, const char *name)
{
	char req[256];
	const char *path;

	argc = take_json(argc, argv);
	argc = take_socket(argc, argv, &path);
	if (argc != 2)
		return usage_error(name, "expected NAME and master, backup or fault");
	if (strcmp(argv[1], "master") && strcmp(argv[1], "backup") &&
	    strcmp(argv[1], "fault"))
		return usage_error(name, "state \"%s\": expected master, backup or fault",
				   argv[1]);
	if (strlen(argv[0]) > 64 || strpbrk(argv[0], " \t\n"))
		return usage_error(name, "invalid group name \"%s\"", argv[0]);
	snprintf(req, sizeof(req), "group %s %s", argv[0], argv[1]);
	return request(name, path, req);
}

/* A request without arguments (but the old trailing forms). */
static int simple(int argc, char **argv, const char *name, const char *req)
{
	const char *path;

	argc = take_json(argc, argv);
	argc = take_socket(argc, argv, &path);
	if (argc)
		return usage_error(name, "unexpected argument \"%s\"", argv[0]);
	return request(name, path, req);
}

int cmd_show_state(int argc, char **argv, const char *name)
{
	return simple(argc, argv, name, "show state");
}

int cmd_show_sync(int argc, char **argv, const char *name)
{
	return simple(argc, argv, name, "show sync");
}

int cmd_resync(int argc, char **argv, const char *name)
{
	return simple(argc, argv, name, "resync");
}

int cmd_reload(int argc, char **argv, const char *name)
{
	return simple(argc, argv, name, "reload");
}

/* show config [nodefault] [WORD...]: the words select one node */
int cmd_show_config(int argc, char **argv, const char *name)
{
	char req[CTL_REQ_MAX + 1] = "show config";
	const char *path;
	size_t len = strlen(req);
	int i;

	argc = take_json(argc, argv);
	argc = take_socket(argc, argv, &path);
	if (argc > CTL_REQ_WORDS - 3)
		return usage_error(name, "at most %d words after \"show config\"",
				   CTL_REQ_WORDS - 3);
	for (i = 0; i < argc; i++) {
		if (!argv[i][0] || strpbrk(argv[i], " \t\n"))
			return usage_error(name,
					   "\"%s\": a path word holds no blanks",
					   argv[i]);
		len += strlen(argv[i]) + 1;
		if (len > CTL_REQ_MAX - 5)	/* room for "json " */
			return usage_error(name, "path too long");
		strcat(req, " ");
		strcat(req, argv[i]);
	}
	return request(name, path, req);
}
