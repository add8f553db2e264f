// SPDX-License-Identifier: GPL-2.0
/* The adaptive shift: rate estimate, targets, re-raises, takeover. */
#include <arpa/inet.h>
#include <errno.h>

#include "counters.h"
#include "linux/xfrm_ha.h"
#include "shift.h"
#include "t.h"

#define U32MAX 0xffffffffull

static const struct shift_params params = {
	.base = 1000,
	.margin_ms = 500,
	.lookahead_ms = 1500,
	.refresh_ms = 500,
	.horizon_ms = 31000,
	.expire_ms = 600000,
	.max_entries = 4,
};


/* A kernel in miniature: what each SA holds, and every write. */
struct kern {
	uint64_t oseq[8];
	unsigned int writes;
	int fail;		/* errno to return, 0: succeed */
	unsigned int newly_over;
};

static int kern_write(void *arg, const struct shift_write *w)
{
	struct kern *k = arg;
	unsigned int i = ntohl(w->sa.spi) % 8;

	CHECK(w->sa.has & XHA_SA_HAS_OSEQ);
	CHECK_EQ(w->sa.daddr[0], 10);
	k->writes++;
	k->newly_over += w->newly_over;
	if (k->fail)
		return -k->fail;
	if (w->sa.oseq > k->oseq[i])
		k->oseq[i] = w->sa.oseq;
	return 0;
}

/* What the backup does with a record: observe, then write the target. */
static void on_record(struct shift *sh, struct kern *k, const struct xha_sa *r,
		      uint64_t now)
{
	struct shift_write w;
	uint64_t t;

	CHECK_EQ(shift_observe(sh, r, now), 0);
	t = shift_target(sh, r, now, true, &w);
	k->newly_over += w.newly_over;
	if (t > k->oseq[ntohl(r->spi) % 8])
		k->oseq[ntohl(r->spi) % 8] = t;
	k->writes++;
	shift_written(sh, r, t, now);
}

static void test_rate(void)
{
	struct shift *sh = shift_new(&params);
	struct shift_write w;
	struct xha_sa r;

	/* Unknown SA: oseq-shift only. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 5000, 0, 1);
	CHECK_EQ(shift_target(sh, &r, 0, true, &w), 6000);
	CHECK_EQ(w.advance, 1000);
	/* First record: no rate yet, so no floor for the wrap guard. */
	CHECK_EQ(shift_observe(sh, &r, 0), 0);
	CHECK_EQ(shift_count(sh), 1);
	CHECK_EQ(shift_target(sh, &r, 0, true, &w), 6000);
	CHECK(!(w.sa.has & XHA_SA_HAS_OSEQ_MIN));
	/* 10000 packets in 1 s. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 15000, 0, 1);
	shift_observe(sh, &r, 1000);
	CHECK_EQ(shift_target(sh, &r, 1000, false, &w), 15000 + 5000);
	CHECK(w.rate > 9999 && w.rate < 10001);
	/* With the lookahead: 10000 x (1.5 + 0.5) s. */
	CHECK_EQ(shift_target(sh, &r, 1000, true, &w), 15000 + 20000);
	/* The wrap guard's floor: the need itself, no lookahead, no slack. */
	CHECK(w.sa.has & XHA_SA_HAS_OSEQ_MIN);
	CHECK_EQ(w.sa.oseq_min, 15000 + 5000);
	CHECK(w.sa.oseq_min <= w.sa.oseq);
	/* Later: the time since the record counts. */
	CHECK_EQ(shift_target(sh, &r, 3000, false, NULL), 15000 + 25000);
	/* ...up to the horizon. */
	CHECK_EQ(shift_target(sh, &r, 1000 + 100000, false, NULL),
		 15000 + 10000ull * 315 / 10);
	/* An increase shows at once: 30000 in the next second. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 45000, 0, 1);
	shift_observe(sh, &r, 2000);
	CHECK_EQ(shift_target(sh, &r, 2000, false, &w), 45000 + 15000);
	/* A decrease slowly: EWMA 15000 -> 11500. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 46000, 0, 1);
	shift_observe(sh, &r, 3000);
	CHECK_EQ(shift_target(sh, &r, 3000, false, &w), 46000 + 5750);
	/* Two records 10 ms apart make no sample. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 47000, 0, 1);
	shift_observe(sh, &r, 3010);
	CHECK_EQ(shift_target(sh, &r, 3010, false, &w), 47000 + 5750);
	/* A reordered, older record changes nothing. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 46500, 0, 1);
	shift_observe(sh, &r, 3500);
	t_rec(&r, XFRM_HA_REPLAY_BMP, 47000, 0, 1);
	CHECK_EQ(shift_target(sh, &r, 3010, false, &w), 47000 + 5750);
	/* Never below the record plus oseq-shift. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 100000, 0, 1);
	CHECK(shift_target(sh, &r, 3010, false, NULL) >= 101000);
	shift_free(sh);
}

static void test_saturation(void)
{
	struct shift *sh = shift_new(&params);
	struct xha_sa r;

	t_rec(&r, XFRM_HA_REPLAY_LEGACY, U32MAX - 2000000, 0, 1);
	shift_observe(sh, &r, 0);
	t_rec(&r, XFRM_HA_REPLAY_LEGACY, U32MAX - 1000000, 0, 1);
	shift_observe(sh, &r, 1000);
	CHECK_EQ(shift_target(sh, &r, 1000, true, NULL), U32MAX);
	/* ESN: carries into the high half. */
	t_rec(&r, XFRM_HA_REPLAY_ESN, U32MAX - 2000000, 0, 2);
	shift_observe(sh, &r, 0);
	t_rec(&r, XFRM_HA_REPLAY_ESN, U32MAX - 1000000, 0, 2);
	shift_observe(sh, &r, 1000);
	CHECK_EQ(shift_target(sh, &r, 1000, true, NULL),
		 U32MAX - 1000000 + 2000000);
	/* Absurd rates saturate instead of overflowing. */
	t_rec(&r, XFRM_HA_REPLAY_ESN, 0, 0, 3);
	shift_observe(sh, &r, 0);
	t_rec(&r, XFRM_HA_REPLAY_ESN, UINT64_MAX / 2, 0, 3);
	shift_observe(sh, &r, 1000);
	CHECK_EQ(shift_target(sh, &r, 1000000, true, NULL), UINT64_MAX);
	shift_free(sh);
}

