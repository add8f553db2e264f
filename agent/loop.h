/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's event loop: a thin layer over libsystemd's sd-event (fds,
 * repeating timers, signals, and the watchdog pings when the unit sets
 * WatchdogSec=), so that the agent and ctl.c keep one small interface.
 */
#ifndef AGENT_LOOP_H
#define AGENT_LOOP_H

#include <stdint.h>

struct loop;

typedef void (*loop_fd_cb)(void *arg);
typedef void (*loop_timer_cb)(void *arg, uint64_t now);
typedef void (*loop_signal_cb)(void *arg, int signo);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Call cb whenever fd is readable. */
int loop_add_fd(struct loop *l, int fd, loop_fd_cb cb, void *arg);
/* Stop watching fd (registered with loop_add_fd); safe from a callback. */
void loop_del_fd(struct loop *l, int fd);
/* Call cb every period_ms (CLOCK_MONOTONIC), first after one period. */
int loop_add_timer(struct loop *l, unsigned int period_ms, loop_timer_cb cb,
		   void *arg);
/* Block these signals and deliver them through the loop. */
int loop_add_signals(struct loop *l, const int *signals, unsigned int n,
		     loop_signal_cb cb, void *arg);

/* Runs until loop_stop(); returns 0, or -errno if epoll failed. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif /* AGENT_LOOP_H */
