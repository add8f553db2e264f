// SPDX-License-Identifier: GPL-2.0
/*
 * keepalived's vrrp_notify_fifo lines: the parser and the line splitter.
 * The good lines are what keepalived 2.x writes (vrrp_notify.c:
 * "INSTANCE \"%s\" %s %d\n", "GROUP \"%s\" %s\n"-like shapes, "VS ..." and
 * "RS ..." for its checker).
 */
#include <stdlib.h>

#include "keepalived.h"
#include "t.h"

static int parse(const char *s, struct ka_line *l)
{
	return ka_parse_line(s, strlen(s), l);
}

static void test_good_lines(void)
{
	static const struct {
		const char *line;
		enum ka_kind kind;
		const char *name;
		enum ka_state state;
		int prio;
	} good[] = {
		{ "INSTANCE \"VI_1\" MASTER 100", KA_INSTANCE, "VI_1", KA_MASTER, 100 },
		{ "INSTANCE \"VI_1\" BACKUP 50", KA_INSTANCE, "VI_1", KA_BACKUP, 50 },
		{ "GROUP \"VPN\" BACKUP 0", KA_GROUP, "VPN", KA_BACKUP, 0 },
		{ "GROUP \"VPN\" MASTER", KA_GROUP, "VPN", KA_MASTER, -1 },
		{ "INSTANCE \"VI_1\" FAULT 0", KA_INSTANCE, "VI_1", KA_FAULT, 0 },
		{ "INSTANCE \"VI_1\" STOP 0", KA_INSTANCE, "VI_1", KA_STOP, 0 },
		{ "INSTANCE \"VI_1\" DELETED 0", KA_INSTANCE, "VI_1", KA_DELETED, 0 },
		{ "GROUP \"VPN\" FAULT 255", KA_GROUP, "VPN", KA_FAULT, 255 },
		/* A word a newer keepalived may write. */
		{ "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 100", KA_INSTANCE, "VI_1", KA_UNKNOWN, 100 },
		{ "INSTANCE \"VI_1\" master 100", KA_INSTANCE, "VI_1", KA_UNKNOWN, 100 },
		{ "INSTANCE \"VI_1\" MASTER 100\r", KA_INSTANCE, "VI_1", KA_MASTER, 100 },
		{ "GROUP \"VPN\" BACKUP\r", KA_GROUP, "VPN", KA_BACKUP, -1 },
		{ "  INSTANCE   \"VI_1\"   MASTER   7  ", KA_INSTANCE, "VI_1", KA_MASTER, 7 },
		{ "INSTANCE \"x.y-z_1:2/3\" BACKUP 1", KA_INSTANCE, "x.y-z_1:2/3", KA_BACKUP, 1 },
		{ "INSTANCE \"0123456789012345678901234567890123456789012345678901234567890123\" MASTER 1",
		  KA_INSTANCE, "0123456789012345678901234567890123456789012345678901234567890123",
		  KA_MASTER, 1 },
		{ "INSTANCE \"VI_1\" MASTER 007", KA_INSTANCE, "VI_1", KA_MASTER, 7 },
		/* The checker's lines, and anything else that is one word. */
		{ "VS [10.0.0.1]:tcp:80 UP", KA_OTHER, "", 0, -1 },
		{ "RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN", KA_OTHER, "", 0, -1 },
		{ "VS [10.0.0.1]:tcp:80 UP\r", KA_OTHER, "", 0, -1 },
		{ "INSTANCEX \"VI_1\" MASTER 100", KA_OTHER, "", 0, -1 },
		{ "instance \"VI_1\" MASTER 100", KA_OTHER, "", 0, -1 },
	};
	struct ka_line l;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&l, 0x5a, sizeof(l));
		if (parse(good[i].line, &l) < 0) {
			t_case_fail++;
			printf("# FAIL refused: %s\n", good[i].line);
			continue;
		}
		CHECK_EQ(l.kind, good[i].kind);
		if (good[i].kind == KA_OTHER)
			continue;
		CHECK(!strcmp(l.name, good[i].name));
		CHECK_EQ(l.state, good[i].state);
		CHECK_EQ((unsigned int)l.priority, (unsigned int)good[i].prio);
	}
}

