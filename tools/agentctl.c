// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that talk to ha-ike-agent over its control socket rather
 * than to the kernel: "group NAME STATE" and "show state".
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ha-ike.h"

#define DEFAULT_SOCKET "/run/xfrm-ha/agent.sock"
#define REPLY_TIMEOUT_MS 3000

/* "[socket PATH]" at the end of the arguments; returns the remaining argc. */
static int take_socket(int argc, char **argv, const char **path)
{
	*path = DEFAULT_SOCKET;
	if (argc >= 2 && !strcmp(argv[argc - 2], "socket")) {
		*path = argv[argc - 1];
		return argc - 2;
	}
	return argc;
}

/* Send one request, print the reply's text; EXIT_OK if it began "ok". */
static int request(const char *name, const char *path, const char *req)
{
	struct sockaddr_un to = { .sun_family = AF_UNIX };
	char reply[4097];
	struct pollfd pfd;
	ssize_t n;
	int fd, ret;

	if (strlen(path) >= sizeof(to.sun_path))
		return usage_error(name, "socket path too long");
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return runtime_error(name, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		ret = runtime_error(name, "%s: %s%s", path, strerror(errno),
				    errno == ENOENT || errno == ECONNREFUSED ?
					    " (is ha-ike-agent running?)" : "");
		close(fd);
		return ret;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, REPLY_TIMEOUT_MS) != 1) {
		close(fd);
		return runtime_error(name, "%s: no answer from the agent", path);
	}
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	close(fd);
	if (n < 0)
		return runtime_error(name, "%s: %s", path, strerror(errno));
	if (n == 0)
		return runtime_error(name, "%s: the agent closed the connection (busy?)",
				     path);
	reply[n] = '\0';
	if (!strncmp(reply, "ok\n", 3)) {
		fputs(reply + 3, stdout);
		return EXIT_OK;
	}
	if (!strcmp(reply, "ok"))
		return EXIT_OK;
	return runtime_error(name, "%s",
			     !strncmp(reply, "error: ", 7) ? reply + 7 : reply);
}

int cmd_group(int argc, char **argv, const char *name)
{
	char req[256];
	const char *path;

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

int cmd_show_state(int argc, char **argv, const char *name)
{
	const char *path;

	argc = take_socket(argc, argv, &path);
	if (argc)
		return usage_error(name, "unexpected argument \"%s\"", argv[0]);
	return request(name, path, "show state");
}
