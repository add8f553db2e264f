/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_ha internals. Lock order, outermost first:
 *
 *   xha_net.lock (mutex) -> xfrm_state.lock (spin, BH) ->
 *   net->xfrm.xfrm_state_lock (spin, BH, taken by xfrm_state_walk())
 *
 * xha_net.kick_lock (spin, irqsave) is a leaf. Nothing here takes
 * xha_net.lock from atomic context: the xfrm key-manager hook only queues
 * a referenced SA and kicks the scan work.
 */
#ifndef _XFRM_HA_H
#define _XFRM_HA_H

#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <net/xfrm.h>
#include <uapi/linux/xfrm_ha.h>

/* How many SAs one xfrm_state_walk() call hands over, with a reference. */
#define XHA_CHUNK	64
/* How many SAs one run of the reconcile walk takes before yielding. */
#define XHA_SCAN_BUDGET	(64 * XHA_CHUNK)
/* A reconcile walk, for what the km events missed, at least this often. */
#define XHA_RECONCILE_PERIOD	(10 * HZ)
/* Dead SAs' entries (and references) are dropped at most this late. */
#define XHA_PRUNE_GAP	(HZ / 10)
/* Armed, but nothing sent for this long: probe whether anyone listens. */
#define XHA_PROBE_PERIOD	(10 * HZ)

/* The identity the kernel looks an inbound SA up by, plus if_id. */
struct xha_key {
	xfrm_address_t daddr;
	__be32 spi;
	u32 mark;
	u32 if_id;
	u16 family;
	u8 proto;
	u8 pad;
};

/* The largest replay window: bmp_len is at most 128 words. */
#define XHA_BMP_WORDS	(XFRM_HA_BITMAP_MAX_BYTES / sizeof(u32))

/* A consistent copy of one SA's counters, taken under x->lock. */
struct xha_snap {
	struct xha_key key;
	u8 event;		/* enum xfrm_ha_event, notifications only */
	xfrm_address_t saddr;
	u64 oseq;
	u64 seq;
	u64 bytes;
	u64 packets;
	u32 replay_window;
	u8 replay_mode;		/* enum xfrm_ha_replay_mode */
	/* Inbound window relative to seq (bit i: seq - i accepted), if read. */
	u32 bmp_words;		/* 0: not read, or no window */
	u32 bmp[XHA_BMP_WORDS];
};

/* One XFRM_HA_CMD_SA_SET: what to write (NULL: leave alone), and results. */
struct xha_write {
	const u64 *oseq;
	const u64 *oseq_min;	/* the wrap guard's floor, or NULL: *oseq */
	const u64 *seq;
	const u32 *bmp;		/* window relative to *seq, or NULL */
	u32 bmp_words;
	const u64 *bytes;
	const u64 *packets;
	u32 wrap_margin;	/* the netns's oseq_wrap_margin */
	bool clamped;		/* out: oseq stopped short of 2^32 */
	bool expired;		/* out: and a soft expire was sent */
};

/* SAs taken out of an xfrm_state_walk(), each holding a reference. */
struct xha_chunk {
	unsigned int n;		/* states held */
	unsigned int next;	/* first one not consumed yet */
	unsigned int max;	/* take at most this many (0: XHA_CHUNK) */
	struct xfrm_state *x[XHA_CHUNK];
};

struct xha_stats {
	atomic64_t events;
	atomic64_t scans;
	atomic64_t records;
	atomic64_t batches;
	atomic64_t send_errors;
	atomic64_t writes;
	atomic64_t writes_refused;
	atomic64_t swept;		/* entries freed: their SA is gone */
	atomic64_t oseq_clamped;
	atomic64_t soft_expires;
	atomic64_t checks;		/* lock-free looks at an SA */
	atomic64_t reads;		/* counter reads under x->lock */
	atomic64_t reconciles;		/* complete reconcile walks */
	atomic64_t lifecycle;		/* added/replaced/deleted records */
};

/* SA lifecycle events the km hook queues for the work, with a reference. */
#define XHA_EVQ_LEN	256

struct xha_ev {
	struct xfrm_state *x;
	u8 event;			/* enum xfrm_ha_event */
};

struct xha_entry;

struct xha_net {
	struct net *net;
	struct list_head node;		/* in xha_nets, under xha_nets_lock */

	/* Configuration: written under lock, read anywhere with READ_ONCE. */
	u32 sync_packets;
	u32 sync_time_ms;
	u32 scan_interval_ms;
	u32 idle_interval_ms;
	u32 oseq_wrap_margin;

