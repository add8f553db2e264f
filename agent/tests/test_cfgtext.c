// SPDX-License-Identifier: GPL-2.0
/*
 * The router's text format (cfgtext.c): the router page's `show config`
 * output for its example, round trips through the printer and the parser
 * (with and without nodefault, text and JSON), and every refusal.
 */
#include <libyang/libyang.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "cfgtext.h"
#include "config.h"
#include "t.h"

static struct ly_ctx *ctx;

/* The whole tree as JSON with every default: what "the same tree" means. */
static char *all_json(const struct lyd_node *tree)
{
	char *s = NULL;

	if (!tree)
		return strdup("{}");
	if (lyd_print_mem(&s, tree, LYD_JSON,
			  LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL) !=
	    LY_SUCCESS)
		return strdup("(print failed)");
	return s;
}

static struct lyd_node *parse_ok(const char *text)
{
	char err[1024] = "";
	struct lyd_node *tree = NULL;

	if (cfgtext_parse(ctx, text, &tree, err, sizeof(err)) != 0) {
		printf("# unexpected refusal: %s\n# of:\n%s", err, text);
		t_case_fail++;
		return NULL;
	}
	return tree;
}

static struct lyd_node *parse_json(const char *json)
{
	struct lyd_node *tree = NULL;

	if (lyd_parse_data_mem(ctx, json, LYD_JSON, LYD_PARSE_STRICT,
			       LYD_VALIDATE_PRESENT, &tree) != LY_SUCCESS) {
		printf("# JSON refused: %s\n%s\n",
		       ly_err_first(ctx) ? ly_err_first(ctx)->msg : "?", json);
		t_case_fail++;
		return NULL;
	}
	return tree;
}

static char *render(const struct lyd_node *tree, bool nodefault, bool json)
{
	char err[256] = "", *out = NULL;

	if (cfgtext_render_tree(tree, nodefault, json, &out, err,
				sizeof(err)) != 0) {
		printf("# render failed: %s\n", err);
		t_case_fail++;
		return strdup("");
	}
	return out;
}

/*
 * tree -> text (with and without nodefault) -> tree: the same data,
 * defaults included; printing the reloaded tree gives the same text. The
 * JSON output loads back the same too.
 */
static void check_round_trip(const struct lyd_node *tree, const char *what)
{
	char *want = all_json(tree);
	int nd, js;

	for (js = 0; js < 2; js++) {
		for (nd = 0; nd < 2; nd++) {
			char *text = render(tree, nd, js), *again, *got;
			struct lyd_node *back;

			back = js ? parse_json(text) : parse_ok(text);
			got = all_json(back);
			if (strcmp(want, got)) {
				printf("# %s: %s%s did not load back the same:\n%s\n# want %s\n# got %s\n",
				       what, js ? "json" : "text",
				       nd ? " nodefault" : "", text, want, got);
				t_case_fail++;
			}
			/*
			 * The same text again (JSON's trim mode may print an
			 * empty container or not, depending on how it came).
			 */
			again = render(back, nd, js);
			if (!js && strcmp(text, again)) {
				printf("# %s: printing the reloaded %s%s differs:\n%s---\n%s",
				       what, js ? "json" : "text",
				       nd ? " nodefault" : "", text, again);
				t_case_fail++;
			}
			free(again);
			free(got);
			free(text);
			lyd_free_all(back);
		}
	}
	free(want);
}

static void round_trip_text(const char *text, const char *what)
{
	struct lyd_node *tree = parse_ok(text);

	if (tree)
		check_round_trip(tree, what);
	lyd_free_all(tree);
}

static void round_trip_json(const char *json, const char *what)
{
	struct lyd_node *tree = parse_json(json);

	if (tree)
		check_round_trip(tree, what);
	lyd_free_all(tree);
}

/* ---- the router page ------------------------------------------------ */

#define ROUTER_FMT \
	"vrf main\n" \
	"    ike\n" \
	"        ha\n" \
	"            node-id 1\n" \
	"            interface eth3\n" \
	"            local-address 10.150.0.1\n" \
	"            remote-address 10.150.0.2\n" \
	"            listen-ha-group %s\n" \
	"            key-file /etc/xfrm-ha/ha.key\n" \
	"            ..\n" \
	"        ..\n" \
	"    ..\n" \
	"ha\n" \
	"    group %s\n" \
	"        static master\n" \
	"        ..\n" \
	"    ..\n"

static char *router_ha_block(const char *group, bool nodefault)
{
	char text[2048], err[256] = "", *out = NULL;
	struct lyd_node *tree, *ha = NULL;

	snprintf(text, sizeof(text), ROUTER_FMT, group, group);
	tree = parse_ok(text);
	if (!tree)
		return strdup("");
	CHECK(lyd_find_path(tree, "/xfrm-ha:vrf[name='main']/ike/ha", 0, &ha) ==
	      LY_SUCCESS);
	CHECK(cfgtext_render_node(ha, nodefault, &out, err, sizeof(err)) == 0);
	lyd_free_all(tree);
	return out ? out : strdup("");
}