/*
 * Records every second at 10000 packets/s, then the active dies: the
 * kernel must always hold what a takeover at that moment needs, at about
 * one write per second, and nothing once the horizon is covered.
 */
static void test_continuous(void)
{
	struct shift *sh = shift_new(&params);
	struct kern k = { 0 };
	struct xha_sa r;
	uint64_t now, last = 0, need;
	unsigned int writes;

	for (now = 0; now <= 10000; now += 250) {
		if (now % 1000 == 0) {
			t_rec(&r, XFRM_HA_REPLAY_ESN, 10 * now, 0, 1);
			on_record(sh, &k, &r, now);
			last = now;
		}
		shift_tick(sh, now, kern_write, &k);
	}
	/* 11 records, each one write; the timer had nothing to add. */
	CHECK_EQ(k.writes, 11);
	CHECK_EQ(shift_get_stats(sh)->raises, 0);
	/* Silence: the timer keeps the kernel ahead of the need. */
	writes = k.writes;
	for (now = 10250; now <= 60000; now += 250) {
		shift_tick(sh, now, kern_write, &k);
		need = 10 * last + 10ull * ((now - last < 31000 ?
						now - last : 31000) + 500);
		CHECK(k.oseq[1] >= need);
		if (k.oseq[1] < need) {
			printf("# at %" PRIu64 ": %" PRIu64 " < %" PRIu64 "\n",
			       now, k.oseq[1], need);
			break;
		}
	}
	/* About one write a second until the horizon (31 s), then none. */
	CHECK(k.writes - writes >= 25 && k.writes - writes <= 35);
	CHECK_EQ(shift_get_stats(sh)->raises, k.writes - writes);
	writes = k.writes;
	for (; now <= 120000; now += 250)
		shift_tick(sh, now, kern_write, &k);
	CHECK_EQ(k.writes, writes);
	/* The horizon caps the lookahead too: 10000 x (31 + 0.5) s. */
	CHECK_EQ(k.oseq[1], 100000 + 10ull * (31000 + 500));
	shift_free(sh);
}