static void test_bad_lines(void)
{
	static const char *const bad[] = {
		"",
		" ",
		"\r",
		"INSTANCE",
		"INSTANCE ",
		"INSTANCE VI_1 MASTER 100",		/* no quotes */
		"INSTANCE \"VI_1 MASTER 100",		/* one quote */
		"INSTANCE \"\" MASTER 100",		/* empty name */
		"INSTANCE \"VI 1\" MASTER 100",		/* space in the name */
		"INSTANCE \"VI\t1\" MASTER 100",	/* control character */
		"INSTANCE \"VI\x7f\" MASTER 100",
		"INSTANCE \"VI\xc3\xa9\" MASTER 100",	/* not ASCII */
		"INSTANCE \"VI_1\"MASTER 100",		/* glued */
		"INSTANCE \"VI_1\"",			/* no state */
		"INSTANCE \"VI_1\" ",
		"INSTANCE \"VI_1\" MASTER 256",
		"INSTANCE \"VI_1\" MASTER 1000",
		"INSTANCE \"VI_1\" MASTER 99999999999999999999999",
		"INSTANCE \"VI_1\" MASTER -1",
		"INSTANCE \"VI_1\" MASTER +1",
		"INSTANCE \"VI_1\" MASTER 1x",
		"INSTANCE \"VI_1\" MASTER 100 extra",	/* trailing junk */
		"INSTANCE \"VI_1\" MASTER 100 \r",	/* fine: spaces end */
		"INSTANCE \"VI_1\" MASTER 100\r\r",
		"GROUP \"VPN\" BACKUP 0 0",
		/* 65 characters: one too many */
		"INSTANCE \"01234567890123456789012345678901234567890123456789012345678901234\" MASTER 1",
	};
	char buf[KA_LINE_MAX + 64];
	struct ka_line l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i], &l);

		/* One exception, on purpose: trailing spaces before \r. */
		if (!strcmp(bad[i], "INSTANCE \"VI_1\" MASTER 100 \r")) {
			CHECK(ret == 0);
			continue;
		}
		if (ret == 0) {
			t_case_fail++;
			printf("# FAIL accepted: \"%s\"\n", bad[i]);
		}
	}

	/* An embedded NUL, anywhere. */
	CHECK(ka_parse_line("INSTANCE \"VI_1\" MASTER 100", 26, &l) == 0);
	CHECK(ka_parse_line("INSTANCE \"VI\0_1\" MASTER 100", 27, &l) < 0);
	CHECK(ka_parse_line("INSTANCE \"VI_1\" MASTER 100\0", 27, &l) < 0);
	CHECK(ka_parse_line("VS\0", 3, &l) < 0);

	/* KA_LINE_MAX is accepted, one more is not. */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "VS x", 4);
	CHECK(ka_parse_line(buf, KA_LINE_MAX, &l) == 0);
	CHECK(ka_parse_line(buf, KA_LINE_MAX + 1, &l) < 0);
	memcpy(buf, "INSTANCE \"VI_1\" MASTER 100", 26);
	CHECK(ka_parse_line(buf, KA_LINE_MAX, &l) == 0);
	CHECK(ka_parse_line(buf, KA_LINE_MAX + 1, &l) < 0);

	/* Only len bytes are read: the line need not be NUL-terminated. */
	memcpy(buf, "INSTANCE \"VI_1\" MASTER 1009", 27);
	CHECK(ka_parse_line(buf, 26, &l) == 0);
	CHECK_EQ(l.priority, 100);
	CHECK(ka_parse_line(buf, 27, &l) < 0);
}

static void test_states(void)
{
	enum ha_state ha = HA_STATE_FAULT;

	CHECK(ka_state_to_ha(KA_MASTER, &ha) && ha == HA_STATE_MASTER);
	CHECK(ka_state_to_ha(KA_BACKUP, &ha) && ha == HA_STATE_BACKUP);
	CHECK(ka_state_to_ha(KA_FAULT, &ha) && ha == HA_STATE_FAULT);
	CHECK(ka_state_to_ha(KA_STOP, &ha) && ha == HA_STATE_BACKUP);
	ha = HA_STATE_MASTER;
	CHECK(ka_state_to_ha(KA_DELETED, &ha) && ha == HA_STATE_BACKUP);
	ha = HA_STATE_MASTER;
	CHECK(!ka_state_to_ha(KA_UNKNOWN, &ha) && ha == HA_STATE_MASTER);
	CHECK(!strcmp(ka_state_name(KA_MASTER), "MASTER"));
	CHECK(!strcmp(ka_state_name(KA_DELETED), "DELETED"));
	CHECK(!strcmp(ka_state_name(KA_UNKNOWN), "UNKNOWN"));
	CHECK(!strcmp(ka_state_name((enum ka_state)42), "?"));
}

/* Feed a whole stream in chunks of `chunk` bytes; collect the lines. */
static unsigned int split(struct ka_buf *b, const char *s, size_t n,
			  size_t chunk, char out[][KA_LINE_MAX + 1],
			  unsigned int max)
{
	unsigned int k = 0;
	size_t off = 0, c, used, len;
	const char *line;

	while (off < n) {
		c = n - off < chunk ? n - off : chunk;
		/* As hagroup_readable does: feed until the chunk is used. */
		while (c) {
			used = ka_buf_feed(b, s + off, c);
			off += used;
			c -= used;
			while ((line = ka_buf_next(b, &len))) {
				if (strlen(line) != len)
					t_case_fail++;
				if (k < max)
					snprintf(out[k], KA_LINE_MAX + 1, "%s",
						 line);
				k++;
			}
		}
	}
	return k;
}