/* Without indentation, only the lines whose keyword the router has. */
static void router_lines(const char *text, char *out, size_t len)
{
	static const char *const kw[] = {
		"ha", "enabled", "listen-ha-group", "node-id", "interface",
		"local-address", "remote-address", "seqnum-sync", "oseq-shift",
		"sync-period-time", "sync-period-packets", "pool", "address",
		"..",
	};
	size_t off = 0, i, n;
	const char *p, *e;

	out[0] = '\0';
	for (p = text; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		p += strspn(p, " ");
		n = strcspn(p, " \n");
		for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
			if (strlen(kw[i]) == n && !strncmp(p, kw[i], n))
				break;
		if (i < sizeof(kw) / sizeof(kw[0]) && off + (e - p) + 2 < len)
			off += snprintf(out + off, len - off, "%.*s\n",
					(int)(e - p), p);
	}
}

static void test_router_page(void)
{
	/* "ha1 running ha# show config" on the router page, verbatim */
	static const char router[] =
		"ha\n"
		"enabled true\n"
		"listen-ha-group my-ha-group\n"
		"node-id 1\n"
		"interface eth3\n"
		"local-address 10.150.0.1\n"
		"remote-address 10.150.0.2\n"
		"seqnum-sync\n"
		"oseq-shift 65536\n"
		"sync-period-time 10s\n"
		"sync-period-packets 2\n"
		"..\n"
		"..\n";
	/* "ha1 running ike# show config nodefault ha", plus our key-file */
	static const char router_nodefault[] =
		"ha\n"
		"    listen-ha-group ha-group1\n"
		"    node-id 1\n"
		"    interface eth3\n"
		"    local-address 10.150.0.1\n"
		"    remote-address 10.150.0.2\n"
		"    key-file /etc/xfrm-ha/ha.key\n"
		"    seqnum-sync\n"
		"        ..\n"
		"    ..\n";
	char filtered[2048];
	char *out;

	out = router_ha_block("my-ha-group", false);
	router_lines(out, filtered, sizeof(filtered));
	if (strcmp(filtered, router)) {
		printf("# show config's ha block:\n%s# its router lines:\n%s", out,
		       filtered);
		t_case_fail++;
	}
	/* the 4-space indentation, the units and `..` at the contents' level */
	CHECK_STR(out, "\n    seqnum-sync\n        oseq-shift 65536\n"
		       "        sync-period-time 10s\n        sync-period-packets 2\n");
	CHECK_STR(out, "        adaptive-shift-margin 500ms\n");
	CHECK_STR(out, "\n        ..\n    ..\n");
	CHECK(!strncmp(out, "ha\n    enabled true\n", 20));
	free(out);

	out = router_ha_block("ha-group1", true);
	if (strcmp(out, router_nodefault)) {
		printf("# show config nodefault ha:\n%s# want:\n%s", out,
		       router_nodefault);
		t_case_fail++;
	}
	free(out);
}

/* `show config` as the agent calls it: from the running JSON (WD_TRIM). */
static void test_render_running(void)
{
	static const char running[] =
		"{\"xfrm-ha:vrf\":[{\"name\":\"main\",\"ike\":{\"ha\":{"
		"\"listen-ha-group\":\"vpn\",\"node-id\":2,"
		"\"local-address\":\"10.150.0.2\",\"remote-address\":\"10.150.0.1\","
		"\"key-file\":\"/etc/xfrm-ha/ha.key\","
		"\"seqnum-sync\":{\"sync-period-time\":0}}}}],"
		"\"xfrm-ha:ha\":{\"group\":[{\"name\":\"vpn\",\"static\":\"backup\"}]}}";
	char err[256] = "", *out = NULL, *json = NULL;
	struct lyd_node *a, *b;
	char *ja, *jb;

	CHECK(cfgtext_render(running, true, false, NULL, 0, &out, err, sizeof(err)) == 0);
	if (!out)
		return;
	CHECK(!strcmp(out,
		      "vrf main\n"
		      "    ike\n"
		      "        ha\n"
		      "            listen-ha-group vpn\n"
		      "            node-id 2\n"
		      "            local-address 10.150.0.2\n"
		      "            remote-address 10.150.0.1\n"
		      "            key-file /etc/xfrm-ha/ha.key\n"
		      "            seqnum-sync\n"
		      "                sync-period-time 0s\n"
		      "                ..\n"
		      "            ..\n"
		      "        ..\n"
		      "    ..\n"
		      "ha\n"
		      "    group vpn\n"
		      "        static backup\n"
		      "        ..\n"
		      "    ..\n"));
	free(out);
	CHECK(cfgtext_render(running, false, false, NULL, 0, &out, err, sizeof(err)) == 0);
	CHECK_STR(out, "            enabled true\n");
	CHECK_STR(out, "            port 4520\n");
	CHECK_STR(out, "                sync-period-time 0s\n"
		       "                sync-period-packets 2\n");
	a = parse_ok(out);
	free(out);
	/* -j: the YANG JSON, with and without the defaults */
	CHECK(cfgtext_render(running, false, true, NULL, 0, &json, err, sizeof(err)) == 0);
	CHECK_STR(json, "\"port\": 4520");
	b = parse_json(json);
	ja = all_json(a);
	jb = all_json(b);
	CHECK(!strcmp(ja, jb));
	free(ja);
	free(jb);
	free(json);
	lyd_free_all(a);
	lyd_free_all(b);
	CHECK(cfgtext_render(running, true, true, NULL, 0, &json, err, sizeof(err)) == 0);
	CHECK(!strstr(json, "\"port\""));
	CHECK_STR(json, "\"sync-period-time\": 0");
	free(json);
	/* a running config that does not validate is an error, not output */
	out = NULL;
	CHECK(cfgtext_render("{\"xfrm-ha:vrf\":[{\"name\":\"main\",\"bogus\":1}]}",
			     false, false, NULL, 0, &out, err, sizeof(err)) == -1);
	CHECK(!out);
	CHECK_STR(err, "bogus");
}

