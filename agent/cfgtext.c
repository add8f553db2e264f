// SPDX-License-Identifier: GPL-2.0
/*
 * The router's indented text format (see cfgtext.h): a printer walking a
 * validated libyang data tree, and a line parser building one through the
 * compiled schema. Both only look at node types, keys, units and
 * defaults, so a change of the model needs no change here.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfgtext.h"
#include "config.h"

#define INDENT 4
#define MAX_WORDS 16
#define MAX_DEPTH 32


/* The first libyang error stored in the context, or NULL. */
static const struct ly_err_item *ly_first_error(const struct ly_ctx *ctx)
{
	const struct ly_err_item *e = ly_err_first(ctx);

	while (e && e->level != LY_LLERR)
		e = e->next;
	return e;
}

/* ---- units ---------------------------------------------------------- */

/* Time suffixes, in milliseconds. */
static const struct {
	const char *suffix;
	uint64_t ms;
} time_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 86400 * 1000 },
};

/* The YANG units the router prints as a suffix, and their size in ms. */
static const struct {
	const char *units;
	const char *suffix;
	uint64_t ms;
} leaf_units[] = {
	{ "seconds", "s", 1000 },
	{ "milliseconds", "ms", 1 },
};

/* The suffix index for a term node's schema, or -1: printed bare. */
static int units_of(const struct lysc_node *schema)
{
	const char *u = NULL;
	unsigned int i;

	if (schema->nodetype == LYS_LEAF)
		u = ((const struct lysc_node_leaf *)schema)->units;
	else if (schema->nodetype == LYS_LEAFLIST)
		u = ((const struct lysc_node_leaflist *)schema)->units;
	if (!u)
		return -1;
	for (i = 0; i < sizeof(leaf_units) / sizeof(leaf_units[0]); i++)
		if (!strcmp(u, leaf_units[i].units))
			return (int)i;
	return -1;
}

/*
 * A value as typed, for a leaf with time units: bare, or a whole number
 * with a time suffix that converts exactly. out gets the bare number.
 */
static int units_convert(const char *v, int u, char *out, size_t outlen,
			 char *why, size_t whylen)
{
	const char *p = v, *sfx;
	unsigned long long n, ms;
	unsigned int i;
	bool neg = false;
	char *end;

	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (!isdigit((unsigned char)*p)) {
		snprintf(out, outlen, "%s", v);	/* libyang says what is wrong */
		return 0;
	}
	errno = 0;
	n = strtoull(p, &end, 10);
	sfx = end;
	if (!*sfx) {
		snprintf(out, outlen, "%s", v);
		return 0;
	}
	if (*sfx == '.' && isdigit((unsigned char)sfx[1])) {
		/* a decimal64: its own suffix only, no conversion */
		sfx += strspn(sfx + 1, "0123456789") + 1;
		if (*sfx && (strcmp(sfx, leaf_units[u].suffix) ||
			     (size_t)(sfx - v) >= outlen)) {
			config_seterr(why, whylen,
				      "bad unit \"%s\" in \"%s\" (a number of %s, bare or with %s)",
				      sfx, v, leaf_units[u].units, leaf_units[u].suffix);
			return -1;
		}
		snprintf(out, outlen, "%.*s", (int)(sfx - v), v);
		return 0;
	}
	if (errno) {
		config_seterr(why, whylen, "\"%s\" is out of range", v);
		return -1;
	}
	for (i = 0; i < sizeof(time_units) / sizeof(time_units[0]); i++)
		if (!strcmp(sfx, time_units[i].suffix))
			break;
	if (i == sizeof(time_units) / sizeof(time_units[0])) {
		config_seterr(why, whylen,
			      "bad unit \"%s\" in \"%s\" (a number of %s, bare or with ms, s, m, h or d)",
			      sfx, v, leaf_units[u].units);
		return -1;
	}
	if (__builtin_mul_overflow(n, time_units[i].ms, &ms)) {
		config_seterr(why, whylen, "\"%s\" is out of range", v);
		return -1;
	}
	if (ms % leaf_units[u].ms) {
		config_seterr(why, whylen, "\"%s\" is not a whole number of %s", v,
			      leaf_units[u].units);
		return -1;
	}
	snprintf(out, outlen, "%s%llu", neg ? "-" : "", ms / leaf_units[u].ms);
	return 0;
}