static void test_buf_split(void)
{
	static const char stream[] =
		"INSTANCE \"VI_1\" BACKUP 100\n"
		"GROUP \"VPN\" BACKUP 0\n"
		"\n"
		"INSTANCE \"VI_1\" MASTER 100\r\n"
		"GROUP \"VPN\" MASTER 0\n"
		"VS [10.0.0.1]:tcp:80 UP\n"
		"partial";
	static const char *const want[] = {
		"INSTANCE \"VI_1\" BACKUP 100",
		"GROUP \"VPN\" BACKUP 0",
		"",
		"INSTANCE \"VI_1\" MASTER 100\r",
		"GROUP \"VPN\" MASTER 0",
		"VS [10.0.0.1]:tcp:80 UP",
	};
	static char out[16][KA_LINE_MAX + 1];
	struct ka_buf b;
	size_t chunk, len;
	unsigned int k, i;

	for (chunk = 1; chunk <= sizeof(stream); chunk++) {
		memset(&b, 0, sizeof(b));
		k = split(&b, stream, sizeof(stream) - 1, chunk, out, 16);
		CHECK_EQ(k, 6);
		for (i = 0; i < k && i < 6; i++)
			if (strcmp(out[i], want[i])) {
				t_case_fail++;
				printf("# FAIL chunk %zu line %u: \"%s\"\n",
				       chunk, i, out[i]);
			}
		/* The partial line waits for its newline. */
		CHECK(!ka_buf_next(&b, &len));
		CHECK_EQ(b.len, 7);
		CHECK_EQ(ka_buf_feed(&b, " 1\nX", 4), 3);
		CHECK(ka_buf_next(&b, &len) && len == 9);
		CHECK(!strcmp(b.data, "partial 1"));
		CHECK_EQ(b.overlong, 0);
	}

	/* One feed, several lines: it stops after each complete line and
	 * takes nothing until that line is taken. */
	memset(&b, 0, sizeof(b));
	CHECK_EQ(ka_buf_feed(&b, "a\nbb\nccc\n", 9), 2);
	CHECK_EQ(ka_buf_feed(&b, "bb\nccc\n", 7), 0);
	CHECK(!strcmp(ka_buf_next(&b, &len), "a") && len == 1);
	CHECK(!ka_buf_next(&b, &len));
	CHECK_EQ(ka_buf_feed(&b, "bb\nccc\n", 7), 3);
	CHECK(!strcmp(ka_buf_next(&b, &len), "bb") && len == 2);
	CHECK_EQ(ka_buf_feed(&b, "ccc\n", 4), 4);
	CHECK(!strcmp(ka_buf_next(&b, &len), "ccc") && len == 3);
	CHECK_EQ(ka_buf_feed(&b, "", 0), 0);
	CHECK(!ka_buf_next(&b, &len));
}

static void test_buf_overlong(void)
{
	static char stream[3 * KA_LINE_MAX + 256];
	static char out[8][KA_LINE_MAX + 1];
	static const size_t chunks[] = { 1, 2, 7, 100, KA_LINE_MAX,
					 KA_LINE_MAX + 1, 4096 };
	struct ka_buf b;
	size_t n = 0, c, i;
	unsigned int k;

	/* A line of exactly KA_LINE_MAX: kept. */
	memset(stream + n, 'a', KA_LINE_MAX);
	n += KA_LINE_MAX;
	stream[n++] = '\n';
	/* One byte more: dropped whole. */
	memset(stream + n, 'b', KA_LINE_MAX + 1);
	n += KA_LINE_MAX + 1;
	stream[n++] = '\n';
	/* The next line survives. */
	n += (size_t)sprintf(stream + n, "GROUP \"VPN\" MASTER 0\n");
	/* Much longer, then a last line. */
	memset(stream + n, 'c', KA_LINE_MAX + 100);
	n += KA_LINE_MAX + 100;
	n += (size_t)sprintf(stream + n, "\nINSTANCE \"VI_1\" FAULT 0\n");

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		c = chunks[i];
		memset(&b, 0, sizeof(b));
		k = split(&b, stream, n, c, out, 8);
		CHECK_EQ(k, 3);
		CHECK_EQ(strlen(out[0]), KA_LINE_MAX);
		CHECK(!strcmp(out[1], "GROUP \"VPN\" MASTER 0"));
		CHECK(!strcmp(out[2], "INSTANCE \"VI_1\" FAULT 0"));
		CHECK_EQ(b.overlong, 2);
		CHECK(!b.skipping);
		CHECK_EQ(b.len, 0);
	}

	/* An overlong line without its newline yet: nothing comes out, and
	 * what follows its newline is a line again. */
	memset(&b, 0, sizeof(b));
	memset(stream, 'd', 2 * KA_LINE_MAX);
	CHECK_EQ(ka_buf_feed(&b, stream, 2 * KA_LINE_MAX), 2 * KA_LINE_MAX);
	CHECK(b.skipping);
	CHECK_EQ(b.overlong, 1);
	CHECK(!ka_buf_next(&b, &i));
	CHECK_EQ(ka_buf_feed(&b, "dd\nok\n", 6), 6);
	CHECK(!b.skipping);
	CHECK(!strcmp(ka_buf_next(&b, &i), "ok") && i == 2);
	CHECK_EQ(b.overlong, 1);
}

int main(void)
{
	RUN(test_good_lines);
	RUN(test_bad_lines);
	RUN(test_states);
	RUN(test_buf_split);
	RUN(test_buf_overlong);
	DONE();
}
