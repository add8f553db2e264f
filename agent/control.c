// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's requests (ctl.c carries them): docs/protocol.md,
 * "The control socket". Text replies keep the "key value" lines that
 * scripts and the selftests grep; JSON replies are built with json-c, so
 * that any name or path is escaped correctly.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "cfgtext.h"
#include "control.h"

#define J_ADD(o, k, v) json_object_object_add(o, k, v)
#define J_U64(o, k, v) J_ADD(o, k, json_object_new_uint64(v))
#define J_I64(o, k, v) J_ADD(o, k, json_object_new_int64(v))
#define J_STR(o, k, v) J_ADD(o, k, json_object_new_string(v))
#define J_BOOL(o, k, v) J_ADD(o, k, json_object_new_boolean(v))

static const char *peer_role_name(const struct peer *p)
{
	return !p->verified ? "unknown" :
	       p->peer_role == PROTO_ROLE_ACTIVE ? "active" : "backup";
}

static int64_t last_heard(const struct peer *p, uint64_t now)
{
	return p->last_rx ? (int64_t)(now - p->last_rx) : -1;
}

/* The active's oldest unacknowledged stream message: its age, 0: none. */
static uint64_t unacked_age(const struct peer *p, uint64_t now)
{
	const struct stream_tx *tx = &p->tx;
	const struct stream_msg *m;

	if (!tx->count || !tx->q)
		return 0;
	m = tx->q[tx->head % tx->cap];
	return m && now > m->first_ms ? now - m->first_ms : 0;
}

/* Messages of a bulk waiting for the stream's window (and its dump). */
static size_t bulk_queued(const struct sync *s)
{
	return s->out.len - s->out.pos;
}

/* ---- show state ---- */

/* The HA link's counters, in stable "key value" lines (docs/protocol.md,
 * "Statistics"). */
static void show_link(struct agent *a, FILE *out)
{
	const struct peer *p = &a->peer;
	const struct peer_stats *ps = &p->st;
	uint64_t now = now_ms();
	int i;

	fputs("link-rejected", out);
	for (i = 1; i < PROTO_ERR_MAX; i++)
		fprintf(out, " %s %" PRIu64, proto_err_name(i),
			ps->rx_rejected[i]);
	fprintf(out,
		"\nlink-stats rx %" PRIu64 " tx %" PRIu64
		" tx-failed %" PRIu64 " retransmits %" PRIu64
		" nacks-sent %" PRIu64 " nacks-received %" PRIu64
		" acks-sent %" PRIu64 " peer-boots %" PRIu64
		" last-heard-ms %" PRId64 " hello-replies %" PRIu64
		" outages %" PRIu64 "\n"
		"stream tx-seq %" PRIu64 " acked %" PRIu64
		" unacked %zu queue-max %d overflow %" PRIu64
		" rx-cum %" PRIu64 " rx-lost %" PRIu64
		" rx-dup %" PRIu64 " resyncs %" PRIu64
		" lag-worst-ms %" PRIu64 "\n"
		"bulk requested %" PRIu64 " completed %" PRIu64
		" incomplete %" PRIu64 " served %" PRIu64
		" records %" PRIu64 " last-ms %" PRIu64
		" max-ms %" PRIu64 " sent %" PRIu64
		" send-last-ms %" PRIu64 "\n"
		"kernel family-reloads %" PRIu64 "\n",
		ps->rx_packets, ps->tx_packets, ps->tx_failed,
		ps->retransmits, ps->nacks_sent, ps->nacks_received,
		ps->acks_sent, ps->peer_boots, last_heard(p, now),
		ps->hello_replies, ps->outages,
		stream_tx_last(&p->tx), p->tx.acked, p->tx.count,
		STREAM_QUEUE_MAX, p->tx.overflow, p->rx.cum,
		ps->rx_lost, p->rx.dup, ps->resyncs,
		p->tx.lag_worst_ms, ps->bulks_requested,
		ps->bulks_completed, ps->bulks_incomplete,
		ps->bulks_served, ps->bulk_last_records,
		ps->bulk_last_ms, ps->bulk_max_ms,
		a->sync.st.bulks_sent, a->sync.st.bulk_send_last_ms,
		KERNEL_RELOADS(&a->kernel));
}

