// SPDX-License-Identifier: GPL-2.0
/* show stats, set config. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include <linux/xfrm_ha.h>

#include "ha-ike.h"

struct cfg_key {
	const char *name;
	unsigned int bit;
	uint32_t min, max;
	size_t off;
	bool seconds;	/* N seconds as the model says, or Ns / Nms */
};

/* "10" or "10s" (seconds), "500ms": in milliseconds. */
static bool parse_time_ms(const char *s, uint64_t *ms)
{
	char num[32];
	size_t n = strspn(s, "0123456789");
	uint64_t mult = 1000;

	if (!n || n >= sizeof(num))
		return false;
	if (!strcmp(s + n, "ms"))
		mult = 1;
	else if (s[n] && strcmp(s + n, "s"))
		return false;
	memcpy(num, s, n);
	num[n] = '\0';
	if (!parse_u64(num, UINT64_MAX / 1000, ms))
		return false;
	*ms *= mult;
	return true;
}

/* A duration in milliseconds, as the configuration writes it. */
static const char *time_str(uint32_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu32 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRIu32 "ms", ms);
	return buf;
}

int cmd_show_stats(int argc, char **argv, const char *name)
{
	struct xha_config cfg;
	struct xha_stats st;
	struct xha_nl *nl;
	bool json = opts.json;
	char tbuf[32];

	if (parse_json_only(argc, argv, name, &json))
		return EXIT_USAGE;
	nl = open_or_complain(name);
	if (!nl)
		return EXIT_RUNTIME;
	if (xha_nl_config_get(nl, &cfg, &st)) {
		runtime_error(name, "%s", xha_nl_error(nl));
		xha_nl_close(nl);
		return EXIT_RUNTIME;
	}
	xha_nl_close(nl);

	if (json) {
		struct json_object *o = json_object_new_object();
		struct json_object *c = json_object_new_object();
		struct json_object *t = json_object_new_object();

#define U(obj, k, v) json_object_object_add(obj, k, json_object_new_uint64(v))
		U(c, "sync_period_packets", cfg.sync_packets);
		U(c, "sync_period_time_ms", cfg.sync_time_ms);
		U(c, "scan_interval_ms", cfg.scan_interval_ms);
		U(c, "idle_interval_ms", cfg.idle_interval_ms);
		U(c, "oseq_wrap_margin", cfg.oseq_wrap_margin);
		U(t, "sas", st.sas);
		U(t, "events", st.events);
		U(t, "scans", st.scans);
		U(t, "records", st.records);
		U(t, "batches", st.batches);
		U(t, "send_errors", st.send_errors);
		U(t, "writes", st.writes);
		U(t, "writes_refused", st.writes_refused);
		U(t, "entry_bytes", st.entry_bytes);
		U(t, "swept", st.swept);
		U(t, "oseq_clamped", st.oseq_clamped);
		U(t, "soft_expires", st.soft_expires);
		U(t, "hot", st.hot);
		U(t, "checks", st.checks);
		U(t, "reads", st.reads);
		U(t, "reconciles", st.reconciles);
		U(t, "lifecycle", st.lifecycle);
#undef U
		json_object_object_add(o, "config", c);
		json_object_object_add(o, "stats", t);
		json_print(o);
		return EXIT_OK;
	}
	printf("config:\n"
	       "  sync-period-packets: %" PRIu32 "%s\n"
	       "  sync-period-time:    %s%s\n"
	       "  scan-interval-ms:    %" PRIu32 "\n"
	       "  idle-interval-ms:    %" PRIu32 "%s\n"
	       "  oseq-wrap-margin:    %" PRIu32 "%s\n",
	       cfg.sync_packets, cfg.sync_packets ? "" : " (disabled)",
	       time_str(cfg.sync_time_ms, tbuf, sizeof(tbuf)),
	       cfg.sync_time_ms ? "" : " (disabled)",
	       cfg.scan_interval_ms, cfg.idle_interval_ms,
	       cfg.idle_interval_ms ? "" : " (every SA every pass)",
	       cfg.oseq_wrap_margin,
	       cfg.oseq_wrap_margin ? "" : " (disabled)");
	printf("stats:\n"
	       "  sas:            %" PRIu32 "\n"
	       "  events:         %" PRIu64 "\n"
	       "  scans:          %" PRIu64 "\n"
	       "  records:        %" PRIu64 "\n"
	       "  batches:        %" PRIu64 "\n"
	       "  send-errors:    %" PRIu64 "\n"
	       "  writes:         %" PRIu64 "\n"
	       "  writes-refused: %" PRIu64 "\n"
	       "  entry-bytes:    %" PRIu32 " (memory per tracked SA)\n"
	       "  swept:          %" PRIu64 "\n"
	       "  oseq-clamped:   %" PRIu64 "\n"
	       "  soft-expires:   %" PRIu64 "\n"
	       "  hot:            %" PRIu32 " (looked at every pass)\n"
	       "  checks:         %" PRIu64 " (lock-free looks)\n"
	       "  reads:          %" PRIu64 " (under the SA's lock)\n"
	       "  reconciles:     %" PRIu64 "\n"
	       "  lifecycle:      %" PRIu64 " (added, replaced, deleted)\n",
	       st.sas, st.events, st.scans, st.records, st.batches,
	       st.send_errors, st.writes, st.writes_refused, st.entry_bytes,
	       st.swept, st.oseq_clamped, st.soft_expires, st.hot, st.checks,
	       st.reads, st.reconciles, st.lifecycle);
	return EXIT_OK;
}

