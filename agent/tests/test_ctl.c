// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket, with the agent's event loop: a client seqpacket
 * socket (as ha-ike's) talks to ctl.c; a test handler stands for the
 * agent's. The client's end is watched by the same loop, which stops
 * when the reply (or the end of the connection) arrives.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "t.h"

#define TICK_MS 10
#define TIMEOUT_TICKS 200

static char dir[] = "/tmp/xha-test-ctl.XXXXXX";
static char path[100];
static struct loop *loop;
static struct ctl ctl;
static int calls, ticks, stop_after;

/*
 * "group NAME STATE" for group "g"; "show state"; "big N": N bytes; "slow
 * MS N": N bytes after MS milliseconds (a reply that takes long to build).
 */
static int handler(void *arg, const struct ctl_request *req, FILE *out,
		   char *err, size_t errlen)
{
	char *const *argv = req->argv;
	int argc = req->argc;
	enum ha_state st;
	long i, n;

	(void)arg;
	calls++;
	if (argc == 3 && !strcmp(argv[0], "group")) {
		if (strcmp(argv[1], "g")) {
			snprintf(err, errlen, "no HA group \"%s\"", argv[1]);
			return -1;
		}
		if (ha_state_parse(argv[2], &st) < 0) {
			snprintf(err, errlen, "unknown state \"%s\"", argv[2]);
			return -1;
		}
		fprintf(out, "group g %s", ha_state_name(st));
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "show") && !strcmp(argv[1], "state")) {
		fprintf(out, "%sargc %d", req->json ? "json " : "", argc);
		return 0;
	}
	if ((argc == 2 && !strcmp(argv[0], "big")) ||
	    (argc == 3 && !strcmp(argv[0], "slow"))) {
		if (argc == 3)
			usleep((useconds_t)atol(argv[1]) * 1000);
		n = atol(argv[argc - 1]);
		for (i = 0; i < n; i++)
			fputc('a' + (int)(i % 26), out);
		return 0;
	}
	snprintf(err, errlen, "unknown request (%d words)", argc);
	return -1;
}

static void on_tick(void *arg, uint64_t now)
{
	(void)arg;
	(void)now;
	if (++ticks >= stop_after)
		loop_stop(loop);
}

/* Run the loop for n ticks (or until something stops it). */
static void spin(int n)
{
	ticks = 0;
	stop_after = n;
	loop_run(loop);
}

/* A reply: its pieces until the end message (a NUL byte alone). */
#define REPLY_MAX (4u << 20)
struct reply {
	int fd;
	char *buf;
	size_t len;
	int pieces;
	ssize_t n;		/* -2: nothing yet, 0: closed, 1: ended */
	bool ended;
};

static void on_reply(void *arg)
{
	struct reply *r = arg;
	ssize_t n;

	for (;;) {
		n = recv(r->fd, r->buf + r->len, REPLY_MAX - r->len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n == 1 && r->buf[r->len] == '\0') {
			r->ended = true;
			r->n = 1;
			break;
		}
		if (n <= 0) {
			r->n = n;
			break;
		}
		r->len += (size_t)n;
		r->pieces++;
	}
	r->buf[r->len] = '\0';
	loop_del_fd(loop, r->fd);
	loop_stop(loop);
}