	struct mutex lock;		/* everything below until kick_lock */
	struct rhashtable table;	/* struct xha_entry by SA pointer */
	/*
	 * The same entries, dense: [0, n_hot) moved recently and are looked
	 * at every pass, [n_hot, n_entries) are idle and looked at a slice
	 * per pass, each once per idle_interval_ms.
	 */
	struct xha_entry **vec;
	u32 n_entries;
	u32 n_hot;
	u32 cap;
	u32 cold_cursor;		/* next idle entry to look at */
	unsigned long cold_last;	/* jiffies of the last idle slice */
	struct xfrm_state_walk walk;	/* position of the reconcile walk */
	bool walking;			/* walk is initialised */
	unsigned long reconciled;	/* jiffies the last reconcile began */
	unsigned long pass_last;	/* jiffies the last pass began */
	unsigned long pruned;		/* jiffies of the last prune */
	unsigned long sent_last;	/* jiffies of the last notification */
	struct xha_chunk chunk;
	struct mem_cgroup *memcg;	/* charged for entries, or NULL */

	/*
	 * The multicast listener bitmap is per protocol, not per netns: a
	 * request of the family made in this netns arms its scan, a record
	 * (or an idle probe) that reached nobody here disarms it.
	 */
	bool armed;
	bool rewalk;			/* reconcile again once this walk ends */
	bool memcg_taken;		/* memcg was looked up (may be NULL) */

	spinlock_t kick_lock;		/* everything below */
	bool dying;
	bool running;			/* xha_scan_work() is between its ends */
	bool rearm;			/* a request armed us meanwhile */
	bool gone;			/* an SA died: prune before the pass */
	bool evq_lost;			/* evq overflowed: reconcile */
	u32 arm_seq;			/* requests that armed the namespace */
	u32 run_arm_seq;		/* arm_seq when the current run began */
	unsigned long queued_at;	/* jiffies scan_work is due, if pending */
	bool reconcile;			/* reconcile now (armed, config) */
	u32 evq_len;
	struct xha_ev evq[XHA_EVQ_LEN];
	struct delayed_work scan_work;

	/* SA add/delete in this netns: dumps check it for consistency. */
	atomic_t gen;

	struct xha_stats stats;
};

/* netns.c */
extern struct workqueue_struct *xha_wq;
struct xha_net *xha_net(const struct net *net);
int xha_netns_init(void);
void xha_netns_exit(void);
void xha_netns_stop_all(void);
void xha_kick(struct xha_net *xn, unsigned long delay);
void xha_kick_event(struct xha_net *xn, struct xfrm_state *x, u8 event);
void xha_kick_gone(struct xha_net *xn);
void xha_arm(struct xha_net *xn);
void xha_disarm(struct xha_net *xn);

/* walk.c */
void xha_chunk_release(struct xha_chunk *c);
bool xha_chunk_fill(struct net *net, struct xfrm_state_walk *walk,
		    struct xha_chunk *c);

/* replay.c */
void xha_key_from_state(const struct xfrm_state *x, struct xha_key *key);
int xha_snap_read(struct xfrm_state *x, struct xha_snap *snap, bool window);
void xha_snap_read_any(struct xfrm_state *x, struct xha_snap *snap);
int xha_counters_write(struct xfrm_state *x, struct xha_write *w,
		       struct xha_snap *snap, struct netlink_ext_ack *extack);

/* track.c */
int xha_track_cache_init(void);
void xha_track_cache_exit(void);
u32 xha_track_entry_bytes(void);
int xha_track_init(struct xha_net *xn);
void xha_track_destroy(struct xha_net *xn);
void xha_track_clear(struct xha_net *xn);
unsigned long xha_track_run(struct xha_net *xn);
void xha_track_written(struct xha_net *xn, struct xfrm_state *x,
		       const struct xha_snap *snap);

/* netlink.c */
int xha_genl_init(void);
void xha_genl_exit(void);
bool xha_genl_listening(struct xha_net *xn);
int xha_genl_put_sa(struct sk_buff *skb, const struct xha_snap *snap);
struct sk_buff *xha_genl_notify_new(void **hdr);
int xha_genl_notify_send(struct xha_net *xn, struct sk_buff *skb, void *hdr);
void xha_genl_probe(struct xha_net *xn);

/* km.c */
int xha_km_init(void);
void xha_km_exit(void);

#endif /* _XFRM_HA_H */
