// SPDX-License-Identifier: GPL-2.0
/* show sa, get sa, set sa. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ha-ike.h"

static void addr_str(uint16_t family, const uint8_t *addr, char *buf,
		     size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* A number, or null when the SA does not have it. */
static struct json_object *u64_or_null(bool have, uint64_t v)
{
	return have ? json_object_new_uint64(v) : NULL;
}

static struct json_object *str_or_null(const char *v)
{
	return v ? json_object_new_string(v) : NULL;
}

/*
 * How many positions of the inbound window are marked seen (the module
 * also sets the bits past the window, up to the end of the last word).
 */
static unsigned int window_seen(const struct xha_sa *sa)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < sa->replay_window && i / 32 < sa->bitmap_words &&
		    i / 32 < XHA_BITMAP_MAX_WORDS; i++)
		n += (sa->bitmap[i / 32] >> (i % 32)) & 1;
	return n;
}

struct json_object *sa_json(const struct xha_sa *sa)
{
	char addr[INET6_ADDRSTRLEN], spi[16], id[128];
	bool replay = sa->has & XHA_SA_HAS_REPLAY;
	bool life = sa->has & XHA_SA_HAS_LIFETIME;
	struct json_object *o = json_object_new_object();

	xha_sa_format_cmd(sa, id, sizeof(id));
	json_object_object_add(o, "sa", json_object_new_string(id));
	json_object_object_add(o, "family", str_or_null(family_name(sa->family)));
	addr_str(sa->family, sa->daddr, addr, sizeof(addr));
	json_object_object_add(o, "daddr", json_object_new_string(addr));
	addr_str(sa->family, sa->saddr, addr, sizeof(addr));
	json_object_object_add(o, "saddr", sa->has & XHA_SA_HAS_SADDR ?
				json_object_new_string(addr) : NULL);
	snprintf(spi, sizeof(spi), "0x%08x", ntohl(sa->spi));
	json_object_object_add(o, "spi", json_object_new_string(spi));
	json_object_object_add(o, "proto", str_or_null(proto_name(sa->proto)));
	json_object_object_add(o, "mark", json_object_new_uint64(sa->mark));
	json_object_object_add(o, "if_id", json_object_new_uint64(sa->if_id));
	json_object_object_add(o, "oseq",
			       u64_or_null(sa->has & XHA_SA_HAS_OSEQ, sa->oseq));
	json_object_object_add(o, "seq",
			       u64_or_null(sa->has & XHA_SA_HAS_SEQ, sa->seq));
	json_object_object_add(o, "replay_mode",
			       str_or_null(replay ? replay_mode_name(sa->replay_mode) :
						    NULL));
	json_object_object_add(o, "replay_window",
			       u64_or_null(replay, sa->replay_window));
	json_object_object_add(o, "bytes", u64_or_null(life, sa->bytes));
	json_object_object_add(o, "packets", u64_or_null(life, sa->packets));
	if (sa->has & XHA_SA_HAS_BITMAP)
		json_object_object_add(o, "window_seen",
				       json_object_new_uint64(window_seen(sa)));
	return o;
}

/* show sa ---------------------------------------------------------------- */

struct sa_list {
	struct xha_sa *v;
	size_t n, cap;
};

static int collect_cb(const struct xha_sa *sa, void *arg)
{
	struct sa_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct xha_sa *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *sa;
	return 0;
}