/* a and b equal but for blanks and newlines (JSON here has no blank values) */
static bool same_but_blanks(const char *a, const char *b)
{
	for (;; a++, b++) {
		while (*a == ' ' || *a == '\n')
			a++;
		while (*b == ' ' || *b == '\n')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
	}
}

/* `show config [nodefault] PATH...`: one node, as blocks are opened */
static void test_render_path(void)
{
	static const char running[] =
		"{\"xfrm-ha:vrf\":[{\"name\":\"main\",\"ike\":{\"ha\":{"
		"\"listen-ha-group\":\"vpn\",\"node-id\":2,"
		"\"local-address\":\"10.150.0.2\",\"remote-address\":\"10.150.0.1\","
		"\"key-file\":\"/etc/xfrm-ha/ha.key\","
		"\"pool\":[{\"name\":\"p1\",\"address\":\"10.9.0.0/16\"},"
		"{\"name\":\"p2\",\"address\":\"10.8.0.0/16\"}],"
		"\"seqnum-sync\":{\"sync-period-time\":0}}}}],"
		"\"xfrm-ha:ha\":{\"group\":[{\"name\":\"vpn\",\"keepalived\":{"
		"\"notify-fifo\":\"/run/k\",\"instance\":\"VI_1\",\"virtual-address\":[\"10.1.0.1\",\"10.1.0.2\"]}}]}}";
	static const struct {
		const char *words, *want;	/* want NULL: an error */
		bool nodefault, json;
	} cases[] = {
		{ "vrf main ike ha seqnum-sync",
		  "seqnum-sync\n    sync-period-time 0s\n    ..\n", true, false },
		{ "vrf main ike ha seqnum-sync sync-period-packets",
		  "sync-period-packets 2\n", false, false },
		{ "vrf main ike ha seqnum-sync sync-period-packets", "", true, false },
		{ "vrf main ike ha node-id", "node-id 2\n", false, false },
		{ "vrf main ike ha pool p2",
		  "pool p2\n    address 10.8.0.0/16\n    ..\n", false, false },
		{ "ha group vpn keepalived virtual-address",
		  "virtual-address 10.1.0.1\nvirtual-address 10.1.0.2\n", false, false },
		{ "ha group vpn keepalived virtual-address",
		  "{\n  \"xfrm-ha:ha\": {\n    \"group\": [\n      {\n"
		  "        \"name\": \"vpn\",\n        \"keepalived\": {\n"
		  "          \"virtual-address\": [\n            \"10.1.0.1\",\n"
		  "            \"10.1.0.2\"\n          ]\n        }\n      }\n    ]\n"
		  "  }\n}\n", false, true },
		{ "vrf main ike ha pool p2",
		  "{\n  \"xfrm-ha:vrf\": [\n    {\n      \"name\": \"main\",\n"
		  "      \"ike\": {\n        \"ha\": {\n          \"pool\": [\n"
		  "            {\n              \"name\": \"p2\",\n"
		  "              \"address\": \"10.8.0.0/16\"\n            }\n"
		  "          ]\n        }\n      }\n    }\n  ]\n}\n", true, true },
		{ "vrf main ike ha pool p1",
		  "{\"xfrm-ha:vrf\":[{\"name\":\"main\",\"ike\":{\"ha\":{"
		  "\"pool\":[{\"name\":\"p1\",\"address\":\"10.9.0.0/16\"}]}}}]}",
		  true, true },
		/* a leaf at its default, nodefault: its parents, in JSON the
		 * container left empty */
		{ "vrf main ike ha seqnum-sync adaptive-shift",
		  "{\"xfrm-ha:vrf\":[{\"name\":\"main\",\"ike\":{\"ha\":{"
		  "\"seqnum-sync\":{}}}}]}", true, true },
		{ "vrf main ike ha strongswan", NULL, false, false },
		{ "vrf blue", NULL, false, false },
		{ "vrf main ike ha pool p3", NULL, false, false },
		{ "vrf main ike ha bogus", NULL, false, false },
		{ "vrf", NULL, false, false },
		{ "vrf main ike ha node-id 2", NULL, false, false },
		{ "bogus", NULL, false, false },
	};
	static const char *const errs[] = {
		"no strongswan configured",
		"no vrf blue configured (configured: main)",
		"no pool p3 configured (configured: p1, p2)",
		"no \"bogus\" in /xfrm-ha:vrf[name='main']/ike/ha (one of: enabled,",
		"vrf: 1 key value(s) expected after it",
		"node-id is a leaf: nothing is under it (\"2\")",
		"no \"bogus\" at the top (one of: vrf, ha)",
	};
	unsigned int i, e = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "", *out = NULL, buf[128], *w[16];
		int n = 0, rc;

		snprintf(buf, sizeof(buf), "%s", cases[i].words);
		for (char *t = strtok(buf, " "); t && n < 16; t = strtok(NULL, " "))
			w[n++] = t;
		rc = cfgtext_render(running, cases[i].nodefault, cases[i].json,
				    w, n, &out, err, sizeof(err));
		if (cases[i].want) {
			if (rc || !out ||
			    (cases[i].json ? !same_but_blanks(out, cases[i].want) :
					     !!strcmp(out, cases[i].want))) {
				printf("# show config %s%s: rc %d, got:\n%s# %s\n",
				       cases[i].nodefault ? "nodefault " : "",
				       cases[i].words, rc, out ? out : "", err);
				t_case_fail++;
			}
		} else {
			CHECK(rc == -1 && !out);
			if (!strstr(err, errs[e])) {
				printf("# show config %s: \"%s\", want \"%s\"\n",
				       cases[i].words, err, errs[e]);
				t_case_fail++;
			}
			e++;
		}
		free(out);
	}

	/* a container with nothing in it (vrf blue's ike): there in JSON */
	{
		static const char vrf[] = "{\"xfrm-ha:vrf\":[";
		char err[256] = "", *out = NULL, running2[sizeof(running) + 64];
		char *w[] = { "vrf", "blue", "ike" };

		snprintf(running2, sizeof(running2), "%s{\"name\":\"blue\"},%s",
			 vrf, running + strlen(vrf));
		CHECK(cfgtext_render(running2, true, true, w, 3, &out, err,
				     sizeof(err)) == 0);
		if (!out || !same_but_blanks(out, "{\"xfrm-ha:vrf\":[{\"name\":\"blue\",\"ike\":{}}]}")) {
			printf("# -j show config nodefault vrf blue ike: %s%s\n",
			       out ? out : "", err);
			t_case_fail++;
		}
		free(out);
	}
}

