/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libxha: the userspace side of the xfrm_ha generic netlink family, shared by
 * ha-ike-agent, the ha-ike CLI and the selftests. Built on libmnl.
 *
 * Every function that talks to the kernel returns 0 or a negative errno.
 * After a failure, xha_nl_error() gives the kernel's extack message if there
 * was one, or a description of the local failure, never NULL.
 */
#ifndef XHA_NL_H
#define XHA_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlattr;
struct nlmsghdr;

/* Which optional fields of struct xha_sa are meaningful. */
enum {
	XHA_SA_HAS_OSEQ = 1u << 0,
	XHA_SA_HAS_SEQ = 1u << 1,
	XHA_SA_HAS_SADDR = 1u << 2,
	XHA_SA_HAS_REPLAY = 1u << 3,	/* replay_mode and replay_window */
	XHA_SA_HAS_LIFETIME = 1u << 4,	/* bytes and packets */
	XHA_SA_HAS_BITMAP = 1u << 5,	/* bitmap_words and bitmap */
	XHA_SA_HAS_OSEQ_MIN = 1u << 6,	/* oseq_min (writes only) */
};

/* The kernel's largest replay bitmap: 128 words, 4096 packets. */
#define XHA_BITMAP_MAX_WORDS 128

/* One SA: identity (always meaningful) plus what `has` says. */
struct xha_sa {
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint8_t proto;		/* IPPROTO_ESP or IPPROTO_AH */
	uint8_t replay_mode;	/* enum xfrm_ha_replay_mode */
	uint8_t event;		/* enum xfrm_ha_event (notifications), or 0 */
	uint32_t spi;		/* network byte order */
	uint8_t daddr[16];	/* first 4 bytes used for AF_INET */
	uint8_t saddr[16];
	uint32_t mark;
	uint32_t if_id;
	uint32_t replay_window;
	uint64_t oseq;
	uint64_t oseq_min;	/* the wrap guard's floor, <= oseq */
	uint64_t seq;
	uint64_t bytes;
	uint64_t packets;
	unsigned int has;	/* XHA_SA_HAS_* */
	/*
	 * The inbound replay window relative to seq: bit i (bit i % 32 of
	 * bitmap[i / 32]) set means sequence number seq - i was accepted.
	 * bitmap_words words are meaningful, 1..XHA_BITMAP_MAX_WORDS.
	 */
	uint32_t bitmap_words;
	uint32_t bitmap[XHA_BITMAP_MAX_WORDS];
};

enum {
	XHA_CFG_HAS_SYNC_PACKETS = 1u << 0,
	XHA_CFG_HAS_SYNC_TIME_MS = 1u << 1,
	XHA_CFG_HAS_SCAN_INTERVAL_MS = 1u << 2,
	XHA_CFG_HAS_OSEQ_WRAP_MARGIN = 1u << 3,
	XHA_CFG_HAS_IDLE_INTERVAL_MS = 1u << 4,
};

struct xha_config {
	uint32_t sync_packets;
	uint32_t sync_time_ms;
	uint32_t scan_interval_ms;
	uint32_t oseq_wrap_margin;
	uint32_t idle_interval_ms;
	unsigned int has;	/* XHA_CFG_HAS_*: for set, which to change */
};

struct xha_stats {
	uint32_t sas;
	uint64_t events;
	uint64_t scans;
	uint64_t records;
	uint64_t batches;
	uint64_t send_errors;
	uint64_t writes;
	uint64_t writes_refused;
	uint32_t entry_bytes;	/* memory per tracked SA */
	uint64_t swept;
	uint64_t oseq_clamped;
	uint64_t soft_expires;
	uint32_t hot;		/* SAs looked at every pass */
	uint64_t checks;	/* lock-free looks */
	uint64_t reads;		/* reads under the SA's lock */
	uint64_t reconciles;
	uint64_t lifecycle;	/* added, replaced, deleted records */
};

typedef int (*xha_sa_cb)(const struct xha_sa *sa, void *arg);