static void test_takeover(void)
{
	struct shift *sh = shift_new(&params);
	struct kern k = { 0 };
	unsigned int over, n;
	struct xha_sa r;

	/* SA 1: 10000/s; SA 2: idle (oseq-shift is enough). */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 0, 0, 1);
	on_record(sh, &k, &r, 0);
	t_rec(&r, XFRM_HA_REPLAY_BMP, 10000, 0, 1);
	on_record(sh, &k, &r, 1000);
	t_rec(&r, XFRM_HA_REPLAY_BMP, 77, 0, 2);
	on_record(sh, &k, &r, 0);
	on_record(sh, &k, &r, 1000);
	CHECK_EQ(k.oseq[2], 1077);
	/* Takeover 3 s after the last record: 10000 x 3.5 s. */
	k.writes = 0;
	n = shift_takeover(sh, 4000, kern_write, &k, &over);
	CHECK_EQ(n, 1);
	CHECK_EQ(over, 1);
	CHECK_EQ(k.writes, 1);
	CHECK_EQ(k.oseq[1], 10000 + 35000);
	CHECK_EQ(k.oseq[2], 1077);
	CHECK_EQ(shift_get_stats(sh)->takeover_raises, 1);
	/* Counted and reported once. */
	CHECK_EQ(shift_get_stats(sh)->over, 1);
	CHECK_EQ(k.newly_over, 1);
	/* Already covered (lookahead): nothing written. */
	k.writes = 0;
	CHECK_EQ(shift_takeover(sh, 1000, kern_write, &k, &over), 0);
	CHECK_EQ(k.writes, 0);
	/* A refused write is not counted as written. */
	k.fail = ENOENT;
	CHECK_EQ(shift_takeover(sh, 9000, kern_write, &k, &over), 0);
	CHECK_EQ(k.writes, 1);
	k.fail = 0;
	shift_clear(sh);
	CHECK_EQ(shift_count(sh), 0);
	CHECK_EQ(shift_takeover(sh, 9000, kern_write, &k, &over), 0);
	CHECK_EQ(shift_get_stats(sh)->over, 1);
	shift_free(sh);
}

static void test_over_at_record(void)
{
	struct shift *sh = shift_new(&params);
	struct shift_write w;
	struct xha_sa r;

	/* 600/s, records every second: 600 x 1.5 s < 1000, not over. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 0, 0, 1);
	shift_observe(sh, &r, 0);
	t_rec(&r, XFRM_HA_REPLAY_BMP, 600, 0, 1);
	shift_observe(sh, &r, 1000);
	shift_target(sh, &r, 1000, true, &w);
	CHECK(!w.newly_over);
	CHECK_EQ(shift_get_stats(sh)->over, 0);
	/* 800/s over 1 s, then a record 2 s later: the gap needed
	 * 800 x 2.5 s = 2000 > 1000. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 1400, 0, 1);
	shift_observe(sh, &r, 2000);
	t_rec(&r, XFRM_HA_REPLAY_BMP, 3000, 0, 1);
	shift_observe(sh, &r, 4000);
	shift_target(sh, &r, 4000, true, &w);
	CHECK(w.newly_over);
	CHECK_EQ(shift_get_stats(sh)->over, 1);
	shift_target(sh, &r, 4000, true, &w);
	CHECK(!w.newly_over);
	shift_free(sh);
}

static void test_bounds(void)
{
	struct shift *sh = shift_new(&params);
	struct kern k = { .fail = ENOENT };
	struct xha_sa r;
	unsigned int i;

	for (i = 1; i <= 4; i++) {
		t_rec(&r, XFRM_HA_REPLAY_BMP, 0, 0, i);
		CHECK_EQ(shift_observe(sh, &r, 0), 0);
	}
	t_rec(&r, XFRM_HA_REPLAY_BMP, 0, 0, 5);
	CHECK_EQ(shift_observe(sh, &r, 0), -ENOSPC);
	CHECK_EQ(shift_get_stats(sh)->full, 1);
	CHECK_EQ(shift_count(sh), 4);
	/* Untracked: oseq-shift only. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 50, 0, 5);
	CHECK_EQ(shift_target(sh, &r, 0, true, NULL), 1050);

	/* A failing write is retried a second later, not every tick. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 10000, 0, 1);
	shift_observe(sh, &r, 1000);
	shift_written(sh, &r, 10001, 1000);
	shift_tick(sh, 1000, kern_write, &k);
	CHECK_EQ(k.writes, 1);
	shift_tick(sh, 1250, kern_write, &k);
	shift_tick(sh, 1500, kern_write, &k);
	CHECK_EQ(k.writes, 1);
	shift_tick(sh, 2000, kern_write, &k);
	CHECK_EQ(k.writes, 2);
	/* Not heard of for expire_ms: dropped. */
	shift_tick(sh, params.expire_ms, kern_write, &k);
	CHECK_EQ(shift_count(sh), 4);
	shift_tick(sh, 1 + params.expire_ms, kern_write, &k);
	CHECK_EQ(shift_count(sh), 1);
	shift_tick(sh, 1001 + params.expire_ms, kern_write, &k);
	CHECK_EQ(shift_count(sh), 0);
	CHECK_EQ(shift_get_stats(sh)->expired, 4);
	/* Written is per SA and never goes down. */
	t_rec(&r, XFRM_HA_REPLAY_BMP, 10, 0, 1);
	shift_observe(sh, &r, 0);
	shift_written(sh, &r, 5000, 0);
	shift_written(sh, &r, 10, 0);
	k.fail = 0;
	k.writes = 0;
	CHECK_EQ(shift_takeover(sh, 0, kern_write, &k, &i), 0);
	shift_free(sh);
}

