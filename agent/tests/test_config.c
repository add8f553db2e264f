// SPDX-License-Identifier: GPL-2.0
/* Configuration: the YANG model, the semantic checks and the key file. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libyang/libyang.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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
	"{\"xfrm-ha:ha\": {\"node-id\": 1, \"interface\": \"hal1\", \"local-address\": \"10.150.0.1\",\n" \
	"  \"remote-address\": \"10.150.0.2\", \"port\": 4520, \"key-file\": \"%s\",\n" \
	"  \"role\": \"active\", \"seqnum-sync\": {\"sync-period-time\": 1, \"sync-period-packets\": 2, \"oseq-shift\": 65536}}}\n"

static void test_example(void)
{
	char json[8192], path[PATH_MAX], err[CONFIG_ERR_LEN] = "";
	struct config cfg;
	uint8_t key[32];
	size_t i;

	snprintf(json, sizeof(json), EXAMPLE_FMT, keypath);
	snprintf(path, sizeof(path), "%s/ha.json", dir);
	write_file(path, json, 0644);
	CHECK(config_load(path, &cfg, err, sizeof(err)) == 0);
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
	CHECK(cfg.role == ROLE_ACTIVE);
	CHECK_EQ(cfg.sync_period_time, 1);
	CHECK_EQ(cfg.sync_period_packets, 2);
	CHECK_EQ(cfg.oseq_shift, 65536);
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)((i % 16) * 0x11);
	CHECK(!memcmp(cfg.key, key, 32));
}

static void test_defaults_v6_pools(void)
{
	const char *json =
		"{\"xfrm-ha:ha\": {\"node-id\": 15, \"local-address\": \"2001:db8::1\","
		" \"remote-address\": \"2001:DB8::2\", \"key-file\": \"/k\", \"role\": \"backup\","
		" \"listen-ha-group\": \"ha-group1\","
		" \"pool\": [{\"name\": \"a\", \"address\": \"192.168.0.0/24\"},"
		"            {\"name\": \"b\", \"address\": \"2001:db8:1::/48\"}]}}";
	char err[CONFIG_ERR_LEN] = "";
	struct config cfg;

	CHECK(config_parse(ctx, json, &cfg, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK(cfg.enabled);
	CHECK_EQ(cfg.node_id, 15);
	CHECK_EQ(cfg.family, AF_INET6);
	CHECK_EQ(cfg.port, 4520);
	CHECK(cfg.role == ROLE_BACKUP);
	CHECK_EQ(cfg.sync_period_time, 10);
	CHECK_EQ(cfg.sync_period_packets, 2);
	CHECK_EQ(cfg.oseq_shift, 65536);
	CHECK(!cfg.interface[0]);
	CHECK(!strcmp(cfg.listen_ha_group, "ha-group1"));
	CHECK_EQ(cfg.n_pools, 2);
	CHECK_EQ(cfg.pools[0].plen + cfg.pools[1].plen, 24 + 48);
}

static void test_disabled(void)
{
	const char *json =
		"{\"xfrm-ha:ha\": {\"enabled\": false, \"node-id\": 2, \"local-address\": \"10.0.0.2\","
		" \"remote-address\": \"10.0.0.1\", \"key-file\": \"/k\", \"role\": \"backup\","
		" \"seqnum-sync\": {\"sync-period-time\": 0, \"sync-period-packets\": 0, \"oseq-shift\": 0}}}";
	char err[CONFIG_ERR_LEN] = "";
	struct config cfg;

	CHECK(config_parse(ctx, json, &cfg, err, sizeof(err)) == 0);
	CHECK(!cfg.enabled);
	CHECK_EQ(cfg.sync_period_time + cfg.sync_period_packets + cfg.oseq_shift, 0);
}

/* A valid base; each case replaces one fragment. */
#define BASE_HEAD "{\"xfrm-ha:ha\": {"
#define BASE_ADDRS "\"local-address\": \"10.150.0.1\", \"remote-address\": \"10.150.0.2\", "
#define BASE_REST "\"key-file\": \"/k\", \"role\": \"active\""