struct xha_nl;

/*
 * Open a generic netlink socket in the caller's network namespace and resolve
 * the xfrm_ha family. Returns NULL with errno set and, if err is not NULL, a
 * message in err (for example when the module is not loaded).
 * A handle is either a request handle or, after xha_nl_subscribe(), a
 * notification handle: use two handles for the two roles.
 */
struct xha_nl *xha_nl_open(char *err, size_t errlen);
void xha_nl_close(struct xha_nl *nl);
int xha_nl_fd(const struct xha_nl *nl);
const char *xha_nl_error(const struct xha_nl *nl);

int xha_nl_sa_get(struct xha_nl *nl, const struct xha_sa *id,
		  struct xha_sa *out);
/*
 * Calls cb for every SA; a non-zero return from cb stops and is returned.
 * The whole dump is read before cb sees the first SA, so that a dump the
 * kernel flags as inconsistent (NLM_F_DUMP_INTR) is retried without cb
 * seeing an SA twice; after a few torn dumps in a row the last is delivered.
 */
int xha_nl_sa_dump(struct xha_nl *nl, xha_sa_cb cb, void *arg);
/*
 * The same dump read piece by piece, for an event loop: _start sends the
 * request (it arms the scan like any request); each _step reads at most
 * one datagram without waiting and calls cb for its SAs. _step returns 1
 * when the dump is complete, 0 when more is to come (call it again), or a
 * negative errno. *torn (optional) is set when the kernel flagged the dump
 * as torn by concurrent changes (SAs that came or went during it may be
 * missing or present). Use a handle that makes no other request meanwhile.
 */
int xha_nl_sa_dump_start(struct xha_nl *nl);
int xha_nl_sa_dump_step(struct xha_nl *nl, xha_sa_cb cb, void *arg,
			bool *torn);
/*
 * Writes what sa->has flags: OSEQ and/or SEQ, BITMAP (only with SEQ: merged
 * relative to it), LIFETIME (bytes and packets, raised if lower), OSEQ_MIN
 * (only with OSEQ: the least the module's wrap guard may write instead).
 */
int xha_nl_sa_set(struct xha_nl *nl, const struct xha_sa *sa);

/*
 * Batched writes: n (at most XHA_BATCH_MAX) records in one SA_SET request
 * (XFRM_HA_A_BATCH), applied one by one by the kernel. res[i] is record
 * i's result: err 0 or a negative errno, msg the kernel's extack (or a
 * local description) when there is one. Returns 0 when the kernel
 * answered (whatever it said of each record), or the failure (send,
 * receive, a refused batch) that left every record with it.
 */
#define XHA_BATCH_MAX 64
/* The largest SA_SET message put_sa() builds, rounded up. */
#define XHA_SET_MSG_MAX 1024
struct xha_nl_result {
	int err;
	char msg[256];
};
int xha_nl_sa_set_batch(struct xha_nl *nl, const struct xha_sa *sa,
			unsigned int n, struct xha_nl_result *res);

/*
 * Is the family still registered as this handle resolved it? 0 if so,
 * -ESTALE if it was registered again under another id or group (module
 * reloaded: open new handles), -ENOENT if it is not registered, or
 * another error. Message in xha_nl_error().
 */
int xha_nl_family_check(struct xha_nl *nl);

/*
 * A watch on the generic netlink controller's "notify" group, for the
 * xfrm_ha family coming and going (rmmod, insmod): a handle of its own,
 * non-blocking, closed with xha_nl_close(). xha_watch_recv() reads one
 * datagram and returns what it said about xfrm_ha (XHA_WATCH_* bits, 0:
 * nothing, other families), -EAGAIN when nothing is pending, -ENOBUFS
 * when notifications were lost (check with xha_nl_family_check()).
 */
enum {
	XHA_WATCH_NEW = 1 << 0,		/* CTRL_CMD_NEWFAMILY */
	XHA_WATCH_DEL = 1 << 1,		/* CTRL_CMD_DELFAMILY */
};
struct xha_nl *xha_watch_open(char *err, size_t errlen);
int xha_watch_recv(struct xha_nl *nl);

