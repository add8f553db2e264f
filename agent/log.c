// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static bool debug_on;
static enum log_level max_level = LOG_LVL_DEBUG;
static bool journal_prefix;
static bool timestamps;

/* systemd sets JOURNAL_STREAM=<dev>:<ino> when stderr goes to the journal. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(bool debug)
{
	debug_on = debug;
	journal_prefix = stderr_is_journal();
	/* A log file has no one else to stamp its lines; a terminal or the
	 * journal does not need it. */
	timestamps = !journal_prefix && !isatty(STDERR_FILENO);
}

void log_set_level(enum log_level max)
{
	max_level = max;
	debug_on = max >= LOG_LVL_DEBUG;
}

bool log_debug_enabled(void)
{
	return debug_on;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *level_word(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERR:
		return "error";
	case LOG_LVL_WARN:
		return "warning";
	case LOG_LVL_INFO:
		return "info";
	case LOG_LVL_DEBUG:
		return "debug";
	}
	return "?";
}

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	int saved = errno;

	if ((lvl == LOG_LVL_DEBUG && !debug_on) || lvl > max_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (journal_prefix) {
		fprintf(stderr, "<%d>%s\n", (int)lvl, line);
	} else if (timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld ha-ike-agent: %s: %s\n",
			tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			level_word(lvl), line);
	} else {
		fprintf(stderr, "ha-ike-agent: %s: %s\n", level_word(lvl), line);
	}
	errno = saved;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void log_ratelimited(struct ratelimit *rl, enum log_level lvl,
		     const char *fmt, ...)
{
	uint64_t now = now_ms();
	va_list ap;

	if (!rl->begin_ms || now - rl->begin_ms >= rl->interval_ms) {
		if (rl->missed)
			log_msg(lvl, "%u similar messages suppressed",
				rl->missed);
		rl->begin_ms = now;
		rl->printed = 0;
		rl->missed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->missed++;
		return;
	}
	rl->printed++;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