/* ---- round trips ---------------------------------------------------- */

static void test_round_trip_keepalived(void)
{
	round_trip_text(
		"# two gateways, keepalived drives the group\n"
		"vrf main\n"
		"    ike\n"
		"        ha\n"
		"            listen-ha-group vpn\n"
		"            node-id 1\n"
		"            remote-node-id 2\n"
		"            interface hal1\n"
		"            local-address 10.150.0.1\n"
		"            remote-address 10.150.0.2\n"
		"            port 4600\n"
		"            key-file /etc/xfrm-ha/ha.key\n"
		"            track-file /run/xfrm-ha/track\n"
		"            strongswan\n"
		"                ..\n"
		"            seqnum-sync\n"
		"                oseq-shift 1000000\n"
		"                sync-period-time 1m\n"
		"                sync-period-packets 0\n"
		"                adaptive-shift false\n"
		"                adaptive-shift-margin 2s\n"
		"                ..\n"
		"            ..\n"
		"        ..\n"
		"    ..\n"
		"ha\n"
		"    group vpn\n"
		"        keepalived\n"
		"            notify-fifo /run/xfrm-ha/keepalived.fifo\n"
		"            sync-group VPN\n"
		"            virtual-address 10.100.0.2\n"
		"            virtual-address 10.200.0.2\n"
		"            ..\n"
		"        ..\n"
		"    ..\n", "keepalived");
}

static void test_round_trip_static_pools(void)
{
	round_trip_text(
		"vrf main\n"
		"ike\n"
		"ha\n"
		"listen-ha-group g\n"
		"node-id 15\n"
		"local-address 192.0.2.1\n"
		"remote-address 192.0.2.2\n"
		"key-file \"/etc/xfrm ha/k\\\"e\\\\y\\tfile\"\n"
		"pool my-ha-pool\n"
		"address 192.168.0.0/24\n"
		"..\n"
		"pool v6pool\n"
		"address 2001:db8:1::/64\n"
		"..\n"
		"..\n"
		"..\n"
		"..\n"
		"ha\n"
		"group g\n"
		"static master\n"
		"..\n"
		"..\n", "static, pools, quoting");
}

