/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP-style test helpers for the agent's unit tests. */
#ifndef AGENT_TESTS_T_H
#define AGENT_TESTS_T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int t_fail, t_total, t_case_fail;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			t_case_fail++;                                     \
			printf("# FAIL %s:%d: %s\n", __FILE__,    \
				__LINE__, #cond);                          \
		}                                                          \
	} while (0)

#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		unsigned long long _a = (a), _b = (b);                     \
		if (_a != _b) {                                            \
			t_case_fail++;                                     \
			printf("# FAIL %s:%d: %s == %s (%llu != %llu)\n", \
				__FILE__, __LINE__, #a, #b, _a, _b);       \
		}                                                          \
	} while (0)

#define CHECK_STR(hay, needle)                                             \
	do {                                                               \
		const char *_h = (hay), *_n = (needle);                    \
		if (!strstr(_h, _n)) {                                     \
			t_case_fail++;                                     \
			printf("# FAIL %s:%d: \"%s\" lacks \"%s\"\n", \
				__FILE__, __LINE__, _h, _n);               \
		}                                                          \
	} while (0)

#define RUN(fn)                                                            \
	do {                                                               \
		t_case_fail = 0;                                           \
		fn();                                                      \
		t_total++;                                                 \
		if (t_case_fail)                                           \
			t_fail++;                                          \
		printf("%s %d - %s\n", t_case_fail ? "not ok" : "ok",      \
		       t_total, #fn);                                      \
	} while (0)

#define DONE()                                                             \
	do {                                                               \
		printf("1..%d\n", t_total);                                \
		return t_fail ? 1 : 0;                                     \
	} while (0)

/*
 * Quiet logging (V=1 in the environment shows it) and a fresh temporary
 * directory in dir (a mkdtemp() template). Exits 2 if it cannot.
 */
static inline void t_setup_tmpdir(char *dir)
{
	log_init(false);
	if (!getenv("V"))
		log_set_level((enum log_level)(LOG_LVL_ERR - 1));
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
}

#endif
