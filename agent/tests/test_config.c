// SPDX-License-Identifier: GPL-2.0
/* Configuration: the YANG model, the semantic checks and the key file. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libyang/libyang.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgtext.h"
#include "config.h"
#include "t.h"

static char dir[] = "/tmp/xha-test-config.XXXXXX";
static char keypath[PATH_MAX];
static struct ly_ctx *ctx;

#define KEYHEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void write_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		perror(path);
		exit(2);
	}
	fchmod(fd, mode);
	close(fd);
}

/* The exact shape the end-to-end tests write. */
#define EXAMPLE_FMT \
	"{\"xfrm-ha:vrf\": [{\"name\": \"main\", \"ike\": {\"ha\": {\"listen-ha-group\": \"g\",\n" \
	"  \"node-id\": 1, \"interface\": \"hal1\", \"local-address\": \"10.150.0.1\",\n" \
	"  \"remote-address\": \"10.150.0.2\", \"port\": 4520, \"key-file\": \"%s\",\n" \
	"  \"seqnum-sync\": {\"oseq-shift\": 65536, \"sync-period-time\": 1, \"sync-period-packets\": 2}}}}],\n" \
	" \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"static\": \"master\"}]}}\n"

static void test_example(void)
{
	char json[8192], path[PATH_MAX], err[CONFIG_ERR_LEN] = "";
	struct config cfg;
	uint8_t key[32];
	size_t i;

	snprintf(json, sizeof(json), EXAMPLE_FMT, keypath);
	snprintf(path, sizeof(path), "%s/ha.json", dir);
	write_file(path, json, 0644);
	CHECK(config_load(path, NULL, &cfg, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK(cfg.enabled);
	CHECK_EQ(cfg.node_id, 1);
	CHECK(!strcmp(cfg.interface, "hal1"));
	CHECK_EQ(cfg.family, AF_INET);
	CHECK(!strcmp(cfg.local_str, "10.150.0.1"));
	CHECK(!strcmp(cfg.remote_str, "10.150.0.2"));
	CHECK_EQ(ntohs(((struct sockaddr_in *)&cfg.remote)->sin_port), 4520);
	CHECK_EQ(cfg.port, 4520);
	CHECK(!strcmp(cfg.group.name, "g"));
	CHECK_EQ(cfg.group.ctl, HA_CTL_STATIC);
	CHECK_EQ(cfg.group.static_state, HA_STATE_MASTER);
	CHECK(!strcmp(cfg.control_socket, "/run/xfrm-ha/main.sock"));
	CHECK(!cfg.track_file[0]);
	CHECK(!cfg.strongswan);
	CHECK_EQ(cfg.sync_period_time, 1);
	CHECK_EQ(cfg.sync_period_packets, 2);
	CHECK_EQ(cfg.oseq_shift, 65536);
	CHECK(cfg.adaptive_shift);
	CHECK_EQ(cfg.adaptive_shift_margin, 500);
	CHECK_EQ(cfg.oseq_wrap_margin, 16777216);
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)((i % 16) * 0x11);
	CHECK(!memcmp(cfg.key, key, 32));
	config_free(&cfg);
}

static void test_defaults_v6_pools(void)
{
	const char *json =
		"{\"xfrm-ha:vrf\": [{\"name\": \"main\", \"ike\": {\"ha\": {\"node-id\": 15, \"local-address\": \"2001:db8::1\","
		" \"remote-address\": \"2001:DB8::2\", \"key-file\": \"/k\","
		" \"listen-ha-group\": \"ha-group1\","
		" \"pool\": [{\"name\": \"a\", \"address\": \"192.168.0.0/24\"},"
		"            {\"name\": \"b\", \"address\": \"2001:db8:1::/48\"}]}}}],"
		" \"xfrm-ha:ha\": {\"group\": [{\"name\": \"ha-group1\", \"static\": \"backup\"}]}}";
	char err[CONFIG_ERR_LEN] = "";
	struct config cfg;

	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK(cfg.enabled);
	CHECK_EQ(cfg.node_id, 15);
	CHECK_EQ(cfg.family, AF_INET6);
	CHECK_EQ(cfg.port, 4520);
	CHECK_EQ(cfg.group.ctl, HA_CTL_STATIC);
	CHECK_EQ(cfg.group.static_state, HA_STATE_BACKUP);
	CHECK_EQ(cfg.sync_period_time, 10);
	CHECK_EQ(cfg.sync_period_packets, 2);
	CHECK_EQ(cfg.oseq_shift, 65536);
	CHECK(!cfg.interface[0]);
	CHECK(!strcmp(cfg.group.name, "ha-group1"));
	CHECK_EQ(cfg.n_pools, 2);
	CHECK_EQ(cfg.pools[0].plen + cfg.pools[1].plen, 24 + 48);
	config_free(&cfg);
}

static void test_disabled(void)
{
	const char *json =
		"{\"xfrm-ha:vrf\": [{\"name\": \"main\", \"ike\": {\"ha\": {\"enabled\": false, \"node-id\": 2, \"local-address\": \"10.0.0.2\","
		" \"remote-address\": \"10.0.0.1\", \"key-file\": \"/k\", \"listen-ha-group\": \"x\","
		" \"seqnum-sync\": {\"sync-period-time\": 0, \"sync-period-packets\": 0, \"oseq-shift\": 0}}}}],"
		" \"xfrm-ha:ha\": {\"group\": [{\"name\": \"x\", \"external\": [null]}]}}";
	char err[CONFIG_ERR_LEN] = "";
	struct config cfg;

	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) == 0);
	CHECK(!cfg.enabled);
	CHECK_EQ(cfg.sync_period_time + cfg.sync_period_packets + cfg.oseq_shift, 0);
	config_free(&cfg);
}

