// SPDX-License-Identifier: GPL-2.0
/*
 * The loop.h interface over libsystemd's sd-event: it does the epoll, the
 * timers, the signals (blocked and read through a signalfd of its own) and
 * the watchdog pings. What is left here is the repeating timer (sd-event's
 * timers fire once) and finding an fd's source again for loop_del_fd().
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "loop.h"

struct source {
	struct source *next;
	sd_event_source *src;
	int fd;
	uint64_t period_us;	/* timers */
	void *arg;
	union {
		loop_fd_cb fd_cb;
		loop_timer_cb timer_cb;
		loop_signal_cb signal_cb;
	};
};

struct loop {
	sd_event *e;
	struct source *sources;
	bool stop;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return NULL;
	ret = sd_event_new(&l->e);
	if (ret < 0) {
		free(l);
		errno = -ret;
		return NULL;
	}
	/* WATCHDOG=1 at half of WatchdogSec=, only if the unit asks. */
	sd_event_set_watchdog(l->e, true);
	return l;
}

void loop_free(struct loop *l)
{
	struct source *s, *next;

	if (!l)
		return;
	for (s = l->sources; s; s = next) {
		next = s->next;
		sd_event_source_disable_unref(s->src);
		free(s);
	}
	sd_event_unref(l->e);
	free(l);
}

/* A source for the list; sets errno and returns NULL on failure. */
static struct source *source_new(struct loop *l, int ret, struct source *s)
{
	if (ret < 0) {
		free(s);
		errno = -ret;
		return NULL;
	}
	s->next = l->sources;
	l->sources = s;
	return s;
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *arg)
{
	struct source *s = arg;

	(void)src;
	(void)fd;
	(void)revents;
	s->fd_cb(s->arg);
	return 0;
}

int loop_add_fd(struct loop *l, int fd, loop_fd_cb cb, void *arg)
{
	struct source *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->fd_cb = cb;
	s->arg = arg;
	return source_new(l, sd_event_add_io(l->e, &s->src, fd, EPOLLIN, on_io, s),
			  s) ? 0 : -errno;
}

void loop_del_fd(struct loop *l, int fd)
{
	struct source **pp, *s;

	if (fd < 0)	/* timers and signals carry -1: never theirs */
		return;
	for (pp = &l->sources; (s = *pp); pp = &s->next) {
		if (s->fd == fd) {
			*pp = s->next;
			/* sd-event defers the free if it is dispatching it. */
			sd_event_source_disable_unref(s->src);
			free(s);
			return;
		}
	}
}

static int on_time(sd_event_source *src, uint64_t usec, void *arg)
{
	struct source *s = arg;

	(void)usec;
	/* Missed periods are not replayed: the next one from now. */
	sd_event_source_set_time_relative(src, s->period_us);
	sd_event_source_set_enabled(src, SD_EVENT_ON);
	s->timer_cb(s->arg, now_ms());
	return 0;
}

int loop_add_timer(struct loop *l, unsigned int period_ms, loop_timer_cb cb,
		   void *arg)
{
	struct source *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->period_us = (uint64_t)period_ms * 1000;
	s->timer_cb = cb;
	s->arg = arg;
	/* 1 ms accuracy: sd-event's default (250 ms) would merge ticks. */
	return source_new(l, sd_event_add_time_relative(l->e, &s->src,
							CLOCK_MONOTONIC,
							s->period_us, 1000,
							on_time, s),
			  s) ? 0 : -errno;
}

static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si,
		     void *arg)
{
	struct source *s = arg;

	(void)src;
	s->signal_cb(s->arg, (int)si->ssi_signo);
	return 0;
}

int loop_add_signals(struct loop *l, const int *signals, unsigned int n,
		     loop_signal_cb cb, void *arg)
{
	struct source *s;
	unsigned int i;

	for (i = 0; i < n; i++) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->fd = -1;
		s->signal_cb = cb;
		s->arg = arg;
		if (!source_new(l, sd_event_add_signal(l->e, &s->src,
					signals[i] | SD_EVENT_SIGNAL_PROCMASK,
					on_signal, s), s))
			return -errno;
	}
	return 0;
}

/* Not sd_event_loop()/sd_event_exit(): a loop that exited is finished
 * for good, and the tests run it again after stopping it. */
int loop_run(struct loop *l)
{
	int ret;

	l->stop = false;
	while (!l->stop) {
		ret = sd_event_run(l->e, UINT64_MAX);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
