/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The router's indented text format for the configuration, both ways,
 * generic over the YANG schema (nothing here knows a leaf's name):
 *
 *   vrf main
 *       ike
 *           ha
 *               node-id 1
 *               seqnum-sync
 *                   sync-period-time 10s
 *                   ..
 *               ..
 *           ..
 *       ..
 *
 * - a container or a list entry opens a block: the node's name, then the
 *   list's key values in key order (`pool NAME`); `..` closes it;
 * - a leaf is `name value`, a leaf of type empty just `name`, a leaf-list
 *   one `name value` line per value;
 * - values holding blanks, quotes, backslashes, control characters, or
 *   starting with '#', and empty values are written in double quotes with
 *   C escapes (\" \\ \n \t \r \xHH);
 * - a leaf whose units are "seconds" or "milliseconds" prints its value
 *   with the suffix s or ms (`sync-period-time 10s`); on input such a leaf
 *   takes a bare number, or one with ms, s, m, h or d when that converts
 *   exactly (`1m` = 60 seconds, `2s` = 2000 milliseconds);
 * - printing: 4 spaces per level, schema order, `..` at the level of the
 *   block's contents. Non-presence containers are printed even when all
 *   their leaves are at their default (as the router does);
 * - reading: indentation is ignored, blank lines and `#` comments too (a
 *   word starting with '#' outside quotes starts a comment).
 */
#ifndef AGENT_CFGTEXT_H
#define AGENT_CFGTEXT_H

#include <stdbool.h>
#include <stddef.h>

struct ly_ctx;
struct lyd_node;

/*
 * `show config [nodefault] [WORD...]`: running_json is the canonical JSON
 * of a validated configuration (struct config's running). Prints it in
 * the text format (json false) or as the YANG JSON (json true); nodefault
 * leaves out the leaves whose value is their default. path (npath words,
 * none for everything) selects one node the way blocks are opened in the
 * text format: `vrf main ike ha`, `ha group g1`, `vrf main ike ha
 * seqnum-sync oseq-shift`; the text is that node alone at indentation 0,
 * the JSON that node with its parents. List keys are compared in their
 * canonical form. The YANG context is built from config_yang_dir(). *out
 * is malloc'd, the caller frees it. Returns 0, or -1 with a message in
 * err (a word that leads nowhere: what is there instead).
 */
int cfgtext_render(const char *running_json, bool nodefault, bool json,
		   char *const *path, int npath, char **out, char *err,
		   size_t errlen);

/* The same from a validated tree (all its top-level siblings). */
int cfgtext_render_tree(const struct lyd_node *tree, bool nodefault,
			bool json, char **out, char *err, size_t errlen);

/* The same from a validated tree, with a path (npath 0: everything). */
int cfgtext_render_path(const struct lyd_node *tree, bool nodefault,
			bool json, char *const *path, int npath, char **out,
			char *err, size_t errlen);

/*
 * One node alone, at indentation 0 (`show config nodefault ha` on the
 * router: the ha block). Keys are printed on a list entry's line.
 */
int cfgtext_render_node(const struct lyd_node *node, bool nodefault,
			char **out, char *err, size_t errlen);

/*
 * Parse the text format into a data tree validated by libyang (with its
 * implicit defaults). Returns 0 with *tree (lyd_free_all() it; NULL for
 * an empty file), or -1 with a message naming the line, the data path and
 * the reason. Nothing is left allocated on failure.
 */
int cfgtext_parse(struct ly_ctx *ctx, const char *text,
		  struct lyd_node **tree, char *err, size_t errlen);

/*
 * The same, printed as the YANG JSON of the explicit nodes, for
 * config_parse(). *json is malloc'd.
 */
int cfgtext_to_json(struct ly_ctx *ctx, const char *text, char **json,
		    char *err, size_t errlen);

/* A file in the text format: its first non-blank character is not '{'. */
bool cfgtext_is_text(const char *data);

#endif /* AGENT_CFGTEXT_H */