static void test_round_trip_external_v6(void)
{
	round_trip_text(
		"vrf main\n"
		"\tike\n"
		"\t\tha\n"
		"\t\t\tenabled false\n"
		"\t\t\tlisten-ha-group ext\n"
		"\t\t\tnode-id 3\n"
		"\t\t\tlocal-address 2001:db8::1\n"
		"\t\t\tremote-address 2001:db8::2\n"
		"\t\t\tkey-file /k\n"
		"\t\t\tcontrol-socket /run/xfrm-ha/other.sock\n"
		"\t\t\tseqnum-sync\n"
		"\t\t\t\toseq-wrap-margin 0\n"
		"\t\t\t\tadaptive-shift-margin 0ms\n"
		"\t\t\t\t..\n"
		"\t\t\t..\n"
		"\t\t..\n"
		"\t..\n"
		"\n"
		"vrf blue   # a second VRF, its own group\n"
		"    ike\n"
		"        ha\n"
		"            listen-ha-group \"odd.name_1\"\n"
		"            node-id 4\n"
		"            local-address fe80::1\n"
		"            remote-address fe80::2\n"
		"            interface eth1\n"
		"            key-file /k2\n"
		"            ..\n"
		"        ..\n"
		"    ..\n"
		"ha\n"
		"    group ext\n"
		"        external\n"
		"        ..\n"
		"    group \"odd.name_1\"\n"
		"        keepalived\n"
		"            notify-fifo /f\n"
		"            instance \"#VI_1\"\n"
		"            virtual-address 2001:db8::100\n"
		"            ..\n"
		"        ..\n"
		"    ..\n", "external, IPv6, two VRFs");
}

/* Values equal to their default, given explicitly, drop out in nodefault. */
static void test_round_trip_json_explicit_defaults(void)
{
	round_trip_json(
		"{\"xfrm-ha:vrf\":[{\"name\":\"main\",\"ike\":{\"ha\":{"
		"\"enabled\":true,\"listen-ha-group\":\"g\",\"node-id\":1,"
		"\"local-address\":\"10.0.0.1\",\"remote-address\":\"10.0.0.2\","
		"\"port\":4520,\"key-file\":\"/k\",\"strongswan\":{\"control-fifo\":\"/var/run/charon.ha\"},"
		"\"seqnum-sync\":{\"oseq-shift\":65536,\"sync-period-time\":10}}}}],"
		"\"xfrm-ha:ha\":{\"group\":[{\"name\":\"g\",\"static\":\"fault\"}]}}",
		"explicit defaults");
}

/* Accepted spellings: units, indentation, comments, quotes. */
static void test_input_forms(void)
{
	static const char *const times[][2] = {
		{ "10", "10s" }, { "10s", "10s" }, { "2m", "120s" },
		{ "1h", "3600s" }, { "1d", "86400s" }, { "3000ms", "3s" },
		{ "0", "0s" }, { "\"15\"", "15s" },
	};
	char text[2048], want[64];
	struct lyd_node *tree;
	unsigned int i;
	char *out;

	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		snprintf(text, sizeof(text),
			 "vrf main\nike\nha\nlisten-ha-group g\nnode-id 1\n"
			 "local-address 10.0.0.1\nremote-address 10.0.0.2\n"
			 "key-file /k\nseqnum-sync\nsync-period-time %s\n"
			 "..\n..\n..\n..\n"
			 "ha\ngroup g\nstatic master\n..\n..\n",
			 times[i][0]);
		tree = parse_ok(text);
		out = render(tree, false, false);
		snprintf(want, sizeof(want), "sync-period-time %s\n",
			 times[i][1]);
		CHECK_STR(out, want);
		free(out);
		lyd_free_all(tree);
	}
	/* milliseconds: bare, ms, s */
	tree = parse_ok("vrf main\nike\nha\nlisten-ha-group g\nnode-id 1\n"
			"local-address 10.0.0.1\nremote-address 10.0.0.2\n"
			"key-file /k # trailing comment\n"
			"  # an indented comment\n"
			"seqnum-sync\nadaptive-shift-margin 2s\n..\n..\n..\n..\n"
			"ha\ngroup g\nexternal\n..\n..\n");
	out = render(tree, true, false);
	CHECK_STR(out, "adaptive-shift-margin 2000ms\n");
	CHECK_STR(out, "        external\n");
	free(out);
	lyd_free_all(tree);
	/* an empty file is an empty tree */
	tree = (struct lyd_node *)1;
	{
		char err[256] = "";

		CHECK(cfgtext_parse(ctx, "\n  # nothing\n\n", &tree, err,
				    sizeof(err)) == 0);
		CHECK(!tree);
	}
	CHECK(cfgtext_is_text("vrf main\n"));
	CHECK(cfgtext_is_text("# {\n"));
	CHECK(!cfgtext_is_text(" \n\t{\"xfrm-ha:vrf\": []}"));
}

/* ---- refusals ------------------------------------------------------- */