/* ---- printing ------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void bputn(struct buf *b, const char *s, size_t n)
{
	char *p;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void bputs(struct buf *b, const char *s)
{
	bputn(b, s, strlen(s));
}

static void bindent(struct buf *b, int depth)
{
	static const char spaces[] = "                ";
	int n = depth * INDENT;

	while (n > 0) {
		int k = n < (int)sizeof(spaces) - 1 ? n : (int)sizeof(spaces) - 1;

		bputn(b, spaces, k);
		n -= k;
	}
}

static bool needs_quotes(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	if (!*p || *p == '#' || !strcmp(v, ".."))
		return true;
	for (; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			return true;
	return false;
}

/* A value, quoted and escaped when reading it back needs it. */
static void bvalue(struct buf *b, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	char esc[5];

	if (!needs_quotes(v)) {
		bputs(b, v);
		return;
	}
	bputn(b, "\"", 1);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			bputs(b, "\\\"");
			break;
		case '\\':
			bputs(b, "\\\\");
			break;
		case '\n':
			bputs(b, "\\n");
			break;
		case '\t':
			bputs(b, "\\t");
			break;
		case '\r':
			bputs(b, "\\r");
			break;
		default:
			if (*p < ' ' || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", *p);
				bputs(b, esc);
			} else {
				bputn(b, (const char *)p, 1);
			}
		}
	}
	bputn(b, "\"", 1);
}

static bool is_config(const struct lysc_node *s)
{
	return s && (s->flags & LYS_CONFIG_W);
}

static bool is_empty_type(const struct lysc_node *s)
{
	return s->nodetype == LYS_LEAF &&
	       ((const struct lysc_node_leaf *)s)->type->basetype ==
		       LY_TYPE_EMPTY;
}

static void print_siblings(struct buf *b, const struct lyd_node *first,
			   int depth, bool nodefault);

static void print_term(struct buf *b, const struct lyd_node *n, int depth)
{
	const char *v = lyd_get_value(n);
	int u = units_of(n->schema);

	bindent(b, depth);
	bputs(b, n->schema->name);
	if (is_empty_type(n->schema)) {
		bputs(b, "\n");
		return;
	}
	bputs(b, " ");
	/* a number gets the unit; an enum of a union (say "infinite") not */
	if (u >= 0 && v && (isdigit((unsigned char)v[0]) ||
			    (v[0] == '-' && isdigit((unsigned char)v[1]))) &&
	    !needs_quotes(v)) {
		bputs(b, v);
		bputs(b, leaf_units[u].suffix);
	} else {
		bvalue(b, v ? v : "");
	}
	bputs(b, "\n");
}

static void print_block(struct buf *b, const struct lyd_node *n, int depth,
			bool nodefault)
{
	const struct lyd_node *c = lyd_child(n);

	bindent(b, depth);
	bputs(b, n->schema->name);
	if (n->schema->nodetype == LYS_LIST) {
		/* libyang keeps the keys first, in key order */
		for (; c && c->schema && lysc_is_key(c->schema); c = c->next) {
			bputs(b, " ");
			bvalue(b, lyd_get_value(c));
		}
	}
	bputs(b, "\n");
	print_siblings(b, c, depth + 1, nodefault);
	bindent(b, depth + 1);
	bputs(b, "..\n");
}

static void print_siblings(struct buf *b, const struct lyd_node *first,
			   int depth, bool nodefault)
{
	const struct lyd_node *n;

	for (n = first; n; n = n->next) {
		if (!is_config(n->schema) || lysc_is_key(n->schema))
			continue;
		switch (n->schema->nodetype) {
		case LYS_LEAF:
		case LYS_LEAFLIST:
			if (nodefault && lyd_is_default(n))
				continue;
			print_term(b, n, depth);
			break;
		case LYS_CONTAINER:
		case LYS_LIST:
			print_block(b, n, depth, nodefault);
			break;
		default:
			break;	/* anydata: not in the text format */
		}
	}
}

