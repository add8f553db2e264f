/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_ha internals. Lock order, outermost first:
 *
 *   xha_net.lock (mutex) -> xfrm_state.lock (spin, BH) ->
 *   net->xfrm.xfrm_state_lock (spin, BH, taken by xfrm_state_walk())
 *
 * xha_net.kick_lock is a leaf. Nothing here takes xha_net.lock from atomic
 * context: the xfrm key-manager hook only kicks the scan work.
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
/* How many SAs one run of the scan work looks at before yielding. */
#define XHA_SCAN_BUDGET	(64 * XHA_CHUNK)

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
};

struct xha_net {
	struct net *net;
	struct list_head node;		/* in xha_nets, under xha_nets_lock */

	/* Configuration: written under lock, read anywhere with READ_ONCE. */
	u32 sync_packets;
	u32 sync_time_ms;
	u32 scan_interval_ms;
	u32 oseq_wrap_margin;

	struct mutex lock;		/* everything below until kick_lock */
	struct rhashtable table;	/* struct xha_entry by xha_key */
	struct list_head entries;	/* the same entries, for the sweep */
	unsigned int n_entries;
	struct xfrm_state_walk walk;	/* position of the current pass */
	bool walking;			/* walk is initialised */
	u32 pass;			/* generation of the current pass */
	unsigned long pass_started;	/* jiffies when the last pass began */
	struct xha_chunk chunk;

	/*
	 * The multicast listener bitmap is per protocol, not per netns: a
	 * request of the family made in this netns arms its scan, a record
	 * that reached nobody here disarms it.
	 */
	bool armed;
	/* An SA went away since the current pass began: sweep even unheard. */
	bool gc_due;

	spinlock_t kick_lock;		/* dying and queueing scan_work */
	bool dying;
	unsigned long queued_at;	/* jiffies scan_work is due, if pending */
	bool running;			/* xha_scan_work() is between its ends */
	bool rearm;			/* a request armed us meanwhile */
	struct delayed_work scan_work;

	struct xha_stats stats;
};

/* netns.c */
struct xha_net *xha_net(const struct net *net);
int xha_netns_init(void);
void xha_netns_exit(void);
void xha_netns_stop_all(void);
void xha_kick(struct xha_net *xn, unsigned long delay);
void xha_kick_event(struct xha_net *xn, bool gone);
void xha_arm(struct xha_net *xn);

/* walk.c */
void xha_chunk_release(struct xha_chunk *c);
bool xha_chunk_fill(struct net *net, struct xfrm_state_walk *walk,
		    struct xha_chunk *c);

/* replay.c */
void xha_key_from_state(const struct xfrm_state *x, struct xha_key *key);
int xha_snap_read(struct xfrm_state *x, struct xha_snap *snap, bool window);
int xha_counters_write(struct xfrm_state *x, struct xha_write *w,
		       struct xha_snap *snap, struct netlink_ext_ack *extack);

/* track.c */
int xha_track_cache_init(void);
void xha_track_cache_exit(void);
u32 xha_track_entry_bytes(void);
int xha_track_init(struct xha_net *xn);
void xha_track_destroy(struct xha_net *xn);
bool xha_track_scan(struct xha_net *xn, bool publish);
void xha_track_written(struct xha_net *xn, const struct xha_snap *snap);

/* netlink.c */
int xha_genl_init(void);
void xha_genl_exit(void);
bool xha_genl_listening(struct xha_net *xn);
int xha_genl_put_sa(struct sk_buff *skb, const struct xha_snap *snap);
struct sk_buff *xha_genl_notify_new(void **hdr);
int xha_genl_notify_send(struct xha_net *xn, struct sk_buff *skb, void *hdr);

/* km.c */
void xha_km_init(void);
void xha_km_exit(void);

#endif /* _XFRM_HA_H */
