// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#define CTL_MAX_ARGS 8

int ctl_open(struct ctl *c, const char *path, ctl_handler h, void *arg,
	     char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
	struct stat st;
	char *slash;
	mode_t old;
	int ret;

	c->fd = -1;
	c->path = path;
	c->handler = h;
	c->arg = arg;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "control socket directory %s: %s",
				 dir, strerror(errno));
			return -1;
		}
	}
	/* A socket left by an agent that died; never remove anything else. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen,
				 "control socket %s: exists and is not a socket",
				 path);
			return -1;
		}
		unlink(path);
	}
	c->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	ret = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

void ctl_close(struct ctl *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	unlink(c->path);
	c->fd = -1;
}

void ctl_readable(struct ctl *c)
{
	char req[CTL_MAX_REQUEST + 1], reply[CTL_MAX_REPLY];
	struct sockaddr_un from;
	char *argv[CTL_MAX_ARGS], *save, *tok;
	socklen_t fromlen;
	ssize_t n;
	int argc, i;

	for (i = 0; i < 16; i++) {
		fromlen = sizeof(from);
		n = recvfrom(c->fd, req, sizeof(req), MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		if (n > CTL_MAX_REQUEST) {
			snprintf(reply, sizeof(reply),
				 "error: request longer than %d bytes",
				 CTL_MAX_REQUEST);
		} else if (memchr(req, '\0', (size_t)n)) {
			snprintf(reply, sizeof(reply),
				 "error: NUL byte in request");
		} else {
			req[n] = '\0';
			argc = 0;
			for (tok = strtok_r(req, " \t\n", &save);
			     tok && argc < CTL_MAX_ARGS;
			     tok = strtok_r(NULL, " \t\n", &save))
				argv[argc++] = tok;
			if (tok)
				snprintf(reply, sizeof(reply),
					 "error: too many words");
			else
				c->handler(c->arg, argv, argc, reply,
					   sizeof(reply));
		}
		/* An unbound sender gets no answer; a full one loses it. */
		if (fromlen > sizeof(sa_family_t))
			sendto(c->fd, reply, strlen(reply), MSG_DONTWAIT,
			       (struct sockaddr *)&from, fromlen);
	}
}