/* The adaptive shift and the kernel's wrap margin: values and bounds. */
static void test_adaptive_shift(void)
{
	static const char *const fmt =
		"{\"xfrm-ha:vrf\": [{\"name\": \"main\", \"ike\": {\"ha\": {\"node-id\": 2, \"local-address\": \"10.0.0.2\","
		" \"remote-address\": \"10.0.0.1\", \"key-file\": \"/k\", \"listen-ha-group\": \"x\","
		" \"seqnum-sync\": {%s}}}}],"
		" \"xfrm-ha:ha\": {\"group\": [{\"name\": \"x\", \"static\": \"backup\"}]}}";
	char json[2048], err[CONFIG_ERR_LEN] = "";
	struct config cfg;

	snprintf(json, sizeof(json), fmt,
		 "\"oseq-shift\": 1000, \"adaptive-shift\": false,"
		 " \"adaptive-shift-margin\": 60000, \"oseq-wrap-margin\": 2147483648");
	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK_EQ(cfg.oseq_shift, 1000);
	CHECK(!cfg.adaptive_shift);
	CHECK_EQ(cfg.adaptive_shift_margin, 60000);
	CHECK_EQ(cfg.oseq_wrap_margin, 2147483648u);
	config_free(&cfg);

	snprintf(json, sizeof(json), fmt,
		 "\"adaptive-shift\": true, \"adaptive-shift-margin\": 0,"
		 " \"oseq-wrap-margin\": 0");
	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) == 0);
	CHECK(cfg.adaptive_shift);
	CHECK_EQ(cfg.adaptive_shift_margin, 0);
	CHECK_EQ(cfg.oseq_wrap_margin, 0);
	CHECK_EQ(cfg.oseq_shift, 65536);
	config_free(&cfg);

	/* Out of range or mistyped: refused, naming the leaf. */
	snprintf(json, sizeof(json), fmt, "\"adaptive-shift-margin\": 60001");
	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='main']/ike/ha/seqnum-sync/adaptive-shift-margin");
	snprintf(json, sizeof(json), fmt, "\"oseq-wrap-margin\": 2147483649");
	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='main']/ike/ha/seqnum-sync/oseq-wrap-margin");
	snprintf(json, sizeof(json), fmt, "\"adaptive-shift\": \"yes\"");
	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='main']/ike/ha/seqnum-sync/adaptive-shift");
	snprintf(json, sizeof(json), fmt, "\"adaptive-shift-margin\": -1");
	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "adaptive-shift-margin");
}

/* A valid ha container with EXTRA leaves, and the ha group list GROUPS. */
static int parse_with(const char *extra, const char *groups, struct config *cfg,
		      char *err, size_t errlen)
{
	char json[8192];

	snprintf(json, sizeof(json),
		 "{\"xfrm-ha:vrf\": [{\"name\": \"main\", \"ike\": {\"ha\": {\"node-id\": 1, \"local-address\": \"10.150.0.1\","
		 " \"remote-address\": \"10.150.0.2\", \"key-file\": \"/k\","
		 " \"listen-ha-group\": \"vpn\"%s}}}],"
		 " \"xfrm-ha:ha\": {\"group\": [%s]}}", extra, groups);
	err[0] = '\0';
	memset(cfg, 0xa5, sizeof(*cfg));
	if (config_parse(ctx, json, NULL, cfg, err, errlen) < 0) {
		printf("# %s\n", err);
		return -1;
	}
	/* The flattened values are what these tests look at. */
	if (!cfg->running || cfg->running[0] != '{')
		return -1;
	config_free(cfg);
	return 0;
}

#define GROUP_G_VPN "{\"name\": \"vpn\", \"static\": \"backup\"}"

static bool vip_is(const struct sockaddr_storage *ss, const char *s)
{
	char buf[INET6_ADDRSTRLEN];
	const void *a = ss->ss_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)ss)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	return inet_ntop(ss->ss_family, a, buf, sizeof(buf)) && !strcmp(buf, s);
}