static void show_state(struct agent *a, FILE *out)
{
	const struct peer *p = &a->peer;
	const struct hagroup_stats *gs = &a->group.st;
	uint64_t now = now_ms();

	fprintf(out,
		"node %u role %s since %" PRIu64 " ms\n"
		"ha-group %s controller %s state %s transitions %" PRIu64 "\n"
		"keepalived lines %" PRIu64 " other %" PRIu64
		" malformed %" PRIu64 " stale %" PRIu64
		" contradicted %" PRIu64 " address-overrides %" PRIu64 "\n"
		"track-file %s %s\n"
		"strongswan %s\n"
		"peer node %u boot %016" PRIx64 " link %s %s peer-role %s split-brain %s (%" PRIu64
		" times)\n"
		"status %s\n",
		a->cfg->node_id, role_name(a->role), now - a->role_since,
		a->group.cfg->name, hagroup_controller(&a->group),
		a->group.known ? ha_state_name(hagroup_state(&a->group)) :
				 "unknown",
		gs->transitions, gs->lines, gs->lines_other,
		gs->lines_malformed, gs->lines_stale, gs->lines_contradicted,
		gs->vip_overrides,
		a->track.path ? a->track.path : "-",
		a->track.value < 0 ? "unset" :
		a->track.value ? "1 (holding off)" : "0",
		charon_status(&a->charon), p->peer_node,
		p->verified ? p->peer_boot : 0,
		peer_is_up(p) ? "up" : "down",
		a->role == ROLE_BACKUP ?
			(peer_synced(p) ? "synced" : "not-synced") : "",
		peer_role_name(p), p->split_brain ? "YES" : "no",
		p->st.split_brains, a->status);
	show_link(a, out);
}

static void show_state_json(struct agent *a, struct json_object *o)
{
	const struct peer *p = &a->peer;
	const struct peer_stats *ps = &p->st;
	const struct hagroup_stats *gs = &a->group.st;
	struct json_object *g, *k, *t, *pe, *l, *r, *st, *b;
	uint64_t now = now_ms();
	char boot[24];
	int i;

	J_U64(o, "node", a->cfg->node_id);
	J_STR(o, "role", role_name(a->role));
	J_U64(o, "role_since_ms", now - a->role_since);
	J_STR(o, "status", a->status);

	g = json_object_new_object();
	J_STR(g, "name", a->group.cfg->name);
	J_STR(g, "controller", hagroup_controller(&a->group));
	J_STR(g, "state", a->group.known ?
		  ha_state_name(hagroup_state(&a->group)) : "unknown");
	J_U64(g, "transitions", gs->transitions);
	J_ADD(o, "ha_group", g);

	k = json_object_new_object();
	J_U64(k, "lines", gs->lines);
	J_U64(k, "other", gs->lines_other);
	J_U64(k, "malformed", gs->lines_malformed);
	J_U64(k, "stale", gs->lines_stale);
	J_U64(k, "contradicted", gs->lines_contradicted);
	J_U64(k, "address_overrides", gs->vip_overrides);
	J_ADD(o, "keepalived", k);

	t = json_object_new_object();
	J_ADD(t, "path", a->track.path ?
		  json_object_new_string(a->track.path) : NULL);
	J_ADD(t, "value", a->track.value < 0 ? NULL :
		  json_object_new_int(a->track.value));
	J_ADD(o, "track_file", t);
	J_STR(o, "strongswan", charon_status(&a->charon));

	pe = json_object_new_object();
	J_U64(pe, "node", p->peer_node);
	snprintf(boot, sizeof(boot), "%016" PRIx64, p->peer_boot);
	J_ADD(pe, "boot", p->verified ? json_object_new_string(boot) : NULL);
	J_BOOL(pe, "verified", p->verified);
	J_BOOL(pe, "link_up", peer_is_up(p));
	J_ADD(pe, "synced", a->role == ROLE_BACKUP ?
		  json_object_new_boolean(peer_synced(p)) : NULL);
	J_STR(pe, "role", peer_role_name(p));
	J_BOOL(pe, "split_brain", p->split_brain);
	J_U64(pe, "split_brains", ps->split_brains);
	J_I64(pe, "last_heard_ms", last_heard(p, now));
	J_ADD(o, "peer", pe);

	l = json_object_new_object();
	r = json_object_new_object();
	for (i = 1; i < PROTO_ERR_MAX; i++)
		J_U64(r, proto_err_name(i), ps->rx_rejected[i]);
	J_ADD(l, "rejected", r);
	J_U64(l, "rx", ps->rx_packets);
	J_U64(l, "tx", ps->tx_packets);
	J_U64(l, "tx_failed", ps->tx_failed);
	J_U64(l, "retransmits", ps->retransmits);
	J_U64(l, "nacks_sent", ps->nacks_sent);
	J_U64(l, "nacks_received", ps->nacks_received);
	J_U64(l, "acks_sent", ps->acks_sent);
	J_U64(l, "peer_boots", ps->peer_boots);
	J_U64(l, "hello_replies", ps->hello_replies);
	J_U64(l, "outages", ps->outages);
	J_ADD(o, "link", l);

	st = json_object_new_object();
	J_U64(st, "tx_seq", stream_tx_last(&p->tx));
	J_U64(st, "acked", p->tx.acked);
	J_U64(st, "unacked", p->tx.count);
	J_U64(st, "queue_max", STREAM_QUEUE_MAX);
	J_U64(st, "overflow", p->tx.overflow);
	J_U64(st, "rx_cum", p->rx.cum);
	J_U64(st, "rx_lost", ps->rx_lost);
	J_U64(st, "rx_dup", p->rx.dup);
	J_U64(st, "resyncs", ps->resyncs);
	J_U64(st, "lag_worst_ms", p->tx.lag_worst_ms);
	J_ADD(o, "stream", st);

	b = json_object_new_object();
	J_U64(b, "requested", ps->bulks_requested);
	J_U64(b, "completed", ps->bulks_completed);
	J_U64(b, "incomplete", ps->bulks_incomplete);
	J_U64(b, "served", ps->bulks_served);
	J_U64(b, "records", ps->bulk_last_records);
	J_U64(b, "last_ms", ps->bulk_last_ms);
	J_U64(b, "max_ms", ps->bulk_max_ms);
	J_U64(b, "sent", a->sync.st.bulks_sent);
	J_U64(b, "send_last_ms", a->sync.st.bulk_send_last_ms);
	J_ADD(o, "bulk", b);
	J_U64(o, "kernel_family_reloads", KERNEL_RELOADS(&a->kernel));
}

