// SPDX-License-Identifier: GPL-2.0
/* lag.c: the per-SA table behind "show sync". */
#include <sys/socket.h>

#include "lag.h"
#include "t.h"

static struct xha_sa sa(uint32_t spi, uint64_t oseq, uint64_t seq)
{
	struct xha_sa s = { .family = AF_INET, .proto = IPPROTO_ESP,
			    .spi = htonl(spi), .oseq = oseq, .seq = seq,
			    .has = XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ };

	inet_pton(AF_INET, "10.0.0.2", s.daddr);
	return s;
}

static int count_cb(void *arg, const struct lag_entry *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static struct lag_entry *get(struct lag *l, uint32_t spi)
{
	struct xha_sa s = sa(spi, 0, 0);
	struct sa_key k;

	sa_key_make(&s, &k);
	return (struct lag_entry *)*sa_table_find(&l->t, &k);
}

/* The backup: records noted, the oseq written, the shift is the gap. */
static void test_backup(void)
{
	struct lag *l = lag_new(4);
	struct xha_sa r = sa(0x100, 10, 3);
	struct lag_entry *e;
	int n = 0;

	CHECK(l);
	CHECK(lag_note(l, &r, 1000));
	lag_written(l, &r, 10 + 65536);
	e = get(l, 0x100);
	CHECK(e && e->at == 1000 && e->oseq == 10 && e->seq == 3 &&
	      e->written == 10 + 65536);
	/* A newer record: the written oseq stays, never goes down. */
	r = sa(0x100, 20, 4);
	lag_note(l, &r, 2000);
	lag_written(l, &r, 5);
	CHECK(e->at == 2000 && e->oseq == 20 && e->written == 10 + 65536);
	CHECK_EQ(lag_count(l), 1);
	/* At most max entries; the others counted. */
	for (uint32_t i = 1; i <= 5; i++) {
		r = sa(0x200 + i, 1, 1);
		lag_note(l, &r, 3000);
	}
	CHECK_EQ(lag_count(l), 4);
	CHECK_EQ(l->full, 2);
	lag_walk(l, count_cb, &n);
	CHECK_EQ(n, 4);
	/* Not heard of for LAG_EXPIRE_MS: gone. */
	lag_expire(l, 2000 + LAG_EXPIRE_MS);
	CHECK_EQ(lag_count(l), 3);
	CHECK(!get(l, 0x100));
	lag_clear(l);
	CHECK_EQ(lag_count(l), 0);
	lag_free(l);
}

/* The active: staged records get their message's seq when it is sent. */
static void test_active(void)
{
	struct lag *l = lag_new(16);
	struct xha_sa a = sa(1, 5, 0), b = sa(2, 6, 0);

	lag_stage(l, &a, 100);
	lag_stage(l, &b, 100);
	CHECK(get(l, 1)->msg == 0);
	lag_expire(l, 100 + LAG_EXPIRE_MS);	/* staged: nothing expires */
	CHECK_EQ(lag_count(l), 2);
	lag_commit(l, 42);
	CHECK(get(l, 1)->msg == 42 && get(l, 2)->msg == 42);
	/* Not sent (no session): 0. */
	lag_stage(l, &a, 200);
	lag_commit(l, 0);
	CHECK(get(l, 1)->msg == 0 && get(l, 2)->msg == 42);
	lag_free(l);
	lag_free(NULL);
	CHECK(!lag_note(NULL, &a, 1));
}

int main(void)
{
	RUN(test_backup);
	RUN(test_active);
	DONE();
}
