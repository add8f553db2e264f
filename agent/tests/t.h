/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP-style test helpers for the agent's unit tests. */
#ifndef AGENT_TESTS_T_H
#define AGENT_TESTS_T_H

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xha_nl.h"

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

/* A record of an IPv4 ESP SA to 10.0.0.0 with SPI spi and these counters. */
static inline void t_rec(struct xha_sa *sa, uint8_t mode, uint64_t oseq,
			 uint64_t seq, uint32_t spi)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = AF_INET;
	sa->proto = IPPROTO_ESP;
	sa->spi = htonl(spi);
	sa->daddr[0] = 10;
	sa->replay_mode = mode;
	sa->oseq = oseq;
	sa->seq = seq;
	sa->has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ | XHA_SA_HAS_REPLAY;
}

#endif