/* ---- show sync ---- */

struct lag_list {
	const struct lag_entry **v;
	size_t n;
};

static int collect(void *arg, const struct lag_entry *e)
{
	struct lag_list *l = arg;

	l->v[l->n++] = e;
	return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct sa_key *a = &(*(const struct lag_entry *const *)pa)->node.key;
	const struct sa_key *b = &(*(const struct lag_entry *const *)pb)->node.key;
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->daddr, b->daddr, sizeof(a->daddr));
	if (r)
		return r;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->spi != b->spi)
		return ntohl(a->spi) < ntohl(b->spi) ? -1 : 1;
	if (a->mark != b->mark)
		return a->mark < b->mark ? -1 : 1;
	if (a->if_id != b->if_id)
		return a->if_id < b->if_id ? -1 : 1;
	return 0;
}

/* What show sync says of one SA. */
struct sa_lag {
	char id[128];
	uint64_t age;
	bool pending;		/* backup: waiting for the SA to be installed */
	bool have_shift;
	uint64_t shift;		/* backup: written oseq - the record's */
	const char *acked;	/* active: "yes", "no", "not-sent" */
};

static void sa_lag(struct agent *a, const struct lag_entry *e, uint64_t now,
		   struct sa_lag *r)
{
	struct xha_sa id, rec;

	sa_key_to_sa(&e->node.key, &id);
	xha_sa_format_cmd(&id, r->id, sizeof(r->id));
	r->age = now > e->at ? now - e->at : 0;
	r->pending = a->role == ROLE_BACKUP && a->sync.pending &&
		     pending_count(a->sync.pending) &&
		     pending_get(a->sync.pending, &id, &rec, NULL);
	r->have_shift = (e->has & XHA_SA_HAS_OSEQ) && e->written >= e->oseq &&
			e->written;
	r->shift = r->have_shift ? e->written - e->oseq : 0;
	r->acked = !e->msg ? "not-sent" :
		   e->msg <= a->peer.tx.acked ? "yes" : "no";
}

