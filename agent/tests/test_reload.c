// SPDX-License-Identifier: GPL-2.0
/* A reload's plan: what changed, what it takes, what is refused. */
#include <libyang/libyang.h>
#include <limits.h>

#include "config.h"
#include "reload.h"
#include "t.h"

static struct ly_ctx *ctx;

/* The shape the end-to-end tests write; %s: extra leaves of ike/ha,
 * %u: oseq-shift, %u: sync-period-packets, %s: the group's state. */
#define FMT \
	"{\"xfrm-ha:vrf\": [{\"name\": \"main\", \"ike\": {\"ha\": {\"listen-ha-group\": \"g\",\n" \
	"  \"node-id\": %u, \"interface\": \"hal1\", \"local-address\": \"10.150.0.1\",\n" \
	"  \"remote-address\": \"%s\", \"port\": 4520, \"key-file\": \"/k\"%s,\n" \
	"  \"seqnum-sync\": {\"oseq-shift\": %u, \"sync-period-time\": 1, \"sync-period-packets\": %u}}}}],\n" \
	" \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"static\": \"%s\"}]}}\n"

struct variant {
	unsigned int node;
	const char *remote, *extra;
	unsigned int shift, packets;
	const char *state;
};

static const struct variant base = { 1, "10.150.0.2", "", 65536, 2, "master" };

static void parse(const struct variant *v, struct config *cfg)
{
	char json[4096], err[CONFIG_ERR_LEN] = "";

	snprintf(json, sizeof(json), FMT, v->node, v->remote, v->extra,
		 v->shift, v->packets, v->state);
	if (config_parse(ctx, json, NULL, cfg, err, sizeof(err)) < 0) {
		printf("# parse: %s\n", err);
		exit(2);
	}
	memset(cfg->key, 0x11, sizeof(cfg->key));
}

static int plan(const struct variant *nv, struct reload_plan *rp, char *err,
		size_t len)
{
	struct config o, n;
	int ret;

	parse(&base, &o);
	parse(nv, &n);
	ret = reload_plan(&o, &n, rp, err, len);
	config_free(&o);
	config_free(&n);
	return ret;
}

static void test_same(void)
{
	struct reload_plan rp;
	char err[256] = "";

	CHECK(plan(&base, &rp, err, sizeof(err)) == 0);
	CHECK_EQ(rp.changes, 0);
	CHECK(!rp.link && !rp.session && !rp.group && !rp.kernel && !rp.sync);
}

/* The live settings: no new session, the tables stay. */
static void test_shift_and_trigger(void)
{
	struct variant v = base;
	struct reload_plan rp;
	char err[256] = "";

	v.shift = 1024;
	v.packets = 8;
	CHECK(plan(&v, &rp, err, sizeof(err)) == 0);
	CHECK_EQ(rp.changes, 2);
	CHECK(rp.sync && rp.kernel);
	CHECK(!rp.link && !rp.session && !rp.group);
	CHECK_STR(rp.what, "oseq-shift 65536 -> 1024");
	CHECK_STR(rp.what, "sync-period-packets 2 -> 8");
}

static void test_link(void)
{
	struct variant v = base;
	struct reload_plan rp;
	char err[256] = "";

	v.remote = "10.150.0.3";
	CHECK(plan(&v, &rp, err, sizeof(err)) == 0);
	CHECK(rp.link && rp.session && !rp.kernel && !rp.sync);
	CHECK_STR(rp.what, "remote-address \"10.150.0.2\" -> \"10.150.0.3\"");
}

static void test_key(void)
{
	struct reload_plan rp;
	struct config o, n;
	char err[256] = "";

	parse(&base, &o);
	parse(&base, &n);
	n.key[7] ^= 1;
	CHECK(reload_plan(&o, &n, &rp, err, sizeof(err)) == 0);
	CHECK(rp.session && !rp.link);
	CHECK_STR(rp.what, "the link key");
	CHECK(!strstr(rp.what, "11"));	/* never the key itself */
	config_free(&o);
	config_free(&n);
}

static void test_group(void)
{
	struct variant v = base;
	struct reload_plan rp;
	char err[256] = "";

	v.state = "backup";
	CHECK(plan(&v, &rp, err, sizeof(err)) == 0);
	CHECK(rp.group && !rp.session);
}

static void test_refused(void)
{
	struct variant v = base;
	struct reload_plan rp;
	char err[256] = "";

	v.node = 3;
	CHECK(plan(&v, &rp, err, sizeof(err)) < 0);
	CHECK_STR(err, "node-id 1 -> 3 cannot change while the agent runs");
	v = base;
	v.extra = ", \"control-socket\": \"/run/other.sock\"";
	CHECK(plan(&v, &rp, err, sizeof(err)) < 0);
	CHECK_STR(err, "control-socket");
	v = base;
	v.extra = ", \"enabled\": false";
	CHECK(plan(&v, &rp, err, sizeof(err)) < 0);
	CHECK_STR(err, "enabled false");
}

int main(void)
{
	char err[CONFIG_ERR_LEN] = "", ydir[PATH_MAX];

	log_set_level(LOG_LVL_ERR);
	if (!getenv("XFRM_HA_YANG_DIR"))
		setenv("XFRM_HA_YANG_DIR", "../yang", 1);
	ctx = config_ctx_new(config_yang_dir(ydir, sizeof(ydir)), err,
			     sizeof(err));
	if (!ctx) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	RUN(test_same);
	RUN(test_shift_and_trigger);
	RUN(test_link);
	RUN(test_key);
	RUN(test_group);
	RUN(test_refused);
	config_ctx_free(ctx);
	DONE();
}