static int sa_cmp(const void *pa, const void *pb)
{
	const struct xha_sa *a = pa, *b = pb;
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

/*
 * One line per SA, in the words set sa takes: its identity, then its
 * counters (what the kernel reports; "-" never appears, so that the line
 * can be fed back: "ha-ike set sa $line").
 */
static void sa_line(const struct xha_sa *sa)
{
	char id[128];

	xha_sa_format_cmd(sa, id, sizeof(id));
	fputs(id, stdout);
	if (sa->has & XHA_SA_HAS_OSEQ)
		printf(" oseq %" PRIu64, sa->oseq);
	if (sa->has & XHA_SA_HAS_SEQ)
		printf(" seq %" PRIu64, sa->seq);
	if (sa->has & XHA_SA_HAS_LIFETIME)
		printf(" bytes %" PRIu64 " packets %" PRIu64, sa->bytes,
		       sa->packets);
	putchar('\n');
}

int cmd_show_sa(int argc, char **argv, const char *name)
{
	struct sa_list l = { 0 };
	bool json = opts.json;
	struct xha_nl *nl;
	int err;
	size_t k;

	if (parse_json_only(argc, argv, name, &json))
		return EXIT_USAGE;
	nl = open_or_complain(name);
	if (!nl)
		return EXIT_RUNTIME;
	err = xha_nl_sa_dump(nl, collect_cb, &l);
	if (err) {
		runtime_error(name, "%s", err == -ENOMEM ? "out of memory" :
			      xha_nl_error(nl));
		xha_nl_close(nl);
		free(l.v);
		return EXIT_RUNTIME;
	}
	xha_nl_close(nl);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), sa_cmp);
	if (json) {
		/* One object at a time: not a tree of every SA at once. */
		putchar('[');
		for (k = 0; k < l.n; k++) {
			struct json_object *o = sa_json(&l.v[k]);

			printf("%s%s", k ? "," : "",
			       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		}
		puts("]");
	} else {
		for (k = 0; k < l.n; k++)
			sa_line(&l.v[k]);
	}
	free(l.v);
	return EXIT_OK;
}

/* get sa, set sa --------------------------------------------------------- */

static void sa_print(const struct xha_sa *sa)
{
	char id[128], addr[INET6_ADDRSTRLEN];
	const char *mode;

	xha_sa_format_cmd(sa, id, sizeof(id));
	printf("%s\n", id);
	if (sa->has & XHA_SA_HAS_SADDR) {
		addr_str(sa->family, sa->saddr, addr, sizeof(addr));
		printf("\tsrc %s\n", addr);
	}
	if (sa->has & XHA_SA_HAS_REPLAY) {
		mode = replay_mode_name(sa->replay_mode);
		if (mode)
			printf("\treplay-mode %s", mode);
		else
			printf("\treplay-mode %u", sa->replay_mode);
		printf(" replay-window %" PRIu32 "\n", sa->replay_window);
	}
	if (sa->has & (XHA_SA_HAS_OSEQ | XHA_SA_HAS_SEQ)) {
		putchar('\t');
		if (sa->has & XHA_SA_HAS_OSEQ)
			printf("oseq %" PRIu64 " (0x%" PRIx64 ")%s", sa->oseq,
			       sa->oseq, sa->has & XHA_SA_HAS_SEQ ? " " : "");
		if (sa->has & XHA_SA_HAS_SEQ)
			printf("seq %" PRIu64 " (0x%" PRIx64 ")", sa->seq,
			       sa->seq);
		putchar('\n');
	}
	if (sa->has & XHA_SA_HAS_LIFETIME)
		printf("\tbytes %" PRIu64 " packets %" PRIu64 "\n", sa->bytes,
		       sa->packets);
	if (sa->has & XHA_SA_HAS_BITMAP)
		printf("\twindow: %u of the %" PRIu32 " numbers up to seq seen\n",
		       window_seen(sa), sa->replay_window);
}

int cmd_get_sa(int argc, char **argv, const char *name)
{
	struct xha_sa id, sa;
	bool json = opts.json;
	struct xha_nl *nl;
	int ret;

	ret = parse_sa_args(argc, argv, name, false, &id, &json);
	if (ret)
		return ret;
	nl = open_or_complain(name);
	if (!nl)
		return EXIT_RUNTIME;
	if (xha_nl_sa_get(nl, &id, &sa)) {
		runtime_error(name, "%s", xha_nl_error(nl));
		xha_nl_close(nl);
		return EXIT_RUNTIME;
	}
	xha_nl_close(nl);
	if (json) {
		json_print(sa_json(&sa));
	} else {
		sa_print(&sa);
	}
	return EXIT_OK;
}

int cmd_set_sa(int argc, char **argv, const char *name)
{
	struct xha_nl *nl;
	struct xha_sa sa;
	int ret;

	ret = parse_sa_args(argc, argv, name, true, &sa, NULL);
	if (ret)
		return ret;
	nl = open_or_complain(name);
	if (!nl)
		return EXIT_RUNTIME;
	ret = EXIT_OK;
	if (xha_nl_sa_set(nl, &sa))
		ret = runtime_error(name, "%s", xha_nl_error(nl));
	xha_nl_close(nl);
	return ret;
}