static void test_groups(void)
{
	char err[CONFIG_ERR_LEN];
	struct config cfg;
	const char *st[] = { "master", "backup", "fault" };
	const enum ha_state want[] = { HA_STATE_MASTER, HA_STATE_BACKUP,
				       HA_STATE_FAULT };
	char grp[256];
	unsigned int i;

	/* static, each state; other groups in the list are ignored */
	for (i = 0; i < 3; i++) {
		snprintf(grp, sizeof(grp),
			 "{\"name\": \"other\", \"external\": [null]},"
			 " {\"name\": \"vpn\", \"static\": \"%s\"}", st[i]);
		CHECK(parse_with("", grp, &cfg, err, sizeof(err)) == 0);
		CHECK(!strcmp(cfg.group.name, "vpn"));
		CHECK_EQ(cfg.group.ctl, HA_CTL_STATIC);
		CHECK_EQ(cfg.group.static_state, want[i]);
		CHECK_EQ(cfg.group.n_vips, 0);
	}

	/* external */
	CHECK(parse_with("", "{\"name\": \"vpn\", \"external\": [null]}", &cfg,
			 err, sizeof(err)) == 0);
	CHECK_EQ(cfg.group.ctl, HA_CTL_EXTERNAL);
	CHECK(!strcmp(cfg.group.name, "vpn"));
	CHECK_EQ(cfg.group.n_vips, 0);

	/* keepalived, a sync group, IPv4 and IPv6 virtual addresses */
	CHECK(parse_with("",
			 "{\"name\": \"vpn\", \"keepalived\": {"
			 "\"notify-fifo\": \"/run/keepalived/notify.fifo\","
			 " \"sync-group\": \"VPN\", \"virtual-address\":"
			 " [\"192.0.2.1\", \"2001:DB8::1\", \"fe80::1\"]}},"
			 " {\"name\": \"x\", \"static\": \"master\"}",
			 &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.group.ctl, HA_CTL_KEEPALIVED);
	CHECK(!strcmp(cfg.group.fifo, "/run/keepalived/notify.fifo"));
	CHECK(cfg.group.vrrp_sync_group);
	CHECK(!strcmp(cfg.group.vrrp_name, "VPN"));
	CHECK_EQ(cfg.group.n_vips, 3);
	CHECK_EQ(cfg.group.vips[0].ss_family, AF_INET);
	CHECK(vip_is(&cfg.group.vips[0], "192.0.2.1"));
	CHECK_EQ(cfg.group.vips[1].ss_family, AF_INET6);
	CHECK(vip_is(&cfg.group.vips[1], "2001:db8::1"));
	CHECK(vip_is(&cfg.group.vips[2], "fe80::1"));

	/* keepalived, an instance, one virtual address (the minimum) */
	CHECK(parse_with("",
			 "{\"name\": \"vpn\", \"keepalived\": {"
			 "\"notify-fifo\": \"/f\", \"instance\": \"VI_1\","
			 " \"virtual-address\": [\"10.0.0.1\"]}}",
			 &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.group.ctl, HA_CTL_KEEPALIVED);
	CHECK(!strcmp(cfg.group.fifo, "/f"));
	CHECK(!cfg.group.vrrp_sync_group);
	CHECK(!strcmp(cfg.group.vrrp_name, "VI_1"));
	CHECK_EQ(cfg.group.n_vips, 1);
	CHECK(vip_is(&cfg.group.vips[0], "10.0.0.1"));

	/* keepalived names: any printable ASCII but space and '"' */
	CHECK(parse_with("",
			 "{\"name\": \"vpn\", \"keepalived\": {"
			 "\"notify-fifo\": \"/f\", \"sync-group\": \"!#$%&'()*+,-./09:;<=>?@AZ[\\\\]^_`az{|}~\","
			 " \"virtual-address\": [\"10.0.0.1\"]}}",
			 &cfg, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK(cfg.group.vrrp_sync_group);
	CHECK(!strcmp(cfg.group.vrrp_name,
		      "!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"));

	/* 16 virtual addresses: the maximum */
	CHECK(parse_with("",
			 "{\"name\": \"vpn\", \"keepalived\": {"
			 "\"notify-fifo\": \"/f\", \"instance\": \"VI_1\","
			 " \"virtual-address\": [\"10.0.0.1\", \"10.0.0.2\","
			 " \"10.0.0.3\", \"10.0.0.4\", \"10.0.0.5\", \"10.0.0.6\","
			 " \"10.0.0.7\", \"10.0.0.8\", \"10.0.0.9\", \"10.0.0.10\","
			 " \"10.0.0.11\", \"10.0.0.12\", \"10.0.0.13\", \"10.0.0.14\","
			 " \"10.0.0.15\", \"10.0.0.16\"]}}",
			 &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.group.n_vips, CONFIG_MAX_VIPS);
	CHECK(vip_is(&cfg.group.vips[15], "10.0.0.16"));
}

static void test_optional_leaves(void)
{
	const char *grp = "{\"name\": \"vpn\", \"static\": \"backup\"}";
	char err[CONFIG_ERR_LEN];
	struct config cfg;

	/* Defaults: no strongSwan, no track file, the default socket. */
	CHECK(parse_with("", grp, &cfg, err, sizeof(err)) == 0);
	CHECK(!cfg.strongswan);
	CHECK(!cfg.track_file[0]);
	CHECK(!strcmp(cfg.control_socket, "/run/xfrm-ha/main.sock"));

	/* An empty strongswan container: the plugin's default FIFO. */
	CHECK(parse_with(", \"strongswan\": {}", grp, &cfg, err,
			 sizeof(err)) == 0);
	CHECK(cfg.strongswan);
	CHECK(!strcmp(cfg.charon_fifo, "/var/run/charon.ha"));

	CHECK(parse_with(", \"strongswan\": {\"control-fifo\": \"/run/strongswan/charon.ha\"},"
			 " \"control-socket\": \"/run/x/a.sock\","
			 " \"track-file\": \"/run/xfrm-ha/track\"",
			 grp, &cfg, err, sizeof(err)) == 0);
	CHECK(cfg.strongswan);
	CHECK(!strcmp(cfg.charon_fifo, "/run/strongswan/charon.ha"));
	CHECK(!strcmp(cfg.control_socket, "/run/x/a.sock"));
	CHECK(!strcmp(cfg.track_file, "/run/xfrm-ha/track"));
}

/* A VRF entry named NAME with the ha container's leaves HA. */
#define VRF(name, ha) \
	"{\"name\": \"" name "\", \"ike\": {\"ha\": {" ha "}}}"
#define HA_MIN(id, l, r) \
	"\"listen-ha-group\": \"g\", \"node-id\": " #id ", \"local-address\": \"" l "\"," \
	" \"remote-address\": \"" r "\", \"key-file\": \"/k\""
#define DOC(vrfs, groups) \
	"{\"xfrm-ha:vrf\": [" vrfs "], \"xfrm-ha:ha\": {\"group\": [" groups "]}}"
#define GROUP_G "{\"name\": \"g\", \"static\": \"master\"}"

/* One file, several VRFs: the agent takes the one it runs. */
static void test_vrfs(void)
{
	const char *json = DOC(VRF("main", HA_MIN(1, "10.0.0.1", "10.0.0.2")) ", "
			       VRF("blue", HA_MIN(3, "2001:db8::3", "2001:db8::4")
				   ", \"port\": 4600") ", "
			       "{\"name\": \"red\"}", GROUP_G);
	char err[CONFIG_ERR_LEN] = "";
	struct config cfg;

	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK(!strcmp(cfg.vrf, "main"));
	CHECK_EQ(cfg.node_id, 1);
	CHECK(!strcmp(cfg.control_socket, "/run/xfrm-ha/main.sock"));
	config_free(&cfg);

	CHECK(config_parse(ctx, json, "blue", &cfg, err, sizeof(err)) == 0);
	CHECK(!strcmp(cfg.vrf, "blue"));
	CHECK_EQ(cfg.node_id, 3);
	CHECK_EQ(cfg.family, AF_INET6);
	CHECK_EQ(cfg.port, 4600);
	CHECK(!strcmp(cfg.control_socket, "/run/xfrm-ha/blue.sock"));
	CHECK(!strcmp(cfg.group.name, "g"));
	/* running is the whole file, every VRF. */
	CHECK(cfg.running && strstr(cfg.running, "\"name\": \"main\"") &&
	      strstr(cfg.running, "\"name\": \"red\""));
	config_free(&cfg);
	CHECK(!cfg.running);

	/* A VRF that is not there, or has no HA: refused, named. */
	memset(&cfg, 0xa5, sizeof(cfg));
	CHECK(config_parse(ctx, json, "green", &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='green']: no such VRF");
	CHECK_STR(err, "configured: main, blue, red");
	CHECK(!cfg.running);
	CHECK(config_parse(ctx, json, "red", &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='red']/ike/ha: missing");

	/* An error in another VRF refuses the file, naming that VRF. */
	CHECK(config_parse(ctx,
			   DOC(VRF("main", HA_MIN(1, "10.0.0.1", "10.0.0.2")) ", "
			       VRF("blue", "\"listen-ha-group\": \"g\", \"node-id\": 3,"
				   " \"key-file\": \"/k\", \"local-address\": \"10.0.0.1\""),
			       GROUP_G),
			   "main", &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='blue']/ike/ha/remote-address");
	CHECK_STR(err, "Mandatory");
	CHECK(config_parse(ctx,
			   DOC(VRF("main", HA_MIN(1, "10.0.0.1", "10.0.0.2")) ", "
			       VRF("blue", HA_MIN(3, "0.0.0.0", "10.0.0.2")),
			       GROUP_G),
			   "main", &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='blue']/ike/ha/local-address: 0.0.0.0 is not a unicast");
	/* The second of two groups lacks its controller. */
	CHECK(config_parse(ctx,
			   DOC(VRF("main", HA_MIN(1, "10.0.0.1", "10.0.0.2")),
			       GROUP_G ", {\"name\": \"h\"}"),
			   NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:ha/group[name='h']/controller: Mandatory choice");
	/* No VRF at all, and a VRF name the model refuses. */
	CHECK(config_parse(ctx, "{\"xfrm-ha:ha\": {\"group\": [" GROUP_G "]}}",
			   NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "no VRF configured");
	CHECK(config_parse(ctx, DOC(VRF(".x", HA_MIN(1, "10.0.0.1", "10.0.0.2")),
				    GROUP_G),
			   ".x", &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf/name: a VRF name is");
	/* The old shape (top-level ha leaves, ha-group) is refused. */
	CHECK(config_parse(ctx, "{\"xfrm-ha:ha\": {\"node-id\": 1}}", NULL,
			   &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "\"node-id\" not found");
	CHECK(config_parse(ctx, "{\"xfrm-ha:ha-group\": []}", NULL, &cfg, err,
			   sizeof(err)) < 0);
	CHECK_STR(err, "ha-group");
}

/* Copy yang/xfrm-ha.yang to dst with one string replaced. */
static int patched_model(const char *dst, const char *from, const char *to)
{
	char src[PATH_MAX], *data, *at;
	FILE *f;
	long n;

	snprintf(src, sizeof(src), "%s/xfrm-ha.yang", getenv("XFRM_HA_YANG_DIR"));
	f = fopen(src, "r");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = calloc(1, n + strlen(to) + 1);
	if (fread(data, 1, n, f) != (size_t)n || !(at = strstr(data, from))) {
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	f = fopen(dst, "w");
	if (!f) {
		free(data);
		return -1;
	}
	fwrite(data, 1, at - data, f);
	fputs(to, f);
	fputs(at + strlen(from), f);
	fclose(f);
	free(data);
	return 0;
}

/*
 * Defaults come from the model alone: a model with other defaults gives
 * other values, with no C constant in between.
 */
static void test_defaults_from_model(void)
{
	const char *json = DOC(VRF("main", HA_MIN(1, "10.0.0.1", "10.0.0.2")
				   ", \"strongswan\": {}"), GROUP_G);
	static const struct {
		const char *from, *to;
	} patch[] = {
		{ "default \"65536\"", "default \"4096\"" },
		{ "default \"10\"", "default \"7\"" },
		{ "default \"4520\"", "default \"4999\"" },
		{ "default \"/var/run/charon.ha\"", "default \"/run/x.ha\"" },
		{ "leaf adaptive-shift {\n            type boolean;\n            default \"true\"",
		  "leaf adaptive-shift {\n            type boolean;\n            default \"false\"" },
	};
	char mdir[PATH_MAX], mfile[PATH_MAX + 16], err[CONFIG_ERR_LEN] = "";
	struct config cfg;
	struct ly_ctx *c;
	size_t i;

	/* The model's own defaults first. */
	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.oseq_shift, 65536);
	CHECK_EQ(cfg.sync_period_time, 10);
	CHECK_EQ(cfg.sync_period_packets, 2);
	CHECK_EQ(cfg.port, 4520);
	CHECK(cfg.adaptive_shift);
	CHECK(cfg.enabled);
	CHECK(!strcmp(cfg.charon_fifo, "/var/run/charon.ha"));
	/* Defaults are not in the running config (trimmed). */
	CHECK(cfg.running && !strstr(cfg.running, "oseq-shift") &&
	      !strstr(cfg.running, "\"port\""));
	config_free(&cfg);

	snprintf(mdir, sizeof(mdir), "%s/model", dir);
	snprintf(mfile, sizeof(mfile), "%s/xfrm-ha.yang", mdir);
	CHECK(mkdir(mdir, 0700) == 0);
	for (i = 0; i < sizeof(patch) / sizeof(patch[0]); i++) {
		if (patched_model(mfile, patch[i].from, patch[i].to) < 0) {
			printf("# cannot patch the model: %s\n", patch[i].from);
			t_case_fail++;
			continue;
		}
		c = config_ctx_new(mdir, err, sizeof(err));
		CHECK(c != NULL);
		if (!c) {
			printf("# %s\n", err);
			continue;
		}
		CHECK(config_parse(c, json, NULL, &cfg, err, sizeof(err)) == 0);
		switch (i) {
		case 0:
			CHECK_EQ(cfg.oseq_shift, 4096);
			break;
		case 1:
			CHECK_EQ(cfg.sync_period_time, 7);
			break;
		case 2:
			CHECK_EQ(cfg.port, 4999);
			CHECK_EQ(ntohs(((struct sockaddr_in *)&cfg.local)->sin_port), 4999);
			break;
		case 3:
			CHECK(!strcmp(cfg.charon_fifo, "/run/x.ha"));
			break;
		case 4:
			CHECK(!cfg.adaptive_shift);
			break;
		}
		config_free(&cfg);
		config_ctx_free(c);
	}
	unlink(mfile);
	rmdir(mdir);
}

static bool has_warning(const struct config *cfg, const char *a,
			const char *b)
{
	unsigned int i;

	for (i = 0; i < cfg->n_warnings; i++)
		if (strstr(cfg->warnings[i], a) && strstr(cfg->warnings[i], b))
			return true;
	return false;
}

/* Legal but suspicious: accepted, with a warning naming it. */
static void test_warnings(void)
{
	char json[4096], err[CONFIG_ERR_LEN] = "";
	struct config cfg;
	unsigned int i;

	/* A sound configuration says nothing. */
	CHECK(parse_with("", GROUP_G_VPN, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.n_warnings, 0);
	for (i = 0; i < cfg.n_warnings; i++)
		printf("# unexpected: %s\n", cfg.warnings[i]);
	config_free(&cfg);

	CHECK(parse_with(", \"seqnum-sync\": {\"sync-period-time\": 0, \"sync-period-packets\": 0}",
			 GROUP_G_VPN, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.n_warnings, 1);
	CHECK(has_warning(&cfg, "/xfrm-ha:vrf[name='main']/ike/ha/seqnum-sync",
			  "both 0"));
	config_free(&cfg);

	CHECK(parse_with(", \"seqnum-sync\": {\"oseq-shift\": 0, \"adaptive-shift\": false}",
			 GROUP_G_VPN, &cfg, err, sizeof(err)) == 0);
	CHECK(has_warning(&cfg, "seqnum-sync/oseq-shift: 0", "used again"));
	config_free(&cfg);
	CHECK(parse_with(", \"seqnum-sync\": {\"oseq-shift\": 0}",
			 GROUP_G_VPN, &cfg, err, sizeof(err)) == 0);
	CHECK(has_warning(&cfg, "seqnum-sync/oseq-shift: 0", "adaptive"));
	config_free(&cfg);

	CHECK(parse_with(", \"seqnum-sync\": {\"oseq-shift\": 100, \"sync-period-packets\": 1000,"
			 " \"adaptive-shift\": false}",
			 GROUP_G_VPN, &cfg, err, sizeof(err)) == 0);
	CHECK(has_warning(&cfg, "oseq-shift: 100 is less than sync-period-packets 1000",
			  "up to 900"));
	config_free(&cfg);
	/* The adaptive shift covers it. */
	CHECK(parse_with(", \"seqnum-sync\": {\"oseq-shift\": 100, \"sync-period-packets\": 1000}",
			 GROUP_G_VPN, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.n_warnings, 0);
	config_free(&cfg);

	CHECK(parse_with(", \"enabled\": false", GROUP_G_VPN, &cfg, err,
			 sizeof(err)) == 0);
	CHECK(has_warning(&cfg, "/ike/ha/enabled", "off"));
	config_free(&cfg);

	CHECK(parse_with(", \"pool\": [{\"name\": \"a\", \"address\": \"10.9.0.0/16\"},"
			 " {\"name\": \"b\", \"address\": \"10.8.0.0/16\"},"
			 " {\"name\": \"c\", \"address\": \"10.9.128.0/24\"}]",
			 GROUP_G_VPN, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.n_warnings, 1);
	CHECK(has_warning(&cfg, "pools a and c overlap", "leased twice"));
	config_free(&cfg);

	/* A virtual address that is the HA link's own: always MASTER. */
	CHECK(parse_with("", "{\"name\": \"vpn\", \"keepalived\": {"
			 "\"notify-fifo\": \"/f\", \"instance\": \"VI_1\","
			 " \"virtual-address\": [\"10.150.0.1\"]}}",
			 &cfg, err, sizeof(err)) == 0);
	CHECK(has_warning(&cfg, "/xfrm-ha:ha/group[name='vpn']/keepalived/virtual-address: 10.150.0.1",
			  "always looks MASTER"));
	config_free(&cfg);

	/* Several at once, each its own line. */
	snprintf(json, sizeof(json), "%s",
		 DOC(VRF("main", HA_MIN(1, "10.0.0.1", "10.0.0.2")
			 ", \"enabled\": false, \"seqnum-sync\": {\"oseq-shift\": 0,"
			 " \"sync-period-time\": 0, \"sync-period-packets\": 0}"),
		     GROUP_G));
	CHECK(config_parse(ctx, json, NULL, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(cfg.n_warnings, 3);
	config_free(&cfg);
}

/* ietf-inet-types: canonical forms, zones refused, prefixes. */
static void test_inet_types(void)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config cfg;

	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "2001:DB8:0::1", "2001:db8::A")
					", \"pool\": [{\"name\": \"p\", \"address\": \"192.168.0.77/24\"},"
					" {\"name\": \"q\", \"address\": \"2001:DB8:1::1/48\"}]"),
				    GROUP_G),
			   NULL, &cfg, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK(!strcmp(cfg.local_str, "2001:db8::1"));
	CHECK(!strcmp(cfg.remote_str, "2001:db8::a"));
	/* A prefix's canonical form has its host bits cleared (RFC 6991). */
	CHECK_EQ(cfg.n_pools, 2);
	CHECK_EQ(cfg.pools[0].plen, 24);
	CHECK_EQ(ntohl(cfg.pools[0].addr.v4.s_addr), 0xc0a80000u);
	CHECK(cfg.running && strstr(cfg.running, "\"192.168.0.0/24\"") &&
	      strstr(cfg.running, "\"2001:db8:1::/48\""));
	CHECK_EQ(cfg.pools[1].family, AF_INET6);
	CHECK_EQ(cfg.pools[1].plen, 48);
	config_free(&cfg);

	/* Equal once canonical: refused by the model. */
	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "2001:db8::1", "2001:DB8:0:0::1")),
				    GROUP_G),
			   NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='main']/ike/ha/remote-address: remote-address must differ");
	/* A zone is not an address here (the interface leaf scopes it). */
	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "fe80::1%eth0", "fe80::2")),
				    GROUP_G),
			   NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='main']/ike/ha/local-address");
	CHECK_STR(err, "without zone");
	/* Link-local needs the interface... */
	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "fe80::1", "fe80::2")),
				    GROUP_G),
			   NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:vrf[name='main']/ike/ha/local-address: fe80::1 is link-local");
	/* ...and is fine with it. */
	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "fe80::1", "fe80::2")
					", \"interface\": \"hal1\""),
				    GROUP_G),
			   NULL, &cfg, err, sizeof(err)) == 0);
	config_free(&cfg);
	/* IPv4-mapped IPv6 is not a usable link address. */
	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "::ffff:10.0.0.1", "2001:db8::2")),
				    GROUP_G),
			   NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "not a unicast");
	/* A prefix length out of range, a zone in a virtual address. */
	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "10.0.0.1", "10.0.0.2")
					", \"pool\": [{\"name\": \"p\", \"address\": \"2001:db8::/129\"}]"),
				    GROUP_G),
			   NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "pool[name='p']/address");
	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "10.0.0.1", "10.0.0.2")),
				    "{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
				    " \"instance\": \"V\", \"virtual-address\": [\"fe80::1%eth0\"]}}"),
			   NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "/xfrm-ha:ha/group[name='g']/keepalived/virtual-address");
}