static int show_sync(struct agent *a, bool json, FILE *out, char *err,
		     size_t errlen)
{
	const struct peer *p = &a->peer;
	struct lag *lg = a->sync.lag;
	struct lag_list l = { 0 };
	struct json_object *o, *e;
	const char *head;
	uint64_t now = now_ms(), worst = 0;
	const char *worst_id = NULL;
	bool backup = a->role == ROLE_BACKUP;
	struct sa_lag *r;
	size_t i, pending;

	lag_expire(lg, now);
	l.v = malloc((lag_count(lg) + 1) * sizeof(*l.v));
	r = malloc((lag_count(lg) + 1) * sizeof(*r));
	if (!l.v || !r) {
		free(l.v);
		free(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	lag_walk(lg, collect, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), key_cmp);
	for (i = 0; i < l.n; i++) {
		sa_lag(a, l.v[i], now, &r[i]);
		if (!worst_id || r[i].age > worst) {
			worst = r[i].age;
			worst_id = r[i].id;
		}
	}
	/* Pending updates: the backup's records waiting for their SA; the
	 * active's stream messages not acknowledged, and bulk messages not
	 * sent yet. */
	pending = backup ? (a->sync.pending ? pending_count(a->sync.pending) : 0) :
			   p->tx.count + bulk_queued(&a->sync);
	if (json) {
		o = json_object_new_object();
		J_STR(o, "role", role_name(a->role));
		J_BOOL(o, "link_up", peer_is_up(p));
		J_ADD(o, "synced", backup ?
			  json_object_new_boolean(peer_synced(p)) : NULL);
		J_U64(o, "sas", l.n);
		J_U64(o, "not_tracked", lg ? lg->full : 0);
		J_U64(o, "pending_updates", pending);
		J_U64(o, "worst_lag_ms", worst);
		J_ADD(o, "worst_sa", worst_id ?
			  json_object_new_string(worst_id) : NULL);
		J_U64(o, "stream_unacked", p->tx.count);
		J_U64(o, "stream_oldest_unacked_ms", unacked_age(p, now));
		J_U64(o, "stream_lag_worst_ms", p->tx.lag_worst_ms);
		J_BOOL(o, "bulk_in_progress",
		       backup ? p->bulk_running || p->want_bulk :
				a->sync.out.dump || bulk_queued(&a->sync));
		J_U64(o, "bulk_messages_queued", bulk_queued(&a->sync));
		/* The SAs are printed one by one into the "sa" array: a tree
		 * of 100k objects would cost about 100 MB. */
		head = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		fwrite(head, 1, strlen(head) - 1, out);	/* without its '}' */
		fputs(",\"sa\":[", out);
		json_object_put(o);
	} else {
		fprintf(out,
			"sync role %s link %s%s\n"
			"sas %zu not-tracked %" PRIu64 " pending-updates %zu"
			" worst-lag-ms %" PRIu64 " worst-sa %s\n"
			"stream unacked %zu oldest-unacked-ms %" PRIu64
			" lag-worst-ms %" PRIu64 " bulk-queued %zu\n",
			role_name(a->role), peer_is_up(p) ? "up" : "down",
			!backup ? "" : peer_synced(p) ? " synced" : " not-synced",
			l.n, lg ? lg->full : 0, pending, worst,
			worst_id ? worst_id : "-", p->tx.count,
			unacked_age(p, now), p->tx.lag_worst_ms,
			bulk_queued(&a->sync));
	}
	for (i = 0; i < l.n; i++) {
		const struct lag_entry *le = l.v[i];

		if (json) {
			e = json_object_new_object();
			J_STR(e, "sa", r[i].id);
			J_U64(e, "age_ms", r[i].age);
			J_ADD(e, "oseq", le->has & XHA_SA_HAS_OSEQ ?
				  json_object_new_uint64(le->oseq) : NULL);
			J_ADD(e, "seq", le->has & XHA_SA_HAS_SEQ ?
				  json_object_new_uint64(le->seq) : NULL);
			if (backup) {
				J_ADD(e, "shift", r[i].have_shift ?
					  json_object_new_uint64(r[i].shift) :
					  NULL);
				J_BOOL(e, "pending", r[i].pending);
			} else {
				J_STR(e, "acked", r[i].acked);
			}
			fprintf(out, "%s%s", i ? "," : "",
				json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
			json_object_put(e);
			continue;
		}
		fprintf(out, "%s age-ms %" PRIu64, r[i].id, r[i].age);
		if (le->has & XHA_SA_HAS_OSEQ)
			fprintf(out, " oseq %" PRIu64, le->oseq);
		if (le->has & XHA_SA_HAS_SEQ)
			fprintf(out, " seq %" PRIu64, le->seq);
		if (backup && r[i].have_shift)
			fprintf(out, " shift %" PRIu64, r[i].shift);
		else if (backup)
			fputs(" shift -", out);
		if (backup && r[i].pending)
			fputs(" pending", out);
		if (!backup)
			fprintf(out, " acked %s", r[i].acked);
		fputc('\n', out);
	}
	if (json)
		fputs("]}\n", out);
	free(l.v);
	free(r);
	return 0;
}

/* ---- the others ---- */

static int do_group(struct agent *a, char *const *argv, bool json, FILE *out,
		    char *err, size_t errlen)
{
	struct json_object *o;
	enum ha_state st;

	if (ha_state_parse(argv[2], &st) < 0) {
		snprintf(err, errlen,
			 "state \"%s\": expected master, backup or fault",
			 argv[2]);
		return -1;
	}
	if (hagroup_set(&a->group, argv[1], st, err, errlen) < 0)
		return -1;
	if (!json) {
		fprintf(out, "ha-group %s state %s role %s\n", argv[1],
			ha_state_name(st), role_name(a->role));
		return 0;
	}
	o = json_object_new_object();
	J_STR(o, "ha_group", argv[1]);
	J_STR(o, "state", ha_state_name(st));
	J_STR(o, "role", role_name(a->role));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}

/* The backup asks the active for a bulk sync; the active makes it ask. */
static int do_resync(struct agent *a, bool json, FILE *out, char *err,
		     size_t errlen)
{
	struct json_object *o;
	const char *what;

	if (!peer_is_up(&a->peer)) {
		snprintf(err, errlen,
			 "HA link down: no peer to sync with (the backup asks for a bulk sync when it comes up)");
		return -1;
	}
	peer_resync(&a->peer, now_ms(), "asked for over the control socket");
	what = a->role == ROLE_BACKUP ?
		       "bulk sync requested from the active node" :
		       "the backup node was told to ask for a bulk sync";
	if (!json) {
		fprintf(out, "resync: %s\n", what);
		return 0;
	}
	o = json_object_new_object();
	J_STR(o, "role", role_name(a->role));
	J_STR(o, "resync", what);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}

static int do_reload(struct agent *a, bool json, FILE *out, char *err,
		     size_t errlen)
{
	if (agent_reload(a, err, errlen) < 0)
		return -1;
	fputs(json ? "{\"reload\":\"done\"}\n" : "reload: done\n", out);
	return 0;
}

/* show config [nodefault] [WORD...]: words[0 .. n - 1] select a node */
static int do_show_config(struct agent *a, char *const *words, int n,
			  bool json, FILE *out, char *err, size_t errlen)
{
	bool nodefault = n > 0 && !strcmp(words[0], "nodefault");
	char *text = NULL;

	if (nodefault) {
		words++;
		n--;
	}
	if (cfgtext_render(a->cfg->running, nodefault, json, words, n, &text,
			   err, errlen) < 0)
		return -1;
	fputs(text ? text : "", out);
	if (text && text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', out);
	free(text);
	return 0;
}

#define IS(i, w) (req->argc > (i) && !strcmp(req->argv[i], w))

int control_request(void *arg, const struct ctl_request *req, FILE *out,
		    char *err, size_t errlen)
{
	struct agent *a = arg;
	struct json_object *o;

	if (req->argc == 3 && IS(0, "group"))
		return do_group(a, req->argv, req->json, out, err, errlen);
	if (req->argc == 2 && IS(0, "show") && IS(1, "state")) {
		if (!req->json) {
			show_state(a, out);
			return 0;
		}
		o = json_object_new_object();
		show_state_json(a, o);
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return 0;
	}
	if (req->argc == 2 && IS(0, "show") && IS(1, "sync"))
		return show_sync(a, req->json, out, err, errlen);
	if (req->argc >= 2 && IS(0, "show") && IS(1, "config"))
		return do_show_config(a, req->argv + 2, req->argc - 2,
				      req->json, out, err, errlen);
	if (req->argc == 1 && IS(0, "resync"))
		return do_resync(a, req->json, out, err, errlen);
	if (req->argc == 1 && IS(0, "reload"))
		return do_reload(a, req->json, out, err, errlen);
	snprintf(err, errlen,
		 "unknown request (expected \"group NAME STATE\", \"show state\", \"show sync\", \"show config [nodefault] [PATH]\", \"resync\" or \"reload\", \"json\" first for JSON)");
	return -1;
}