int cfgtext_render_tree(const struct lyd_node *tree, bool nodefault,
			bool json, char **out, char *err, size_t errlen)
{
	struct buf b = { 0 };

	*out = NULL;
	if (json) {
		uint32_t opts = LYD_PRINT_WITHSIBLINGS |
				(nodefault ? LYD_PRINT_WD_TRIM : LYD_PRINT_WD_ALL);

		if (!tree) {
			*out = strdup("{}\n");
		} else if (lyd_print_mem(out, tree, LYD_JSON, opts) !=
			   LY_SUCCESS) {
			config_seterr(err, errlen, "cannot print the configuration as JSON");
			return -1;
		}
		if (!*out) {
			config_seterr(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	/* the first top-level sibling: print from there */
	while (tree && tree->prev->next)
		tree = tree->prev;
	print_siblings(&b, tree, 0, nodefault);
	bputs(&b, "");
	if (b.oom) {
		free(b.p);
		config_seterr(err, errlen, "out of memory");
		return -1;
	}
	*out = b.p;
	return 0;
}

int cfgtext_render_node(const struct lyd_node *node, bool nodefault,
			char **out, char *err, size_t errlen)
{
	struct buf b = { 0 };

	*out = NULL;
	if (!node || !is_config(node->schema)) {
		config_seterr(err, errlen, "not a configuration node");
		return -1;
	}
	switch (node->schema->nodetype) {
	case LYS_CONTAINER:
	case LYS_LIST:
		print_block(&b, node, 0, nodefault);
		break;
	case LYS_LEAF:
	case LYS_LEAFLIST:
		if (!nodefault || !lyd_is_default(node))
			print_term(&b, node, 0);
		break;
	default:
		break;
	}
	bputs(&b, "");
	if (b.oom) {
		free(b.p);
		config_seterr(err, errlen, "out of memory");
		return -1;
	}
	*out = b.p;
	return 0;
}

/* The config child of schema parent (NULL: top level of mod) named name. */
static const struct lysc_node *schema_child(const struct lysc_node *parent,
					    const struct lysc_module *mod,
					    const char *name)
{
	const struct lysc_node *s = NULL;

	while ((s = lys_getnext(s, parent, parent ? NULL : mod, 0)))
		if (is_config(s) && !strcmp(s->name, name))
			return s;
	return NULL;
}

/* "a, b, c": the names of parent's config children (or of a list's keys). */
static void schema_children(struct buf *b, const struct lysc_node *parent,
			    const struct lysc_module *mod)
{
	const struct lysc_node *s = NULL;
	bool first = true;

	while ((s = lys_getnext(s, parent, parent ? NULL : mod, 0))) {
		if (!is_config(s) || lysc_is_key(s))
			continue;
		bputs(b, first ? "" : ", ");
		bputs(b, s->name);
		first = false;
	}
}

/* Does list entry n have the key values words[0 .. nkeys - 1]? */
static bool keys_match(const struct lyd_node *n, char *const *words,
		       int nkeys)
{
	const struct lyd_node *c = lyd_child(n);
	int i;

	for (i = 0; i < nkeys; i++, c = c->next)
		if (!c || !lysc_is_key(c->schema) ||
		    strcmp(lyd_get_value(c), words[i]))
			return false;
	return true;
}

static int nkeys_of(const struct lysc_node *s)
{
	const struct lysc_node *k;
	int n = 0;

	if (s->nodetype != LYS_LIST)
		return 0;
	for (k = lysc_node_child(s); k && lysc_is_key(k); k = k->next)
		n++;
	return n;
}

/*
 * The node that words lead to from the top of tree, as a block is opened
 * in the text format: a container's name, a list's name and its key
 * values, a leaf's or leaf-list's name last. *found is the node (the first
 * instance of a leaf-list).
 */
static int find_path(const struct lyd_node *tree, char *const *words,
		     int nwords, const struct lyd_node **found, char *err,
		     size_t errlen)
{
	const struct lysc_module *mod = tree->schema->module->compiled;
	const struct lyd_node *parent = NULL, *first = tree, *n;
	const struct lysc_node *s;
	struct buf b = { 0 };
	char *path = NULL;
	int i = 0, k;

	while (first && first->prev->next)
		first = first->prev;
	while (i < nwords) {
		s = schema_child(parent ? parent->schema : NULL, mod, words[i]);
		if (!s) {
			schema_children(&b, parent ? parent->schema : NULL, mod);
			if (parent)
				path = lyd_path(parent, LYD_PATH_STD, NULL, 0);
			config_seterr(err, errlen, "no \"%s\" %s%s (one of: %s)",
				      words[i], parent ? "in " : "at the top",
				      parent ? (path ? path : "?") : "",
				      b.p && !b.oom ? b.p : "?");
			goto fail;
		}
		k = nkeys_of(s);
		if (i + 1 + k > nwords) {
			config_seterr(err, errlen,
				      "%s: %d key value(s) expected after it",
				      words[i], k);
			goto fail;
		}
		for (n = first; n; n = n->next)
			if (n->schema == s &&
			    (!k || keys_match(n, words + i + 1, k)))
				break;
		if (!n) {
			for (n = first; n; n = n->next) {
				if (n->schema != s)
					continue;
				bputs(&b, b.p ? ", " : "");
				bvalue(&b, lyd_get_value(lyd_child(n)));
			}
			config_seterr(err, errlen, "no %s%s%s configured%s%s%s",
				      s->name, k ? " " : "", k ? words[i + 1] : "",
				      k ? " (configured: " : "",
				      k ? (b.p && !b.oom ? b.p : "none") : "",
				      k ? ")" : "");
			goto fail;
		}
		i += 1 + k;
		if (s->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
			if (i < nwords) {
				config_seterr(err, errlen,
					      "%s is a leaf: nothing is under it (\"%s\")",
					      s->name, words[i]);
				goto fail;
			}
		} else {
			parent = n;
			first = lyd_child(n);
		}
		*found = n;
	}
	free(b.p);
	return 0;
fail:
	free(path);
	free(b.p);
	return -1;
}

/* Text: node's block or lines; JSON: node with its parents. */
static int render_one(const struct lyd_node *node, bool nodefault,
		      bool json, char **out, char *err, size_t errlen)
{
	const bool many = node->schema->nodetype == LYS_LEAFLIST;
	const uint32_t dup = LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS;
	struct lyd_node *d = NULL, *d2, *top;
	const struct lyd_node *n;
	struct buf b = { 0 };
	int ret;

	if (!json && !many)
		return cfgtext_render_node(node, nodefault, out, err, errlen);
	if (json && lyd_dup_single(node, NULL, dup | LYD_DUP_WITH_PARENTS,
				   &d) != LY_SUCCESS)
		goto oom;
	/* a leaf-list: all its values (its instances are consecutive) */
	for (n = node; many && n && n->schema == node->schema; n = n->next) {
		if (!json) {
			if (!nodefault || !lyd_is_default(n))
				print_term(&b, n, 0);
			continue;
		}
		if (n == node)
			continue;
		d2 = NULL;
		if (lyd_dup_single(n, NULL, dup, &d2) != LY_SUCCESS ||
		    lyd_insert_sibling(d, d2, NULL) != LY_SUCCESS) {
			lyd_free_tree(d2);
			goto oom;
		}
	}
	if (!json) {
		bputs(&b, "");
		if (b.oom)
			goto oom;
		*out = b.p;
		return 0;
	}
	/* The container asked for is printed with nodefault even when all
	 * in it is at its default (then empty), as its parents are: not
	 * trimmed as a default node. A leaf at its default is. */
	if (d->schema->nodetype == LYS_CONTAINER)
		d->flags &= ~LYD_DEFAULT;
	for (top = d; lyd_parent(top); top = lyd_parent(top))
		lyd_parent(top)->flags &= ~LYD_DEFAULT;
	ret = cfgtext_render_tree(top, nodefault, true, out, err, errlen);
	lyd_free_all(top);
	return ret;
oom:
	free(b.p);
	if (d) {
		for (top = d; lyd_parent(top); top = lyd_parent(top))
			;
		lyd_free_all(top);
	}
	config_seterr(err, errlen, "out of memory");
	return -1;
}

int cfgtext_render_path(const struct lyd_node *tree, bool nodefault,
			bool json, char *const *path, int npath, char **out,
			char *err, size_t errlen)
{
	const struct lyd_node *found = NULL;

	*out = NULL;
	if (npath <= 0)
		return cfgtext_render_tree(tree, nodefault, json, out, err,
					   errlen);
	if (!tree) {
		config_seterr(err, errlen,
			      "no \"%s\": the configuration is empty", path[0]);
		return -1;
	}
	if (find_path(tree, path, npath, &found, err, errlen) < 0)
		return -1;
	return render_one(found, nodefault, json, out, err, errlen);
}

int cfgtext_render(const char *running_json, bool nodefault, bool json,
		   char *const *path, int npath, char **out, char *err,
		   size_t errlen)
{
	char dirbuf[PATH_MAX];
	struct lyd_node *tree = NULL;
	const struct ly_err_item *e;
	struct ly_ctx *ctx;
	int ret = -1;

	*out = NULL;
	ctx = config_ctx_new(config_yang_dir(dirbuf, sizeof(dirbuf)), err,
			     errlen);
	if (!ctx)
		return -1;
	ly_err_clean(ctx, NULL);
	if (lyd_parse_data_mem(ctx, running_json ? running_json : "{}",
			       LYD_JSON, LYD_PARSE_STRICT,
			       LYD_VALIDATE_PRESENT, &tree) != LY_SUCCESS) {
		e = ly_first_error(ctx);
		config_seterr(err, errlen, "invalid running configuration: %s%s%s%s",
			      e ? e->msg : "parse error", e && e->path ? " (" : "",
			      e && e->path ? e->path : "", e && e->path ? ")" : "");
		goto out;
	}
	ret = cfgtext_render_path(tree, nodefault, json, path, npath, out, err,
				  errlen);
out:
	lyd_free_all(tree);
	config_ctx_free(ctx);
	return ret;
}

/* ---- parsing -------------------------------------------------------- */

struct word {
	char *s;
	bool quoted;
};

struct frame {
	struct lyd_node *node;		/* NULL: the top level */
	const struct lysc_node *schema;
	unsigned int line;
};

/* Where each node came from, to put a line on libyang's validation errors. */
struct origin {
	char *path;
	unsigned int line;
};

struct parser {
	struct ly_ctx *ctx;
	struct lyd_node *tree;
	struct frame stack[MAX_DEPTH];
	int depth;			/* stack[depth] is the open block */
	unsigned int line;
	struct origin *origins;
	size_t n_origins, cap_origins;
	char *err;
	size_t errlen;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Split one line (NUL-terminated, changed in place) into words. Returns
 * the number of words or -1 with a reason in why.
 */
static int split_words(char *line, struct word *w, char *why, size_t whylen)
{
	char *p = line, *o;
	int n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' ||
		       *p == '\v')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == MAX_WORDS) {
			config_seterr(why, whylen, "more than %d words on a line",
				      MAX_WORDS);
			return -1;
		}
		if (*p != '"') {
			w[n].s = p;
			w[n].quoted = false;
			while (*p && !isspace((unsigned char)*p)) {
				if (*p == '"') {
					config_seterr(why, whylen,
						      "a '\"' inside a word (quote the whole value)");
					return -1;
				}
				p++;
			}
			if (*p)
				*p++ = '\0';
			n++;
			continue;
		}
		/* a quoted value: unescaped in place */
		w[n].s = o = ++p;
		w[n].quoted = true;
		for (;;) {
			if (!*p) {
				config_seterr(why, whylen, "unterminated quoted value");
				return -1;
			}
			if (*p == '"')
				break;
			if (*p != '\\') {
				*o++ = *p++;
				continue;
			}
			p++;
			switch (*p) {
			case '"':
			case '\\':
				*o++ = *p++;
				break;
			case 'n':
				*o++ = '\n';
				p++;
				break;
			case 't':
				*o++ = '\t';
				p++;
				break;
			case 'r':
				*o++ = '\r';
				p++;
				break;
			case 'x':
				if (hexval(p[1]) < 0 || hexval(p[2]) < 0 ||
				    (!hexval(p[1]) && !hexval(p[2]))) {
					config_seterr(why, whylen,
						      "bad \\x escape (two hex digits, not 00)");
					return -1;
				}
				*o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
				p += 3;
				break;
			default:
				config_seterr(why, whylen,
					      "unknown escape \\%c in a quoted value (\\\" \\\\ \\n \\t \\r \\xHH)",
					      *p ? *p : '0');
				return -1;
			}
		}
		*o = '\0';
		p++;
		if (*p && !isspace((unsigned char)*p)) {
			config_seterr(why, whylen,
				      "garbage right after a quoted value");
			return -1;
		}
		n++;
	}
}

/* The data path of the open block, "" at the top level. */
static const char *block_path(struct parser *p, char *buf, size_t len)
{
	struct lyd_node *n = p->stack[p->depth].node;

	if (!n || !lyd_path(n, LYD_PATH_STD, buf, len))
		buf[0] = '\0';
	return buf;
}

/* An error at the current line; path: "" for the open block. */
static int perr(struct parser *p, const struct lysc_node *child,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int perr(struct parser *p, const struct lysc_node *child,
		const char *fmt, ...)
{
	const struct lysc_node *s = p->stack[p->depth].schema;
	char path[1024], why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	block_path(p, path, sizeof(path));
	if (child && (!s || s->module != child->module))
		config_seterr(p->err, p->errlen, "line %u: %s/%s:%s: %s", p->line,
			      path, child->module->name, child->name, why);
	else if (child)
		config_seterr(p->err, p->errlen, "line %u: %s/%s: %s", p->line, path,
			      child->name, why);
	else
		config_seterr(p->err, p->errlen, "line %u: %s: %s", p->line,
			      path[0] ? path : "/", why);
	return -1;
}

/* A configuration child of the open block named name, or NULL. */
static const struct lysc_node *find_schema(struct parser *p, const char *name,
					   const struct lys_module **modp)
{
	const struct lysc_node *parent = p->stack[p->depth].schema, *s;
	const struct lys_module *mod;
	uint32_t idx = 0;

	if (parent) {
		s = NULL;
		while ((s = lys_getnext(s, parent, NULL, 0)))
			if (!strcmp(s->name, name) && is_config(s))
				return *modp = s->module, s;
		return NULL;
	}
	while ((mod = ly_ctx_get_module_iter(p->ctx, &idx))) {
		if (!mod->implemented || !mod->compiled)
			continue;
		s = NULL;
		while ((s = lys_getnext(s, NULL, mod->compiled, 0)))
			if (!strcmp(s->name, name) && is_config(s))
				return *modp = mod, s;
	}
	return NULL;
}

static int add_origin(struct parser *p, const struct lyd_node *n)
{
	struct origin *o;
	char *path;

	if (p->n_origins == p->cap_origins) {
		size_t cap = p->cap_origins ? 2 * p->cap_origins : 32;

		o = realloc(p->origins, cap * sizeof(*o));
		if (!o)
			return -1;
		p->origins = o;
		p->cap_origins = cap;
	}
	path = lyd_path(n, LYD_PATH_STD, NULL, 0);
	if (!path)
		return -1;
	p->origins[p->n_origins].path = path;
	p->origins[p->n_origins++].line = p->line;
	return 0;
}

/* A data path without its [predicates], for schema paths. */
static bool same_schema_path(const char *data, const char *schema)
{
	int br = 0;

	for (; *data; data++) {
		if (*data == '[')
			br++;
		else if (*data == ']')
			br--;
		else if (!br && *data != *schema++)
			return false;
	}
	return !*schema;
}

/*
 * The line of a node (or its nearest ancestor) given by a data path, or
 * by a schema path (the first instance then).
 */
static unsigned int origin_line(struct parser *p, const char *path,
				bool schema)
{
	char *buf = strdup(path), *s;
	unsigned int line = 0;
	size_t i;
	int br;

	if (!buf)
		return 0;
	while (!line && buf[0]) {
		for (i = 0; i < p->n_origins && !line; i++)
			if (schema ? same_schema_path(p->origins[i].path, buf) :
				     !strcmp(p->origins[i].path, buf))
				line = p->origins[i].line;
		if (line)
			break;
		/* drop the last step, skipping '/' inside [predicates] */
		for (s = buf, br = 0, i = 0; *s; s++) {
			if (*s == '[')
				br++;
			else if (*s == ']')
				br--;
			else if (*s == '/' && !br)
				i = s - buf;
		}
		buf[i] = '\0';
	}
	free(buf);
	return line;
}

/* The open block's first child (the first top-level node at the top). */
static struct lyd_node *first_child(struct parser *p)
{
	return p->stack[p->depth].node ? lyd_child(p->stack[p->depth].node) :
					 p->tree;
}

/* The first instance of schema s among the open block's children. */
static struct lyd_node *existing(struct parser *p,
				 const struct lysc_node *s)
{
	struct lyd_node *match = NULL;

	if (lyd_find_sibling_val(first_child(p), s, NULL, 0, &match) !=
	    LY_SUCCESS)
		return NULL;
	return match;
}

static unsigned int line_of(struct parser *p, const struct lyd_node *n)
{
	char *path = lyd_path(n, LYD_PATH_STD, NULL, 0);
	unsigned int line = path ? origin_line(p, path, false) : 0;

	free(path);
	return line;
}

/* Insert a new top-level node; children went in with their parent. */
static void attach(struct parser *p, struct lyd_node *n)
{
	if (!p->stack[p->depth].node)
		lyd_insert_sibling(p->tree, n, &p->tree);
}

static int ly_perr(struct parser *p, const struct lysc_node *child,
		   const char *what)
{
	const struct ly_err_item *e = ly_first_error(p->ctx);

	return perr(p, child, "%s: %s", what, e ? e->msg : "refused");
}

/* "[k1='v1'][k2=\"v'2\"]" for lyd_new_list2(). */
static int key_predicate(struct parser *p, const struct lysc_node *s,
			 struct word *w, int n, char **out)
{
	const struct lysc_node *k = NULL;
	struct buf b = { 0 };
	int i = 0;

	while ((k = lys_getnext(k, s, NULL, 0)) && lysc_is_key(k)) {
		const char *q;

		if (i == n) {
			free(b.p);
			return perr(p, s, "missing key %s", k->name);
		}
		q = strchr(w[i].s, '\'') ? "\"" : "'";
		if (strchr(w[i].s, '\'') && strchr(w[i].s, '"')) {
			free(b.p);
			return perr(p, s,
				    "key %s: a value with both ' and \" cannot be a key",
				    k->name);
		}
		bputs(&b, "[");
		bputs(&b, k->name);
		bputs(&b, "=");
		bputs(&b, q);
		bputs(&b, w[i].s);
		bputs(&b, q);
		bputs(&b, "]");
		i++;
	}
	if (i < n) {
		free(b.p);
		return perr(p, s,
			    "trailing garbage \"%s\" (a %s entry takes %d key value%s)",
			    w[i].s, s->name, i, i == 1 ? "" : "s");
	}
	if (b.oom) {
		free(b.p);
		return perr(p, s, "out of memory");
	}
	*out = b.p ? b.p : strdup("");
	return 0;
}

static int open_block(struct parser *p, struct lyd_node *n,
		      const struct lysc_node *s)
{
	if (p->depth + 1 >= MAX_DEPTH)
		return perr(p, s, "nested too deep");
	p->depth++;
	p->stack[p->depth].node = n;
	p->stack[p->depth].schema = s;
	p->stack[p->depth].line = p->line;
	return 0;
}

static int do_container(struct parser *p, const struct lys_module *mod,
			const struct lysc_node *s, struct word *w, int n)
{
	struct lyd_node *node, *dup;

	if (n > 1)
		return perr(p, s,
			    "\"%s\" where a block is expected (%s opens a block and takes no value)",
			    w[1].s, s->name);
	dup = existing(p, s);
	if (dup)
		return perr(p, s, "given twice (first on line %u)",
			    line_of(p, dup));
	ly_err_clean(p->ctx, NULL);
	if (lyd_new_inner(p->stack[p->depth].node, mod, s->name, 0, &node) !=
	    LY_SUCCESS)
		return ly_perr(p, s, "cannot create it");
	attach(p, node);
	if (add_origin(p, node) < 0)
		return perr(p, s, "out of memory");
	return open_block(p, node, s);
}

static int do_list(struct parser *p, const struct lys_module *mod,
		   const struct lysc_node *s, struct word *w, int n)
{
	struct lyd_node *node, *dup = NULL;
	char *keys = NULL;

	if (key_predicate(p, s, w + 1, n - 1, &keys) < 0)
		return -1;
	/* by the siblings' hash table, not a walk: large files stay linear */
	if (lyd_find_sibling_val(first_child(p), s, keys, strlen(keys),
				 &dup) == LY_SUCCESS) {
		unsigned int line = line_of(p, dup);
		char path[1024];

		free(keys);
		if (!lyd_path(dup, LYD_PATH_STD, path, sizeof(path)))
			path[0] = '\0';
		config_seterr(p->err, p->errlen,
			      "line %u: %s: given twice (first on line %u)", p->line,
			      path, line);
		return -1;
	}
	ly_err_clean(p->ctx, NULL);
	if (lyd_new_list2(p->stack[p->depth].node, mod, s->name, keys, 0,
			  &node) != LY_SUCCESS) {
		free(keys);
		return ly_perr(p, s, "invalid key");
	}
	free(keys);
	attach(p, node);
	if (add_origin(p, node) < 0)
		return perr(p, s, "out of memory");
	return open_block(p, node, s);
}

static int do_term(struct parser *p, const struct lys_module *mod,
		   const struct lysc_node *s, struct word *w, int n)
{
	char value[256], why[256];
	const char *v = "";
	struct lyd_node *node, *dup;
	int u;

	if (is_empty_type(s)) {
		if (n > 1)
			return perr(p, s,
				    "trailing garbage \"%s\" (%s takes no value)",
				    w[1].s, s->name);
	} else if (n < 2) {
		return perr(p, s, "missing value");
	} else if (n > 2) {
		return perr(p, s,
			    "trailing garbage \"%s\" after the value", w[2].s);
	} else {
		v = w[1].s;
		u = units_of(s);
		if (u >= 0 && !w[1].quoted) {
			if (units_convert(v, u, value, sizeof(value), why,
					  sizeof(why)) < 0)
				return perr(p, s, "%s", why);
			v = value;
		}
	}
	if (s->nodetype == LYS_LEAF) {
		dup = existing(p, s);
		if (dup)
			return perr(p, s, "given twice (first on line %u)",
				    line_of(p, dup));
	} else if (lyd_find_sibling_val(first_child(p), s, v, strlen(v),
					&dup) == LY_SUCCESS) {
		return perr(p, s, "value \"%s\" given twice (first on line %u)",
			    w[1].s, line_of(p, dup));
	}
	ly_err_clean(p->ctx, NULL);
	if (lyd_new_term(p->stack[p->depth].node, mod, s->name, v, 0, &node) !=
	    LY_SUCCESS)
		return ly_perr(p, s, "invalid value");
	attach(p, node);
	if (add_origin(p, node) < 0)
		return perr(p, s, "out of memory");
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	const struct lys_module *mod = NULL;
	const struct lysc_node *s;
	struct word w[MAX_WORDS];
	char why[256];
	int n;

	n = split_words(line, w, why, sizeof(why));
	if (n < 0)
		return perr(p, NULL, "%s", why);
	if (!n)
		return 0;
	if (!w[0].quoted && !strcmp(w[0].s, "..")) {
		if (p->depth == 0)
			return perr(p, NULL, "extra \"..\" (no block is open)");
		if (n > 1)
			return perr(p, NULL, "trailing garbage \"%s\" after \"..\"",
				    w[1].s);
		p->depth--;
		return 0;
	}
	s = find_schema(p, w[0].s, &mod);
	if (!s)
		return perr(p, NULL, "unknown keyword \"%s\"%s", w[0].s,
			    p->depth ? "" : " at the top level");
	if (lysc_is_key(s))
		return perr(p, s,
			    "a key is given on its block's line (\"%s VALUE\")",
			    p->stack[p->depth].schema->name);
	switch (s->nodetype) {
	case LYS_CONTAINER:
		return do_container(p, mod, s, w, n);
	case LYS_LIST:
		return do_list(p, mod, s, w, n);
	case LYS_LEAF:
	case LYS_LEAFLIST:
		return do_term(p, mod, s, w, n);
	default:
		return perr(p, s, "not supported in the text format");
	}
}

/*
 * libyang's error location: 'Data location "PATH".', 'Schema location
 * "PATH".', both, or a bare path.
 */
static unsigned int error_line(struct parser *p, const char *where)
{
	static const char *const tags[] = { "Data location \"",
					    "Schema location \"" };
	unsigned int i, line = 0;
	const char *s, *q;
	char *path;

	if (where[0] == '/')
		return origin_line(p, where, false);
	for (i = 0; i < 2 && !line; i++) {
		s = strstr(where, tags[i]);
		if (!s)
			continue;
		s += strlen(tags[i]);
		q = strchr(s, '"');
		if (!q)
			continue;
		/* a data path may hold quotes in predicates: up to '".' */
		while (q && strncmp(q, "\".", 2) && strncmp(q, "\",", 2))
			q = strchr(q + 1, '"');
		if (!q)
			continue;
		path = strndup(s, q - s);
		if (path)
			line = origin_line(p, path, i == 1);
		free(path);
	}
	return line;
}

static void parser_free(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->n_origins; i++)
		free(p->origins[i].path);
	free(p->origins);
}

int cfgtext_parse(struct ly_ctx *ctx, const char *text,
		  struct lyd_node **tree, char *err, size_t errlen)
{
	struct parser p = { .ctx = ctx, .err = err, .errlen = errlen };
	const struct ly_err_item *e;
	char *copy, *line, *next;
	int ret = -1;

	*tree = NULL;
	copy = strdup(text);
	if (!copy) {
		config_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (line = copy; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		p.line++;
		if (parse_line(&p, line) < 0)
			goto out;
	}
	if (p.depth) {
		char path[1024];

		/* the innermost open block */
		if (!lyd_path(p.stack[p.depth].node, LYD_PATH_STD, path,
			      sizeof(path)))
			path[0] = '\0';
		config_seterr(err, errlen,
			      "line %u: %s: block not closed (no \"..\" for it before the end)",
			      p.stack[p.depth].line, path);
		goto out;
	}
	ly_err_clean(ctx, NULL);
	if (lyd_validate_all(&p.tree, ctx, LYD_VALIDATE_PRESENT, NULL) !=
	    LY_SUCCESS) {
		unsigned int l = 0;

		e = ly_first_error(ctx);
		if (e && e->path)
			l = error_line(&p, e->path);
		if (l)
			config_seterr(err, errlen,
				      "line %u: invalid configuration: %s (%s)", l,
				      e->msg, e->path);
		else if (e && e->path)
			config_seterr(err, errlen, "invalid configuration: %s (%s)",
				      e->msg, e->path);
		else
			config_seterr(err, errlen, "invalid configuration: %s",
				      e ? e->msg : "validation failed");
		goto out;
	}
	*tree = p.tree;
	p.tree = NULL;
	ret = 0;
out:
	lyd_free_all(p.tree);
	parser_free(&p);
	free(copy);
	ly_err_clean(ctx, NULL);
	return ret;
}

int cfgtext_to_json(struct ly_ctx *ctx, const char *text, char **json,
		    char *err, size_t errlen)
{
	struct lyd_node *tree;

	*json = NULL;
	if (cfgtext_parse(ctx, text, &tree, err, errlen) < 0)
		return -1;
	if (!tree) {
		*json = strdup("{}\n");
	} else if (lyd_print_mem(json, tree, LYD_JSON,
				 LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_EXPLICIT) !=
		   LY_SUCCESS) {
		*json = NULL;
	}
	lyd_free_all(tree);
	if (!*json) {
		config_seterr(err, errlen, "cannot print the configuration as JSON");
		return -1;
	}
	return 0;
}

bool cfgtext_is_text(const char *data)
{
	while (*data && isspace((unsigned char)*data))
		data++;
	return *data != '{';
}
