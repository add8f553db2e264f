/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * xfrm_ha: replay-counter synchronisation for xfrm SAs on HA gateway pairs.
 *
 * Documentation
 * =============
 *
 * The generic netlink family is named XFRM_HA_GENL_NAME ("xfrm_ha") at
 * version XFRM_HA_GENL_VERSION. It is netns-aware: every command acts on the
 * network namespace of the requesting socket, and notifications are sent in
 * the namespace whose SAs they describe. Every command and the multicast
 * group require CAP_NET_ADMIN in the user namespace owning that network
 * namespace: replay counters are sensitive (they tell an attacker which
 * sequence numbers the peer will still accept).
 *
 * All attributes are validated strictly: unknown attributes, wrong lengths
 * and trailing data are rejected with -EINVAL, values outside a documented
 * range with -ERANGE, both with an extack message (and the offending
 * attribute). A rejected request changes nothing.
 *
 * An SA is identified as the kernel itself looks it up for inbound packets:
 * (family, daddr, spi, proto, mark) plus if_id. A request names an SA with
 * these attributes inside XFRM_HA_A_SA:
 *
 *    XFRM_HA_SA_A_FAMILY: NLA_U16, AF_INET or AF_INET6
 *    XFRM_HA_SA_A_DADDR: NLA_BINARY, 4 bytes (AF_INET) or 16 bytes
 *                        (AF_INET6), network byte order
 *    XFRM_HA_SA_A_SPI: NLA_BE32, network byte order, as on the wire
 *    XFRM_HA_SA_A_PROTO: NLA_U8, IPPROTO_ESP or IPPROTO_AH
 *    XFRM_HA_SA_A_MARK: NLA_U32, optional, the SA's mark value (0 if absent)
 *    XFRM_HA_SA_A_IF_ID: NLA_U32, optional, the SA's xfrm if_id (0 if absent)
 *
 * The SA must match all six exactly; a mark or if_id that merely matches
 * through the SA's mark mask does not name it.
 *
 * Counters are 64 bits wide. For an ESN SA the upper 32 bits are the ESN
 * high-order bits (seq_hi / oseq_hi); for other SAs the upper 32 bits are
 * always zero and a value above 2^32 - 1 is rejected.
 *
 *    XFRM_HA_SA_A_OSEQ: NLA_U64, the sequence number of the last packet
 *                       sent with this SA (0: nothing sent yet)
 *    XFRM_HA_SA_A_SEQ: NLA_U64, the highest sequence number received and
 *                      accepted on this SA (0: nothing received yet)
 *
 *    XFRM_HA_SA_A_BITMAP: NLA_BINARY, whole __u32 words in host byte order,
 *                         4 to XFRM_HA_BITMAP_MAX_BYTES (512) bytes. The
 *                         inbound replay window relative to SEQ: bit i
 *                         (bit i % 32 of word i / 32) set means that
 *                         sequence number SEQ - i was accepted. Positions
 *                         at or below 0 are 0; positions past the window,
 *                         up to the end of the last word, are 1 (the SA
 *                         refuses them as too old).
 *                         Present in replies and notifications when the SA
 *                         has a replay window and SEQ is not 0, as many
 *                         words as the SA's window needs (its own length:
 *                         the same kind of SA may differ between kernels).
 *    XFRM_HA_SA_A_OSEQ_MIN: NLA_U64, requests only, with OSEQ and at most
 *                           OSEQ: the lowest OSEQ the writer knows to be
 *                           safe, i.e. at or above every sequence number
 *                           the SA's keys may already have been used with
 *                           (the active node's last oseq plus what it can
 *                           have sent since). The wrap guard never writes
 *                           less. Absent: OSEQ itself (no clamping).
 *    XFRM_HA_SA_A_BYTES: NLA_U64, bytes processed (lifetime counter)
 *    XFRM_HA_SA_A_PACKETS: NLA_U64, packets processed (lifetime counter);
 *                          the counters the kernel checks the SA's byte and
 *                          packet limits (soft and hard expiry) against
 *
 * Read-only attributes, present in replies and notifications and refused
 * with -EINVAL in requests:
 *
 *    XFRM_HA_SA_A_EVENT: NLA_U8, enum xfrm_ha_event, notifications only:
 *                        UPDATE (the counters moved), ADDED (a new SA),
 *                        REPLACED (an SA updated in place by
 *                        XFRM_MSG_UPDSA), DELETED (the SA is gone: its
 *                        final counters, without BITMAP)
 *
 *    XFRM_HA_SA_A_SADDR: NLA_BINARY, 4 or 16 bytes, the SA's source address
 *    XFRM_HA_SA_A_REPLAY_MODE: NLA_U8, enum xfrm_ha_replay_mode
 *    XFRM_HA_SA_A_REPLAY_WINDOW: NLA_U32, replay window in packets
 *                                (0: anti-replay disabled)
 *    XFRM_HA_SA_A_PAD: padding for 64-bit attributes, never meaningful
 *
 * Commands
 * --------
 *
 * XFRM_HA_CMD_SA_GET
 *   do:   the request holds one XFRM_HA_A_SA with the identity attributes.
 *         The reply holds one XFRM_HA_A_SA with identity, counters and the
 *         read-only attributes. -ENOENT if no VALID SA matches.
 *   dump: no attributes. Every VALID ESP and AH SA of the namespace, in one
 *         or more messages, each holding one or more XFRM_HA_A_SA nests.
 *         SAs added or deleted while the dump runs may or may not appear,
 *         and the next message (or NLMSG_DONE) carries NLM_F_DUMP_INTR:
 *         treat the whole dump as torn and dump again for a consistent
 *         view. A dump holds no reference on any SA between two reads of
 *         the socket.
 *
 * XFRM_HA_CMD_SA_SET (do only)
 *   The request holds one XFRM_HA_A_SA with the identity attributes and at
 *   least one of OSEQ, SEQ, BYTES and PACKETS; BITMAP only together with
 *   SEQ. -EINVAL if nothing is given, for a BITMAP without SEQ or not made
 *   of whole words; -ERANGE for a BITMAP longer than 512 bytes.
 *
 *   Or, instead of XFRM_HA_A_SA, one XFRM_HA_A_BATCH nest holding 1 to
 *   XFRM_HA_BATCH_MAX (256) XFRM_HA_A_SA nests, each a record as above,
 *   applied one after the other. A batch holding anything else, or none
 *   or too many records, is refused whole with -EINVAL. Past that, each
 *   record succeeds or fails on its own (a bad record does not stop the
 *   others): the reply (before the ACK) holds one XFRM_HA_A_RESULT per
 *   record, in order:
 *      XFRM_HA_RESULT_A_INDEX: NLA_U32, the record's position, from 0
 *      XFRM_HA_RESULT_A_ERROR: NLA_U32, 0 or the positive errno it got
 *      XFRM_HA_RESULT_A_MSG: NLA_NUL_STRING, the extack message, if any
 *                            (a refusal's reason, or the wrap guard's
 *                            clamping notice), at most 127 bytes
 *
 *   In every command, an attribute given twice at the top level or in the
 *   same nest (but XFRM_HA_A_SA inside XFRM_HA_A_BATCH) is refused with
 *   -EINVAL: the policies would otherwise silently take the last one.
 *
 *   OSEQ and SEQ only move forward: if a given value is lower than the SA's
 *   current one, the whole request is refused with -ERANGE and nothing is
 *   written. A value equal to the current one is accepted. -EINVAL for a
 *   value above 2^32 - 1 on a non-ESN SA.
 *
 *   SEQ without BITMAP acts as if a packet with that sequence number had
 *   just been received: the window slides forward, positions seen before
 *   stay seen, the new top is marked seen, the positions skipped are not.
 *   SEQ with BITMAP does the same and then marks seen every position the
 *   BITMAP marks (relative to SEQ), and every position older than the
 *   BITMAP covers (32 x its words and beyond, within the SA's own window):
 *   the writer would refuse those as too old. A write never clears a
 *   position that is marked seen, and never makes a position that either
 *   the SA or the writer had seen look unseen. A BITMAP with an equal SEQ
 *   merges only.
 *
 *   What a write guarantees, and what it cannot: after writing the SEQ and
 *   BITMAP of a record of the active node's SA, this SA refuses every
 *   packet the active node had accepted when it took the record. Packets
 *   the active node accepted after the record was taken are unknown here
 *   and accepted if presented: that exposure lasts from the record until
 *   the next one is written, at most SYNC_PACKETS packets or SCAN_INTERVAL
 *   plus the transit to the backup (docs/design.md has the figures).
 *
 *   BYTES and PACKETS are raised to the given values if they are lower,
 *   and otherwise left alone (never refused): volume limits then fire at
 *   the same count on both nodes.
 *
 *   The wrap guard: on a non-ESN SA without XFRM_SA_XFLAG_OSEQ_MAY_WRAP, an
 *   OSEQ above L = 2^32 - 1 - OSEQ_WRAP_MARGIN gets the SA a soft expire
 *   (km_state_expired(), as a soft lifetime limit would send: the IKE
 *   daemon rekeys before the SA runs dry), once per SA, and is clamped to
 *   max(L, OSEQ_MIN, the current OSEQ): the advance gives up its slack
 *   to leave room below 2^32, never a sequence number that may have been
 *   used (reusing one would reuse an AEAD nonce). -EINVAL for an OSEQ_MIN
 *   without OSEQ or above it. The rest of the request is still applied,
 *   the request succeeds and, if it clamped, its ACK carries an extack
 *   message saying so. OSEQ_WRAP_MARGIN 0 disables the guard. An SA
 *   allowed to wrap, or an ESN SA, is never clamped.
 *
 *   The written values become the baseline for change detection, so a
 *   write is not echoed back on XFRM_HA_MCGRP_SEQNUM (while the namespace
 *   is watched, the written SA is tracked from then on). -ENOENT if no VALID
 *   SA matches. -EOPNOTSUPP for an SA without replay state or offloaded to
 *   hardware.
 *
 * XFRM_HA_CMD_CONFIG_GET (do only)
 *   No attributes. The reply holds XFRM_HA_A_CONFIG and XFRM_HA_A_STATS.
 *
 * XFRM_HA_CMD_CONFIG_SET (do only)
 *   The request holds XFRM_HA_A_CONFIG with any subset of its attributes;
 *   absent ones keep their value. Takes effect at the next scan.
 *
 * XFRM_HA_CMD_SA_NOTIFY (multicast only, group XFRM_HA_MCGRP_SEQNUM)
 *   One message holds as many XFRM_HA_A_SA nests as fit in NLMSG_GOODSIZE
 *   (up to 8 KiB, more if the allocator rounds up: receive with a buffer of
 *   at least 32 KiB); the records of one pass are spread over as few
 *   messages as possible. Each nest holds identity, counters, the
 *   read-only attributes and XFRM_HA_SA_A_EVENT. A message may hold no
 *   record at all (see "idle probe" below): ignore it.
 *
 *   UPDATE records: an SA is published when its OSEQ or SEQ moved since
 *   its last record and either its packet counter (XFRM_HA_SA_A_PACKETS,
 *   which every packet moves together with the replay counters) moved by
 *   at least SYNC_PACKETS since then, or SYNC_TIME_MS elapsed since its
 *   last record. An SA that moved recently is looked at every
 *   SCAN_INTERVAL_MS; one that has been idle for IDLE_INTERVAL_MS is looked
 *   at once per IDLE_INTERVAL_MS until it moves again (0: every SA every
 *   SCAN_INTERVAL_MS). A look reads one counter without a lock; the
 *   counters and window are read under the SA's lock only when it is due.
 *   A counter written without traffic (at creation, XFRM_MSG_NEWAE, another
 *   writer) is published by the reconcile walk, at most 10 s later.
 *
 *   Lifecycle records: ADDED when an SA is added or (XFRM_MSG_UPDSA)
 *   installed over a larval one, REPLACED when XFRM_MSG_UPDSA updates a
 *   tracked SA in place, DELETED with its final counters when it is
 *   deleted, expires or is flushed (one record per SA). They come at the
 *   next pass, and DELETED within 100 ms. An SA that appeared without an
 *   event (migration) is found by the reconcile walk and published as an
 *   UPDATE if it carries counters.
 *
 *   A namespace is watched while the group has a listener and the
 *   namespace is armed: any request but XFRM_HA_CMD_CONFIG_GET and
 *   XFRM_HA_CMD_SA_SET arms it
 *   (and starts a reconcile walk that tracks its SAs), a notification that
 *   reached no socket in it disarms it (the kernel only tracks group
 *   membership per protocol, not per namespace). While armed and nothing
 *   was published for 10 s, an idle probe (a notification without
 *   records) finds out. So a new listener must dump with XFRM_HA_CMD_SA_GET
 *   (or make another request) after joining the group. While a namespace
 *   is not watched the module holds nothing of it: no entry, no reference
 *   on any SA. A listener that sees ENOBUFS on its socket lost records and
 *   must dump again, which also re-arms the namespace;
 *   XFRM_HA_STATS_A_SEND_ERRORS counts such losses only for listeners that
 *   set NETLINK_BROADCAST_ERROR.
 *
 * Nested attributes
 * -----------------
 *
 * XFRM_HA_A_CONFIG:
 *    XFRM_HA_CFG_A_SYNC_PACKETS: NLA_U32, packets; 0 disables the
 *                                packet trigger. Default 2.
 *    XFRM_HA_CFG_A_SYNC_TIME_MS: NLA_U32, milliseconds, at most 86400000;
 *                                0 disables the time trigger.
 *                                Default 10000.
 *    XFRM_HA_CFG_A_SCAN_INTERVAL_MS: NLA_U32, milliseconds, 1 to 60000,
 *                                    rounded up to a jiffy. Default 10.
 *                                    Bounds how late a packet trigger is
 *                                    noticed on an SA that moved recently.
 *    XFRM_HA_CFG_A_IDLE_INTERVAL_MS: NLA_U32, milliseconds, at most 60000.
 *                                    Default 1000. An SA idle this long is
 *                                    looked at this often, not every scan
 *                                    interval; it bounds how late the first
 *                                    packets after an idle spell are
 *                                    noticed. 0: no idle tier.
 *    XFRM_HA_CFG_A_OSEQ_WRAP_MARGIN: NLA_U32, packets, at most 2^31. The
 *                                    wrap guard of XFRM_HA_CMD_SA_SET.
 *                                    Default 2^24; 0 disables it.
 *
 * XFRM_HA_A_STATS (read-only, counts since the namespace appeared or the
 * module was loaded):
 *    XFRM_HA_STATS_A_SAS: NLA_U32, SAs currently tracked (each holding a
 *                         reference on its SA): every VALID ESP/AH SA
 *                         while the namespace is watched, none otherwise
 *    XFRM_HA_STATS_A_EVENTS: NLA_U64, SA lifecycle events seen (add,
 *                            update, expire, delete, flush)
 *    XFRM_HA_STATS_A_SCANS: NLA_U64, passes (looks at the moving SAs and
 *                           a slice of the idle ones)
 *    XFRM_HA_STATS_A_RECORDS: NLA_U64, SA records published
 *    XFRM_HA_STATS_A_BATCHES: NLA_U64, notification messages published
 *    XFRM_HA_STATS_A_SEND_ERRORS: NLA_U64, notification messages that could
 *                                 not be built or delivered to every
 *                                 listener (allocation failure, ENOBUFS)
 *    XFRM_HA_STATS_A_WRITES: NLA_U64, accepted XFRM_HA_CMD_SA_SET requests
 *    XFRM_HA_STATS_A_WRITES_REFUSED: NLA_U64, XFRM_HA_CMD_SA_SET requests
 *                                    the module refused (unknown SA,
 *                                    lowering, value too wide, nothing to
 *                                    set); requests that fail attribute
 *                                    validation never reach the module and
 *                                    are not counted
 *    XFRM_HA_STATS_A_ENTRY_BYTES: NLA_U32, memory per tracked SA (its
 *                                 entry's slab object and its vector slot;
 *                                 the hash table adds its bucket array,
 *                                 one to two pointers per SA)
 *    XFRM_HA_STATS_A_SWEPT: NLA_U64, entries freed because their SA was gone
 *    XFRM_HA_STATS_A_OSEQ_CLAMPED: NLA_U64, writes the wrap guard clamped
 *    XFRM_HA_STATS_A_SOFT_EXPIRES: NLA_U64, soft expires the guard sent
 *    XFRM_HA_STATS_A_HOT: NLA_U32, tracked SAs looked at every pass
 *    XFRM_HA_STATS_A_CHECKS: NLA_U64, lock-free looks at an SA
 *    XFRM_HA_STATS_A_READS: NLA_U64, reads of an SA under its lock
 *    XFRM_HA_STATS_A_RECONCILES: NLA_U64, complete reconcile walks
 *    XFRM_HA_STATS_A_LIFECYCLE: NLA_U64, ADDED, REPLACED and DELETED
 *                               records published (also in RECORDS)
 *    XFRM_HA_STATS_A_PAD: padding for 64-bit attributes
 */

#ifndef _UAPI_LINUX_XFRM_HA_H
#define _UAPI_LINUX_XFRM_HA_H

#define XFRM_HA_GENL_NAME "xfrm_ha"
#define XFRM_HA_GENL_VERSION 1
#define XFRM_HA_MCGRP_SEQNUM "seqnum"

enum xfrm_ha_cmd {
	XFRM_HA_CMD_UNSPEC,
	XFRM_HA_CMD_SA_GET,
	XFRM_HA_CMD_SA_SET,
	XFRM_HA_CMD_CONFIG_GET,
	XFRM_HA_CMD_CONFIG_SET,
	XFRM_HA_CMD_SA_NOTIFY,

	__XFRM_HA_CMD_MAX
};

#define XFRM_HA_CMD_MAX (__XFRM_HA_CMD_MAX - 1)

enum xfrm_ha_attr {
	XFRM_HA_A_UNSPEC,
	XFRM_HA_A_SA,
	XFRM_HA_A_CONFIG,
	XFRM_HA_A_STATS,
	XFRM_HA_A_BATCH,
	XFRM_HA_A_RESULT,

	__XFRM_HA_A_MAX
};

#define XFRM_HA_A_MAX (__XFRM_HA_A_MAX - 1)

enum xfrm_ha_replay_mode {
	XFRM_HA_REPLAY_UNSPEC,
	XFRM_HA_REPLAY_LEGACY,	/* 32-bit counters, 32-bit bitmap */
	XFRM_HA_REPLAY_BMP,	/* 32-bit counters, larger bitmap */
	XFRM_HA_REPLAY_ESN,	/* 64-bit extended sequence numbers */

	__XFRM_HA_REPLAY_MAX
};

#define XFRM_HA_REPLAY_MAX (__XFRM_HA_REPLAY_MAX - 1)

enum xfrm_ha_event {
	XFRM_HA_EVENT_UNSPEC,
	XFRM_HA_EVENT_UPDATE,	/* the counters moved */
	XFRM_HA_EVENT_ADDED,	/* a new SA */
	XFRM_HA_EVENT_REPLACED,	/* an SA updated in place (XFRM_MSG_UPDSA) */
	XFRM_HA_EVENT_DELETED,	/* the SA is gone; its final counters */

	__XFRM_HA_EVENT_MAX
};

#define XFRM_HA_EVENT_MAX (__XFRM_HA_EVENT_MAX - 1)

enum xfrm_ha_sa_attr {
	XFRM_HA_SA_A_UNSPEC,
	XFRM_HA_SA_A_PAD,
	XFRM_HA_SA_A_FAMILY,
	XFRM_HA_SA_A_DADDR,
	XFRM_HA_SA_A_SPI,
	XFRM_HA_SA_A_PROTO,
	XFRM_HA_SA_A_MARK,
	XFRM_HA_SA_A_IF_ID,
	XFRM_HA_SA_A_OSEQ,
	XFRM_HA_SA_A_SEQ,
	XFRM_HA_SA_A_SADDR,
	XFRM_HA_SA_A_REPLAY_MODE,
	XFRM_HA_SA_A_REPLAY_WINDOW,
	XFRM_HA_SA_A_BYTES,
	XFRM_HA_SA_A_PACKETS,
	XFRM_HA_SA_A_BITMAP,
	XFRM_HA_SA_A_OSEQ_MIN,
	XFRM_HA_SA_A_EVENT,

	__XFRM_HA_SA_A_MAX
};

#define XFRM_HA_SA_A_MAX (__XFRM_HA_SA_A_MAX - 1)

enum xfrm_ha_cfg_attr {
	XFRM_HA_CFG_A_UNSPEC,
	XFRM_HA_CFG_A_SYNC_PACKETS,
	XFRM_HA_CFG_A_SYNC_TIME_MS,
	XFRM_HA_CFG_A_SCAN_INTERVAL_MS,
	XFRM_HA_CFG_A_OSEQ_WRAP_MARGIN,
	XFRM_HA_CFG_A_IDLE_INTERVAL_MS,

	__XFRM_HA_CFG_A_MAX
};

#define XFRM_HA_CFG_A_MAX (__XFRM_HA_CFG_A_MAX - 1)

enum xfrm_ha_stats_attr {
	XFRM_HA_STATS_A_UNSPEC,
	XFRM_HA_STATS_A_PAD,
	XFRM_HA_STATS_A_SAS,
	XFRM_HA_STATS_A_EVENTS,
	XFRM_HA_STATS_A_SCANS,
	XFRM_HA_STATS_A_RECORDS,
	XFRM_HA_STATS_A_BATCHES,
	XFRM_HA_STATS_A_SEND_ERRORS,
	XFRM_HA_STATS_A_WRITES,
	XFRM_HA_STATS_A_WRITES_REFUSED,
	XFRM_HA_STATS_A_ENTRY_BYTES,
	XFRM_HA_STATS_A_SWEPT,
	XFRM_HA_STATS_A_OSEQ_CLAMPED,
	XFRM_HA_STATS_A_SOFT_EXPIRES,
	XFRM_HA_STATS_A_HOT,
	XFRM_HA_STATS_A_CHECKS,
	XFRM_HA_STATS_A_READS,
	XFRM_HA_STATS_A_RECONCILES,
	XFRM_HA_STATS_A_LIFECYCLE,

	__XFRM_HA_STATS_A_MAX
};

#define XFRM_HA_STATS_A_MAX (__XFRM_HA_STATS_A_MAX - 1)

enum xfrm_ha_result_attr {
	XFRM_HA_RESULT_A_UNSPEC,
	XFRM_HA_RESULT_A_INDEX,
	XFRM_HA_RESULT_A_ERROR,
	XFRM_HA_RESULT_A_MSG,

	__XFRM_HA_RESULT_A_MAX
};

#define XFRM_HA_RESULT_A_MAX (__XFRM_HA_RESULT_A_MAX - 1)

#define XFRM_HA_SYNC_PACKETS_DEFAULT	2
#define XFRM_HA_SYNC_TIME_MS_DEFAULT	10000
#define XFRM_HA_SYNC_TIME_MS_MAX	86400000
#define XFRM_HA_SCAN_INTERVAL_MS_DEFAULT 10
#define XFRM_HA_SCAN_INTERVAL_MS_MIN	1
#define XFRM_HA_SCAN_INTERVAL_MS_MAX	60000
#define XFRM_HA_IDLE_INTERVAL_MS_DEFAULT 1000
#define XFRM_HA_IDLE_INTERVAL_MS_MAX	60000
/* The most XFRM_HA_A_SA nests one XFRM_HA_A_BATCH may hold. */
#define XFRM_HA_BATCH_MAX		256
#define XFRM_HA_OSEQ_WRAP_MARGIN_DEFAULT 16777216	/* 2^24 */
#define XFRM_HA_OSEQ_WRAP_MARGIN_MAX	2147483648U	/* 2^31 */
/* The kernel's limit on a replay bitmap: 128 words, 4096 packets. */
#define XFRM_HA_BITMAP_MAX_BYTES	512

#endif /* _UAPI_LINUX_XFRM_HA_H */