/* The router's text format loads into the same configuration as JSON. */
static void test_text_format(void)
{
	const char *text =
		"# the router's show config, as a file\n"
		"vrf main\n"
		"    ike\n"
		"        ha\n"
		"            enabled true\n"
		"            listen-ha-group vpn\n"
		"            node-id 1\n"
		"            interface eth3\n"
		"            local-address 10.150.0.1\n"
		"            remote-address 10.150.0.2\n"
		"            key-file /etc/xfrm-ha/ha.key\n"
		"            seqnum-sync\n"
		"                oseq-shift 65536\n"
		"                sync-period-time 1m\n"
		"                sync-period-packets 2\n"
		"                ..\n"
		"            pool my-ha-pool\n"
		"                address 192.168.0.0/24\n"
		"                ..\n"
		"            ..\n"
		"        ..\n"
		"    ..\n"
		"ha\n"
		"    group vpn\n"
		"        static master\n"
		"        ..\n"
		"    ..\n";
	const char *json = DOC(VRF("main",
		"\"listen-ha-group\": \"vpn\", \"node-id\": 1, \"interface\": \"eth3\","
		" \"local-address\": \"10.150.0.1\", \"remote-address\": \"10.150.0.2\","
		" \"key-file\": \"/etc/xfrm-ha/ha.key\", \"seqnum-sync\": {\"sync-period-time\": 60},"
		" \"pool\": [{\"name\": \"my-ha-pool\", \"address\": \"192.168.0.0/24\"}]"),
		"{\"name\": \"vpn\", \"static\": \"master\"}");
	char err[CONFIG_ERR_LEN] = "", path[PATH_MAX];
	struct config a, b;
	char *out = NULL;

	CHECK(config_parse(ctx, text, NULL, &a, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK(config_parse(ctx, json, NULL, &b, err, sizeof(err)) == 0);
	CHECK_EQ(a.sync_period_time, 60);
	CHECK_EQ(a.n_pools, 1);
	CHECK(!strcmp(a.interface, "eth3"));
	CHECK(!memcmp(&a, &b, offsetof(struct config, running)));
	CHECK(a.running && b.running && !strcmp(a.running, b.running));
	config_free(&b);

	/* What show config prints loads back as the same configuration. */
	CHECK(cfgtext_render(a.running, false, false, NULL, 0, &out, err, sizeof(err)) == 0);
	if (out) {
		CHECK(config_parse(ctx, out, NULL, &b, err, sizeof(err)) == 0);
		CHECK(!memcmp(&a, &b, offsetof(struct config, running)));
		config_free(&b);
		free(out);
	}
	config_free(&a);

	/* From a file, with --vrf's default. */
	snprintf(path, sizeof(path), "%s/xfrm-ha.conf", dir);
	write_file(path, text, 0644);
	CHECK(config_load(path, NULL, &a, err, sizeof(err)) < 0);
	CHECK_STR(err, "key-file /etc/xfrm-ha/ha.key");	/* not here: refused */

	/* Errors in the text name the line. */
	CHECK(config_parse(ctx, "vrf main\n    ike\n        ha\n            node-id 16\n",
			   NULL, &a, err, sizeof(err)) < 0);
	CHECK_STR(err, "line 4");
	CHECK(!a.running);
	/* An empty file (text): no VRF. */
	CHECK(config_parse(ctx, "\n# nothing\n", NULL, &a, err, sizeof(err)) < 0);
	CHECK_STR(err, "no VRF configured");
}

/* The running config loads back as the same configuration. */
static void test_running_roundtrip(void)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config a, b;
	char *copy;

	CHECK(config_parse(ctx, DOC(VRF("main", HA_MIN(1, "10.150.0.1", "10.150.0.2")
					", \"interface\": \"hal1\", \"seqnum-sync\": {\"oseq-shift\": 1000},"
					" \"track-file\": \"/run/t\","
					" \"pool\": [{\"name\": \"p\", \"address\": \"10.9.0.0/16\"}]"),
				    "{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
				    " \"sync-group\": \"VPN\", \"virtual-address\": [\"10.0.0.1\", \"2001:db8::9\"]}}"),
			   NULL, &a, err, sizeof(err)) == 0);
	CHECK(a.running != NULL);
	if (!a.running)
		return;
	copy = strdup(a.running);
	CHECK(config_parse(ctx, copy, NULL, &b, err, sizeof(err)) == 0);
	CHECK(!strcmp(a.running, b.running));
	/* Same flattened values (running and warnings aside). */
	CHECK(!memcmp(&a, &b, offsetof(struct config, running)));
	config_free(&a);
	config_free(&b);
	free(copy);
}

static void test_ha_state_names(void)
{
	enum ha_state st = HA_STATE_FAULT;

	CHECK(ha_state_parse("master", &st) == 0 && st == HA_STATE_MASTER);
	CHECK(ha_state_parse("BACKUP", &st) == 0 && st == HA_STATE_BACKUP);
	CHECK(ha_state_parse("Fault", &st) == 0 && st == HA_STATE_FAULT);
	st = HA_STATE_MASTER;
	CHECK(ha_state_parse("active", &st) < 0 && st == HA_STATE_MASTER);
	CHECK(ha_state_parse("", &st) < 0);
	CHECK(ha_state_parse("masterx", &st) < 0);
	CHECK(!strcmp(ha_state_name(HA_STATE_MASTER), "master"));
	CHECK(!strcmp(ha_state_name(HA_STATE_BACKUP), "backup"));
	CHECK(!strcmp(ha_state_name(HA_STATE_FAULT), "fault"));
	CHECK(!strcmp(ha_state_name((enum ha_state)7), "?"));
	CHECK(ha_state_role(HA_STATE_MASTER) == ROLE_ACTIVE);
	CHECK(ha_state_role(HA_STATE_BACKUP) == ROLE_BACKUP);
	CHECK(ha_state_role(HA_STATE_FAULT) == ROLE_BACKUP);
}

/* A valid base; each case replaces one fragment. */
#define BASE_HEAD "{\"xfrm-ha:vrf\": [{\"name\": \"main\", \"ike\": {\"ha\": {"
#define BASE_ADDRS "\"local-address\": \"10.150.0.1\", \"remote-address\": \"10.150.0.2\", "
#define BASE_REST "\"key-file\": \"/k\", \"listen-ha-group\": \"g\""
#define BASE_GROUPS "\"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"static\": \"master\"}]}"
#define BASE_END "}}}], " BASE_GROUPS "}"
#define BASE_OK BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST

static const struct {
	const char *json;
	const char *expect[2];
} bad[] = {
	{ BASE_HEAD "\"node-id\": 0, " BASE_ADDRS BASE_REST BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/node-id", "range" } },
	{ BASE_HEAD "\"node-id\": 16, " BASE_ADDRS BASE_REST BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/node-id", "range" } },
	{ BASE_HEAD BASE_ADDRS BASE_REST BASE_END,
	  { "node-id", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS "\"listen-ha-group\": \"g\"" BASE_END,
	  { "key-file", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS "\"key-file\": \"/k\"" BASE_END,
	  { "listen-ha-group", "Mandatory" } },
	{ BASE_OK ", \"remote-node-id\": 1" BASE_END,
	  { "remote-node-id", "must differ from node-id" } },
	{ BASE_OK ", \"remote-node-id\": 16" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/remote-node-id", "range" } },
	/* The static role leaf is gone: an old configuration is refused. */
	{ BASE_OK ", \"role\": \"active\"" BASE_END,
	  { "role", "not found" } },
	{ BASE_HEAD "\"node-id\": 1, \"remote-address\": \"10.150.0.2\", " BASE_REST BASE_END,
	  { "local-address", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"10.150.0.1\", \"remote-address\": \"10.150.0.1\", " BASE_REST BASE_END,
	  { "remote-address", "must differ" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"2001:db8::1\", \"remote-address\": \"2001:db8:0::1\", " BASE_REST BASE_END,
	  { "remote-address", "must differ" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"10.150.0.1\", \"remote-address\": \"2001:db8::2\", " BASE_REST BASE_END,
	  { "remote-address", "same family" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"10.150.0.256\", \"remote-address\": \"10.150.0.2\", " BASE_REST BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/local-address", "10.150.0.256" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"0.0.0.0\", \"remote-address\": \"10.150.0.2\", " BASE_REST BASE_END,
	  { "local-address", "not a unicast" } },
	{ BASE_HEAD "\"node-id\": 1, \"port\": 0, " BASE_ADDRS BASE_REST BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/port", "range" } },
	{ BASE_HEAD "\"node-id\": 1, \"port\": 65536, " BASE_ADDRS BASE_REST BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/port", "" } },
	{ BASE_HEAD "\"node-id\": 1, \"interface\": \"abcdefghijklmnop\", " BASE_ADDRS BASE_REST BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/interface", "length" } },
	{ BASE_HEAD "\"node-id\": 1, \"bogus\": 1, " BASE_ADDRS BASE_REST BASE_END,
	  { "bogus", "not found" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"seqnum-sync\": {\"sync-period-time\": 86401}" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/seqnum-sync/sync-period-time", "range" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"seqnum-sync\": {\"oseq-shift\": -1}" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/seqnum-sync/oseq-shift", "" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"pool\": [{\"name\": \"p\"}]" BASE_END,
	  { "address", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"pool\": [{\"name\": \"p\", \"address\": \"10.0.0.0/33\"}]" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/pool[name='p']/address", "" } },
	{ BASE_OK ", \"pool\": [{\"name\": \"p\", \"address\": \"10.0.0.1-10.0.0.9\"}]" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/pool[name='p']/address", "HA pools take a subnet only" } },
	{ BASE_OK ", \"pool\": [{\"name\": \"p\", \"address\": \"2001:db8::1-2001:db8::9\"}]" BASE_END,
	  { "pool[name='p']/address", "subnet only" } },
	{ BASE_OK ", \"pool\": [{\"name\": \"p\", \"address\": \"10.0.0.0\"}]" BASE_END,
	  { "pool[name='p']/address", "" } },
	{ BASE_OK ", \"pool\": [{\"name\": \"p q\", \"address\": \"10.0.0.0/24\"}]" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/pool", "name" } },
	{ BASE_OK ", \"control-socket\": \"agent.sock\"" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/control-socket", "" } },
	{ BASE_OK ", \"control-socket\": \"/"
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789\"" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/control-socket", "length" } },
	{ BASE_OK ", \"track-file\": \"track\"" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/track-file", "" } },
	{ BASE_OK ", \"strongswan\": {\"control-fifo\": \"charon.ha\"}" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/strongswan/control-fifo", "" } },
	/* HA groups. */
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS "\"key-file\": \"/k\", \"listen-ha-group\": \"nope\"" BASE_END,
	  { "/xfrm-ha:vrf[name='main']/ike/ha/listen-ha-group", "nope" } },
	{ BASE_OK "}}}]}",
	  { "/xfrm-ha:vrf[name='main']/ike/ha/listen-ha-group", "\"g\"" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"static\": \"master\", \"external\": [null]}]}}",
	  { "/xfrm-ha:ha/group[name='g']", "" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"static\": \"master\","
	  " \"keepalived\": {\"notify-fifo\": \"/f\", \"instance\": \"VI_1\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "/xfrm-ha:ha/group[name='g']", "" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\"}]}}",
	  { "/xfrm-ha:ha/group", "choice \"controller\"" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"static\": \"active\"}]}}",
	  { "/xfrm-ha:ha/group[name='g']/static", "active" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"instance\": \"VI_1\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "notify-fifo", "Mandatory" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "/xfrm-ha:ha/group[name='g']/keepalived/vrrp", "choice \"vrrp\"" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"instance\": \"VI_1\", \"sync-group\": \"VPN\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "/xfrm-ha:ha/group[name='g']/keepalived", "" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"fifo\","
	  " \"instance\": \"VI_1\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "/xfrm-ha:ha/group[name='g']/keepalived/notify-fifo", "" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"instance\": \"VI_1\", \"virtual-address\": [\"10.0.0.256\"]}}]}}",
	  { "/xfrm-ha:ha/group[name='g']/keepalived/virtual-address", "10.0.0.256" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"instance\": \"VI_1\", \"virtual-address\": [\"10.0.0.1\", \"10.0.0.2\", \"10.0.0.3\","
	  " \"10.0.0.4\", \"10.0.0.5\", \"10.0.0.6\", \"10.0.0.7\", \"10.0.0.8\", \"10.0.0.9\","
	  " \"10.0.0.10\", \"10.0.0.11\", \"10.0.0.12\", \"10.0.0.13\", \"10.0.0.14\", \"10.0.0.15\","
	  " \"10.0.0.16\", \"10.0.0.17\"]}}]}}",
	  { "virtual-address", "" } },
	/* A keepalived group needs a virtual address (the authority on
	 * its state). */
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"instance\": \"VI_1\"}}]}}",
	  { "virtual-address", "Too few" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"sync-group\": \"VPN\", \"virtual-address\": []}}]}}",
	  { "virtual-address", "" } },
	/* keepalived names: printable ASCII, no space, no double quote. */
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"instance\": \"VI 1\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "/xfrm-ha:ha/group[name='g']/keepalived/instance", "printable ASCII without spaces or quotes" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"sync-group\": \"V\\\"PN\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "/xfrm-ha:ha/group[name='g']/keepalived/sync-group", "printable ASCII without spaces or quotes" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"instance\": \"VI\\t1\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "keepalived/instance", "printable ASCII" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g\", \"keepalived\": {\"notify-fifo\": \"/f\","
	  " \"instance\": \"VI_\u00e9\", \"virtual-address\": [\"10.0.0.1\"]}}]}}",
	  { "keepalived/instance", "printable ASCII" } },
	{ BASE_OK "}}}], \"xfrm-ha:ha\": {\"group\": [{\"name\": \"g/h\", \"static\": \"master\"}]}}",
	  { "/xfrm-ha:ha/group", "name" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST,
	  { "invalid configuration", "" } },
	{ "{}", { "/xfrm-ha:vrf", "no VRF configured" } },
	{ "{\"other:ha\": {}}", { "invalid configuration", "other" } },
	{ "", { "invalid configuration", "no VRF" } },
};

static void test_bad(void)
{
	char err[CONFIG_ERR_LEN];
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (config_parse(ctx, bad[i].json, NULL, &cfg, err, sizeof(err)) == 0) {
			t_case_fail++;
			printf("# FAIL case %zu accepted: %s\n", i,
				bad[i].json);
			continue;
		}
		CHECK_STR(err, bad[i].expect[0]);
		CHECK_STR(err, bad[i].expect[1]);
		printf("# case %zu: %s\n", i, err);
	}
}

static int key_case(const char *content, mode_t mode, char *err, size_t len)
{
	struct config cfg = { 0 };

	snprintf(cfg.key_file, sizeof(cfg.key_file), "%s/case.key", dir);
	unlink(cfg.key_file);
	if (content)
		write_file(cfg.key_file, content, mode);
	err[0] = '\0';
	return config_load_key(&cfg, err, len);
}

static void test_key_file(void)
{
	char err[CONFIG_ERR_LEN];

	CHECK(key_case(KEYHEX, 0600, err, sizeof(err)) == 0);
	CHECK(key_case(KEYHEX "\n", 0400, err, sizeof(err)) == 0);
	CHECK(key_case(KEYHEX "\n", 0640, err, sizeof(err)) < 0);
	CHECK_STR(err, "group or others");
	CHECK(key_case(KEYHEX "\n", 0604, err, sizeof(err)) < 0);
	CHECK_STR(err, "group or others");
	CHECK(key_case(KEYHEX "\n", 0620, err, sizeof(err)) < 0);
	CHECK_STR(err, "group or others");
	CHECK(key_case("0011\n", 0600, err, sizeof(err)) < 0);
	CHECK_STR(err, "expected 64 hex");
	CHECK(key_case(KEYHEX "00\n", 0600, err, sizeof(err)) < 0);
	CHECK_STR(err, "expected 64 hex");
	CHECK(key_case(KEYHEX "\n\n", 0600, err, sizeof(err)) < 0);
	CHECK_STR(err, "expected 64 hex");
	CHECK(key_case("", 0600, err, sizeof(err)) < 0);
	CHECK_STR(err, "expected 64 hex");
	CHECK(key_case("zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		       0600, err, sizeof(err)) < 0);
	CHECK_STR(err, "not hexadecimal");
	CHECK(key_case("0000000000000000000000000000000000000000000000000000000000000000",
		       0600, err, sizeof(err)) < 0);
	CHECK_STR(err, "all-zero");
	CHECK(key_case(NULL, 0, err, sizeof(err)) < 0);
	CHECK_STR(err, "No such file");
	CHECK_STR(err, "case.key");
}

static void test_load_errors(void)
{
	char err[CONFIG_ERR_LEN] = "", path[PATH_MAX], json[8192];
	struct config cfg;

	snprintf(path, sizeof(path), "%s/missing.json", dir);
	CHECK(config_load(path, NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "No such file");

	/* Valid config, bad key: nothing is accepted. */
	snprintf(json, sizeof(json), EXAMPLE_FMT, "/nonexistent/ha.key");
	snprintf(path, sizeof(path), "%s/nokey.json", dir);
	write_file(path, json, 0644);
	CHECK(config_load(path, NULL, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "key-file /nonexistent/ha.key");
}

static void test_yang_dir(void)
{
	char buf[PATH_MAX], err[CONFIG_ERR_LEN] = "";
	struct ly_ctx *c;

	CHECK(!strcmp(config_yang_dir(buf, sizeof(buf)),
		      getenv("XFRM_HA_YANG_DIR")));
	setenv("XFRM_HA_YANG_DIR", "/nonexistent", 1);
	c = config_ctx_new(config_yang_dir(buf, sizeof(buf)), err, sizeof(err));
	CHECK(!c);
	CHECK_STR(err, "xfrm-ha");
	CHECK_STR(err, "/nonexistent");
	config_ctx_free(c);
}

int main(void)
{
	char err[CONFIG_ERR_LEN] = "", ydir[PATH_MAX];

	if (!getenv("XFRM_HA_YANG_DIR"))
		setenv("XFRM_HA_YANG_DIR", "../yang", 1);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(keypath, sizeof(keypath), "%s/ha.key", dir);
	write_file(keypath, KEYHEX "\n", 0600);
	ctx = config_ctx_new(config_yang_dir(ydir, sizeof(ydir)), err,
			     sizeof(err));
	if (!ctx) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}

	RUN(test_example);
	RUN(test_defaults_v6_pools);
	RUN(test_disabled);
	RUN(test_adaptive_shift);
	RUN(test_groups);
	RUN(test_optional_leaves);
	RUN(test_ha_state_names);
	RUN(test_vrfs);
	RUN(test_defaults_from_model);
	RUN(test_warnings);
	RUN(test_inet_types);
	RUN(test_running_roundtrip);
	RUN(test_text_format);
	RUN(test_bad);
	RUN(test_key_file);
	RUN(test_load_errors);
	RUN(test_yang_dir);

	config_ctx_free(ctx);
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	DONE();
}