#define HEAD \
	"vrf main\n" \
	"    ike\n" \
	"        ha\n" \
	"            listen-ha-group g\n" \
	"            node-id 1\n" \
	"            local-address 10.0.0.1\n" \
	"            remote-address 10.0.0.2\n" \
	"            key-file /k\n"
/* HEAD is lines 1-8, a case's own line is 9 */
#define TAIL \
	"            ..\n" \
	"        ..\n" \
	"    ..\n" \
	"ha\n" \
	"    group g\n" \
	"        static master\n" \
	"        ..\n" \
	"    ..\n"
#define HA "/xfrm-ha:vrf[name='main']/ike/ha"

static void test_refusals(void)
{
	static const struct {
		const char *text;
		const char *expect[3];
	} bad[] = {
		{ HEAD "            nodeid 2\n" TAIL,
		  { "line 9: ", HA ": ", "unknown keyword \"nodeid\"" } },
		{ "vrrp\n..\n",
		  { "line 1: ", "/: ", "unknown keyword \"vrrp\" at the top level" } },
		{ HEAD "            seqnum-sync 5\n" TAIL,
		  { "line 9: ", HA "/seqnum-sync: ", "\"5\" where a block is expected" } },
		{ HEAD "            seqnum-sync\n                ..\n            strongswan yes\n" TAIL,
		  { "line 11: ", HA "/strongswan: ", "where a block is expected" } },
		{ HEAD "            pool a 10.0.0.0/24\n..\n" TAIL,
		  { "line 9: ", HA "/pool: ", "trailing garbage \"10.0.0.0/24\" (a pool entry takes 1 key value)" } },
		{ HEAD "            ..\n        ..\n",
		  { "line 1: ", "/xfrm-ha:vrf[name='main']: ", "block not closed" } },
		{ HEAD "            seqnum-sync\n" "                sync-period-time 10\n",
		  { "line 9: ", HA "/seqnum-sync: ", "block not closed" } },
		{ HEAD TAIL "..\n",
		  { "line 17: ", "/: ", "extra \"..\" (no block is open)" } },
		{ HEAD "            ..\n        ..\n    ..\n..\n",
		  { "line 12: ", "/: ", "extra \"..\"" } },
		{ HEAD "            seqnum-sync\n                sync-period-time 10x\n" "..\n" TAIL,
		  { "line 10: ", HA "/seqnum-sync/sync-period-time: ", "bad unit \"x\" in \"10x\"" } },
		{ HEAD "            seqnum-sync\n                sync-period-time 1500ms\n" "..\n" TAIL,
		  { "line 10: ", HA "/seqnum-sync/sync-period-time: ", "\"1500ms\" is not a whole number of seconds" } },
		{ HEAD "            seqnum-sync\n                adaptive-shift-margin 5sec\n" "..\n" TAIL,
		  { "line 10: ", "adaptive-shift-margin: ", "bad unit \"sec\"" } },
		{ HEAD "            seqnum-sync\n                sync-period-time 99999999999999999999999s\n" "..\n" TAIL,
		  { "line 10: ", "sync-period-time: ", "out of range" } },
		{ HEAD "            seqnum-sync\n                sync-period-time 2d\n" "..\n" TAIL,
		  { "line 10: ", "sync-period-time: ", "range" } },
		{ HEAD "            seqnum-sync\n                oseq-shift 10s\n" "..\n" TAIL,
		  { "line 10: ", HA "/seqnum-sync/oseq-shift: ", "invalid value" } },
		{ HEAD "            seqnum-sync\n                sync-period-time 10 s\n" "..\n" TAIL,
		  { "line 10: ", "sync-period-time: ", "trailing garbage \"s\" after the value" } },
		{ HEAD "            port 4520 4521\n" TAIL,
		  { "line 9: ", HA "/port: ", "trailing garbage \"4521\"" } },
		{ HEAD "            ..  x\n" TAIL,
		  { "line 9: ", HA ": ", "trailing garbage \"x\" after \"..\"" } },
		{ HEAD "            port\n" TAIL,
		  { "line 9: ", HA "/port: ", "missing value" } },
		{ HEAD "            node-id 2\n" TAIL,
		  { "line 9: ", HA "/node-id: ", "given twice (first on line 5)" } },
		{ HEAD "            port 0\n" TAIL,
		  { "line 9: ", HA "/port: ", "invalid value" } },
		{ HEAD "            ..\n        ..\n    ..\nha\n    group g\n        static master\n        ..\n"
		  "    group g\n        external\n        ..\n    ..\n",
		  { "line 16: ", "/xfrm-ha:ha/group[name='g']: ", "given twice (first on line 13)" } },
		{ HEAD "..\n..\n..\nha\ngroup g\nkeepalived\nnotify-fifo /f\ninstance x\n"
		  "virtual-address 10.1.1.1\nvirtual-address 10.1.1.1\n..\n..\n..\n",
		  { "line 18: ", "/xfrm-ha:ha/group[name='g']/keepalived/virtual-address: ",
		    "value \"10.1.1.1\" given twice (first on line 17)" } },
		{ HEAD TAIL "ha\n..\n",
		  { "line 17: ", "/xfrm-ha:ha: ", "given twice (first on line 12)" } },
		{ HEAD "            pool\n" TAIL,
		  { "line 9: ", HA "/pool: ", "missing key name" } },
		{ HEAD "            pool p\n                name q\n" TAIL,
		  { "line 10: ", HA "/pool[name='p']/name: ", "a key is given on its block's line" } },
		{ HEAD "            key-file \"/k\n" TAIL,
		  { "line 9: ", HA ": ", "unterminated quoted value" } },
		{ HEAD "            key-file \"/k\"x\n" TAIL,
		  { "line 9: ", HA ": ", "garbage right after a quoted value" } },
		{ HEAD "            key-file /k\"x\n" TAIL,
		  { "line 9: ", HA ": ", "inside a word" } },
		{ HEAD "            key-file \"/k\\q\"\n" TAIL,
		  { "line 9: ", HA ": ", "unknown escape \\q" } },
		{ HEAD "            interface eth0 # a comment \"\n" TAIL,
		  { "line ", "", "" } },	/* accepted: see below */
		{ HEAD "            ..\n        ..\n    ..\nha\n    group g\n        static master\n"
		  "        external\n        ..\n    ..\n",
		  { "line 13: ", "Data for both cases", "/xfrm-ha:ha/group" } },
		/* libyang's validation, with the line of the node it names */
		{ HEAD "            remote-address 10.0.0.1\n" TAIL,
		  { "line 9: ", HA "/remote-address: ", "given twice" } },
		{ "vrf main\n    ike\n        ha\n            listen-ha-group g\n"
		  "            node-id 1\n            local-address 10.0.0.1\n"
		  "            remote-address 10.0.0.1\n            key-file /k\n" TAIL,
		  { "line 7: ", "remote-address must differ from local-address", HA "/remote-address" } },
		{ "vrf main\n    ike\n        ha\n            listen-ha-group nope\n"
		  "            node-id 1\n            local-address 10.0.0.1\n"
		  "            remote-address 10.0.0.2\n            key-file /k\n" TAIL,
		  { "line 4: ", "invalid configuration: ", "leafref" } },
		{ "vrf main\n    ike\n        ha\n            listen-ha-group g\n"
		  "            local-address 10.0.0.1\n"
		  "            remote-address 10.0.0.2\n            key-file /k\n" TAIL,
		  { "line 3: ", "Mandatory node \"node-id\"", "ike/ha" } },
	};
	char err[1024];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lyd_node *tree = (struct lyd_node *)1;
		int rc;

		err[0] = '\0';
		rc = cfgtext_parse(ctx, bad[i].text, &tree, err, sizeof(err));
		if (strstr(bad[i].text, "# a comment \"")) {
			/* a '#' word starts a comment, quotes and all */
			CHECK_EQ(rc, 0);
			lyd_free_all(tree);
			continue;
		}
		if (rc != -1 || tree) {
			printf("# case %u accepted:\n%s", i, bad[i].text);
			t_case_fail++;
			lyd_free_all(tree);
			continue;
		}
		CHECK(!strncmp(err, "line ", 5));
		CHECK_STR(err, bad[i].expect[0]);
		CHECK_STR(err, bad[i].expect[1]);
		CHECK_STR(err, bad[i].expect[2]);
		if (getenv("V"))
			printf("# %u: %s\n", i, err);
	}
}

