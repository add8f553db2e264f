// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

enum src_kind { SRC_FD, SRC_TIMER, SRC_SIGNAL };

struct source {
	struct source *next;
	enum src_kind kind;
	int fd;
	bool owned;		/* timerfd/signalfd: closed by loop_free */
	bool dead;		/* loop_del_fd: freed after the current batch */
	void *arg;
	union {
		loop_fd_cb fd_cb;
		loop_timer_cb timer_cb;
		loop_signal_cb signal_cb;
	};
};

struct loop {
	int epfd;
	bool stop;
	struct source *sources;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	struct source *s, *next;

	if (!l)
		return;
	for (s = l->sources; s; s = next) {
		next = s->next;
		if (s->owned)
			close(s->fd);
		free(s);
	}
	close(l->epfd);
	free(l);
}

static struct source *add(struct loop *l, enum src_kind kind, int fd,
			  bool owned, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct source *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kind = kind;
	s->fd = fd;
	s->arg = arg;
	ev.data.ptr = s;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(s);
		return NULL;
	}
	/* Owned fds are closed only once registered (see loop_free). */
	s->owned = owned;
	s->next = l->sources;
	l->sources = s;
	return s;
}

int loop_add_fd(struct loop *l, int fd, loop_fd_cb cb, void *arg)
{
	struct source *s = add(l, SRC_FD, fd, false, arg);

	if (!s)
		return -errno;
	s->fd_cb = cb;
	return 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	struct source *s;

	for (s = l->sources; s; s = s->next) {
		if (s->kind == SRC_FD && s->fd == fd && !s->dead) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			s->dead = true;
			return;
		}
	}
}

/* Free the sources deleted during a batch, once no event points at them. */
static void reap(struct loop *l)
{
	struct source **pp = &l->sources, *s;

	while ((s = *pp)) {
		if (s->dead) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

int loop_add_timer(struct loop *l, unsigned int period_ms, loop_timer_cb cb,
		   void *arg)
{
	struct itimerspec its = {
		.it_interval = { period_ms / 1000, (period_ms % 1000) * 1000000L },
	};
	struct source *s;
	int fd, err;

	its.it_value = its.it_interval;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0 ||
	    !(s = add(l, SRC_TIMER, fd, true, arg))) {
		err = -errno;
		close(fd);
		return err;
	}
	s->timer_cb = cb;
	return 0;
}

int loop_add_signals(struct loop *l, const int *signals, unsigned int n,
		     loop_signal_cb cb, void *arg)
{
	struct source *s;
	sigset_t set;
	unsigned int i;
	int fd, err;

	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	s = add(l, SRC_SIGNAL, fd, true, arg);
	if (!s) {
		err = -errno;
		close(fd);
		return err;
	}
	s->signal_cb = cb;
	return 0;
}

static void dispatch(struct source *s)
{
	struct signalfd_siginfo si;
	uint64_t expirations;

	if (s->dead)
		return;
	switch (s->kind) {
	case SRC_FD:
		s->fd_cb(s->arg);
		break;
	case SRC_TIMER:
		/* Missed periods are not replayed: one call per wakeup. */
		if (read(s->fd, &expirations, sizeof(expirations)) ==
		    sizeof(expirations))
			s->timer_cb(s->arg, now_ms());
		break;
	case SRC_SIGNAL:
		while (read(s->fd, &si, sizeof(si)) == sizeof(si))
			s->signal_cb(s->arg, (int)si.ssi_signo);
		break;
	}
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[16];
	int i, n;

	l->stop = false;
	while (!l->stop) {
		n = epoll_wait(l->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n && !l->stop; i++)
			dispatch(evs[i].data.ptr);
		reap(l);
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