static const struct cfg_key cfg_keys[] = {
	{ "sync-period-packets", XHA_CFG_HAS_SYNC_PACKETS, 0, UINT32_MAX,
	  offsetof(struct xha_config, sync_packets), false },
	{ "sync-period-time", XHA_CFG_HAS_SYNC_TIME_MS, 0,
	  XFRM_HA_SYNC_TIME_MS_MAX, offsetof(struct xha_config, sync_time_ms),
	  true },
	{ "sync-period-time-ms", XHA_CFG_HAS_SYNC_TIME_MS, 0,
	  XFRM_HA_SYNC_TIME_MS_MAX, offsetof(struct xha_config, sync_time_ms), false },
	{ "scan-interval-ms", XHA_CFG_HAS_SCAN_INTERVAL_MS,
	  XFRM_HA_SCAN_INTERVAL_MS_MIN, XFRM_HA_SCAN_INTERVAL_MS_MAX,
	  offsetof(struct xha_config, scan_interval_ms), false },
	{ "oseq-wrap-margin", XHA_CFG_HAS_OSEQ_WRAP_MARGIN, 0,
	  XFRM_HA_OSEQ_WRAP_MARGIN_MAX,
	  offsetof(struct xha_config, oseq_wrap_margin), false },
	{ "idle-interval-ms", XHA_CFG_HAS_IDLE_INTERVAL_MS, 0,
	  XFRM_HA_IDLE_INTERVAL_MS_MAX,
	  offsetof(struct xha_config, idle_interval_ms), false },
};

int cmd_set_config(int argc, char **argv, const char *name)
{
	struct xha_config cfg = { 0 };
	struct xha_nl *nl;
	int i, ret;

	for (i = 0; i < argc; i++) {
		const struct cfg_key *k = NULL;
		uint64_t v;
		size_t j;

		for (j = 0; j < sizeof(cfg_keys) / sizeof(cfg_keys[0]); j++)
			if (!strcmp(argv[i], cfg_keys[j].name))
				k = &cfg_keys[j];
		if (!k)
			return usage_error(name, "unexpected argument \"%s\"",
					   argv[i]);
		if (cfg.has & k->bit)
			return usage_error(name, "\"%s\" given twice", k->name);
		if (i + 1 >= argc)
			return usage_error(name, "\"%s\" needs a value", k->name);
		i++;
		if (k->seconds) {
			if (!parse_time_ms(argv[i], &v) || v > k->max)
				return usage_error(name, "bad %s \"%s\" (seconds, or with s or ms: 0 to %" PRIu32 "ms)",
						   k->name, argv[i], k->max);
		} else if (!parse_u64(argv[i], UINT64_MAX, &v) || v < k->min ||
			   v > k->max)
			return usage_error(name, "bad %s \"%s\" (%" PRIu32
					   " to %" PRIu32 ")", k->name, argv[i],
					   k->min, k->max);
		*(uint32_t *)((char *)&cfg + k->off) = (uint32_t)v;
		cfg.has |= k->bit;
	}
	if (!cfg.has)
		return usage_error(name, "nothing to set");
	nl = open_or_complain(name);
	if (!nl)
		return EXIT_RUNTIME;
	ret = EXIT_OK;
	if (xha_nl_config_set(nl, &cfg))
		ret = runtime_error(name, "%s", xha_nl_error(nl));
	xha_nl_close(nl);
	return ret;
}
