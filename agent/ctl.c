// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#define CTL_MAX_ARGS 8

static void conn_close(struct ctl_conn *k)
{
	if (k->fd < 0)
		return;
	loop_del_fd(k->ctl->loop, k->fd);
	close(k->fd);
	k->fd = -1;
}

static void answer(struct ctl *c, char *req, ssize_t n, char *reply,
		   size_t len)
{
	char *argv[CTL_MAX_ARGS], *save, *tok;
	int argc = 0;

	if (n > CTL_MAX_REQUEST) {
		snprintf(reply, len, "error: request longer than %d bytes",
			 CTL_MAX_REQUEST);
		return;
	}
	if (memchr(req, '\0', (size_t)n)) {
		snprintf(reply, len, "error: NUL byte in request");
		return;
	}
	req[n] = '\0';
	for (tok = strtok_r(req, " \t\n", &save); tok && argc < CTL_MAX_ARGS;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	if (tok)
		snprintf(reply, len, "error: too many words");
	else
		c->handler(c->arg, argv, argc, reply, len);
}

static void on_conn(void *arg)
{
	struct ctl_conn *k = arg;
	char req[CTL_MAX_REQUEST + 1], reply[CTL_MAX_REPLY];
	ssize_t n;

	/* MSG_TRUNC: the real length of a longer request, to refuse it. */
	n = recv(k->fd, req, sizeof(req) - 1, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		answer(k->ctl, req, n > CTL_MAX_REQUEST ? CTL_MAX_REQUEST + 1 : n,
		       reply, sizeof(reply));
		/* A client that does not read loses its answer, not us. */
		send(k->fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	conn_close(k);
}

static void on_listen(void *arg)
{
	struct ctl *c = arg;
	struct ctl_conn *k;
	int fd, i;

	while ((fd = accept4(c->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		k = NULL;
		for (i = 0; i < CTL_MAX_CONNS && !k; i++)
			if (c->conns[i].fd < 0)
				k = &c->conns[i];
		if (!k || loop_add_fd(c->loop, fd, on_conn, k) < 0) {
			close(fd);	/* busy: the client sees EOF */
			continue;
		}
		k->fd = fd;
		k->since = now_ms();
	}
}

void ctl_tick(struct ctl *c, uint64_t now)
{
	int i;

	for (i = 0; i < CTL_MAX_CONNS; i++)
		if (c->conns[i].fd >= 0 &&
		    now - c->conns[i].since >= CTL_IDLE_MS)
			conn_close(&c->conns[i]);
}

static bool socket_alive(const struct sockaddr_un *sun)
{
	/* Non-blocking: a listener whose backlog is full (a stuck agent)
	 * would block connect(); EAGAIN says it is there all the same. */
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
		errno == EAGAIN;
	close(fd);
	return alive;
}

int ctl_open(struct ctl *c, const char *path, struct loop *loop,
	     ctl_handler h, void *arg, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
	struct stat st;
	char *slash;
	mode_t old;
	int i, ret;

	c->fd = -1;
	c->path = path;
	c->loop = loop;
	c->handler = h;
	c->arg = arg;
	for (i = 0; i < CTL_MAX_CONNS; i++)
		c->conns[i] = (struct ctl_conn){ .ctl = c, .fd = -1 };
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
	/* A socket left by an agent that died; never remove anything else,
	 * nor the socket of an agent that runs (in another netns, say). */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen,
				 "control socket %s: exists and is not a socket",
				 path);
			return -1;
		}
		if (socket_alive(&sun)) {
			snprintf(err, errlen,
				 "control socket %s: another agent listens there (one control-socket per agent)",
				 path);
			return -1;
		}
		unlink(path);
	}
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (c->fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	ret = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || listen(c->fd, CTL_MAX_CONNS) < 0 ||
	    loop_add_fd(loop, c->fd, on_listen, c) < 0) {
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
	int i;

	if (c->fd < 0)
		return;
	for (i = 0; i < CTL_MAX_CONNS; i++)
		conn_close(&c->conns[i]);
	close(c->fd);
	unlink(c->path);
	c->fd = -1;
}