static int dial(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

/* Wait for what comes on fd: the reply, "" for the end without a reply
 * (or a cut one: "(cut)"), NULL if nothing. */
static struct reply last;

static const char *await(int fd)
{
	static char *buf;

	if (!buf)
		buf = malloc(REPLY_MAX + 1);
	last = (struct reply){ .fd = fd, .buf = buf, .n = -2 };
	if (loop_add_fd(loop, fd, on_reply, &last) < 0)
		return "(loop_add_fd failed)";
	spin(TIMEOUT_TICKS);
	if (last.n == -2) {
		loop_del_fd(loop, fd);
		spin(1);	/* reaps it */
		return NULL;
	}
	if (last.n < 0)
		return "(recv failed)";
	if (!last.ended && last.len)
		return "(cut)";
	return last.buf;
}

static const char *ask_n(const char *req, size_t len)
{
	const char *r;
	int fd = dial();

	if (send(fd, req, len, 0) != (ssize_t)len)
		r = "(send failed)";
	else
		r = await(fd);
	close(fd);
	return r;
}

static const char *ask(const char *req)
{
	return ask_n(req, strlen(req));
}

static void test_open(void)
{
	char err[256] = "", sub[100];
	struct stat st;
	int fd;

	/* Its directory is made; the socket is 0600. */
	snprintf(sub, sizeof(sub), "%s/run", dir);
	snprintf(path, sizeof(path), "%s/run/agent.sock", dir);
	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	      (st.st_mode & 0777) == 0600);
	ctl_close(&ctl);
	CHECK(access(path, F_OK) < 0);
	ctl_close(&ctl);	/* twice: harmless */
	spin(1);

	/* A stale socket (an agent that died) is replaced. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		CHECK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	}
	close(fd);
	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) == 0);
	ctl_close(&ctl);
	spin(1);

	/* Anything else is never removed. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	close(fd);
	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) < 0);
	CHECK_STR(err, "exists and is not a socket");
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_EQ((unsigned int)ctl.fd, (unsigned int)-1);
	unlink(path);

	/* Too long for sun_path. */
	{
		char lp[200];

		memset(lp, 'x', sizeof(lp) - 1);
		lp[0] = '/';
		lp[sizeof(lp) - 1] = '\0';
		CHECK(ctl_open(&ctl, lp, loop, handler, NULL, err, sizeof(err)) < 0);
		CHECK_STR(err, "path too long");
	}
}

/* Another agent's listening socket at path (backlog as given). */
static int listener(int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, backlog) < 0) {
		perror("listener");
		exit(2);
	}
	return fd;
}

static void on_alarm(int sig)
{
	static const char msg[] = "# FAIL: ctl_open blocked\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* The socket of an agent that runs is never taken over. */
static void test_live_agent(void)
{
	char err[256] = "";
	struct ctl other;
	struct stat st, st2;
	const char *r;
	int l, c1, c2, fd;

	snprintf(path, sizeof(path), "%s/live.sock", dir);
	unlink(path);

	/* A foreign listener (an agent in another netns, say). */
	l = listener(4);
	CHECK(stat(path, &st) == 0);
	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) < 0);
	CHECK_STR(err, "another agent listens there");
	CHECK_STR(err, path);
	CHECK_EQ((unsigned int)ctl.fd, (unsigned int)-1);
	/* Its socket is still there, the same one, and still answers. */
	CHECK(stat(path, &st2) == 0 && S_ISSOCK(st2.st_mode) &&
	      st2.st_ino == st.st_ino);
	fd = dial();
	CHECK(fd >= 0);
	close(fd);
	ctl_close(&ctl);	/* never opened: harmless, nothing unlinked */
	CHECK(access(path, F_OK) == 0);

	/* Its backlog full (a stuck agent): refused all the same, without
	 * blocking in connect(). */
	close(l);
	unlink(path);
	l = listener(0);
	c1 = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c2 = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		connect(c1, (struct sockaddr *)&sun, sizeof(sun));
		connect(c2, (struct sockaddr *)&sun, sizeof(sun));
	}
	signal(SIGALRM, on_alarm);
	alarm(5);
	err[0] = '\0';
	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) < 0);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	CHECK_STR(err, "another agent listens there");
	CHECK(access(path, F_OK) == 0);
	close(c1);
	close(c2);

	/* It dies (its socket file stays): the next agent replaces it. */
	close(l);
	CHECK(access(path, F_OK) == 0);
	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) == 0);
	r = ask("group g backup");
	CHECK(r && !strcmp(r, "ok\ngroup g backup"));

	/* A second agent of ours on the same path: refused, and the first
	 * one keeps its socket and serves on. */
	CHECK(ctl_open(&other, path, loop, handler, NULL, err, sizeof(err)) < 0);
	CHECK_STR(err, "another agent listens there");
	CHECK_EQ((unsigned int)other.fd, (unsigned int)-1);
	ctl_close(&other);
	CHECK(access(path, F_OK) == 0);
	r = ask("group g master");
	CHECK(r && !strcmp(r, "ok\ngroup g master"));
	ctl_close(&ctl);
	CHECK(access(path, F_OK) < 0);
	spin(1);
	snprintf(path, sizeof(path), "%s/run/agent.sock", dir);
}

