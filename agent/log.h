/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Leveled logging to stderr. Under systemd (JOURNAL_STREAM names our
 * stderr) every line carries a "<N>" priority prefix that journald turns
 * into the syslog priority; on a terminal it carries a level word instead.
 */
#ifndef AGENT_LOG_H
#define AGENT_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

void log_init(bool debug);
/* Drop lines less severe than max (tests and fuzzers keep quiet). */
void log_set_level(enum log_level max);
bool log_debug_enabled(void);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                  \
	do {                                            \
		if (log_debug_enabled())                \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

/*
 * Rate limit for lines an unauthenticated sender can trigger: at most
 * `burst` lines per `interval_ms`; the next line allowed reports how many
 * were suppressed.
 */
struct ratelimit {
	unsigned int interval_ms;
	unsigned int burst;
	uint64_t begin_ms;
	unsigned int printed;
	unsigned int missed;
};

#define RATELIMIT_INIT(ms, n) { .interval_ms = (ms), .burst = (n) }

void log_ratelimited(struct ratelimit *rl, enum log_level lvl,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

uint64_t now_ms(void);

#endif /* AGENT_LOG_H */
