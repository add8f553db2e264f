// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

static void conn_close(struct ctl_conn *k)
{
	if (k->fd < 0)
		return;
	epoll_ctl(k->ctl->ep, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	k->fd = -1;
	free(k->reply);
	k->reply = NULL;
	k->len = k->pos = 0;
}

/* The words of req (NUL-terminated); NULL, or what is wrong with it. */
static const char *split(char *req, struct ctl_request *r)
{
	char *save, *tok;

	memset(r, 0, sizeof(*r));
	for (tok = strtok_r(req, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (!r->argc && !r->json && !strcmp(tok, "json")) {
			r->json = true;
			continue;
		}
		if (r->argc == CTL_MAX_ARGS)
			return "too many words";
		r->argv[r->argc++] = tok;
	}
	return NULL;
}

/* Bytes held for the other connections' replies. */
static size_t held(const struct ctl *c, const struct ctl_conn *k)
{
	size_t sum = 0;
	int i;

	for (i = 0; i < CTL_MAX_CONNS; i++)
		if (&c->conns[i] != k && c->conns[i].reply)
			sum += c->conns[i].len;
	return sum;
}

/* k->reply for the request req[0..n) (n: its real length). */
static void answer(struct ctl_conn *k, char *req, ssize_t n)
{
	struct ctl *c = k->ctl;
	struct ctl_request r;
	char err[512] = "", *body = NULL;
	const char *bad = NULL;
	size_t blen = 0;
	FILE *out;
	int ret = -1;

	if (n > CTL_MAX_REQUEST) {
		snprintf(err, sizeof(err), "request longer than %d bytes",
			 CTL_MAX_REQUEST);
	} else if (memchr(req, '\0', (size_t)n)) {
		snprintf(err, sizeof(err), "NUL byte in request");
	} else {
		req[n] = '\0';
		bad = split(req, &r);
		out = bad ? NULL : open_memstream(&body, &blen);
		if (bad) {
			snprintf(err, sizeof(err), "%s", bad);
		} else if (!out) {
			snprintf(err, sizeof(err), "out of memory");
		} else {
			fputs("ok\n", out);
			ret = c->handler(c->arg, &r, out, err, sizeof(err));
			if (fclose(out) && !ret) {
				ret = -1;
				snprintf(err, sizeof(err), "out of memory");
			} else if (!ret && blen > CTL_MAX_REPLY) {
				ret = -1;
				snprintf(err, sizeof(err),
					 "reply of %zu bytes, more than %u",
					 blen, CTL_MAX_REPLY);
			} else if (!ret && held(c, k) + blen > c->max_held) {
				/* Slow readers must not pin the agent's memory. */
				ret = -1;
				snprintf(err, sizeof(err),
					 "busy: %zu bytes of replies still being sent to other clients, try again",
					 held(c, k));
			}
		}
	}
	if (!ret) {
		k->reply = body;
		k->len = blen;
		return;
	}
	free(body);
	if (asprintf(&k->reply, "error: %s", err[0] ? err : "failed") < 0)
		k->reply = NULL;
	else
		k->len = strlen(k->reply);
}

/*
 * Send what the client's socket takes: the reply's pieces, then the end
 * message; then the connection is closed. On EAGAIN, waits for room (the
 * connection's idle time runs from the last piece sent).
 */
static void pump(struct ctl_conn *k, uint64_t now)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = k };
	size_t len;
	ssize_t n;

	for (;;) {
		len = k->len - k->pos < CTL_CHUNK ? k->len - k->pos : CTL_CHUNK;
		if (len)
			n = send(k->fd, k->reply + k->pos, len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = send(k->fd, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			epoll_ctl(k->ctl->ep, EPOLL_CTL_MOD, k->fd, &ev);
			return;
		}
		/* Done, or the client went away. */
		if (n < 0 || !len) {
			conn_close(k);
			return;
		}
		k->pos += (size_t)n;
		k->since = now;
	}
}

static void on_request(struct ctl_conn *k, uint64_t now)
{
	char req[CTL_MAX_REQUEST + 1];
	ssize_t n;

	/* MSG_TRUNC: the real length of a longer request, to refuse it. */
	n = recv(k->fd, req, sizeof(req) - 1, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(k);
		return;
	}
	answer(k, req, n > CTL_MAX_REQUEST ? CTL_MAX_REQUEST + 1 : n);
	if (!k->reply) {
		conn_close(k);
		return;
	}
	/* Building the reply can take seconds (show sync at 100k SAs): the
	 * client's idle time runs from now, not from its request. */
	now = now_ms();
	k->since = now;
	pump(k, now);
}

static void on_events(void *arg)
{
	struct epoll_event ev[CTL_MAX_CONNS];
	struct ctl *c = arg;
	struct ctl_conn *k;
	uint64_t now = now_ms();
	int i, n;

	n = epoll_wait(c->ep, ev, CTL_MAX_CONNS, 0);
	for (i = 0; i < n; i++) {
		k = ev[i].data.ptr;
		if (k->fd < 0)
			continue;
		if (k->reply)
			pump(k, now);
		else
			on_request(k, now);
	}
}

static void on_listen(void *arg)
{
	struct ctl *c = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	struct ctl_conn *k;
	int fd, i;

	while ((fd = accept4(c->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		k = NULL;
		for (i = 0; i < CTL_MAX_CONNS && !k; i++)
			if (c->conns[i].fd < 0)
				k = &c->conns[i];
		ev.data.ptr = k;
		if (!k || epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
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
		    now - c->conns[i].since >= CTL_IDLE_MS) {
			if (c->conns[i].reply)
				log_debug("control socket: a client read %zu of %zu bytes in %d ms: dropped",
					  c->conns[i].pos, c->conns[i].len,
					  CTL_IDLE_MS);
			c->dropped++;
			conn_close(&c->conns[i]);
		}
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

static void ep_close(struct ctl *c)
{
	if (c->ep < 0)
		return;
	loop_del_fd(c->loop, c->ep);
	close(c->ep);
	c->ep = -1;
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
	c->ep = -1;
	c->dropped = 0;
	c->max_held = CTL_MAX_HELD;
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
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0 || loop_add_fd(loop, c->ep, on_events, c) < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		if (c->ep >= 0)
			close(c->ep);
		c->ep = -1;
		return -1;
	}
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (c->fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		ep_close(c);
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
		ep_close(c);
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
	loop_del_fd(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	c->fd = -1;
	ep_close(c);
}