static void test_requests(void)
{
	char err[256] = "", big[CTL_MAX_REQUEST + 64];
	const char *r;

	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) == 0);

	r = ask("group g master");
	CHECK(r && !strcmp(r, "ok\ngroup g master"));
	r = ask("group g BACKUP\n");
	CHECK(r && !strcmp(r, "ok\ngroup g backup"));
	r = ask(" \tgroup   g\tfault ");
	CHECK(r && !strcmp(r, "ok\ngroup g fault"));
	r = ask("group h master");
	CHECK(r && !strncmp(r, "error: ", 7));
	r = ask("group g active");
	CHECK(r && !strcmp(r, "error: unknown state \"active\""));
	r = ask("show state");
	CHECK(r && !strcmp(r, "ok\nargc 2"));
	r = ask("   ");
	CHECK(r && !strcmp(r, "error: unknown request (0 words)"));

	/* Refused before the handler sees them. */
	calls = 0;
	r = ask_n("group g\0 master", 15);
	CHECK(r && !strcmp(r, "error: NUL byte in request"));
	r = ask("a b c d e f g h i j k l m n o p q");
	CHECK(r && !strcmp(r, "error: too many words"));
	r = ask("a b c d e f g h i j k l m n o p");
	CHECK(r && !strcmp(r, "error: unknown request (16 words)"));
	CHECK_EQ(calls, 1);

	/* CTL_MAX_REQUEST bytes pass, one more does not. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "show state", 10);
	r = ask_n(big, CTL_MAX_REQUEST);
	CHECK(r && !strcmp(r, "ok\nargc 2"));
	r = ask_n(big, CTL_MAX_REQUEST + 1);
	CHECK(r && !strcmp(r, "error: request longer than 256 bytes"));
	r = ask_n(big, sizeof(big));
	CHECK(r && !strncmp(r, "error: request longer", 21));

	/* One request per connection: the agent closes it after the reply. */
	{
		int fd = dial();
		char buf[64];

		CHECK(send(fd, "show state", 10, 0) == 10);
		r = await(fd);
		CHECK(r && !strcmp(r, "ok\nargc 2"));
		CHECK(recv(fd, buf, sizeof(buf), 0) == 0);
		close(fd);
	}

	/* A client gone before its reply: nothing breaks. */
	{
		int fd = dial();

		CHECK(send(fd, "show state", 10, 0) == 10);
		close(fd);
		spin(3);
		r = ask("show state");
		CHECK(r && !strcmp(r, "ok\nargc 2"));
	}
	ctl_close(&ctl);
}

/* Clients that say nothing: at most CTL_MAX_CONNS, dropped when idle. */
static void test_idle_and_busy(void)
{
	int fds[CTL_MAX_CONNS], extra, i;
	char err[256] = "";
	const char *r;

	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) == 0);
	for (i = 0; i < CTL_MAX_CONNS; i++)
		fds[i] = dial();
	spin(3);
	/* All slots taken: the next one is closed at once. */
	extra = dial();
	r = await(extra);
	CHECK(r && !strcmp(r, ""));
	close(extra);

	/* Not idle long enough: kept. */
	ctl_tick(&ctl, now_ms());
	spin(1);
	for (i = 0; i < CTL_MAX_CONNS; i++)
		CHECK(ctl.conns[i].fd >= 0);
	/* Idle: dropped, the clients see the end. */
	ctl_tick(&ctl, now_ms() + CTL_IDLE_MS);
	for (i = 0; i < CTL_MAX_CONNS; i++) {
		CHECK_EQ((unsigned int)ctl.conns[i].fd, (unsigned int)-1);
		r = await(fds[i]);
		CHECK(r && !strcmp(r, ""));
		close(fds[i]);
	}
	/* And the slots serve again. */
	r = ask("group g master");
	CHECK(r && !strcmp(r, "ok\ngroup g master"));
	ctl_close(&ctl);
}

/* Replies of any size, in pieces; JSON asked for; a client that does not
 * read blocks nobody and is dropped. */