static const struct {
	const char *json;
	const char *expect[2];
} bad[] = {
	{ BASE_HEAD "\"node-id\": 0, " BASE_ADDRS BASE_REST "}}",
	  { "/xfrm-ha:ha/node-id", "range" } },
	{ BASE_HEAD "\"node-id\": 16, " BASE_ADDRS BASE_REST "}}",
	  { "/xfrm-ha:ha/node-id", "range" } },
	{ BASE_HEAD BASE_ADDRS BASE_REST "}}",
	  { "node-id", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS "\"role\": \"active\"}}",
	  { "key-file", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS "\"key-file\": \"/k\"}}",
	  { "role", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS "\"key-file\": \"/k\", \"role\": \"master\"}}",
	  { "/xfrm-ha:ha/role", "master" } },
	{ BASE_HEAD "\"node-id\": 1, \"remote-address\": \"10.150.0.2\", " BASE_REST "}}",
	  { "local-address", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"10.150.0.1\", \"remote-address\": \"10.150.0.1\", " BASE_REST "}}",
	  { "remote-address", "must differ" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"2001:db8::1\", \"remote-address\": \"2001:db8:0::1\", " BASE_REST "}}",
	  { "remote-address", "must differ" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"10.150.0.1\", \"remote-address\": \"2001:db8::2\", " BASE_REST "}}",
	  { "remote-address", "same family" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"10.150.0.256\", \"remote-address\": \"10.150.0.2\", " BASE_REST "}}",
	  { "/xfrm-ha:ha/local-address", "10.150.0.256" } },
	{ BASE_HEAD "\"node-id\": 1, \"local-address\": \"0.0.0.0\", \"remote-address\": \"10.150.0.2\", " BASE_REST "}}",
	  { "local-address", "not a unicast" } },
	{ BASE_HEAD "\"node-id\": 1, \"port\": 0, " BASE_ADDRS BASE_REST "}}",
	  { "/xfrm-ha:ha/port", "range" } },
	{ BASE_HEAD "\"node-id\": 1, \"port\": 65536, " BASE_ADDRS BASE_REST "}}",
	  { "/xfrm-ha:ha/port", "" } },
	{ BASE_HEAD "\"node-id\": 1, \"interface\": \"abcdefghijklmnop\", " BASE_ADDRS BASE_REST "}}",
	  { "/xfrm-ha:ha/interface", "length" } },
	{ BASE_HEAD "\"node-id\": 1, \"bogus\": 1, " BASE_ADDRS BASE_REST "}}",
	  { "bogus", "not found" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"seqnum-sync\": {\"sync-period-time\": 86401}}}",
	  { "/xfrm-ha:ha/seqnum-sync/sync-period-time", "range" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"seqnum-sync\": {\"oseq-shift\": -1}}}",
	  { "/xfrm-ha:ha/seqnum-sync/oseq-shift", "" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"pool\": [{\"name\": \"p\", \"address\": \"192.168.0.1/24\"}]}}",
	  { "pool[name='p']/address", "not a subnet" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"pool\": [{\"name\": \"p\"}]}}",
	  { "address", "Mandatory" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST ", \"pool\": [{\"name\": \"p\", \"address\": \"10.0.0.0/33\"}]}}",
	  { "/xfrm-ha:ha/pool[name='p']/address", "" } },
	{ BASE_HEAD "\"node-id\": 1, " BASE_ADDRS BASE_REST,
	  { "invalid configuration", "" } },
	{ "{}", { "xfrm-ha:ha", "" } },
	{ "{\"other:ha\": {}}", { "invalid configuration", "other" } },
	{ "", { "invalid configuration", "" } },
};

static void test_bad(void)
{
	char err[CONFIG_ERR_LEN];
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (config_parse(ctx, bad[i].json, &cfg, err, sizeof(err)) == 0) {
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
	CHECK(config_load(path, &cfg, err, sizeof(err)) < 0);
	CHECK_STR(err, "No such file");

	/* Valid config, bad key: nothing is accepted. */
	snprintf(json, sizeof(json), EXAMPLE_FMT, "/nonexistent/ha.key");
	snprintf(path, sizeof(path), "%s/nokey.json", dir);
	write_file(path, json, 0644);
	CHECK(config_load(path, &cfg, err, sizeof(err)) < 0);
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