/* ---- another schema: nothing in cfgtext knows xfrm-ha's names ------- */

static const char test_module[] =
	"module cfgtext-test {\n"
	"  yang-version 1.1;\n"
	"  namespace \"urn:cfgtext-test\";\n"
	"  prefix ct;\n"
	"  identity base;\n"
	"  identity one { base base; }\n"
	"  leaf top-leaf { type string; }\n"
	"  leaf-list top-list { type uint16; units \"milliseconds\"; }\n"
	"  container c {\n"
	"    leaf dec { type decimal64 { fraction-digits 2; } units \"seconds\"; default \"1.5\"; }\n"
	"    leaf lifetime { type union { type uint32; type enumeration { enum infinite; } }\n"
	"      units \"seconds\"; default \"infinite\"; }\n"
	"    leaf flag { type empty; }\n"
	"    leaf id { type identityref { base base; } }\n"
	"    leaf b { type bits { bit a; bit b; } }\n"
	"    leaf s { type string; }\n"
	"    leaf st { type uint8; config false; }\n"
	"    container p { presence \"p\"; leaf x { type int8; } }\n"
	"    list entry { key \"a b\"; leaf a { type string; } leaf b { type int32; }\n"
	"      leaf v { type string; } }\n"
	"  }\n"
	"}\n";

