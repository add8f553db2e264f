// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: agent/cfgtext.c, the router's indented text format.
 * Any input is either refused with a message that names its line, or
 * gives a validated tree; that tree printed (with and without nodefault)
 * loads back to the same data, and printing it again gives the same text.
 * `show config PATH`: words of the input itself, as a path into that
 * tree, give one node's text or JSON, or an error and no output.
 * The YANG context is built once, as in the config target.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfgtext.h"
#include "config.h"
#include "fuzz.h"

static struct ly_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[PATH_MAX], err[CONFIG_ERR_LEN];

	(void)argc;
	(void)argv;
	if (!getenv("XFRM_HA_YANG_DIR"))
		setenv("XFRM_HA_YANG_DIR", FUZZ_YANG_DIR, 1);
	ctx = config_ctx_new(config_yang_dir(dir, sizeof(dir)), err,
			     sizeof(err));
	if (!ctx) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

static char *all_json(const struct lyd_node *tree)
{
	char *s = NULL;

	if (!tree)
		return strdup("{}");
	if (lyd_print_mem(&s, tree, LYD_JSON,
			  LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL) !=
	    LY_SUCCESS)
		abort();
	return s;
}

static void round_trip(const struct lyd_node *tree, bool nodefault)
{
	char err[CONFIG_ERR_LEN] = "", *text, *again, *a, *b;
	struct lyd_node *back = NULL;

	if (cfgtext_render_tree(tree, nodefault, false, &text, err,
				sizeof(err)) != 0)
		abort();
	if (cfgtext_parse(ctx, text, &back, err, sizeof(err)) != 0) {
		fprintf(stderr, "printed text refused: %s\n%s", err, text);
		abort();
	}
	a = all_json(tree);
	b = all_json(back);
	if (strcmp(a, b)) {
		fprintf(stderr, "round trip changed the data:\n%s\n%s\n", a, b);
		abort();
	}
	if (cfgtext_render_tree(back, nodefault, false, &again, err,
				sizeof(err)) != 0 || strcmp(text, again)) {
		fprintf(stderr, "printed differently the second time\n");
		abort();
	}
	free(a);
	free(b);
	free(again);
	free(text);
	lyd_free_all(back);
}

/* Up to 13 words of text (as ha-ike sends them), from one picked by size. */
static void show_path(const struct lyd_node *tree, const char *text,
		      size_t size)
{
	char err[CONFIG_ERR_LEN], *copy, *w[64], *out, *save = NULL;
	int n = 0, first, k, rc;

	copy = strdup(text);
	if (!copy)
		return;
	for (char *t = strtok_r(copy, " \t\r\n", &save); t && n < 64;
	     t = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = t;
	first = n ? (int)(size % (size_t)n) : 0;
	k = n - first < 13 ? n - first : 13;
	for (int json = 0; json < 2; json++) {
		out = NULL;
		err[0] = '\0';
		rc = cfgtext_render_path(tree, size & 1, json, w + first, k,
					 &out, err, sizeof(err));
		if (rc == 0 ? !out : (out || !err[0])) {
			fprintf(stderr, "show config path: rc %d, out %p, err \"%s\"\n",
				rc, (void *)out, err);
			abort();
		}
		free(out);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_LEN];
	struct lyd_node *tree = NULL;
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (cfgtext_parse(ctx, text, &tree, err, sizeof(err)) == 0) {
		round_trip(tree, false);
		round_trip(tree, true);
		show_path(tree, text, size);
		lyd_free_all(tree);
	} else if (tree || (strncmp(err, "line ", 5) &&
			    strncmp(err, "invalid configuration", 21))) {
		fprintf(stderr, "refusal without a line: \"%s\"\n", err);
		abort();	/* every refusal says where, leaves nothing */
	}
	free(text);
	return 0;
}