/* shift_tick's budget: at most tick_writes writes a tick, the next tick
 * goes on from there, and every due SA is written within
 * ceil(due / tick_writes) ticks. */
static void test_tick_budget(void)
{
	struct shift_params p = params;
	struct shift *sh;
	struct kern k = { 0 };
	struct xha_sa r;
	unsigned int i, ticks;

	p.max_entries = 8;
	p.tick_writes = 2;
	sh = shift_new(&p);
	for (i = 0; i < 8; i++) {
		t_rec(&r, XFRM_HA_REPLAY_BMP, 1000, 0, i);
		on_record(sh, &k, &r, 0);
		t_rec(&r, XFRM_HA_REPLAY_BMP, 11000, 0, i);
		on_record(sh, &k, &r, 1000);
	}
	/* Long after the lookahead: all 8 are due. */
	k.writes = 0;
	shift_tick(sh, 5000, kern_write, &k);
	CHECK_EQ(k.writes, 2);
	for (ticks = 1; ticks < 10 && k.writes < 8; ticks++)
		shift_tick(sh, 5000 + ticks, kern_write, &k);
	CHECK_EQ(k.writes, 8);
	CHECK_EQ(ticks, 4);
	/* A queued write that failed is written again a second later. */
	shift_write_failed(sh, &r, 5010);
	k.writes = 0;
	shift_tick(sh, 5020, kern_write, &k);
	shift_tick(sh, 5030, kern_write, &k);
	shift_tick(sh, 5040, kern_write, &k);
	shift_tick(sh, 5050, kern_write, &k);
	CHECK_EQ(k.writes, 0);
	for (i = 0; i < 4; i++)
		shift_tick(sh, 6020 + i, kern_write, &k);
	CHECK(k.writes >= 1);
	shift_free(sh);
}

/*
 * Many idle SAs (a bulk of 100k records with no rate) and one that sends:
 * a tick looks at what is due, not at the table, so the sender's re-raise
 * goes out at the first tick even with a budget of a few visits (the
 * timer once walked the whole table every 250 ms, whatever was due), and
 * the idle ones are forgotten when they expire.
 */
static void test_tick_idle_many(void)
{
	struct shift_params p = params;
	struct shift *sh;
	struct kern k = { 0 };
	struct xha_sa r;
	unsigned int i;

	p.max_entries = 100000;
	p.tick_visits = 4;
	sh = shift_new(&p);
	for (i = 0; i < 99999; i++) {
		t_rec(&r, XFRM_HA_REPLAY_ESN, 7, 0, 1000 + i);
		CHECK_EQ(shift_observe(sh, &r, 0), 0);
		shift_written(sh, &r, 1007, 0);
	}
	CHECK_EQ(shift_count(sh), 99999);
	/* SA 1: 10000 packets/s, written once. */
	t_rec(&r, XFRM_HA_REPLAY_ESN, 0, 0, 1);
	on_record(sh, &k, &r, 0);
	t_rec(&r, XFRM_HA_REPLAY_ESN, 10000, 0, 1);
	on_record(sh, &k, &r, 1000);
	CHECK_EQ(shift_count(sh), 100000);
	k.writes = 0;
	/* Past its lookahead: due, alone among 100000. */
	shift_tick(sh, 3000, kern_write, &k);
	CHECK_EQ(k.writes, 1);
	CHECK_EQ(shift_get_stats(sh)->raises, 1);
	shift_tick(sh, 3001, kern_write, &k);
	CHECK_EQ(k.writes, 1);
	/* All expired: four a tick (the budget). */
	shift_tick(sh, 1002 + p.expire_ms, kern_write, &k);
	CHECK_EQ(shift_count(sh), 100000 - 4);
	CHECK_EQ(shift_get_stats(sh)->expired, 4);
	shift_free(sh);
}

int main(void)
{
	log_init(false);
	RUN(test_rate);
	RUN(test_saturation);
	RUN(test_continuous);
	RUN(test_takeover);
	RUN(test_over_at_record);
	RUN(test_bounds);
	RUN(test_tick_budget);
	RUN(test_tick_idle_many);
	DONE();
}