int xha_nl_config_get(struct xha_nl *nl, struct xha_config *cfg,
		      struct xha_stats *stats);
/* Changes the fields flagged in cfg->has. */
int xha_nl_config_set(struct xha_nl *nl, const struct xha_config *cfg);

/*
 * Join the "seqnum" multicast group on this handle. Also asks for an 8 MiB
 * receive buffer (SO_RCVBUFFORCE, else SO_RCVBUF) and sets
 * NETLINK_BROADCAST_ERROR, without which the module cannot count the
 * messages this socket drops in its send_errors statistic.
 */
int xha_nl_subscribe(struct xha_nl *nl);
/*
 * Read one datagram of notifications (blocking unless the fd is
 * non-blocking) and call cb for every SA record in it. Returns -ENOBUFS when
 * the kernel dropped notifications for this socket (the caller should dump
 * to resynchronise), -EAGAIN when nothing was pending on a non-blocking fd,
 * -EINTR when a signal interrupted a blocking read.
 */
int xha_nl_recv_notify(struct xha_nl *nl, xha_sa_cb cb, void *arg);

/*
 * Parse one XFRM_HA_A_SA nest. Returns 0, or -EINVAL if an attribute has a
 * bad length or the identity is incomplete. Exposed for the fuzzers.
 */
int xha_sa_parse(const struct nlattr *nest, struct xha_sa *out);

/*
 * "esp spi 0x0000c001 dst 10.0.0.1 mark 0 if_id 0" into buf. Returns 0,
 * -ENOSPC if buf was too small (the text is truncated) or -EAFNOSUPPORT.
 */
int xha_sa_format_id(const struct xha_sa *sa, char *buf, size_t len);
/*
 * The identity as ha-ike's commands take it, so that it can be fed back:
 * "dst 10.0.0.1 spi 0x0000c001 proto esp", then "mark N" and "if-id N"
 * when not 0 (an unknown protocol as its number). Same returns.
 */
int xha_sa_format_cmd(const struct xha_sa *sa, char *buf, size_t len);
/* Same identity (family, daddr, spi, proto, mark, if_id)? */
bool xha_sa_same_id(const struct xha_sa *a, const struct xha_sa *b);

/*
 * Lower level, for the selftests and tools that need to send requests the
 * functions above would never build (malformed ones, for instance).
 */
uint16_t xha_nl_family_id(const struct xha_nl *nl);
uint32_t xha_nl_group_id(const struct xha_nl *nl);
/*
 * What the kernel itself said about the last failed request: its extack
 * message (NULL if it gave none) and the type of the missing attribute
 * it reported (NLMSGERR_ATTR_MISS_TYPE, -1 if none).
 */
const char *xha_nl_ext_msg(const struct xha_nl *nl);
int xha_nl_ext_missing(const struct xha_nl *nl);
/*
 * Start a request of the family in buf (at least MNL_SOCKET_BUFFER_SIZE
 * bytes): netlink and genetlink headers, NLM_F_REQUEST | flags. Add
 * attributes with libmnl.
 */
struct nlmsghdr *xha_nl_msg_start(const struct xha_nl *nl, void *buf,
				  uint8_t cmd, uint16_t flags);
typedef int (*xha_msg_cb)(const struct nlmsghdr *nlh, void *arg);
/*
 * Send req (sequence number and port are filled in) and read the answer
 * until its ACK, error or NLMSG_DONE; cb, if not NULL, sees every reply
 * message in between. Returns 0, the kernel's error (message in
 * xha_nl_error()), cb's first non-zero return, or -EINTR for a dump the
 * kernel flagged as inconsistent.
 */
int xha_nl_request(struct xha_nl *nl, struct nlmsghdr *req, xha_msg_cb cb,
		   void *arg);

#endif /* XHA_NL_H */