static void test_big_replies(void)
{
	char err[256] = "", req[64];
	uint64_t dropped;
	const char *r;
	size_t i;
	int fd, slow, k;
	bool same = true;

	CHECK(ctl_open(&ctl, path, loop, handler, NULL, err, sizeof(err)) == 0);
	r = ask("json show state");
	CHECK(r && !strcmp(r, "ok\njson argc 2"));
	r = ask("json");
	CHECK(r && !strcmp(r, "error: unknown request (0 words)"));
	r = ask("show json state");
	CHECK(r && !strcmp(r, "error: unknown request (3 words)"));

	/* 3 MB: far more than a socket buffer, in CTL_CHUNK pieces. */
	r = ask("big 3000000");
	CHECK(r && last.len == 3 + 3000000 && !strncmp(r, "ok\n", 3));
	for (i = 0; r && i < 3000000 && same; i++)
		same = r[3 + i] == 'a' + (int)(i % 26);
	CHECK(same);
	CHECK_EQ(last.pieces, (3 + 3000000 + CTL_CHUNK - 1) / CTL_CHUNK);

	/* A client that asks for 3 MB and reads nothing. */
	slow = dial();
	snprintf(req, sizeof(req), "big 3000000");
	CHECK(send(slow, req, strlen(req), 0) == (ssize_t)strlen(req));
	spin(3);
	for (k = 0; k < CTL_MAX_CONNS && ctl.conns[k].fd < 0; k++)
		;
	CHECK(k < CTL_MAX_CONNS && ctl.conns[k].reply &&
	      ctl.conns[k].pos < ctl.conns[k].len);
	/* Others are served meanwhile. */
	r = ask("group g master");
	CHECK(r && !strcmp(r, "ok\ngroup g master"));
	/* No progress for CTL_IDLE_MS: dropped, its memory freed. */
	ctl_tick(&ctl, now_ms() + CTL_IDLE_MS);
	CHECK_EQ((unsigned int)ctl.conns[k].fd, (unsigned int)-1);
	CHECK(!ctl.conns[k].reply);
	CHECK_EQ((unsigned int)ctl.dropped, 1u);
	/* What it reads now ends without the end message: cut. */
	r = await(slow);
	CHECK(r && !strcmp(r, "(cut)"));
	close(slow);

	/* Replies held for clients that do not read are capped (a lower cap
	 * here than CTL_MAX_HELD): past it, a big reply is refused as busy
	 * while small ones still go; the slow client dropped, it goes. */
	ctl.max_held = 4000000;
	slow = dial();
	CHECK(send(slow, req, strlen(req), 0) == (ssize_t)strlen(req));
	spin(3);
	r = ask("big 3000000");
	CHECK(r && !strncmp(r, "error: busy: ", 13));
	r = ask("group g master");
	CHECK(r && !strcmp(r, "ok\ngroup g master"));
	ctl_tick(&ctl, now_ms() + CTL_IDLE_MS);
	close(slow);
	r = ask("big 3000000");
	CHECK(r && last.len == 3 + 3000000 && last.ended);

	/* A reply that took longer than CTL_IDLE_MS to build (show sync at
	 * 100k SAs): its client has not been idle, the time runs from when
	 * the reply is ready. */
	dropped = ctl.dropped;
	fd = dial();
	snprintf(req, sizeof(req), "slow %d 3000000", CTL_IDLE_MS + 300);
	CHECK(send(fd, req, strlen(req), 0) == (ssize_t)strlen(req));
	spin(3);
	ctl_tick(&ctl, now_ms());
	CHECK_EQ(ctl.dropped, dropped);
	r = await(fd);
	CHECK(r && last.len == 3 + 3000000 && last.ended);
	close(fd);

	/* A client that reads slowly but steadily is not dropped. */
	fd = dial();
	snprintf(req, sizeof(req), "big 1000000");
	CHECK(send(fd, req, strlen(req), 0) == (ssize_t)strlen(req));
	r = await(fd);
	CHECK(r && last.len == 3 + 1000000 && last.ended);
	close(fd);
	ctl_close(&ctl);
}

/*
 * loop_del_fd(-1) (a link that failed to reopen, removed again on the next
 * reload) must not remove a timer or a signal source: they carry fd -1.
 * Without the guard the tick timer goes and the loop never stops (alarm).
 */
static void test_del_fd_minus_one(void)
{
	int i;

	for (i = 0; i < 4; i++)
		loop_del_fd(loop, -1);
	alarm(10);
	spin(2);
	alarm(0);
	CHECK_EQ(ticks, 2);
}

int main(void)
{
	t_setup_tmpdir(dir);
	loop = loop_new();
	if (!loop || loop_add_timer(loop, TICK_MS, on_tick, NULL) < 0) {
		fprintf(stderr, "cannot make the event loop\n");
		return 2;
	}

	RUN(test_open);
	RUN(test_live_agent);
	RUN(test_requests);
	RUN(test_idle_and_busy);
	RUN(test_big_replies);
	RUN(test_del_fd_minus_one);

	loop_free(loop);
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	DONE();
}