static void test_other_schema(void)
{
	static const char text[] =
		"top-leaf \"hello world\"\n"
		"top-list 5ms\n"
		"top-list 1s\n"
		"c\n"
		"    dec 2.25s\n"
		"    lifetime 1h\n"
		"    flag\n"
		"    id cfgtext-test:one\n"
		"    b \"a b\"\n"
		"    s \"\"\n"
		"    p\n"
		"        ..\n"
		"    entry x 1\n"
		"        v \"it's \\\"q\\\"\"\n"
		"        ..\n"
		"    entry \"y z\" -2\n"
		"        ..\n"
		"    entry o'k 3\n"
		"        ..\n"
		"    ..\n";
	char dir[] = "/tmp/xha-test-cfgtext.XXXXXX", path[PATH_MAX];
	char err[512] = "";
	struct ly_ctx *xha = ctx, *other = NULL;
	struct lyd_node *tree = NULL;
	FILE *f;
	char *out;

	if (!mkdtemp(dir)) {
		t_case_fail++;
		return;
	}
	snprintf(path, sizeof(path), "%s/cfgtext-test.yang", dir);
	f = fopen(path, "w");
	if (!f || fputs(test_module, f) < 0 || fclose(f)) {
		t_case_fail++;
		return;
	}
	if (ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD, &other) != LY_SUCCESS ||
	    !ly_ctx_load_module(other, "cfgtext-test", NULL, NULL)) {
		printf("# cannot load the test module\n");
		t_case_fail++;
		goto out;
	}
	ctx = other;
	tree = parse_ok(text);
	out = render(tree, false, false);
	CHECK(!strncmp(out, "top-leaf \"hello world\"\ntop-list 5ms\ntop-list 1000ms\nc\n", 53));
	CHECK_STR(out, "\n    dec 2.25s\n    lifetime 3600s\n    flag\n");
	CHECK_STR(out, "\n    id cfgtext-test:one\n    b \"a b\"\n    s \"\"\n");
	CHECK_STR(out, "\n    p\n        ..\n    entry x 1\n        v \"it's \\\"q\\\"\"\n        ..\n");
	CHECK_STR(out, "\n    entry \"y z\" -2\n        ..\n    entry o'k 3\n        ..\n    ..\n");
	free(out);
	check_round_trip(tree, "another schema");
	lyd_free_all(tree);
	/* defaults: a decimal with its unit, a union's enum without */
	tree = parse_ok("c\n    flag\n    ..\n");
	out = render(tree, false, false);
	CHECK_STR(out, "    dec 1.5s\n    lifetime infinite\n    flag\n");
	free(out);
	out = render(tree, true, false);
	CHECK(!strcmp(out, "c\n    flag\n    ..\n"));
	free(out);
	check_round_trip(tree, "another schema, defaults");
	lyd_free_all(tree);
	tree = parse_ok("c\n    dec 3\n    lifetime infinite\n    ..\n");
	out = render(tree, true, false);
	CHECK(!strcmp(out, "c\n    dec 3.0s\n    ..\n"));
	free(out);
	lyd_free_all(tree);
	tree = (struct lyd_node *)1;
	CHECK(cfgtext_parse(ctx, "c\n    st 5\n    ..\n", &tree, err, sizeof(err)) == -1 && !tree);
	CHECK_STR(err, "line 2: /cfgtext-test:c: unknown keyword \"st\"");
	CHECK(cfgtext_parse(ctx, "c\n    dec 2.5ms\n    ..\n", &tree, err, sizeof(err)) == -1);
	CHECK_STR(err, "line 2: /cfgtext-test:c/dec: bad unit \"ms\"");
	CHECK(cfgtext_parse(ctx, "c\n    entry x\n    ..\n    ..\n", &tree, err, sizeof(err)) == -1);
	CHECK_STR(err, "line 2: /cfgtext-test:c/entry: missing key b");
	CHECK(cfgtext_parse(ctx, "c\n    entry x 1\n..\n    entry x 01\n..\n    ..\n", &tree, err,
			    sizeof(err)) == -1);
	CHECK_STR(err, "line 4: /cfgtext-test:c/entry[a='x'][b='1']: given twice (first on line 2)");
	CHECK(cfgtext_parse(ctx, "top-leaf a\ntop-leaf b\n", &tree, err, sizeof(err)) == -1);
	CHECK_STR(err, "line 2: /cfgtext-test:top-leaf: given twice (first on line 1)");
out:
	ctx = xha;
	if (other)
		ly_ctx_destroy(other);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	char dir[PATH_MAX], err[CONFIG_ERR_LEN];

	ctx = config_ctx_new(config_yang_dir(dir, sizeof(dir)), err,
			     sizeof(err));
	if (!ctx) {
		printf("Bail out! %s\n", err);
		return 2;
	}
	RUN(test_router_page);
	RUN(test_render_running);
	RUN(test_render_path);
	RUN(test_round_trip_keepalived);
	RUN(test_round_trip_static_pools);
	RUN(test_round_trip_external_v6);
	RUN(test_round_trip_json_explicit_defaults);
	RUN(test_input_forms);
	RUN(test_refusals);
	RUN(test_other_schema);
	config_ctx_free(ctx);
	DONE();
}
